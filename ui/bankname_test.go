package ui

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCheckBanks(t *testing.T) {
	sb := BankOption{ID: "sandbox", Name: "Sandbox Bank", Sandbox: true}
	for name, tc := range map[string]struct {
		banks []BankOption
		ok    bool
	}{
		"one":                 {[]BankOption{sb}, true},
		"one without id":      {[]BankOption{{Name: "Sandbox Bank"}}, true}, // "" stands for the first bank
		"two":                 {[]BankOption{sb, {ID: "second", Name: "Second"}}, true},
		"none":                {nil, false},
		"duplicate id":        {[]BankOption{sb, {ID: "sandbox", Name: "Other"}}, false},
		"second without id":   {[]BankOption{sb, {Name: "Other"}}, false},
		"same name, other id": {[]BankOption{sb, {ID: "other", Name: "Sandbox Bank"}}, true},
	} {
		err := checkBanks(tc.banks)
		if (err == nil) != tc.ok {
			t.Errorf("%s: checkBanks = %v, want ok=%v", name, err, tc.ok)
		}
		var p *Problem
		if err != nil && (!errors.As(err, &p) || p.Next == "") {
			t.Errorf("%s: %v is not a Problem saying what to do", name, err)
		}
	}
}

func TestPlainName(t *testing.T) {
	for in, want := range map[string]string{
		"Sandbox Bank":           "Sandbox Bank",
		"  Sandbox Bank\n":       "Sandbox Bank",
		"Evil\x1b[2J Bank":       "Evil\uFFFD[2J Bank", // a tampered name looks tampered
		"Tab\tBank\u0085":        "Tab Bank\uFFFD",
		"بنك تجريبي":             "بنك تجريبي",
		"\x00\x07":               "\uFFFD\uFFFD",
		"Noor \u202e00.125":      "Noor \uFFFD00.125",
		"Bank\u200f of the Test": "Bank\u200f of the Test", // a bidi mark is a format character, not a control
	} {
		if got := plainName(in); got != want {
			t.Errorf("plainName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := consentBank(Consent{BankID: "second"}); got != "second" {
		t.Errorf("consentBank without a name = %q, want its id", got)
	}
	if got := consentBank(Consent{}); got != "your bank" {
		t.Errorf("consentBank of nothing = %q", got)
	}
	if got := bankLabel(BankOption{ID: "second", Name: " \t "}); got != "second" {
		t.Errorf("bankLabel with a blank name = %q, want its id", got)
	}
}

func TestBankCells(t *testing.T) {
	labels := []string{
		"Example Islamic Bank of the Northern Emirates",
		"Example Islamic Bank of the Southern Emirates",
		"Sandbox Bank",
		"Sandbox Bank",
	}
	got := bankCells(labels, 11)
	want := []string{"…Northern …", "…Southern …", "Sandbox Ba…", "Sandbox Ba…"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cell %d = %q, want %q", i, got[i], want[i])
		}
	}
	if got := bankCells(labels[:2], 60); got[0] != labels[0] || got[1] != labels[1] {
		t.Errorf("names that fit were cut: %q", got)
	}
}

// FuzzBankCells: whatever the names and width, every cell fits its width, is valid UTF-8 and
// carries no control character from the name.
func FuzzBankCells(f *testing.F) {
	f.Add("Example Bank of the North", "Example Bank of the South", 10)
	f.Add("Sandbox Bank", "Sandbox Bank", 4)
	f.Add("بنك تجريبي الشمال", "بنك تجريبي الجنوب", 7)
	f.Add("a b c", "a b d", 1)
	f.Add("\x1b[2J", "名前の長い銀行", 3)
	f.Fuzz(func(t *testing.T, a, b string, w int) {
		w = w%80 + 1
		if w < 1 {
			w += 80
		}
		labels := []string{consentBank(Consent{Bank: a}), consentBank(Consent{Bank: b})}
		for i, c := range bankCells(labels, w) {
			if displayWidth(c) > w {
				t.Errorf("cell %q of %q is %d cells, more than %d", c, labels[i], displayWidth(c), w)
			}
			if !utf8.ValidString(c) && utf8.ValidString(labels[i]) {
				t.Errorf("cell %q of %q is not valid UTF-8", c, labels[i])
			}
			if strings.ContainsFunc(c, unicode.IsControl) {
				t.Errorf("cell %q carries a control character", c)
			}
		}
	})
}
