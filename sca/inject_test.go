package sca

import (
	"errors"
	"testing"
)

// TestIntentRefusesBidiName (issue 11): the creditor name the device key signs cannot carry a
// bidi override, so what the review screen shows and what is signed read the same.
func TestIntentRefusesBidiName(t *testing.T) {
	for _, name := range []string{"Noor \u202e00.125", "\u2067Noor", "Noor\u202a"} {
		in := testIntent()
		in.CreditorName = name
		if err := in.Validate(); !errors.Is(err, ErrInvalidIntent) {
			t.Errorf("name %q: Validate = %v", name, err)
		}
	}
	in := testIntent()
	in.CreditorName = "نور\u200f تجريبي"
	if err := in.Validate(); err != nil {
		t.Errorf("a bidi mark was refused: %v", err)
	}
}
