package fintecture

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/payterm/payterm/sandbox/fintecture/fsig"
	"github.com/payterm/payterm/sandbox/internal/hangup"
)

// apiError answers in Fintecture's error form ({code, log_id, errors:[…]}, the Ruby SDK's
// exceptions.rb) and records the verdict.
func (h *Hub) apiError(w http.ResponseWriter, v *Verdict, status int, code, message string) {
	v.Status = status
	h.record(*v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"code": code, "log_id": h.randomHex(8),
		"errors": []map[string]string{{"code": code, "title": http.StatusText(status), "message": message}},
	})
}

func (h *Hub) writeJSON(w http.ResponseWriter, v *Verdict, body any) {
	v.Status = http.StatusOK
	h.record(*v)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

// token is POST /oauth/accesstoken: Basic app_id:app_secret, form grant_type=client_credentials,
// app_id, scope=PIS.
func (h *Hub) token(w http.ResponseWriter, r *http.Request) {
	v := &Verdict{Time: h.cfg.Clock(), Endpoint: "token"}
	user, pass, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(h.cfg.AppID)) != 1 || subtle.ConstantTimeCompare([]byte(pass), []byte(h.cfg.AppSecret)) != 1 {
		v.fail(RuleTokenAuth, "Basic app_id:app_secret missing or wrong")
		h.apiError(w, v, http.StatusUnauthorized, "invalid_client", "the application's credentials are wrong")
		return
	}
	v.pass(RuleTokenAuth)
	body, err := io.ReadAll(io.LimitReader(r.Body, 4096))
	form, perr := url.ParseQuery(string(body))
	switch {
	case err != nil || perr != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		v.fail(RuleTokenForm, "not a form-encoded body")
	case len(form["grant_type"]) != 1 || form.Get("grant_type") != "client_credentials":
		v.fail(RuleTokenForm, "grant_type must be client_credentials")
	case len(form["app_id"]) != 1 || form.Get("app_id") != h.cfg.AppID:
		v.fail(RuleTokenForm, "app_id must be the application's")
	case len(form["scope"]) != 1 || form.Get("scope") != "PIS":
		v.fail(RuleTokenForm, "scope must be PIS")
	}
	if v.Failed() != nil {
		h.apiError(w, v, http.StatusBadRequest, "invalid_request", v.Failed().Detail)
		return
	}
	v.pass(RuleTokenForm)
	tok := h.randomHex(24)
	h.mu.Lock()
	now := h.cfg.Clock()
	for t, exp := range h.tokens {
		if now.After(exp) {
			delete(h.tokens, t)
		}
	}
	h.tokens[tok] = now.Add(h.cfg.TokenLife)
	h.mu.Unlock()
	h.writeJSON(w, v, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(h.cfg.TokenLife / time.Second)})
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// signedHeaders is the exact header list per method (doc.fintecture.com api-http-signature).
func signedHeaders(method string) []string {
	if method == http.MethodPost || method == http.MethodPatch {
		return []string{"(request-target)", "date", "digest", "x-request-id"}
	}
	return []string{"(request-target)", "date", "x-request-id"}
}

// checkSigned applies the bearer and signature rules to an API request; on a failure it has
// answered and returns false.
func (h *Hub) checkSigned(w http.ResponseWriter, r *http.Request, v *Verdict, body []byte) bool {
	v.RequestID = r.Header.Get("X-Request-ID")
	if !uuidV4.MatchString(v.RequestID) {
		v.RequestID = ""
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	h.mu.Lock()
	exp, live := h.tokens[tok]
	h.mu.Unlock()
	if !ok || !live || !h.cfg.Clock().Before(exp) {
		v.fail(RuleBearer, "no live access token")
		h.apiError(w, v, http.StatusUnauthorized, "invalid_token", "the access token is missing, unknown or expired")
		return false
	}
	v.pass(RuleBearer)
	fail := func(rule, status int, code, detail string) bool {
		v.fail(rule, detail)
		h.apiError(w, v, status, code, detail)
		return false
	}
	sigs := r.Header.Values("Signature")
	if len(sigs) != 1 {
		return fail(RuleSignatureParses, http.StatusUnauthorized, "invalid_signature", "exactly one Signature header is required")
	}
	p, err := fsig.Parse(sigs[0])
	if err != nil {
		return fail(RuleSignatureParses, http.StatusUnauthorized, "invalid_signature", err.Error())
	}
	v.pass(RuleSignatureParses)
	if p.KeyID != h.cfg.AppID {
		return fail(RuleKeyID, http.StatusUnauthorized, "invalid_signature", "keyId is not the application's app_id")
	}
	v.pass(RuleKeyID)
	if p.Algorithm != "rsa-sha256" {
		return fail(RuleAlgorithm, http.StatusUnauthorized, "invalid_signature", "algorithm must be rsa-sha256")
	}
	v.pass(RuleAlgorithm)
	if want := signedHeaders(r.Method); !slices.Equal(p.Headers, want) {
		return fail(RuleSignedHeaders, http.StatusUnauthorized, "invalid_signature", "headers must be \""+strings.Join(want, " ")+"\" for "+r.Method)
	}
	v.pass(RuleSignedHeaders)
	dates := r.Header.Values("Date")
	if len(dates) != 1 {
		return fail(RuleDate, http.StatusBadRequest, "invalid_date", "exactly one Date header is required")
	}
	d, err := time.Parse(time.RFC1123, dates[0])
	if err != nil || !strings.HasSuffix(dates[0], " GMT") {
		return fail(RuleDate, http.StatusBadRequest, "invalid_date", "Date must be RFC 2822 in GMT, like Wed, 26 Feb 2020 17:29:51 GMT")
	}
	v.pass(RuleDate)
	if skew := h.cfg.Clock().Sub(d); skew > h.cfg.DateSkew || skew < -h.cfg.DateSkew {
		return fail(RuleDateSkew, http.StatusUnauthorized, "invalid_date", "Date is more than "+h.cfg.DateSkew.String()+" from the hub's clock")
	}
	v.pass(RuleDateSkew)
	if r.Method == http.MethodPost {
		dg := r.Header.Values("Digest")
		if len(dg) != 1 || dg[0] != fsig.Digest(body) {
			return fail(RuleDigest, http.StatusBadRequest, "invalid_digest", "Digest must be SHA-256= and the base64 of the SHA-256 of the body as sent")
		}
		v.pass(RuleDigest)
	}
	if v.RequestID == "" || len(r.Header.Values("X-Request-ID")) != 1 {
		return fail(RuleRequestID, http.StatusBadRequest, "invalid_request_id", "X-Request-ID must be one lowercase UUID v4")
	}
	v.pass(RuleRequestID)
	// The request target exactly as it arrived on the request line (not re-encoded).
	ss, err := fsig.SigningString(p.Headers, r.Method, r.RequestURI, r.Header)
	if err != nil {
		return fail(RuleSignature, http.StatusUnauthorized, "invalid_signature", err.Error())
	}
	v.SigningString = ss
	if err := fsig.Verify(h.cfg.AppKey, ss, p.Signature); err != nil {
		return fail(RuleSignature, http.StatusUnauthorized, "invalid_signature", err.Error())
	}
	v.pass(RuleSignature)
	return true
}

// apiFault applies a queued fault before processing; drop is true for a fault that lets the
// request be processed and then drops the answer.
func (h *Hub) apiFault(w http.ResponseWriter, v *Verdict) (handled, drop bool) {
	f, ok := h.takeFault()
	if !ok {
		return false, false
	}
	switch f.Kind {
	case FaultRateLimit:
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		h.apiError(w, v, http.StatusTooManyRequests, "too_many_requests", "injected: rate limited, nothing processed")
		return true, false
	case FaultUnavailable:
		h.apiError(w, v, http.StatusServiceUnavailable, "service_unavailable", "injected: unavailable, nothing processed")
		return true, false
	}
	return false, true
}

type connectReq struct {
	Meta *struct {
		PSUName  *string `json:"psu_name"`
		PSUEmail *string `json:"psu_email"`
		PSUIP    *string `json:"psu_ip"`
	} `json:"meta"`
	Data *struct {
		Type       *string `json:"type"`
		Attributes *struct {
			Amount        *string `json:"amount"`
			Currency      *string `json:"currency"`
			Communication *string `json:"communication"`
			Beneficiary   *struct {
				Name *string `json:"name"`
				IBAN *string `json:"iban"`
			} `json:"beneficiary"`
		} `json:"attributes"`
	} `json:"data"`
}

var (
	amountForm = regexp.MustCompile(`^(0|[1-9][0-9]{0,12})\.[0-9]{2}$`)
	emailForm  = regexp.MustCompile(`^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{2,}$`)
)

// connect is POST /pis/v2/connect: an Immediate Transfer session.
func (h *Hub) connect(w http.ResponseWriter, r *http.Request) {
	v := &Verdict{Time: h.cfg.Clock(), Endpoint: "connect"}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		v.fail(RuleBody, "body unreadable or over 64 KiB")
		h.apiError(w, v, http.StatusRequestEntityTooLarge, "invalid_request", "the body is unreadable or too large")
		return
	}
	if !h.checkSigned(w, r, v, body) {
		return
	}
	if handled, _ := h.peekFault(w, v); handled {
		return
	}
	h.mu.Lock()
	_, used := h.st.Used[v.RequestID]
	h.mu.Unlock()
	if used {
		v.fail(RuleReplay, "this X-Request-ID already opened a session")
		h.apiError(w, v, http.StatusConflict, "duplicate_request_id", "this X-Request-ID was already used")
		return
	}
	v.pass(RuleReplay)
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		v.fail(RuleState, "the query does not parse")
		h.apiError(w, v, http.StatusBadRequest, "invalid_request", "the query does not parse")
		return
	}
	bad := func(rule int, detail string) {
		v.fail(rule, detail)
		h.apiError(w, v, http.StatusBadRequest, "invalid_request", detail)
	}
	if st := q["state"]; len(st) != 1 || st[0] == "" || len(st[0]) > 512 {
		bad(RuleState, "state is required once, 1 to 512 characters")
		return
	}
	v.pass(RuleState)
	if ru := q["redirect_uri"]; len(ru) != 1 || !slices.Contains(h.cfg.RedirectURIs, ru[0]) {
		bad(RuleRedirectURI, "redirect_uri must be one of the application's registered addresses")
		return
	}
	v.pass(RuleRedirectURI)
	if ou := q["origin_uri"]; len(ou) > 1 || len(ou) == 1 && !absoluteHTTP(ou[0]) {
		bad(RuleOriginURI, "origin_uri must be an absolute http(s) address, given at most once")
		return
	}
	v.pass(RuleOriginURI)
	s, rule, detail := h.session(body)
	if rule != 0 {
		bad(rule, detail)
		return
	}
	v.pass(RuleBody)
	v.pass(RuleAmount)
	v.pass(RuleBeneficiary)
	_, drop := h.apiFault(w, v)
	s.ID, s.PageToken, s.RequestID = h.randomHex(16), h.randomHex(16), v.RequestID
	s.State, s.RedirectURI, s.OriginURI = q.Get("state"), q.Get("redirect_uri"), q.Get("origin_uri")
	s.Status, s.Created, s.Updated = StatusProviderRequired, h.cfg.Clock(), h.cfg.Clock()
	h.mu.Lock()
	h.st.Sessions[s.ID] = s
	h.st.Used[v.RequestID] = s.Created
	err = h.st.save()
	h.mu.Unlock()
	if err != nil {
		h.apiError(w, v, http.StatusInternalServerError, "internal_error", "the hub could not save the session")
		return
	}
	if drop {
		v.Status = 0
		h.record(*v)
		hangup.Drop(w)
		return
	}
	h.writeJSON(w, v, map[string]any{"meta": map[string]string{"session_id": s.ID, "url": h.url + "/connect/" + s.ID}})
}

// peekFault answers a queued 429/503 before processing; a drop fault is left for after.
func (h *Hub) peekFault(w http.ResponseWriter, v *Verdict) (bool, bool) {
	h.mu.Lock()
	next := FaultKind("")
	if len(h.faults) > 0 {
		next = h.faults[0].Kind
	}
	h.mu.Unlock()
	if next == FaultRateLimit || next == FaultUnavailable {
		return h.apiFault(w, v)
	}
	return false, false
}

// session checks the body (rules 17–19) and returns the session it describes; rule is 0 when
// every check passed.
func (h *Hub) session(body []byte) (s *Session, rule int, detail string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var c connectReq
	if err := dec.Decode(&c); err != nil || dec.More() {
		return nil, RuleBody, "the body is not the session JSON (meta, data.type, data.attributes) or has fields the hub does not know"
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, RuleBody, "data after the JSON body"
	}
	if c.Meta == nil || c.Data == nil || c.Data.Attributes == nil || c.Data.Type == nil {
		return nil, RuleBody, "meta, data.type and data.attributes are required"
	}
	m, a := c.Meta, c.Data.Attributes
	switch {
	case m.PSUName == nil || !cleanText(*m.PSUName, 1, 140):
		return nil, RuleBody, "meta.psu_name is required (1 to 140 characters, no control characters)"
	case m.PSUEmail == nil || !emailForm.MatchString(*m.PSUEmail):
		return nil, RuleBody, "meta.psu_email is required and must be an address"
	case m.PSUIP == nil || net.ParseIP(*m.PSUIP) == nil:
		return nil, RuleBody, "meta.psu_ip is required and must be an IP address"
	case *c.Data.Type != "SEPA" && *c.Data.Type != "PIS":
		return nil, RuleBody, "data.type must be SEPA (the SDK) or PIS (the signature guide)"
	case a.Communication == nil || !cleanText(*a.Communication, 1, 140):
		return nil, RuleBody, "data.attributes.communication is required (1 to 140 characters, no control characters)"
	}
	if a.Amount == nil || a.Currency == nil || !amountForm.MatchString(*a.Amount) || *a.Amount == "0.00" {
		return nil, RuleAmount, "data.attributes.amount must be a string like 12.50, at least 0.01"
	}
	if !slices.Contains(h.cfg.Currencies, *a.Currency) {
		return nil, RuleAmount, "data.attributes.currency is not one the application may pay in"
	}
	s = &Session{Amount: *a.Amount, Currency: *a.Currency, Communication: *a.Communication, PayerName: *m.PSUName}
	if b := a.Beneficiary; b != nil {
		if b.Name == nil || !cleanText(*b.Name, 1, 140) {
			return nil, RuleBeneficiary, "beneficiary.name is required (1 to 140 characters)"
		}
		if b.IBAN == nil || !validIBAN(*b.IBAN) {
			return nil, RuleBeneficiary, "beneficiary.iban is not a valid IBAN (electronic form, mod 97)"
		}
		s.PayeeName, s.PayeeIBAN = *b.Name, *b.IBAN
	}
	return s, 0, ""
}

// cleanText: valid UTF-8 of min..max characters without control or bidi-override characters.
func cleanText(s string, min, max int) bool {
	n := utf8.RuneCountInString(s)
	if !utf8.ValidString(s) || n < min || n > max {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f || c == 0x061c {
			return false
		}
	}
	return true
}

// validIBAN is the hub's own check: upper-case letters and digits, 15..34 long, a country and
// check digits, ISO 7064 mod 97 = 1.
func validIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' || s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9' {
		return false
	}
	rem := 0
	for _, c := range s[4:] + s[:4] {
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			rem = (rem*100 + int(c-'A'+10)) % 97
		default:
			return false
		}
	}
	return rem == 1
}

// payment is GET /pis/v2/payments/{id}: the session's status, amount and currency.
func (h *Hub) payment(w http.ResponseWriter, r *http.Request) {
	v := &Verdict{Time: h.cfg.Clock(), Endpoint: "payment"}
	if r.ContentLength > 0 {
		v.fail(RuleSignedHeaders, "a GET carries no body")
		h.apiError(w, v, http.StatusBadRequest, "invalid_request", "a GET carries no body")
		return
	}
	if !h.checkSigned(w, r, v, nil) {
		return
	}
	handled, drop := h.apiFault(w, v)
	if handled {
		return
	}
	s, ok := h.current(r.PathValue("id"))
	if !ok {
		v.fail(RuleSession, "no such session")
		h.apiError(w, v, http.StatusNotFound, "not_found", "no such session")
		return
	}
	v.pass(RuleSession)
	if drop {
		h.record(*v)
		hangup.Drop(w)
		return
	}
	h.writeJSON(w, v, map[string]any{
		"meta": map[string]string{"session_id": s.ID, "status": s.Status},
		"data": map[string]any{"type": "payments", "id": s.ID, "attributes": map[string]string{
			"amount": s.Amount, "currency": s.Currency, "communication": s.Communication, "status": s.Status}},
	})
}

// current returns a copy of the session, expiring it first when it was left unfinished past
// SessionLife.
func (h *Hub) current(id string) (Session, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.st.Sessions[id]
	if !ok {
		return Session{}, false
	}
	now := h.cfg.Clock()
	if !final(s.Status) && now.Sub(s.Created) > h.cfg.SessionLife {
		s.Status, s.Updated = StatusExpired, now
		h.st.save()
	}
	return *s, true
}
