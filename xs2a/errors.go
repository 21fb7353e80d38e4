package xs2a

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinels matched with errors.Is.
var (
	// ErrOutcomeUnknown: a side-effecting request may or may not have taken effect (no
	// answer, a 5xx, or an answer that could not be read). Berlin Group has no idempotency
	// key and no lookup by X-Request-ID: the client never re-sends by itself. The core marks
	// the payment "check your bank" (Request.Reconcile says what else it can do).
	ErrOutcomeUnknown = errors.New("outcome unknown: check with the bank before trying again")
	// ErrSessionRequired: the bank wants a PSU session first (SpareBank 1: 401 with
	// scaRedirect). The error's Links hold the redirect.
	ErrSessionRequired = errors.New("the bank needs the customer to log in first")
	// ErrUnauthorized: HTTP 401 (certificate, signature, token or credentials refused).
	ErrUnauthorized = errors.New("bank refused our credentials (401)")
	// ErrNotFound: HTTP 404 (or 403 RESOURCE_UNKNOWN): the resource is not there or not ours.
	ErrNotFound = errors.New("not found at the bank")
	// ErrRateLimited: HTTP 429; the request was not processed.
	ErrRateLimited = errors.New("bank rate limit (429)")
)

// Message is one entry of an error body (or of tppMessages in a success body), every field
// checked at decode time: Code and Path match plain patterns ("" when they did not), Text
// went through safetext and is at most 500 runes. Text may still echo personal data the bank
// chose to quote; Error() never shows it.
type Message struct {
	Category string // ERROR or WARNING ("" when absent)
	Code     string
	Path     string
	Text     string
}

// BankError is a non-2xx answer.
type BankError struct {
	Op         Op
	HTTPStatus int
	Shape      ErrorShape
	Messages   []Message
	// From SpareBank 1's body: its own id, system and status fields ("" / 0 when absent).
	BankID     string
	System     string
	BodyStatus int
	Links      Links         // e.g. scaRedirect on a 401
	RetryAfter time.Duration // 429/503 with Retry-After
	// outcomeUnknown: a 5xx (or 408) on a side-effecting call.
	outcomeUnknown bool
}

func (e *BankError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "xs2a %s: bank answered HTTP %d", e.Op, e.HTTPStatus)
	for i, m := range e.Messages {
		if m.Code == "" && m.Path == "" {
			continue
		}
		if i == 0 {
			b.WriteString(":")
		} else {
			b.WriteString(",")
		}
		if m.Code != "" {
			b.WriteString(" " + m.Code)
		}
		if m.Path != "" {
			b.WriteString(" at " + m.Path)
		}
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.outcomeUnknown {
		b.WriteString("; outcome unknown")
	}
	return b.String()
}

// Code is the first message's code, or "".
func (e *BankError) Code() string {
	for _, m := range e.Messages {
		if m.Code != "" {
			return m.Code
		}
	}
	return ""
}

// Is maps the status onto the sentinels.
func (e *BankError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.HTTPStatus == 401
	case ErrSessionRequired:
		_, ok := e.Links["scaRedirect"]
		return e.HTTPStatus == 401 && ok
	case ErrNotFound:
		return e.HTTPStatus == 404 || e.HTTPStatus == 403 && e.Code() == "RESOURCE_UNKNOWN"
	case ErrRateLimited:
		return e.HTTPStatus == 429
	case ErrOutcomeUnknown:
		return e.outcomeUnknown
	}
	return false
}

// TransportError: no HTTP answer (connection, TLS, timeout, an over-long body). For a
// side-effecting request it matches ErrOutcomeUnknown.
type TransportError struct {
	Op          Op
	SideEffects bool
	Err         error
}

func (e *TransportError) Error() string {
	s := fmt.Sprintf("xs2a %s: no answer from the bank: %v", e.Op, e.Err)
	if e.SideEffects {
		s += "; outcome unknown"
	}
	return s
}

func (e *TransportError) Unwrap() error { return e.Err }

func (e *TransportError) Is(target error) bool { return target == ErrOutcomeUnknown && e.SideEffects }

// DecodeError: a 2xx answer the client cannot accept (unexpected status, malformed JSON, a
// missing or unknown status value, a refused link). Nothing of it is used. For a
// side-effecting request it matches ErrOutcomeUnknown: the bank did act.
type DecodeError struct {
	Op          Op
	HTTPStatus  int
	SideEffects bool
	Err         error
}

func (e *DecodeError) Error() string {
	s := fmt.Sprintf("xs2a %s: HTTP %d answer not accepted: %v", e.Op, e.HTTPStatus, e.Err)
	if e.SideEffects {
		s += "; outcome unknown"
	}
	return s
}

func (e *DecodeError) Unwrap() error { return e.Err }

func (e *DecodeError) Is(target error) bool { return target == ErrOutcomeUnknown && e.SideEffects }

// InputError: a Build… argument the client refuses (one sentence and the next step). Nothing
// was built or sent.
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Reason }

func inputErr(field, format string, a ...any) error {
	return &InputError{Field: field, Reason: fmt.Sprintf(format, a...)}
}
