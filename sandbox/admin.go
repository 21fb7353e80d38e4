package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// adminMux is the standalone admin API: loopback callers with the bearer token only.
//
//	POST   /admin/consents/{id}/{suspend|restore|revoke|expire}
//	POST   /admin/balance        {"amount":"123.45"}
//	POST   /admin/clock          {"advance":"1h30m"}
//	POST   /admin/faults         {"kind":"rate_limit","count":2,"target":"rs","delay":"2s","retry_after":3}
//	DELETE /admin/faults
//	POST   /admin/rotate-enc-key
//	GET    /admin/verdicts?n=50  or ?interaction_id=<uuid>
func (b *Bank) adminMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/consents/{id}/{action}", b.adminConsent)
	mux.HandleFunc("POST /admin/balance", b.adminBalance)
	mux.HandleFunc("POST /admin/clock", b.adminClock)
	mux.HandleFunc("POST /admin/faults", b.adminFault)
	mux.HandleFunc("DELETE /admin/faults", func(w http.ResponseWriter, r *http.Request) {
		b.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /admin/rotate-enc-key", func(w http.ResponseWriter, r *http.Request) {
		kid, err := b.RotateEncKey()
		if err != nil {
			adminErr(w, http.StatusInternalServerError, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"kid": kid})
	})
	mux.HandleFunc("GET /admin/verdicts", b.adminVerdicts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(b.cfg.AdminToken)) != 1 {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		mux.ServeHTTP(w, r)
	})
}

func adminErr(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func decodeAdmin(r *http.Request, v any) error {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return errors.New("body too large or unreadable")
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New("body is not the expected JSON")
	}
	return nil
}

func (b *Bank) adminConsent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var err error
	switch r.PathValue("action") {
	case "suspend":
		err = b.SuspendConsent(id)
	case "restore":
		err = b.RestoreConsent(id)
	case "revoke":
		err = b.RevokeConsent(id)
	case "expire":
		err = b.ExpireConsent(id)
	default:
		adminErr(w, http.StatusNotFound, errors.New("unknown action"))
		return
	}
	switch {
	case errors.Is(err, ErrNoConsent):
		adminErr(w, http.StatusNotFound, err)
	case err != nil:
		adminErr(w, http.StatusConflict, err)
	default:
		st, _ := b.ConsentStatus(id)
		writeJSON(w, http.StatusOK, map[string]string{"status": st})
	}
}

func (b *Bank) adminBalance(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Amount string `json:"amount"`
	}
	if err := decodeAdmin(r, &in); err != nil {
		adminErr(w, http.StatusBadRequest, err)
		return
	}
	fils, err := parseFils(in.Amount)
	if err != nil {
		adminErr(w, http.StatusBadRequest, err)
		return
	}
	if err := b.SetBalanceFils(fils); err != nil {
		adminErr(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"balance": formatFils(fils)})
}

func (b *Bank) adminClock(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Advance string `json:"advance"`
	}
	if err := decodeAdmin(r, &in); err != nil {
		adminErr(w, http.StatusBadRequest, err)
		return
	}
	d, err := time.ParseDuration(in.Advance)
	if err != nil || d > 5*365*24*time.Hour || d < -5*365*24*time.Hour {
		adminErr(w, http.StatusBadRequest, errors.New("advance must be a Go duration within ±5 years, e.g. 90m"))
		return
	}
	b.AdvanceClock(d)
	writeJSON(w, http.StatusOK, map[string]string{"now": b.now().UTC().Format(time.RFC3339)})
}

func (b *Bank) adminFault(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Kind       FaultKind `json:"kind"`
		Count      int       `json:"count"`
		Target     string    `json:"target"`
		Delay      string    `json:"delay"`
		RetryAfter int       `json:"retry_after"`
	}
	if err := decodeAdmin(r, &in); err != nil {
		adminErr(w, http.StatusBadRequest, err)
		return
	}
	f := Fault{Kind: in.Kind, Count: in.Count, Target: in.Target, RetryAfter: in.RetryAfter}
	if in.Delay != "" {
		d, err := time.ParseDuration(in.Delay)
		if err != nil {
			adminErr(w, http.StatusBadRequest, errors.New("delay must be a Go duration"))
			return
		}
		f.Delay = d
	}
	if err := b.InjectFault(f); err != nil {
		adminErr(w, http.StatusBadRequest, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (b *Bank) adminVerdicts(w http.ResponseWriter, r *http.Request) {
	if id := r.URL.Query().Get("interaction_id"); id != "" {
		v, ok := b.VerdictFor(id)
		if !ok {
			adminErr(w, http.StatusNotFound, errors.New("no verdict for that interaction id"))
			return
		}
		writeJSON(w, http.StatusOK, v)
		return
	}
	n := 50
	if s := r.URL.Query().Get("n"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > 500 {
			adminErr(w, http.StatusBadRequest, errors.New("n must be 1..500"))
			return
		}
		n = v
	}
	writeJSON(w, http.StatusOK, b.RecentVerdicts(n))
}
