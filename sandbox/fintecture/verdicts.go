package fintecture

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Rule numbers: README.md lists each rule with its answer.
const (
	RuleTokenAuth       = 1  // token endpoint: Basic app_id:app_secret
	RuleTokenForm       = 2  // token endpoint: grant_type=client_credentials, app_id, scope=PIS
	RuleBearer          = 3  // API: a live bearer token from the token endpoint
	RuleSignatureParses = 4  // Signature present, four quoted parameters
	RuleKeyID           = 5  // keyId = app_id
	RuleAlgorithm       = 6  // algorithm = rsa-sha256
	RuleSignedHeaders   = 7  // exactly the list for the method
	RuleDate            = 8  // Date present, RFC 2822 (IMF-fixdate)
	RuleDateSkew        = 9  // Date within DateSkew of the hub's clock
	RuleDigest          = 10 // POST: Digest = SHA-256 of the raw body
	RuleRequestID       = 11 // X-Request-ID is a UUID v4
	RuleSignature       = 12 // the signature verifies over (request-target) with the raw query
	RuleReplay          = 13 // an X-Request-ID that opened a session is not taken again
	RuleState           = 14 // state present once, 1..512 characters
	RuleRedirectURI     = 15 // redirect_uri present once and registered
	RuleOriginURI       = 16 // origin_uri, when given, an absolute http(s) address
	RuleBody            = 17 // JSON body: meta psu_name/psu_email/psu_ip, data.type, attributes
	RuleAmount          = 18 // amount "12.50" form, ≥ 0.01, currency registered
	RuleBeneficiary     = 19 // beneficiary name and IBAN (mod 97), when given
	RuleSession         = 20 // the session exists
)

var ruleNames = map[int]string{
	RuleTokenAuth: "token-basic-auth", RuleTokenForm: "token-form", RuleBearer: "bearer-token",
	RuleSignatureParses: "signature-parses", RuleKeyID: "key-id", RuleAlgorithm: "algorithm",
	RuleSignedHeaders: "signed-headers", RuleDate: "date", RuleDateSkew: "date-skew", RuleDigest: "digest",
	RuleRequestID: "x-request-id-uuid-v4", RuleSignature: "signature-verifies", RuleReplay: "x-request-id-replay",
	RuleState: "state", RuleRedirectURI: "redirect-uri-registered", RuleOriginURI: "origin-uri", RuleBody: "body",
	RuleAmount: "amount", RuleBeneficiary: "beneficiary", RuleSession: "session-exists",
}

// Check is one rule evaluated for one request.
type Check struct {
	Rule   int    `json:"rule"`
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail,omitempty"` // never a header value, secret or personal data
}

// Verdict is the hub's account of one request.
type Verdict struct {
	RequestID string    `json:"request_id,omitempty"`
	Time      time.Time `json:"time"`
	Endpoint  string    `json:"endpoint"`
	Status    int       `json:"status"`
	Checks    []Check   `json:"checks"`
	// SigningString is the string the hub verified (method, path, query, date, digest, id:
	// no personal data), to set beside the client's.
	SigningString string `json:"signing_string,omitempty"`
}

// Failed is the first failed check (nil when every check passed).
func (v Verdict) Failed() *Check {
	for i := range v.Checks {
		if !v.Checks[i].Passed {
			return &v.Checks[i]
		}
	}
	return nil
}

func (v *Verdict) pass(rule int) {
	v.Checks = append(v.Checks, Check{Rule: rule, Name: ruleNames[rule], Passed: true})
}
func (v *Verdict) fail(rule int, detail string) {
	v.Checks = append(v.Checks, Check{Rule: rule, Name: ruleNames[rule], Detail: detail})
}

func (h *Hub) record(v Verdict) {
	h.mu.Lock()
	h.verdicts = append(h.verdicts, v)
	if len(h.verdicts) > maxVerdicts {
		h.verdicts = h.verdicts[len(h.verdicts)-maxVerdicts:]
	}
	h.mu.Unlock()
}

// Verdicts returns the verdicts kept, oldest first; with requestID only that request's.
func (h *Hub) Verdicts(requestID string) []Verdict {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Verdict
	for _, v := range h.verdicts {
		if requestID == "" || v.RequestID == requestID {
			out = append(out, v)
		}
	}
	return out
}

// FaultKind is a failure the hub injects on purpose, on the API (connect and status).
type FaultKind string

const (
	// FaultRateLimit answers 429 with Retry-After before any processing.
	FaultRateLimit FaultKind = "rate_limit"
	// FaultUnavailable answers 503 before any processing.
	FaultUnavailable FaultKind = "unavailable"
	// FaultDropAnswer processes the request (a connect opens its session) and closes the
	// connection without an answer.
	FaultDropAnswer FaultKind = "drop_answer"
)

// Fault applies to the next Count API requests.
type Fault struct {
	Kind       FaultKind `json:"kind"`
	Count      int       `json:"count"`
	RetryAfter int       `json:"retry_after,omitempty"`
}

// InjectFault queues a fault.
func (h *Hub) InjectFault(f Fault) error {
	switch f.Kind {
	case FaultRateLimit, FaultUnavailable, FaultDropAnswer:
	default:
		return fmt.Errorf("unknown fault %q (want rate_limit, unavailable or drop_answer)", f.Kind)
	}
	if f.Count < 1 || f.Count > 1000 || f.RetryAfter < 0 || f.RetryAfter > 3600 {
		return errors.New("fault count must be 1..1000 and retry_after 0..3600")
	}
	if f.Kind == FaultRateLimit && f.RetryAfter == 0 {
		f.RetryAfter = 1
	}
	h.mu.Lock()
	h.faults = append(h.faults, f)
	h.mu.Unlock()
	return nil
}

// takeFault consumes one use of the first queued fault.
func (h *Hub) takeFault() (Fault, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.faults) == 0 {
		return Fault{}, false
	}
	f := h.faults[0]
	if h.faults[0].Count--; h.faults[0].Count == 0 {
		h.faults = h.faults[1:]
	}
	return f, true
}

func (h *Hub) admin(w http.ResponseWriter, r *http.Request) bool {
	want := "Bearer " + h.cfg.AdminToken
	if h.cfg.AdminToken == "" || subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
		http.Error(w, "admin token required", http.StatusUnauthorized)
		return false
	}
	return true
}

func (h *Hub) adminFaults(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) {
		return
	}
	var f Fault
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&f); err != nil {
		http.Error(w, "body must be {\"kind\":…,\"count\":…}", http.StatusBadRequest)
		return
	}
	if err := h.InjectFault(f); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Hub) adminVerdicts(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(h.Verdicts(r.URL.Query().Get("request_id")))
}
