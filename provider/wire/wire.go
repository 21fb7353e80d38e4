// Package wire holds the strict-decoding pieces every European provider client uses on what a
// bank sends (bounded reads, one JSON value and nothing after it, ids fit for a URL path and a
// screen) and the one way they serialise a body they sign. Client side only: the embedded
// banks have their own (design.md: the two sides share no code).
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// EncodeJSON serialises v once, as UTF-8 with nothing escaped that need not be: the digest or
// signature is over exactly these bytes.
func EncodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// DecodeError is an answer the wallet refuses to read. It names the field, never the value
// (which may be anything the peer chose).
type DecodeError struct {
	What   string
	Reason string
}

func (e *DecodeError) Error() string { return "unreadable " + e.What + ": " + e.Reason }

// DecodeErr is a DecodeError with a formatted reason (the format names no value from the peer).
func DecodeErr(what, format string, a ...any) error {
	return &DecodeError{What: what, Reason: fmt.Sprintf(format, a...)}
}

// ReadBounded reads at most max bytes; a longer body is an error, not truncated.
func ReadBounded(r io.Reader, max int) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > max {
		return nil, fmt.Errorf("answer longer than %d bytes", max)
	}
	return b, nil
}

// StrictJSON decodes b into v: one JSON value, nothing after it. Unknown fields are allowed
// (banks add fields over time); the caller checks the fields it reads.
func StrictJSON(what string, b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return DecodeErr(what, "not the JSON expected")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return DecodeErr(what, "data after the JSON value")
	}
	return nil
}

// PrintableID reports s as 1..max printable ASCII characters without spaces, quotes,
// backslashes or URL syntax (/ ? # % & =): the form of every id payterm stores, shows and puts
// in a URL path or query.
func PrintableID(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '/' || c == '?' || c == '#' || c == '%' || c == '&' || c == '=' {
			return false
		}
	}
	return true
}

// DecodeBody is a body as the inspector shows it: its JSON value, or nil when it is empty or
// not JSON.
func DecodeBody(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	return v
}

// MaskPII returns a copy of a decoded body with the value of every member named in keys, at
// any depth, replaced by "[PII]" (the inspector without personal data).
func MaskPII(v any, keys []string) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, val := range x {
			if slices.Contains(keys, k) {
				m[k] = "[PII]"
			} else {
				m[k] = MaskPII(val, keys)
			}
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = MaskPII(x[i], keys)
		}
		return out
	}
	return v
}
