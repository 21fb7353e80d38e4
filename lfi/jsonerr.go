package lfi

import (
	"encoding/json"

	"github.com/payterm/payterm/internal/safetext"
)

// unmarshal is json.Unmarshal with an error safe to show. A bank's body is untrusted, and
// encoding/json's messages may quote the bytes it refused (Go 1.27's quote them raw: a C1
// control or invalid UTF-8 went straight into the error).
func unmarshal(data []byte, v any) error { return jsonErr(json.Unmarshal(data, v)) }

// jsonErr keeps a decoding error for errors.Is and errors.As, and says it through safetext.
func jsonErr(err error) error {
	if err == nil {
		return nil
	}
	return &cleanError{err: err}
}

type cleanError struct{ err error }

func (e *cleanError) Error() string { return safetext.Error(e.err) }
func (e *cleanError) Unwrap() error { return e.err }
