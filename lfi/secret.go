package lfi

import "log/slog"

// Secret holds a bearer credential (access or refresh token). It redacts itself in every
// printed or logged form so it cannot leak through fmt, slog or an error string; Reveal
// returns the value for the one place that must send or store it.
type Secret string

const redacted = "[REDACTED]"

// Reveal returns the secret value. Call it only to send or persist the secret.
func (s Secret) Reveal() string { return string(s) }

// String redacts.
func (s Secret) String() string { return redacted }

// GoString redacts (the %#v verb).
func (s Secret) GoString() string { return redacted }

// LogValue redacts for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText redacts so that encoding a struct holding a Secret (JSON, TOML) never writes it.
// Callers that must persist a token use Reveal explicitly.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }
