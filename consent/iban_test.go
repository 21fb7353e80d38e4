package consent

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"regexp"
	"strings"
	"testing"
)

// The spec's sample IBAN passes mod-97; creditor.md's AE140260123456789012345 does not.
const (
	validIBAN   = "AE070331234567890123456"
	invalidIBAN = "AE140260123456789012345"
)

// testIBAN builds a valid UAE IBAN with math/big, an implementation independent of mod97.
func testIBAN(t testing.TB, bank, account string) string {
	t.Helper()
	bban := bank + account
	if len(bban) != 19 {
		t.Fatalf("bban must be 19 digits, got %d", len(bban))
	}
	n, ok := new(big.Int).SetString(bban+"1014"+"00", 10) // A=10, E=14, check digits 00
	if !ok {
		t.Fatal("bad digits")
	}
	check := 98 - new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("AE%02d%s", check, bban)
}

func TestParseIBANValid(t *testing.T) {
	for _, in := range []string{
		validIBAN,
		"ae07 0331 2345 6789 0123 456",
		"  AE07\t0331234567890123456 ",
		"Ae070331234567890123456",
		"AE07\u00a00331234567890123456",
		testIBAN(t, "026", "0000000000000001"),
		testIBAN(t, "030", "9999999999999999"),
	} {
		got, err := ParseIBAN(in)
		if err != nil {
			t.Errorf("ParseIBAN(%q): %v", in, err)
			continue
		}
		if !regexp.MustCompile(`^AE\d{21}$`).MatchString(got.Canonical()) {
			t.Errorf("ParseIBAN(%q) canonical form %q is not ^AE\\d{21}$", in, got.Canonical())
		}
	}
	got, _ := ParseIBAN("ae07 0331 2345 6789 0123 456")
	if got.Canonical() != validIBAN {
		t.Errorf("canonical = %q, want %q", got.Canonical(), validIBAN)
	}
	if got.BankCode() != "033" {
		t.Errorf("BankCode = %q, want 033", got.BankCode())
	}
}

func TestParseIBANInvalid(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrIBANEmpty},
		{"   ", ErrIBANEmpty},
		{invalidIBAN, ErrIBANChecksum},
		{"AE080331234567890123456", ErrIBANChecksum}, // one check digit off
		{"AE070331234567890123465", ErrIBANChecksum}, // transposed digits
		{"GB82WEST12345698765432", ErrIBANCountry},
		{"SA0380000000608010167519", ErrIBANCountry},
		{"AE07033123456789012345", ErrIBANLength},
		{"AE0703312345678901234567", ErrIBANLength},
		{"AE07033123456789012345X", ErrIBANChars},
		{"AE07-0331-2345-6789-0123-456", ErrIBANChars},
		{"AE０７0331234567890123456", ErrIBANChars}, // full-width digits
		{"AE" + strings.Repeat("1", 5000), ErrIBANLength},
	}
	for _, tt := range tests {
		_, err := ParseIBAN(tt.in)
		if !errors.Is(err, tt.want) {
			t.Errorf("ParseIBAN(%q) = %v, want %v", tt.in, err, tt.want)
		}
	}
}

func TestIBANRedacts(t *testing.T) {
	iban, err := ParseIBAN(validIBAN)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "iban", iban)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "iban", iban)
	for _, s := range []string{iban.String(), fmt.Sprint(iban), fmt.Sprintf("%v %+v %#v", iban, iban, iban), logged.String()} {
		if strings.Contains(s, "0331234567") {
			t.Errorf("IBAN leaked: %q", s)
		}
	}
	b, err := iban.MarshalJSON()
	if err != nil || string(b) != `"`+validIBAN+`"` {
		t.Errorf("MarshalJSON = %s, %v", b, err)
	}
}

func TestNameRedacts(t *testing.T) {
	n := Name{EN: "Ivan England", AR: "إيفان"}
	c := CreditorInput{AccountName: n}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "name", n)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "name", n)
	for _, s := range []string{fmt.Sprint(n), fmt.Sprintf("%v %+v %#v", n, n, n), fmt.Sprintf("%v %+v %#v", c, c, c), logged.String()} {
		if strings.Contains(s, "Ivan") || strings.Contains(s, "إيفان") {
			t.Errorf("name leaked: %q", s)
		}
	}
	if b, err := json.Marshal(n); err != nil || string(b) != `{"en":"Ivan England","ar":"إيفان"}` {
		t.Errorf("json = %s, %v (the PII payload needs the name)", b, err)
	}
}

func FuzzParseIBAN(f *testing.F) {
	for _, s := range []string{validIBAN, invalidIBAN, "ae07 0331 2345 6789 0123 456", "", "AE", "AEAE", "\x00", "AE07033123456789012345\u00a0", "ＡＥ07"} {
		f.Add(s)
	}
	canonical := regexp.MustCompile(`^AE\d{21}$`)
	f.Fuzz(func(t *testing.T, in string) {
		iban, err := ParseIBAN(in)
		if err != nil {
			if iban.Canonical() != "" {
				t.Fatal("error with a value")
			}
			for _, known := range []error{ErrIBANEmpty, ErrIBANCountry, ErrIBANLength, ErrIBANChars, ErrIBANChecksum} {
				if err == known {
					return // only fixed messages: the input never reaches the error
				}
			}
			t.Fatalf("unexpected error %v", err)
		}
		c := iban.Canonical()
		if !canonical.MatchString(c) {
			t.Fatalf("accepted %q, canonical %q not ^AE\\d{21}$", in, c)
		}
		n, _ := new(big.Int).SetString(c[4:]+"1014"+c[2:4], 10)
		if new(big.Int).Mod(n, big.NewInt(97)).Int64() != 1 {
			t.Fatalf("accepted %q with a bad checksum", in)
		}
		again, err := ParseIBAN(c)
		if err != nil || again != iban {
			t.Fatalf("canonical form does not round-trip: %v", err)
		}
	})
}
