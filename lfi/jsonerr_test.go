package lfi

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/payterm/payterm/internal/safetext"
)

// TestJSONErrorsAreSafeToShow: a decoding error that quotes the refused bytes raw (as Go 1.27's
// encoding/json does with a C1 control or invalid UTF-8) is shown cleaned and still unwraps.
func TestJSONErrorsAreSafeToShow(t *testing.T) {
	raw := errors.New("json: cannot unmarshal string \"\x9d\x1b]52;c;QUUw\x07\xff\" into Go value of type json.Number")
	err := jsonErr(raw)
	if !safetext.Clean(err.Error()) || !errors.Is(err, raw) {
		t.Fatalf("jsonErr = %q (unwraps to the cause: %v)", err.Error(), errors.Is(err, raw))
	}
	var syn *json.SyntaxError
	if err := unmarshal([]byte("{"), &struct{}{}); !errors.As(err, &syn) || !safetext.Clean(err.Error()) {
		t.Fatalf("unmarshal of a cut object: %v", err)
	}
	if jsonErr(nil) != nil || unmarshal([]byte(`{}`), &struct{}{}) != nil {
		t.Fatal("no error became one")
	}
}
