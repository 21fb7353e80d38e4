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

// TestParseInput is the table of what a person may type: every kind of text has one defined
// outcome, an exact amount or one refusal sentence (matched by the start of its problem).
func TestParseInput(t *testing.T) {
	good := []struct{ in, want string }{
		{"10", "10.00"},
		{"10.5", "10.50"},
		{"10.05", "10.05"},
		{"0.01", "0.01"},
		{"007", "7.00"},
		{"0000000000000000001.00", "1.00"},
		{"9999999999999999.99", "9999999999999999.99"},
		// Thousands commas, in groups of 3: "1,500" is fifteen hundred, never 1.5.
		{"1,000.50", "1000.50"},
		{"1,500", "1500.00"},
		{"1,234,567", "1234567.00"},
		{"9,999,999,999,999,999.99", "9999999999999999.99"},
		// Whitespace around the amount, and AED or د.إ before or after it.
		{"  25 ", "25.00"},
		{"\t25\n", "25.00"},
		{"AED 25", "25.00"},
		{"aed25", "25.00"},
		{"25aed", "25.00"},
		{"25 AED", "25.00"},
		{"د.إ 125.50", "125.50"},
		{"125.50 د.إ", "125.50"},
		{"AED 9,999,999,999,999,999.99", "9999999999999999.99"},
		// Arabic-Indic and Eastern Arabic-Indic digits read as the same digits, with the
		// Arabic decimal and thousands separators or the ASCII ones.
		{"١٠", "10.00"},
		{"١٢٥٠٫٥", "1250.50"},
		{"١٬٢٥٠٫٥٠", "1250.50"},
		{"١,٢٥٠.٠٥", "1250.05"},
		{"۱۲۵۰", "1250.00"},
		{"۹٫۹۹", "9.99"},
		{"AED ٣", "3.00"},
	}
	for _, c := range good {
		a, err := ParseInput(c.in)
		if err != nil {
			t.Errorf("ParseInput(%q): %v", c.in, err)
			continue
		}
		if a.String() != c.want {
			t.Errorf("ParseInput(%q) = %s, want %s", c.in, a, c.want)
		}
	}
	bad := []struct{ in, problem string }{
		{"", "No amount was typed"},
		{"   ", "No amount was typed"},
		{"AED", "No amount was typed"},
		{strings.Repeat("1", 41), "The amount is too long"},
		{strings.Repeat("0", 60) + "1.00", "The amount is too long"},
		{"-5", "An amount cannot be negative"},
		{"−5", "An amount cannot be negative"}, // U+2212 minus sign
		{"5-", "An amount cannot be negative"},
		{"AED -5", "An amount cannot be negative"},
		{"+5", "An amount takes no plus sign"},
		{"1e9", "An exponent"},
		{"1E9", "An exponent"},
		{"2.5e-3", "An exponent"},
		{"USD 25", "payterm pays in AED only"},
		{"25eur", "payterm pays in AED only"},
		{"$25", "payterm pays in AED only"},
		{"25€", "payterm pays in AED only"},
		{"10 000", "The amount has a space inside it"},
		{"1 000.50", "The amount has a space inside it"},
		{"abc", "The amount has characters that are not digits"},
		{"NaN", "The amount has characters that are not digits"},
		{"Inf", "The amount has characters that are not digits"},
		{"Infinity", "The amount has characters that are not digits"},
		{"0x1F", "The amount has characters that are not digits"},
		{"1_000", "The amount has characters that are not digits"},
		{"10.5x", "The amount has characters that are not digits"},
		{"5-3", "The amount has characters that are not digits"},
		{"1\u200f0", "The amount has characters that are not digits"}, // right-to-left mark
		{"1\u202e0", "The amount has characters that are not digits"}, // bidi override
		{"\xff10", "The amount has characters that are not digits"},   // invalid UTF-8
		{".", "The amount has characters that are not digits"},
		{"１２", "payterm reads the digits 0-9"}, // fullwidth
		{"१२", "payterm reads the digits 0-9"}, // Devanagari
		{"1٠5", "The amount mixes different kinds of digits"},
		{"١۲", "The amount mixes different kinds of digits"},
		{"1.2.3", "The amount has more than one decimal point"},
		{"1..00", "The amount has more than one decimal point"},
		{"1.000,50", "A comma after the decimal point"},
		{"10.", "Digits are missing after the decimal point"},
		{".5", "Digits are missing before the decimal point"},
		{"10.555", "An amount has at most 2 decimal places"},
		{"0.001", "An amount has at most 2 decimal places"},
		{"1,00", "Thousands commas"},
		{"1,5", "Thousands commas"},
		{"1,0000", "Thousands commas"},
		{",100", "Thousands commas"},
		{"1000,", "Thousands commas"},
		{"1,,000", "Thousands commas"},
		{"0", "The amount must be more than 0.00"},
		{"0.00", "The amount must be more than 0.00"},
		{"٠", "The amount must be more than 0.00"},
		{"10000000000000000", "The amount is too large"},
	}
	for _, c := range bad {
		a, err := ParseInput(c.in)
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("ParseInput(%q) = %v, %v; want an *InputError", c.in, a, err)
			continue
		}
		if !strings.HasPrefix(ie.Problem, c.problem) {
			t.Errorf("ParseInput(%q) problem = %q, want %q", c.in, ie.Problem, c.problem)
		}
		if s := ie.Sentence(); !strings.HasSuffix(s, ".") || strings.Count(s, ";") != 1 || !strings.HasPrefix(ie.Hint, "type ") {
			t.Errorf("ParseInput(%q) sentence %q is not one sentence saying what to type", c.in, s)
		}
		if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrOutOfRange) {
			t.Errorf("ParseInput(%q) err = %v, want ErrSyntax or ErrOutOfRange", c.in, err)
		}
	}
	for _, zero := range []string{"0", "0.00", "AED 000", "٠٫٠"} {
		if _, err := ParseInput(zero); !errors.Is(err, ErrZero) || !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseInput(%q) err = %v, want ErrZero", zero, err)
		}
	}
	if _, err := ParseInput("10000000000000000"); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("17 digits: err = %v, want ErrOutOfRange", err)
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

// TestParseInputIn: the bank's own currency code may be typed around the amount; AED's words
// are no longer accepted for a EUR amount, and any other code is refused.
func TestParseInputIn(t *testing.T) {
	for _, tc := range []struct {
		in, cur, want string
	}{
		{"EUR 12.50", "EUR", "12.50"},
		{"12.5 eur", "EUR", "12.50"},
		{"1,000 NOK", "NOK", "1000.00"},
		{"AED 5", "AED", "5.00"},
		{"5 د.إ", "AED", "5.00"},
	} {
		if a, err := ParseInputIn(tc.in, tc.cur); err != nil || a.String() != tc.want {
			t.Errorf("ParseInputIn(%q, %s) = %v, %v; want %s", tc.in, tc.cur, a, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, cur string }{{"AED 5", "EUR"}, {"5 د.إ", "EUR"}, {"USD 5", "EUR"}, {"12.50 NOK", "EUR"}} {
		if a, err := ParseInputIn(tc.in, tc.cur); err == nil {
			t.Errorf("ParseInputIn(%q, %s) = %v, want a refusal", tc.in, tc.cur, a)
		}
	}
}
