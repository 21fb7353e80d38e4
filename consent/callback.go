package consent

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/payterm/payterm/internal/safetext"
)

// AuthCode is the single-use authorization code. It redacts in every printed or logged form.
type AuthCode string

// Reveal returns the code for the token request.
func (c AuthCode) Reveal() string { return string(c) }

// String redacts.
func (c AuthCode) String() string { return "[REDACTED]" }

// GoString redacts (%#v).
func (c AuthCode) GoString() string { return "[REDACTED]" }

// LogValue redacts.
func (c AuthCode) LogValue() slog.Value { return slog.StringValue("[REDACTED]") }

// Callback errors. The flow makes no token call after any of them (FAPI 2.0 conformance:
// invalid/removed authorization-response iss, invalid/missing state).
var (
	ErrCallbackURL      = errors.New("callback is not a valid URL for our redirect_uri")
	ErrStateMissing     = errors.New("callback has no state")
	ErrStateMismatch    = errors.New("callback state does not match the one we sent")
	ErrIssuerMissing    = errors.New("callback has no iss (authorization server issuer)")
	ErrIssuerMismatch   = errors.New("callback iss is not the discovered issuer")
	ErrCodeMissing      = errors.New("callback has no authorization code")
	ErrCodeReplayed     = errors.New("authorization code was already used")
	ErrDuplicateParam   = errors.New("callback repeats a parameter")
	ErrAccessDenied     = errors.New("the user declined the consent at the bank (access_denied)")
	ErrAuthorizationBad = errors.New("the bank returned an authorization error")
)

// oauthErrorCode is RFC 6749 §4.1.2.1's error: 1*NQSCHAR (%x20-21 / %x23-5B / %x5D-7E).
var oauthErrorCode = regexp.MustCompile(`^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$`)

// AuthorizationError is an error=... callback from the bank. Code is the OAuth error code, ""
// when the bank's was not one (RFC 6749 allows printable ASCII without " and \); Description is
// the bank's text, cleaned of control characters and bidi overrides and shortened (untrusted).
type AuthorizationError struct {
	Code        string
	Description string
}

func (e *AuthorizationError) Error() string {
	if e.Code == "" {
		return "authorization failed at the bank (its error code was malformed)"
	}
	if e.Description == "" {
		return fmt.Sprintf("authorization failed at the bank: %s", e.Code)
	}
	return fmt.Sprintf("authorization failed at the bank: %s (%s)", e.Code, e.Description)
}

// Is lets errors.Is(err, ErrAccessDenied) single out a user refusal.
func (e *AuthorizationError) Is(target error) bool {
	if target == ErrAccessDenied {
		return e.Code == "access_denied"
	}
	return target == ErrAuthorizationBad
}

// CallbackCheck is what a callback must match.
type CallbackCheck struct {
	RedirectURI string // the redirect_uri sent in the request object
	State       string // the state sent in the request object
	Issuer      string // the discovered issuer, compared exactly
}

// ParseCallbackURL checks a pasted or received callback URL and returns its code. It verifies,
// in order: that the URL is our redirect_uri; no repeated parameters; iss present and exactly the
// issuer; state present and equal; then an error=... response; then the code. A callback whose
// iss or state is wrong is rejected before its error or code is even looked at, because nothing
// in it can be trusted.
func ParseCallbackURL(raw string, chk CallbackCheck) (AuthCode, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return "", ErrCallbackURL
	}
	want, err := url.Parse(chk.RedirectURI)
	if err != nil {
		return "", fmt.Errorf("parse our redirect_uri: %w", ErrCallbackURL)
	}
	if !strings.EqualFold(u.Scheme, want.Scheme) || !strings.EqualFold(u.Host, want.Host) || u.EscapedPath() != want.EscapedPath() {
		return "", fmt.Errorf("%w: the pasted URL goes to a different address", ErrCallbackURL)
	}
	return checkCallbackQuery(u.RawQuery, chk)
}

// checkCallbackQuery validates the query of a callback (shared by the paste-back parser and the
// loopback listener).
func checkCallbackQuery(rawQuery string, chk CallbackCheck) (AuthCode, error) {
	if chk.State == "" || chk.Issuer == "" {
		return "", errors.New("callback check: expected state and issuer are required")
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", fmt.Errorf("%w: malformed query", ErrCallbackURL)
	}
	for k, v := range q {
		if len(v) > 1 {
			return "", fmt.Errorf("%w: %s", ErrDuplicateParam, safeParamName(k))
		}
	}
	iss, hasIss := q["iss"]
	if !hasIss || iss[0] == "" {
		return "", ErrIssuerMissing
	}
	if iss[0] != chk.Issuer {
		return "", ErrIssuerMismatch
	}
	state, hasState := q["state"]
	if !hasState || state[0] == "" {
		return "", ErrStateMissing
	}
	if state[0] != chk.State {
		return "", ErrStateMismatch
	}
	if e, ok := q["error"]; ok {
		ae := &AuthorizationError{Description: safetext.Short(q.Get("error_description"), 200)}
		if oauthErrorCode.MatchString(e[0]) {
			ae.Code = e[0] // anything else is not kept: it would only be shown
		}
		return "", ae
	}
	code := q.Get("code")
	if code == "" {
		return "", ErrCodeMissing
	}
	return AuthCode(code), nil
}

// safeParamName names a parameter in an error only if it is a short, plain identifier.
func safeParamName(k string) string {
	if len(k) > 32 || strings.Trim(k, "abcdefghijklmnopqrstuvwxyz_") != "" {
		return "(unnamed parameter)"
	}
	return k
}

// CodeGuard remembers codes already accepted, so a replayed callback is refused even when its
// state and iss are right. It stores SHA-256 digests, never the codes.
type CodeGuard struct {
	mu   sync.Mutex
	seen map[[32]byte]struct{}
}

// Accept records code and fails with ErrCodeReplayed if it was accepted before.
func (g *CodeGuard) Accept(code AuthCode) error {
	sum := sha256.Sum256([]byte(code))
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = map[[32]byte]struct{}{}
	}
	if _, dup := g.seen[sum]; dup {
		return ErrCodeReplayed
	}
	g.seen[sum] = struct{}{}
	return nil
}

// isLoopbackHost reports whether host is a literal loopback IP or "localhost".
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
