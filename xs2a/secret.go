package xs2a

import "log/slog"

// Secret holds a PSU credential (online-banking password, TAN, confirmation code), a bearer
// token or a TPP session id. Every printed, logged or marshalled form is redacted; Reveal is
// for the one place that puts it on the wire.
type Secret string

const redacted = "[REDACTED]"

// Reveal returns the value. Call it only to send it.
func (s Secret) Reveal() string { return string(s) }

// String redacts.
func (s Secret) String() string { return redacted }

// GoString redacts (%#v).
func (s Secret) GoString() string { return redacted }

// LogValue redacts for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText redacts, so a struct holding a Secret never writes it as JSON or TOML.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }
