package consent

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every local validation error, so callers can tell "fix your input"
// apart from network and bank failures with errors.Is.
var ErrInvalid = errors.New("invalid consent input")

// FieldError names the field that failed validation and why. It never carries the value itself,
// because values here are IBANs, names and references (PII).
type FieldError struct {
	Field  string // JSON-path-like location, e.g. "Initiation.Creditor[1].CreditorAccount.Identification"
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) true for every FieldError.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// prefixField re-roots a FieldError under a parent path; other errors pass through.
func prefixField(parent string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &FieldError{Field: parent + "." + fe.Field, Reason: fe.Reason}
	}
	return err
}
