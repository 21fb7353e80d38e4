package lfi

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/safetext"
)

// Sentinels matched with errors.Is.
var (
	// ErrOutcomeUnknown: the request may or may not have taken effect at the bank (lost
	// response, 5xx after the last attempt, or a response that could not be verified). The
	// caller must reconcile (GET /payments by idempotency key) and never report "failed".
	ErrOutcomeUnknown = errors.New("outcome unknown, reconcile with the bank")
	// ErrUnverifiable: a response failed JOSE verification (signature, kid, alg, iss, exp) or
	// its verified body was garbage. Nothing in it was trusted. Also matches ErrOutcomeUnknown.
	ErrUnverifiable = errors.New("bank response failed verification")
	// ErrUnauthorized: HTTP 401, the access token is missing, expired, revoked or not ours.
	ErrUnauthorized = errors.New("bank rejected the access token (401)")
	// ErrRateLimited: HTTP 429; RetryAfter on the error says when to come back.
	ErrRateLimited = errors.New("bank rate limit (429)")
	// ErrNotFound: HTTP 404, the resource does not exist or is not ours.
	ErrNotFound = errors.New("not found at the bank (404)")
)

// ErrorItem is one entry of the bank's signed error body (message.Errors[]); for an OAuth
// error, Code is "error", Message "error_description" and URL "error_uri". Message, Path and
// URL are the bank's own text: bounded (maxBankText) and scrubbed of anything we sent, but not
// cleaned for a terminal — clean them (internal/safetext) where they are shown or exported.
type ErrorItem struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
	Path    string `json:"Path,omitempty"`
	URL     string `json:"Url,omitempty"`
}

// maxBankText bounds each piece of the bank's free text we keep (the OpenAPI caps Message and
// Path at 500 characters; a hostile bank must not fill memory or a support bundle).
const maxBankText = 500

// boundText cuts s to maxBankText bytes on a rune boundary, marking a cut with "…".
func boundText(s string) string {
	if len(s) <= maxBankText {
		return s
	}
	cut := maxBankText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// BankError is a non-2xx answer from a resource endpoint, with the bank's verified error
// items. Error() shows status, codes, paths and the interaction id but not the bank's free
// text messages, which may echo PII (names, IBANs); read Errors[i].Message deliberately.
type BankError struct {
	Op            string
	HTTPStatus    int
	Errors        []ErrorItem
	InteractionID string
	RetryAfter    time.Duration // set on 429 and 503 when the bank sent Retry-After
	// outcomeUnknown marks a 5xx on a call with side effects after the last attempt.
	outcomeUnknown bool
}

func (e *BankError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: bank answered HTTP %d", e.Op, e.HTTPStatus)
	for i, it := range e.Errors {
		if i == 0 {
			b.WriteString(":")
		} else {
			b.WriteString(",")
		}
		b.WriteString(" " + safeToken(it.Code))
		if it.Path != "" {
			b.WriteString(" at " + safeToken(it.Path))
		}
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.InteractionID != "" {
		b.WriteString(" [x-fapi-interaction-id " + safeToken(e.InteractionID) + "]")
	}
	return b.String()
}

// Code is the first error code, or "".
func (e *BankError) Code() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// Detail is the bank's own words for the refusal: each item's Message, with its Path when
// given, joined by "; ". It is the bank's free text (it may echo a payee's name): clean it
// with internal/safetext before showing it, and never put it in an error string.
func (e *BankError) Detail() string {
	var parts []string
	for _, it := range e.Errors {
		m := strings.TrimSpace(it.Message)
		if m == "" || m == it.Code {
			continue
		}
		if it.Path != "" {
			m += " (at " + it.Path + ")"
		}
		parts = append(parts, m)
	}
	return strings.Join(parts, "; ")
}

// Is maps the status onto the package sentinels.
func (e *BankError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.HTTPStatus == 401
	case ErrRateLimited:
		return e.HTTPStatus == 429
	case ErrNotFound:
		return e.HTTPStatus == 404
	case ErrOutcomeUnknown:
		return e.outcomeUnknown
	}
	return false
}

// OAuthError is an error from PAR or token (RFC 6749 §5.2 JSON body). Error() leaves out
// error_description, which is free text chosen by the server.
type OAuthError struct {
	Op            string
	HTTPStatus    int
	Code          string // the "error" member, e.g. invalid_grant
	Description   string
	URI           string
	InteractionID string
	RetryAfter    time.Duration
}

func (e *OAuthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: authorization server answered HTTP %d", e.Op, e.HTTPStatus)
	if e.Code != "" {
		b.WriteString(" " + safeToken(e.Code))
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.InteractionID != "" {
		b.WriteString(" [x-fapi-interaction-id " + safeToken(e.InteractionID) + "]")
	}
	return b.String()
}

// Detail is error_description, the server's free text (bounded, not cleaned): clean it with
// internal/safetext before showing it.
func (e *OAuthError) Detail() string { return strings.TrimSpace(e.Description) }

// Is maps the status onto the package sentinels. A 5xx leaves the outcome unknown (a PAR
// may have created the consent, a code may have been consumed).
func (e *OAuthError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.HTTPStatus == 401
	case ErrRateLimited:
		return e.HTTPStatus == 429
	case ErrOutcomeUnknown:
		return e.HTTPStatus >= 500
	}
	return false
}

// UnverifiableError wraps why a response could not be trusted. It matches ErrUnverifiable
// and ErrOutcomeUnknown.
type UnverifiableError struct {
	Op            string
	HTTPStatus    int
	InteractionID string
	Err           error
}

func (e *UnverifiableError) Error() string {
	s := fmt.Sprintf("%s: HTTP %d response not trusted, outcome unknown: %s", e.Op, e.HTTPStatus, safetext.Error(e.Err))
	if e.InteractionID != "" {
		s += " [x-fapi-interaction-id " + safeToken(e.InteractionID) + "]"
	}
	return s
}

func (e *UnverifiableError) Unwrap() error { return e.Err }

func (e *UnverifiableError) Is(target error) bool {
	return target == ErrUnverifiable || target == ErrOutcomeUnknown
}

// TransportError is a network failure (no HTTP response). For calls with side effects
// (payment, PAR, token, revoke) it matches ErrOutcomeUnknown: the request may have arrived.
type TransportError struct {
	Op            string
	InteractionID string
	Attempts      int
	SideEffects   bool
	Err           error
}

func (e *TransportError) Error() string {
	// Go's TLS errors quote the server's certificate names as they are: cleaned here as well as
	// wherever an error is shown.
	s := fmt.Sprintf("%s: network error after %d attempt(s): %s", e.Op, e.Attempts, safetext.Error(e.Err))
	if e.InteractionID != "" {
		s += " [x-fapi-interaction-id " + safeToken(e.InteractionID) + "]"
	}
	return s
}

func (e *TransportError) Unwrap() error { return e.Err }

func (e *TransportError) Is(target error) bool { return target == ErrOutcomeUnknown && e.SideEffects }

// safeToken is how a bank-supplied value (a code, a path, a kid, an issuer) goes into one of
// our error strings: without control characters or bidi overrides, and short, so a hostile server
// cannot forge terminal output or put megabytes into an error.
func safeToken(s string) string { return safetext.Short(s, 80) }

// WaitError: the call was not sent because the bank asked (Retry-After on an earlier 429 or
// 503) to wait longer than this call may (Config.MaxRetryAfter, or WithMaxWait), or because the
// wait was cancelled (Err is then the context's error). Nothing of this call reached the bank.
// It matches ErrRateLimited, never ErrOutcomeUnknown.
type WaitError struct {
	Op         string
	Until      time.Time     // when the bank's wait ends
	RetryAfter time.Duration // what was left of it
	Err        error         // the context's error when the wait was cancelled, else nil
}

func (e *WaitError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: not sent: waiting %s for the bank (Retry-After) was cancelled: %v", e.Op, e.RetryAfter.Round(time.Second), e.Err)
	}
	return fmt.Sprintf("%s: not sent: the bank asked to wait %s (Retry-After), longer than this call may wait", e.Op, e.RetryAfter.Round(time.Second))
}

func (e *WaitError) Unwrap() error { return e.Err }

func (e *WaitError) Is(target error) bool { return target == ErrRateLimited }

// RetryAfterOf is the wait the bank asked for in err (a 429 or 503 with Retry-After, or a call
// held back by an earlier one), or 0.
func RetryAfterOf(err error) time.Duration {
	var be *BankError
	var oe *OAuthError
	var we *WaitError
	switch {
	case errors.As(err, &we):
		return we.RetryAfter
	case errors.As(err, &be):
		return be.RetryAfter
	case errors.As(err, &oe):
		return oe.RetryAfter
	}
	return 0
}
