package fintecture

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider/wire"
)

// Size limits of what the hub may send: far above any real answer, low enough that a hostile
// or broken peer cannot make the wallet read without end.
const (
	maxBody     = 64 << 10
	maxIDLen    = 128
	maxTokenLen = 4096
	maxURLLen   = 2048
	maxCodeLen  = 64
)

// connectBody is the session a payment opens (POST /pis/v2/connect): the payer in meta, the
// transfer in data (seed 004; the SDK's _buildPaymentPayload). Field order is the wire order.
type connectBody struct {
	Meta connectMeta `json:"meta"`
	Data connectData `json:"data"`
}

type connectMeta struct {
	PSUName  string `json:"psu_name,omitempty"`
	PSUEmail string `json:"psu_email,omitempty"`
	PSUIP    string `json:"psu_ip,omitempty"`
}

type connectData struct {
	Type       string            `json:"type"`
	Attributes connectAttributes `json:"attributes"`
}

type connectAttributes struct {
	Amount        string       `json:"amount"`
	Currency      string       `json:"currency"`
	Communication string       `json:"communication"`
	Beneficiary   *beneficiary `json:"beneficiary,omitempty"`
}

type beneficiary struct {
	Name string `json:"name"`
	IBAN string `json:"iban"`
}

// The strict-decoding pieces are provider/wire's (the same for every European provider).
var (
	encodeJSON  = wire.EncodeJSON
	decodeErr   = wire.DecodeErr
	strictJSON  = wire.StrictJSON
	printableID = wire.PrintableID
)

// DecodeError is an answer the wallet refuses to read (wire.DecodeError).
type DecodeError = wire.DecodeError

// readBounded reads at most maxBody bytes; a longer body is an error, not truncated.
func readBounded(r io.Reader) ([]byte, error) { return wire.ReadBounded(r, maxBody) }

// Token is the answer of POST /oauth/accesstoken.
type Token struct {
	AccessToken string
	ExpiresIn   int // seconds
}

// DecodeToken reads a token answer: a bearer token of printable ASCII and a lifetime of 1 s to
// 1 day (Fintecture issues 1 h).
func DecodeToken(b []byte) (Token, error) {
	var w struct {
		AccessToken *string `json:"access_token"`
		TokenType   string  `json:"token_type"`
		ExpiresIn   *int64  `json:"expires_in"`
	}
	if err := strictJSON("token answer", b, &w); err != nil {
		return Token{}, err
	}
	switch {
	case w.AccessToken == nil || !printableToken(*w.AccessToken):
		return Token{}, decodeErr("token answer", "access_token missing or not printable ASCII of at most %d characters", maxTokenLen)
	case w.TokenType != "" && !strings.EqualFold(w.TokenType, "bearer"):
		return Token{}, decodeErr("token answer", "token_type is not bearer")
	case w.ExpiresIn == nil || *w.ExpiresIn < 1 || *w.ExpiresIn > 86400:
		return Token{}, decodeErr("token answer", "expires_in missing or outside 1..86400")
	}
	return Token{AccessToken: *w.AccessToken, ExpiresIn: int(*w.ExpiresIn)}, nil
}

func printableToken(s string) bool {
	if s == "" || len(s) > maxTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// Session is the answer of POST /pis/v2/connect: the session id and the Connect page.
type Session struct {
	ID  string
	URL string
}

// DecodeSession reads a connect answer ({meta:{session_id,url}}, Connect.ts). The URL must be
// an absolute https address (http only on a loopback host: the embedded hub), without user
// info, so the wallet never opens or prints anything else.
func DecodeSession(b []byte) (Session, error) {
	var w struct {
		Meta *struct {
			SessionID *string `json:"session_id"`
			URL       *string `json:"url"`
		} `json:"meta"`
	}
	if err := strictJSON("connect answer", b, &w); err != nil {
		return Session{}, err
	}
	if w.Meta == nil || w.Meta.SessionID == nil || w.Meta.URL == nil {
		return Session{}, decodeErr("connect answer", "meta.session_id or meta.url missing")
	}
	if !printableID(*w.Meta.SessionID, maxIDLen) {
		return Session{}, decodeErr("connect answer", "session_id is not 1..%d printable ASCII characters", maxIDLen)
	}
	if err := checkPageURL(*w.Meta.URL); err != nil {
		return Session{}, decodeErr("connect answer", "url: %v", err)
	}
	return Session{ID: *w.Meta.SessionID, URL: *w.Meta.URL}, nil
}

// checkPageURL accepts an address the wallet may show or open for the payer.
func checkPageURL(s string) error {
	if s == "" || len(s) > maxURLLen {
		return fmt.Errorf("empty or longer than %d characters", maxURLLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return errors.New("holds a space, a control or a non-ASCII character")
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return errors.New("not an absolute address")
	}
	if u.User != nil {
		return errors.New("carries user info")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return errors.New("not https")
	}
	return nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// PaymentStatus is what GET /pis/v2/payments/{session_id} says: the session id, its status
// word, and the amount and currency the hub holds (when it says).
type PaymentStatus struct {
	SessionID string
	Status    string
	Amount    *money.Amount
	Currency  string
}

// DecodePaymentStatus reads a status answer: meta.session_id and meta.status (the SDK's spec
// reads both), data.attributes.amount and currency when present. The status must be one of
// the words of §4.4; the amount must be in the wire form (digits, a point, two decimals).
func DecodePaymentStatus(b []byte) (PaymentStatus, error) {
	var w struct {
		Meta *struct {
			SessionID *string `json:"session_id"`
			Status    *string `json:"status"`
		} `json:"meta"`
		Data *struct {
			Attributes *struct {
				Amount   *string `json:"amount"`
				Currency *string `json:"currency"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := strictJSON("status answer", b, &w); err != nil {
		return PaymentStatus{}, err
	}
	if w.Meta == nil || w.Meta.SessionID == nil || w.Meta.Status == nil {
		return PaymentStatus{}, decodeErr("status answer", "meta.session_id or meta.status missing")
	}
	if !printableID(*w.Meta.SessionID, maxIDLen) {
		return PaymentStatus{}, decodeErr("status answer", "session_id is not 1..%d printable ASCII characters", maxIDLen)
	}
	if _, ok := statuses[*w.Meta.Status]; !ok {
		return PaymentStatus{}, decodeErr("status answer", "status is not one Fintecture documents")
	}
	out := PaymentStatus{SessionID: *w.Meta.SessionID, Status: *w.Meta.Status}
	if w.Data != nil && w.Data.Attributes != nil {
		a := w.Data.Attributes
		if (a.Amount == nil) != (a.Currency == nil) {
			return PaymentStatus{}, decodeErr("status answer", "amount without currency or currency without amount")
		}
		if a.Amount != nil {
			amt, err := money.ParseWire(*a.Amount)
			if err != nil {
				return PaymentStatus{}, decodeErr("status answer", "amount is not in the form 12.50")
			}
			if !isCurrencyCode(*a.Currency) {
				return PaymentStatus{}, decodeErr("status answer", "currency is not an ISO 4217 code")
			}
			out.Amount, out.Currency = &amt, *a.Currency
		}
	}
	return out, nil
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// APIError is a refusal in Fintecture's error form ({code, log_id, errors:[…]}, the Ruby
// SDK's exceptions.rb) with its HTTP status. Code and LogID are checked printable; Detail is
// the hub's words cleaned by safetext, and may name the payee: it is never in Error().
type APIError struct {
	HTTPStatus int
	Code       string
	LogID      string
	Detail     string
	RetryAfter int // seconds, from Retry-After on a 429/503
}

func (e *APIError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("Fintecture answered HTTP %d %s", e.HTTPStatus, e.Code)
	}
	return fmt.Sprintf("Fintecture answered HTTP %d", e.HTTPStatus)
}

// DecodeAPIError reads an error body. An unreadable body still gives the status; the fields
// that do not pass their checks are left out.
func DecodeAPIError(status int, b []byte) *APIError {
	e := &APIError{HTTPStatus: status}
	var w struct {
		Code   any              `json:"code"`
		LogID  any              `json:"log_id"`
		Errors []map[string]any `json:"errors"`
	}
	if strictJSON("error answer", b, &w) != nil {
		return e
	}
	if s := scalar(w.Code); printableID(s, maxCodeLen) {
		e.Code = s
	}
	if s := scalar(w.LogID); printableID(s, maxIDLen) {
		e.LogID = s
	}
	for _, entry := range w.Errors {
		for _, k := range []string{"message", "detail", "title", "code"} {
			if s, ok := entry[k].(string); ok && s != "" {
				e.Detail = safetext.Short(s, 300)
				return e
			}
		}
	}
	return e
}

// scalar is a JSON string or integer as text ("" otherwise).
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if x == float64(int64(x)) && x >= 0 && x < 1e9 {
			return fmt.Sprintf("%d", int64(x))
		}
	}
	return ""
}
