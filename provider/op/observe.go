package op

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider/wire"
)

// Op names an exchange with OP, for the inspector.
type Op string

const (
	OpToken         Op = "token"         // POST /oauth/token client_credentials
	OpCode          Op = "code"          // POST /oauth/token authorization_code (ID token checked)
	OpRefresh       Op = "refresh"       // POST /oauth/token refresh_token
	OpExemption     Op = "exemption"     // POST /oauth/token jwt-bearer (the exemption JWT)
	OpCreate        Op = "create"        // POST /sepa-payments or /foreign-payments (detached JWS)
	OpPayment       Op = "payment"       // GET /sepa-payments/{id} (or /foreign-payments/{id})
	OpSubmit        Op = "submit"        // PUT …/submissions/{sid}
	OpSubmission    Op = "submission"    // GET …/submissions/{sid}
	OpAuthorization Op = "authorization" // GET /authorizations/{id}
	OpRevoke        Op = "revoke"        // DELETE a payment or an authorization
)

// Exchange is one request to OP and its answer as the inspector shows it. Secrets never reach
// it: the bearer token, x-api-key, the client secret, codes, refresh tokens and assertions are
// replaced, and the token answer's tokens are dropped. Personal data (payee, payer, message)
// is left in the bodies and named by PIIKeys; WithoutPII masks it.
type Exchange struct {
	Op             Op
	Method         string
	Target         string // the path
	InteractionID  string // x-fapi-interaction-id
	RequestHeaders http.Header
	RequestBody    any // decoded JSON (a token form as a map); nil when none
	Status         int // 0: no answer
	ResponseBody   any
	Err            string
	// The request's detached JWS (x-jws-signature, RFC 7515 appendix F): its protected header
	// as sent (decoded JSON), alg and kid. Empty for a request OP does not ask to sign.
	JWS, JWSHeader, Alg, KeyID string
	// The answer's x-jws-signature: its protected header, alg and kid, and whether it verified
	// over the answer's bytes against OP's keys (AnswerVerdict: "verified", or why not; "" when
	// the answer is one OP does not sign: token endpoint, 401, 429, 5xx).
	AnswerJWSHeader, AnswerAlg, AnswerKeyID, AnswerVerdict string
	PIIKeys                                                []string
}

// Observer receives every exchange; it is called synchronously and must only copy.
type Observer func(Exchange)

var piiKeys = []string{"iban", "name", "message", "x-fapi-customer-ip-address",
	// A foreign payment's payee account (bankAccount.id) and address, a SEPA payee's address.
	"bankAccount", "foreignAddress", "address"}

// WithoutPII masks the personal data of the bodies and headers.
func (e Exchange) WithoutPII() Exchange {
	out := e
	out.RequestBody = wire.MaskPII(e.RequestBody, e.PIIKeys)
	out.ResponseBody = wire.MaskPII(e.ResponseBody, e.PIIKeys)
	if v := e.RequestHeaders.Get("x-fapi-customer-ip-address"); v != "" {
		out.RequestHeaders = e.RequestHeaders.Clone()
		out.RequestHeaders.Set("x-fapi-customer-ip-address", "[PII]")
	}
	return out
}

// jwsHeader is the protected header of a compact or detached JWS, cleaned for the screen.
func jwsHeader(sig string) (header, alg, kid string) {
	h, _, ok := strings.Cut(sig, ".")
	if !ok || len(h) > 4096 {
		return "", "", ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return "", "", ""
	}
	var m struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(raw, &m)
	return safetext.Short(string(raw), 400), safetext.Short(m.Alg, 40), safetext.Short(m.Kid, 200)
}

// opOf names an API call by its method and path.
func opOf(method, path string) Op {
	switch {
	case method == http.MethodDelete:
		return OpRevoke
	case strings.Contains(path, "/submissions/"):
		if method == http.MethodPut {
			return OpSubmit
		}
		return OpSubmission
	case strings.Contains(path, "/authorizations/"):
		return OpAuthorization
	case method == http.MethodPost:
		return OpCreate
	}
	return OpPayment
}

// observeCall reports one API call. sent holds the headers as sent; verr is the answer's
// signature check (nil: verified, or not checked when unsigned is true).
func (b *Bank) observeCall(method, path string, sent http.Header, body []byte, a answer, err error, checked bool, verr error) {
	if b.cfg.Observer == nil {
		return
	}
	h := sent.Clone()
	h.Set("Authorization", "Bearer [secret]")
	h.Set("x-api-key", "[secret]")
	ex := Exchange{Op: opOf(method, path), Method: method, Target: path, InteractionID: a.id, RequestHeaders: h,
		RequestBody: wire.DecodeBody(body), Status: a.status, PIIKeys: piiKeys}
	if a.body != nil {
		ex.ResponseBody = wire.DecodeBody(a.body)
	}
	if s := sent.Get("x-jws-signature"); s != "" {
		ex.JWS = s
		ex.JWSHeader, ex.Alg, ex.KeyID = jwsHeader(s)
	}
	if s := a.hdr.Get("x-jws-signature"); s != "" {
		ex.AnswerJWSHeader, ex.AnswerAlg, ex.AnswerKeyID = jwsHeader(s)
	}
	if checked {
		ex.AnswerVerdict = "verified against OP's keys over the answer's bytes"
		var se *SignatureError
		if errors.As(verr, &se) {
			ex.AnswerVerdict = "not verified: " + safetext.Short(se.Reason, 160)
		}
	}
	if err != nil {
		ex.Err = safetext.Error(err)
	}
	b.cfg.Observer(ex)
}

// tokenOps names a token call by its grant.
var tokenOps = map[string]Op{"client_credentials": OpToken, "authorization_code": OpCode, "refresh_token": OpRefresh,
	"urn:ietf:params:oauth:grant-type:jwt-bearer": OpExemption}

// tokenSecrets are the form fields never shown.
var tokenSecrets = map[string]bool{"client_secret": true, "code": true, "refresh_token": true, "assertion": true}

// observeToken reports a token call without its secrets.
func (b *Bank) observeToken(form url.Values, id string, status int, resp []byte, err error) {
	if b.cfg.Observer == nil {
		return
	}
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("x-fapi-interaction-id", id)
	req := map[string]any{}
	for k := range form {
		if tokenSecrets[k] {
			req[k] = "[secret]"
		} else {
			req[k] = form.Get(k)
		}
	}
	ex := Exchange{Op: tokenOps[form.Get("grant_type")], Method: http.MethodPost, Target: "/oauth/token", InteractionID: id,
		RequestHeaders: h, RequestBody: req, Status: status}
	if m, ok := wire.DecodeBody(resp).(map[string]any); ok {
		for _, k := range []string{"access_token", "refresh_token", "id_token"} {
			if _, has := m[k]; has {
				m[k] = "[secret]"
			}
		}
		ex.ResponseBody = m
	}
	if err != nil {
		ex.Err = strings.TrimSpace(safetext.Error(err))
	}
	b.cfg.Observer(ex)
}
