package xs2a

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// adminMux is the admin API: loopback callers with the bearer token only.
//
//	POST   /admin/clock                         {"advance":"90s"}
//	POST   /admin/balance                       {"currency":"EUR","amount":"100.00"}
//	POST   /admin/faults                        {"kind":"rate_limit","count":2,"retry_after":3}
//	DELETE /admin/faults
//	POST   /admin/authorisations/{id}/approve   (or /deny): the decoupled bank app
//	GET    /admin/payments/{id}                 {"transactionStatus":…}
//	GET    /admin/verdicts?n=50 | ?request_id=<uuid>
func (b *Bank) adminMux() http.Handler {
	mux := http.NewServeMux()
	out := func(w http.ResponseWriter, status int, v any) {
		raw, _ := json.Marshal(v)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(raw)
	}
	bad := func(w http.ResponseWriter, status int, err error) {
		out(w, status, map[string]string{"error": err.Error()})
	}
	decode := func(r *http.Request, v any) error {
		if err := decodeStrict(readAllLimited(r), v); err != nil {
			return errors.New("the body is not the expected JSON")
		}
		return nil
	}
	mux.HandleFunc("POST /admin/clock", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Advance string `json:"advance"`
		}
		if err := decode(r, &in); err != nil {
			bad(w, 400, err)
			return
		}
		d, err := time.ParseDuration(in.Advance)
		if err != nil || d < -5*365*24*time.Hour || d > 5*365*24*time.Hour {
			bad(w, 400, errors.New("advance must be a Go duration within ±5 years, e.g. 90s"))
			return
		}
		b.AdvanceClock(d)
		out(w, 200, map[string]string{"now": b.now().UTC().Format(time.RFC3339)})
	})
	mux.HandleFunc("POST /admin/balance", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Currency string `json:"currency"`
			Amount   string `json:"amount"`
		}
		if err := decode(r, &in); err != nil {
			bad(w, 400, err)
			return
		}
		minor, err := parseAmount(&amountJSON{Currency: in.Currency, Amount: in.Amount}, Product{Name: "balance", Currencies: []string{in.Currency}})
		if err != nil && in.Amount != "0" && in.Amount != "0.00" {
			bad(w, 400, errors.New("amount must be a positive decimal like 100.00 in a known currency"))
			return
		}
		if err := b.SetBalance(in.Currency, minor); err != nil {
			bad(w, 400, err)
			return
		}
		out(w, 200, map[string]any{"currency": in.Currency, "minor": minor})
	})
	mux.HandleFunc("POST /admin/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if err := decode(r, &f); err != nil {
			bad(w, 400, err)
			return
		}
		if err := b.InjectFault(f); err != nil {
			bad(w, 400, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /admin/faults", func(w http.ResponseWriter, r *http.Request) {
		b.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /admin/authorisations/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		act := r.PathValue("action")
		if act != "approve" && act != "deny" {
			bad(w, 404, errors.New("action must be approve or deny"))
			return
		}
		err := b.DecideDecoupled(r.PathValue("id"), act == "approve")
		switch {
		case errors.Is(err, ErrUnknownAuthorisation):
			bad(w, 404, err)
		case err != nil:
			bad(w, 409, err)
		default:
			st, _ := b.AuthorisationStatus(r.PathValue("id"))
			out(w, 200, map[string]string{"scaStatus": st})
		}
	})
	mux.HandleFunc("DELETE /admin/sessions", func(w http.ResponseWriter, r *http.Request) {
		n, err := b.EndSessions()
		if err != nil {
			bad(w, 500, errors.New("the bank could not save the ended sessions"))
			return
		}
		out(w, 200, map[string]int{"ended": n})
	})
	mux.HandleFunc("GET /admin/payments/{id}", func(w http.ResponseWriter, r *http.Request) {
		st, ok := b.PaymentStatus(r.PathValue("id"))
		if !ok {
			bad(w, 404, errors.New("unknown payment"))
			return
		}
		out(w, 200, map[string]string{"transactionStatus": st})
	})
	mux.HandleFunc("GET /admin/verdicts", func(w http.ResponseWriter, r *http.Request) {
		if id := r.URL.Query().Get("request_id"); id != "" {
			v, ok := b.VerdictFor(id)
			if !ok {
				bad(w, 404, errors.New("no verdict for that X-Request-ID"))
				return
			}
			out(w, 200, v)
			return
		}
		n := 50
		if s := r.URL.Query().Get("n"); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil || v < 1 || v > 500 {
				bad(w, 400, errors.New("n must be 1..500"))
				return
			}
			n = v
		}
		out(w, 200, b.RecentVerdicts(n))
	})
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

func readAllLimited(r *http.Request) []byte {
	var buf strings.Builder
	tmp := make([]byte, 4096)
	for {
		n, err := r.Body.Read(tmp)
		buf.Write(tmp[:n])
		if err != nil || buf.Len() > 16<<10 {
			break
		}
	}
	return []byte(buf.String())
}
