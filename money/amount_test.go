package money

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestParseWire(t *testing.T) {
	good := map[string]int64{
		"0.00":                0,
		"0.01":                1,
		"10.00":               1000,
		"149.99":              14999,
		"0010.50":             1050,
		"9999999999999999.99": MaxMinor,
	}
	for in, want := range good {
		a, err := ParseWire(in)
		if err != nil {
			t.Errorf("ParseWire(%q): %v", in, err)
			continue
		}
		if a.Minor() != want {
			t.Errorf("ParseWire(%q) = %d fils, want %d", in, a.Minor(), want)
		}
	}
	bad := []string{
		"", "10", "10.5", "10.500", ".50", "1,000.00", "-1.00", "+1.00", " 1.00", "1.00 ",
		"10000000000000000.00", "1e3.00", "NaN", "Inf", "0x10.00", "١٠.٠٠", "10.0a", "1..00",
		"1.0.0", "abc.de",
	}
	for _, in := range bad {
		if _, err := ParseWire(in); !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrOutOfRange) {
			t.Errorf("ParseWire(%q) err = %v, want a syntax or range error", in, err)
		}
	}
}

func TestParseInput(t *testing.T) {
	good := map[string]string{
		"10":                       "10.00",
		"10.5":                     "10.50",
		"10.05":                    "10.05",
		"1,000.50":                 "1000.50",
		"1,234,567":                "1234567.00",
		"  25 ":                    "25.00",
		"AED 25":                   "25.00",
		"25aed":                    "25.00",
		"0.01":                     "0.01",
		"007":                      "7.00",
		"0000000000000000001.00":   "1.00",
		"9999999999999999.99":      "9999999999999999.99",
		"9,999,999,999,999,999.99": "9999999999999999.99",
	}
	for in, want := range good {
		a, err := ParseInput(in)
		if err != nil {
			t.Errorf("ParseInput(%q): %v", in, err)
			continue
		}
		if a.String() != want {
			t.Errorf("ParseInput(%q) = %s, want %s", in, a, want)
		}
	}
	bad := map[string]string{
		"":                  "enter an amount",
		"   ":               "enter an amount",
		"-5":                "negative",
		"+5":                "without a sign",
		"0":                 "more than 0.00",
		"0.00":              "more than 0.00",
		"10.555":            "at most 2 decimal",
		"10.":               "missing after",
		".5":                "missing before",
		"1.2.3":             "more than one decimal point",
		"1,00":              "groups of 3",
		"1,0000":            "groups of 3",
		",100":              "groups of 3",
		"1000,":             "groups of 3",
		"10000000000000000": "at most 16 digits",
		"1e5":               "only digits",
		"NaN":               "only digits",
		"Inf":               "only digits",
		"0x1F":              "only digits",
		"١٠":                "only digits",
		"10 000":            "only digits",
		"10.5x":             "only digits after",
		"AED":               "enter an amount",
	}
	for in, wantMsg := range bad {
		_, err := ParseInput(in)
		if err == nil {
			t.Errorf("ParseInput(%q) accepted", in)
			continue
		}
		if !strings.Contains(err.Error(), wantMsg) {
			t.Errorf("ParseInput(%q) err = %q, want it to mention %q", in, err, wantMsg)
		}
	}
}

func TestErrorsDoNotEchoInput(t *testing.T) {
	const marker = "AE070331234567890123456"
	for _, in := range []string{marker, marker + ".00", "1," + marker} {
		if _, err := ParseInput(in); err == nil || strings.Contains(err.Error(), marker) {
			t.Errorf("ParseInput error %v echoes the input", err)
		}
		if _, err := ParseWire(in); err == nil || strings.Contains(err.Error(), marker) {
			t.Errorf("ParseWire error %v echoes the input", err)
		}
	}
}

func TestArithmetic(t *testing.T) {
	a := mustWire(t, "0.10")
	b := mustWire(t, "0.20")
	sum, err := a.Add(b)
	if err != nil || sum.String() != "0.30" {
		t.Fatalf("0.10+0.20 = %v, %v; want 0.30", sum, err)
	}
	if _, err := Max.Add(mustWire(t, "0.01")); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("Max+0.01 err = %v, want ErrOutOfRange", err)
	}
	if s, err := Max.Add(Zero); err != nil || s != Max {
		t.Errorf("Max+0 = %v, %v", s, err)
	}
	if _, err := a.Sub(b); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("0.10-0.20 err = %v, want ErrOutOfRange", err)
	}
	if d, err := b.Sub(a); err != nil || d.String() != "0.10" {
		t.Errorf("0.20-0.10 = %v, %v", d, err)
	}
	if got := a.SubFloor(b); !got.IsZero() {
		t.Errorf("SubFloor(0.10, 0.20) = %v, want 0.00", got)
	}
	if got := b.SubFloor(a); got.String() != "0.10" {
		t.Errorf("SubFloor(0.20, 0.10) = %v, want 0.10", got)
	}
	if a.Cmp(b) != -1 || b.Cmp(a) != 1 || a.Cmp(a) != 0 {
		t.Error("Cmp ordering is wrong")
	}
	if Min(a, b) != a || Min(b, a) != a {
		t.Error("Min picked the larger amount")
	}
	if _, err := FromMinor(-1); !errors.Is(err, ErrOutOfRange) {
		t.Error("FromMinor(-1) accepted")
	}
	if _, err := FromMinor(MaxMinor + 1); !errors.Is(err, ErrOutOfRange) {
		t.Error("FromMinor(Max+1) accepted")
	}
	if v, err := FromMinor(5); err != nil || v.String() != "0.05" {
		t.Errorf("FromMinor(5) = %v, %v", v, err)
	}
}

func TestDisplay(t *testing.T) {
	cases := map[string]string{
		"0.00":                "0.00",
		"999.99":              "999.99",
		"1000.00":             "1,000.00",
		"123456.78":           "123,456.78",
		"1234567.00":          "1,234,567.00",
		"9999999999999999.99": "9,999,999,999,999,999.99",
	}
	for in, want := range cases {
		if got := mustWire(t, in).Display(); got != want {
			t.Errorf("Display(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestJSONIsAStringNeverAFloat(t *testing.T) {
	type row struct {
		Amount Amount `json:"amount"`
	}
	b, err := json.Marshal(row{Amount: mustWire(t, "1234.50")})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"amount":"1234.50"}` {
		t.Fatalf("json = %s", b)
	}
	var back row
	if err := json.Unmarshal(b, &back); err != nil || back.Amount.String() != "1234.50" {
		t.Fatalf("round trip = %v, %v", back.Amount, err)
	}
	for _, in := range []string{`{"amount":1234.5}`, `{"amount":"1234.5"}`, `{"amount":"-1.00"}`} {
		if err := json.Unmarshal([]byte(in), &back); err == nil {
			t.Errorf("json.Unmarshal(%s) accepted", in)
		}
	}
}

func mustWire(t *testing.T, s string) Amount {
	t.Helper()
	a, err := ParseWire(s)
	if err != nil {
		t.Fatalf("ParseWire(%q): %v", s, err)
	}
	return a
}

var wireRE = regexp.MustCompile(`^\d{1,16}\.\d{2}$`)
