package money

import (
	"strings"
	"testing"
)

// FuzzParseWire checks ParseWire against the spec's regular expression as an oracle and
// that every accepted amount formats back to the same value.
func FuzzParseWire(f *testing.F) {
	for _, s := range []string{"0.00", "10.50", "9999999999999999.99", "10000000000000000.00",
		"1.5", "-1.00", "1e3", "NaN", "١.٠٠", "00.01", " 1.00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseWire(s)
		if wireRE.MatchString(s) != (err == nil) {
			t.Fatalf("ParseWire(%q) err = %v, but the spec regexp says match=%v", s, err, wireRE.MatchString(s))
		}
		if err != nil {
			return
		}
		if a.Minor() < 0 || a.Minor() > MaxMinor {
			t.Fatalf("ParseWire(%q) = %d fils, out of range", s, a.Minor())
		}
		back, err := ParseWire(a.String())
		if err != nil || back != a {
			t.Fatalf("round trip of %q via %q = %v, %v", s, a.String(), back, err)
		}
		if strings.TrimLeft(s[:len(s)-3], "0") != "" && a.String() != strings.TrimLeft(s, "0") {
			t.Fatalf("ParseWire(%q).String() = %q", s, a.String())
		}
	})
}

// FuzzParseInput checks that ParseInput never panics, only accepts positive amounts within
// range, and that what it accepts is stable under formatting both ways.
func FuzzParseInput(f *testing.F) {
	for _, s := range []string{"10", "10.5", "1,000.50", "AED 25", "-5", "0", "10.555", "1,00",
		"1e5", "NaN", "Infinity", "9,999,999,999,999,999.99", "99999999999999999", "٣", "1_000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseInput(s)
		if err != nil {
			if a != Zero {
				t.Fatalf("ParseInput(%q) returned %v with error %v", s, a, err)
			}
			return
		}
		if !a.IsPositive() || a.Minor() > MaxMinor {
			t.Fatalf("ParseInput(%q) = %d fils, not a valid payment amount", s, a.Minor())
		}
		if !wireRE.MatchString(a.String()) {
			t.Fatalf("ParseInput(%q).String() = %q does not match the wire format", s, a.String())
		}
		for _, form := range []string{a.String(), a.Display()} {
			back, err := ParseInput(form)
			if err != nil || back != a {
				t.Fatalf("ParseInput(%q) = %v, %v; want %v", form, back, err, a)
			}
		}
	})
}
