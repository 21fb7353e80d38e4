package money

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/payterm/payterm/internal/safetext"
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

// FuzzParseInput checks that ParseInput never panics and that it either refuses the text
// with an *InputError or returns a positive amount in range whose canonical form re-parses to
// the same value, and which is the number the digits typed spell: the typed digits (read by
// an oracle written independently of the parser: Unicode's own digit values), in order, with
// the point where it was typed. Never a different number, never a dropped or added digit.
func FuzzParseInput(f *testing.F) {
	for _, s := range []string{"10", "10.5", "1,000.50", "AED 25", "-5", "0", "10.555", "1,00",
		"1e5", "1e9", "NaN", "Infinity", "9,999,999,999,999,999.99", "99999999999999999", "٣", "1_000",
		"١٬٢٥٠٫٥", "۱۲۵۰", "1٠5", "د.إ 7", "1.000,50", "$5", "USD 5", "１２", " 12 ", "12\u200f",
		strings.Repeat("0", 39) + "1", "1\x1b]52;c;QUUw\x07", "12\u202e5", "\u009b5", "5\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseInput(s)
		if err != nil {
			var ie *InputError
			if a != Zero || !errors.As(err, &ie) || ie.Problem == "" || ie.Hint == "" {
				t.Fatalf("ParseInput(%q) = %v, %v; want Zero and an *InputError", s, a, err)
			}
			// The sentence is drawn under the field (issue 11): displayable, whatever was typed.
			if !safetext.Clean(err.Error()) {
				t.Fatalf("ParseInput(%q) refusal %q is not displayable", s, err)
			}
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrOutOfRange) {
				t.Fatalf("ParseInput(%q) err = %v is neither ErrSyntax nor ErrOutOfRange", s, err)
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
		if w, err := ParseWire(a.String()); err != nil || w != a {
			t.Fatalf("ParseWire(%q) = %v, %v; want %v", a.String(), w, err, a)
		}
		if want := typedNumber(s); a.String() != want {
			t.Fatalf("ParseInput(%q) = %s, but the digits typed spell %s", s, a, want)
		}
	})
}

// typedNumber is the fuzz oracle: the digits of s (any script, by unicode.Digit value) and
// its decimal point (ASCII or Arabic), everything else ignored, as a canonical amount string.
// It knows nothing of the parser's rules; it only spells out what was typed.
func typedNumber(s string) string {
	s = strings.ReplaceAll(s, "د.إ", "") // the only accepted text with a point in it
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			b.WriteByte(byte('0' + digitValue(r)))
		case r == '.' || r == '٫':
			b.WriteByte('.')
		}
	}
	intPart, frac, _ := strings.Cut(b.String(), ".")
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	for len(frac) < 2 {
		frac += "0"
	}
	return intPart + "." + frac
}

// digitValue is the value of a decimal digit rune: Unicode's Nd digits come in runs of whole
// blocks of ten, each starting at its zero.
func digitValue(r rune) int {
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return int(r-start) % 10
}
