package fintecture

import (
	"net/http"
	"strings"

	"github.com/payterm/payterm/internal/httpsig"
	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider/wire"
)

// Op names an exchange with the hub, for the inspector.
type Op string

const (
	OpToken   Op = "token"   // POST /oauth/accesstoken
	OpConnect Op = "connect" // POST /pis/v2/connect
	OpStatus  Op = "status"  // GET /pis/v2/payments/{session_id}
)

// Exchange is one request and its answer as the inspector shows it. Secrets never reach it:
// the Authorization header (Basic app credentials, or the bearer token) is replaced, and the
// token answer's access_token is dropped. Personal data (the payer, the payee, the message) is
// left in the bodies and named by PIIKeys; WithoutPII masks it.
type Exchange struct {
	Op             Op
	Method         string
	Target         string // path and raw query, as signed and sent
	RequestID      string // X-Request-ID ("" for the token call)
	RequestHeaders http.Header
	RequestBody    any // decoded JSON (the token form as a map); nil when none
	Status         int // 0: no answer
	ResponseBody   any
	Err            string
	// The HTTP signature: keyId, the signed headers, the Digest and the signing string.
	KeyID, Algorithm string
	SignedHeaders    []string
	Digest           string
	SigningString    string
	PIIKeys          []string
}

// Observer receives every exchange; it is called synchronously and must only copy.
type Observer func(Exchange)

// piiKeys are the body members that name or reach a person.
var piiKeys = []string{"psu_name", "psu_email", "psu_ip", "name", "iban", "communication"}

// WithoutPII masks the personal data of the bodies.
func (e Exchange) WithoutPII() Exchange {
	out := e
	out.RequestBody = wire.MaskPII(e.RequestBody, e.PIIKeys)
	out.ResponseBody = wire.MaskPII(e.ResponseBody, e.PIIKeys)
	return out
}

// observeSigned reports one signed exchange with the hub.
func (b *Bank) observeSigned(op Op, s *signed, status int, resp []byte, err error) {
	if b.cfg.Observer == nil {
		return
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer [secret]")
	h.Set("Date", s.Date)
	h.Set("X-Request-ID", s.RequestID)
	if s.Body != nil {
		h.Set("Content-Type", "application/json")
		h.Set("Digest", s.Digest)
	}
	h.Set("Signature", s.Signature)
	ex := Exchange{Op: op, Method: s.Method, Target: s.Target, RequestID: s.RequestID, RequestHeaders: h,
		RequestBody: wire.DecodeBody(s.Body), Status: status, ResponseBody: wire.DecodeBody(resp), KeyID: b.cfg.AppID,
		Algorithm: httpsig.Algorithm, Digest: s.Digest, PIIKeys: piiKeys}
	names := []string{httpsig.RequestTarget, "date", "x-request-id"}
	if s.Digest != "" {
		names = []string{httpsig.RequestTarget, "date", "digest", "x-request-id"}
	}
	ex.SignedHeaders = names
	if ss, serr := httpsig.SigningString(names, s.Method, s.Target, h); serr == nil {
		ex.SigningString = ss
	}
	if err != nil {
		ex.Err = safetext.Error(err)
	}
	b.cfg.Observer(ex)
}

// observeToken reports a token call without its secrets.
func (b *Bank) observeToken(status int, resp []byte, err error) {
	if b.cfg.Observer == nil {
		return
	}
	h := http.Header{}
	h.Set("Authorization", "Basic [secret]")
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	ex := Exchange{Op: OpToken, Method: http.MethodPost, Target: "/oauth/accesstoken", RequestHeaders: h,
		RequestBody: map[string]any{"grant_type": "client_credentials", "app_id": b.cfg.AppID, "scope": "PIS"}, Status: status}
	if m, ok := wire.DecodeBody(resp).(map[string]any); ok {
		delete(m, "access_token")
		delete(m, "refresh_token")
		ex.ResponseBody = m
	}
	if err != nil {
		ex.Err = strings.TrimSpace(safetext.Error(err))
	}
	b.cfg.Observer(ex)
}
