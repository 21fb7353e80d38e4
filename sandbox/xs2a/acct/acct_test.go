package acct

import (
	"strings"
	"testing"
)

func TestCheckIBAN(t *testing.T) {
	for _, ok := range []string{"DE89370400440532013000", "DE40100100103307118608", "GB29NWBK60161331926819", "NO9386011117947",
		"GE29NB0000000101904917", "FR1420041010050500013M02606", "MT84MALT011000012345MTLCAST001S", "BE68539007547034"} {
		if err := CheckIBAN(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for bad, why := range map[string]string{
		"DE89370400440532013001":      "check digits",
		"DE8937040044053201300":       "has 22 characters",
		"de89370400440532013000":      "two uppercase letters",
		"DE89 3704 0044 0532 0130 00": "without spaces",
		"XX89370400440532013000":      "not in the IBAN registry",
		"GE00BG0000000000000000":      "check digits", // the BOG seed's sample IBAN is not valid
		"NO93860111179":               "has 15 characters",
	} {
		err := CheckIBAN(bad)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: %v, want %q", bad, err, why)
		}
		if err != nil && strings.Contains(err.Error(), bad) {
			t.Errorf("the error repeats the IBAN: %v", err)
		}
	}
	if IBANLength("NO") != 15 || IBANLength("GE") != 22 || IBANLength("US") != 0 {
		t.Fatal("length table")
	}
	if !InSEPA("NO9386011117947") || InSEPA("GE29NB0000000101904917") {
		t.Fatal("SEPA table")
	}
}

func TestCheckNorwegianBBAN(t *testing.T) {
	for _, ok := range []string{"86011117947", "12345678903"} {
		if err := CheckNorwegianBBAN(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"86011117948", "8601111794", "8601.11.17947", "1234567890x", "12345678910", "00000000060", "00000000061"} { // the last two: a check digit of 10
		if err := CheckNorwegianBBAN(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
