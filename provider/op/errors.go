package op

import (
	"errors"
	"fmt"
	"time"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/provider/callerr"
)

// ErrorType is one of OP's typed violation and business errors (the v1.1 OpenAPI's list).
type ErrorType string

// The types OP documents; errorWords says each in words for the payer.
var errorWords = map[ErrorType]string{
	"Required":                      "a required field is missing",
	"Size":                          "a field is too long or too short",
	"Min":                           "a value is below its minimum",
	"Max":                           "a value is above its maximum",
	"InvalidValue":                  "a value is not allowed",
	"TypeMismatch":                  "a value has the wrong type",
	"UnrecognizedProperty":          "the request holds a field OP does not know",
	"EuroCents":                     "the amount must be in euros with 0 or 2 decimals",
	"FinnishIban":                   "the account must be a Finnish IBAN",
	"SepaIban":                      "the IBAN is not in a SEPA country",
	"ValidIban":                     "the IBAN is not valid",
	"ValidBic":                      "the BIC is not valid",
	"EuEtaValid":                    "the country is not in the EU/EEA",
	"SepaAddress":                   "the address is not a valid SEPA address (at most 4 lines of 35 characters)",
	"ValidCountryCode":              "the country code is not valid",
	"MessageOrReference":            "give either a message or a reference, not both",
	"ValidFinnishReference":         "the reference is not a valid Finnish creditor reference",
	"PaymentOrder":                  "the payment order is not allowed",
	"ValidPaymentOrder":             "the payment order is not valid",
	"ValidDetailOfCharges":          "the charges option is not valid",
	"CreditorBicOrAddress":          "the payee needs a BIC or an address",
	"ValidForeignPaymentRecurrence": "the recurrence is not valid",
	"DuplicatePayment":              "OP already holds a payment under this idempotency key with other contents or in a later state",
	"InsufficientFunds":             "the account has not enough money",
	"PaymentFail":                   "OP could not execute the payment",
	"IllegalState":                  "the payment is not in a state that allows this",
	// The generic ApiError types.
	"SECURITY":   "OP refused the credentials or the signature",
	"VALIDATION": "OP found the request invalid",
	"TECHNICAL":  "OP had a technical failure",
	"BUSINESS":   "OP refused it for a business reason",
}

// Words says an error type in words ("" for a type OP does not document).
func (t ErrorType) Words() string { return errorWords[t] }

// APIError is a refusal from OP: the HTTP status, the first typed violation (or the ApiError
// type), the support id, and OP's message cleaned by safetext. Message may quote what was
// sent (a payee's name): it is never in Error().
type APIError struct {
	HTTPStatus int
	Type       ErrorType
	Path       string
	ID         string // "Required on support requests"
	Message    string
	RetryAfter int
}

func (e *APIError) Error() string {
	if w := e.Type.Words(); w != "" {
		return fmt.Sprintf("OP answered HTTP %d %s: %s", e.HTTPStatus, e.Type, w)
	}
	return fmt.Sprintf("OP answered HTTP %d", e.HTTPStatus)
}

// Is lets callers test errors.Is(err, ErrDuplicatePayment) and the like.
func (e *APIError) Is(target error) bool {
	t, ok := target.(*typeSentinel)
	return ok && ErrorType(t.t) == e.Type
}

type typeSentinel struct{ t string }

func (s *typeSentinel) Error() string { return "OP error " + s.t }

// Sentinels for the types the client acts on.
var (
	ErrDuplicatePayment  error = &typeSentinel{"DuplicatePayment"}
	ErrInsufficientFunds error = &typeSentinel{"InsufficientFunds"}
	ErrIllegalState      error = &typeSentinel{"IllegalState"}
	ErrPaymentFail       error = &typeSentinel{"PaymentFail"}
)

// DecodeAPIError reads an error body: {type, message, id} or a wrapper with violations[]
// ({type, path, message}). An unreadable body still gives the status; fields that fail their
// checks are left out, an undocumented type is dropped.
func DecodeAPIError(status int, b []byte) *APIError {
	e := &APIError{HTTPStatus: status}
	type entry struct {
		Type    any `json:"type"`
		Path    any `json:"path"`
		Message any `json:"message"`
		ID      any `json:"id"`
	}
	var w struct {
		entry
		Violations []entry `json:"violations"`
	}
	if len(b) > maxBody || strictJSON("error", b, &w) != nil {
		return e
	}
	use := w.entry
	if len(w.Violations) > 0 {
		use = w.Violations[0]
		if id, ok := w.ID.(string); ok {
			use.ID = id
		}
	}
	if t, ok := use.Type.(string); ok {
		if _, known := errorWords[ErrorType(t)]; known {
			e.Type = ErrorType(t)
		}
	}
	if p, ok := use.Path.(string); ok && len(p) <= 200 && safetext.Clean(p) {
		e.Path = p
	}
	if id, ok := use.ID.(string); ok && printableID(id, maxIDLen) {
		e.ID = id
	}
	if m, ok := use.Message.(string); ok {
		e.Message = safetext.Short(m, maxTextLen)
	}
	return e
}

// callError carries a failure to the core (callerr: a sentence of ours, the sentinels it means,
// the attempt to log, the bank's wait); this package's attemptOf fills its log line.
type callError = callerr.Error

// notSent is an error of a call that never left (held back by the bank's wait, refused here).
var notSent = callerr.NotSent

func sentErr(interactionID string, status int, msg string, err error, sentinels ...error) *callError {
	return &callError{Msg: msg, Err: err, Means: sentinels, Log: attemptOf(interactionID, status, err)}
}

func attemptOf(id string, status int, err error) provider.Attempt {
	a := provider.Attempt{InteractionID: id, HTTPStatus: status, Outcome: "error"}
	var (
		ae *APIError
		te *TransportError
		de *DecodeError
		se *SignatureError
	)
	switch {
	case errors.As(err, &ae):
		if ae.Type != "" {
			a.Outcome = "error " + string(ae.Type)
		}
		if ae.HTTPStatus == 429 {
			a.Outcome = "rate limited, not processed"
		}
	case errors.As(err, &te):
		a.Outcome = "no response"
	case errors.As(err, &se):
		a.Outcome = "unverifiable"
	case errors.As(err, &de):
		a.Outcome = "unreadable answer"
	}
	return a
}

// TransportError is a call that got no complete answer (the connection failed or was cut).
type TransportError struct{ Err error }

func (e *TransportError) Error() string { return "no answer: " + safetext.Error(e.Err) }
func (e *TransportError) Unwrap() error { return e.Err }

// SignatureError is an answer whose x-jws-signature is missing or does not verify: it is not
// read.
type SignatureError struct{ Reason string }

func (e *SignatureError) Error() string {
	return "OP's answer is not signed as it must be: " + e.Reason
}

func secondsDur(n int) time.Duration { return time.Duration(max(n, 1)) * time.Second }
