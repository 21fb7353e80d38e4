package safetext

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	for in, want := range map[string]string{
		"Noor Test":                          "Noor Test",
		"بنك تجريبي":                         "بنك تجريبي",
		"Bank\u200f of the Test":             "Bank\u200f of the Test", // a mark, not an override
		"a\nb\tc\rd":                         "a b c d",
		"x\x1b]52;c;QUU=\x07y":               "x\uFFFD]52;c;QUU=\uFFFDy",
		"csi\u009b2Josc\u009d0;t\u009c":      "csi\uFFFD2Josc\uFFFD0;t\uFFFD",
		"Noor \u202e00.125\u202c AED":        "Noor \uFFFD00.125\uFFFD AED",
		"iso\u2066late\u2069 \u2067r\u2068l": "iso\uFFFDlate\uFFFD \uFFFDr\uFFFDl",
		"del\x7f":                            "del\uFFFD",
		"bad\xffutf8":                        "bad\uFFFDutf8",
		"":                                   "",
	} {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTextKeepsLayout(t *testing.T) {
	if got := Text("one\n\ttwo\r\nthree\x1b[2J"); got != "one\n\ttwo \nthree\uFFFD[2J" {
		t.Errorf("Text = %q", got)
	}
}

func TestShort(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"abcdef", 6, "abcdef"},
		{"abcdef", 5, "abcd…"},
		{"abcdef", 1, "…"},
		{"abcdef", 0, ""},
		{"a\x1bb", 3, "a\uFFFDb"},
		{"نورنورنور", 4, "نور…"},
	} {
		if got := Short(tc.in, tc.n); got != tc.want {
			t.Errorf("Short(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestErrorAndCheck(t *testing.T) {
	if Error(nil) != "" {
		t.Error("Error(nil) is not empty")
	}
	err := errors.New("x509: certificate is valid for bank.example\x1b]2;T\x07, not localhost")
	if got := Error(err); strings.ContainsRune(got, 0x1b) || strings.ContainsRune(got, 0x07) {
		t.Errorf("Error kept a control: %q", got)
	}
	for _, ok := range []string{"Noor Test", "نور", "O'Brien-Smith"} {
		if Check(ok) != nil {
			t.Errorf("Check(%q) refused a plain name", ok)
		}
	}
	for _, bad := range []string{"Noor\u202e", "a\tb", "a\nb", "\x1b", "\u009b", "\u2066x", "\xff"} {
		if !errors.Is(Check(bad), ErrUnsafe) {
			t.Errorf("Check(%q) accepted it", bad)
		}
	}
}

// FuzzLine: whatever comes in, what goes out is valid UTF-8 with no unsafe rune and no line
// break, clean input is unchanged, Short never exceeds its width, and Text keeps only \n and \t.
func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "Noor", "\x1b]52;c;AA==\x07", "\u202e521", "\xc2\x9b", "\r\n\t", "\xed\xa0\x80"} {
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		for name, out := range map[string]string{"Line": Line(s), "Short": Short(s, n%100)} {
			if !utf8.ValidString(out) || !Clean(out) || strings.ContainsAny(out, "\n\t") {
				t.Fatalf("%s(%q) = %q is not displayable", name, s, out)
			}
		}
		if Clean(s) && !strings.ContainsAny(s, "\n\t") && Line(s) != s {
			t.Fatalf("Line changed clean text %q", s)
		}
		if k := n % 100; k >= 0 && utf8.RuneCountInString(Short(s, k)) > k {
			t.Fatalf("Short(%q, %d) is wider than %d", s, k, k)
		}
		txt := Text(s)
		if !utf8.ValidString(txt) || !Clean(strings.NewReplacer("\n", "", "\t", "").Replace(txt)) {
			t.Fatalf("Text(%q) = %q is not displayable", s, txt)
		}
		if (Check(s) == nil) != Clean(s) {
			t.Fatalf("Check and Clean disagree on %q", s)
		}
	})
}
