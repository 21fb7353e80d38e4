package op

import (
	"slices"
	"strings"
	"testing"
)

// TestParsePayerAccounts: the default payer or a named one, IBANs typed with spaces or in lower
// case kept in electronic form; every mistake refused with words that quote nothing typed.
func TestParsePayerAccounts(t *testing.T) {
	payer, ibans, err := ParsePayerAccounts("FI21 1234 5600 0007 85, fi91 1234 5600 0007 86")
	if err != nil || payer != DefaultPayer || !slices.Equal(ibans, []string{"FI2112345600000785", "FI9112345600000786"}) {
		t.Fatalf("%q %q %v", payer, ibans, err)
	}
	payer, ibans, err = ParsePayerAccounts("matti=FI4950009420028730")
	if err != nil || payer != "matti" || !slices.Equal(ibans, []string{"FI4950009420028730"}) {
		t.Fatalf("%q %q %v", payer, ibans, err)
	}
	for _, bad := range []string{
		"", " ", "=FI4950009420028730", "matti=", "mat ti=FI4950009420028730", "matti\x1b=FI4950009420028730",
		"FI4950009420028731", "FI4950009420028730,", "FI4950009420028730,FI49 5000 9420 0287 30", "SECRET-NOT-AN-IBAN",
		strings.Repeat("x", 65) + "=FI4950009420028730", strings.Repeat("FI4950009420028730,", 21),
	} {
		if _, _, err := ParsePayerAccounts(bad); err == nil {
			t.Errorf("%q was taken", bad)
		} else if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("the refusal quotes what was typed: %v", err)
		}
	}
	m, err := PayerAccountsOf([]string{"FI4950009420028730", "matti=FI2112345600000785"})
	if err != nil || len(m) != 2 || m[DefaultPayer][0] != "FI4950009420028730" || m["matti"][0] != "FI2112345600000785" {
		t.Fatalf("%v %v", m, err)
	}
	if _, err := PayerAccountsOf([]string{"FI4950009420028730", "sandbox-user=FI2112345600000785"}); err == nil {
		t.Fatal("the same payer given accounts twice was taken")
	}
}

// FuzzParsePayerAccounts: whatever is typed, the parser answers without panicking, and what it
// takes is a valid payer with 1..20 distinct IBANs in electronic form.
func FuzzParsePayerAccounts(f *testing.F) {
	for _, s := range []string{"FI21 1234 5600 0007 85", "matti=FI4950009420028730,FI2112345600000785", "=", ",", "a=b=c", "FI00", "\x00=\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		payer, ibans, err := ParsePayerAccounts(s)
		if err != nil {
			return
		}
		if !printable(payer, 64) || len(ibans) == 0 || len(ibans) > MaxPayerAccounts {
			t.Fatalf("took %q %q", payer, ibans)
		}
		for i, a := range ibans {
			if !validIBAN(a) || slices.Contains(ibans[:i], a) {
				t.Fatalf("took account %q of %q", a, ibans)
			}
		}
	})
}
