package safetext

import (
	"encoding/json"
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

func TestWriter(t *testing.T) {
	var out strings.Builder
	w := NewWriter(&out)
	if NewWriter(w) != w {
		t.Error("wrapping a Writer again made a second one")
	}
	// "€" split over two writes, a C1 CSI split over two writes, an OSC 52 in one.
	for _, p := range []string{"Consent c-1: \xe2\x82", "\xac 5\n\xc2", "\x9b2J x\x1b]52;c;QUU=\x07\r\n", "tail \xe2"} {
		if n, err := w.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "Consent c-1: € 5\n\uFFFD2J x\uFFFD]52;c;QUU=\uFFFD \ntail \uFFFD"; out.String() != want {
		t.Errorf("written %q, want %q", out.String(), want)
	}
}

func TestJSON(t *testing.T) {
	in := map[string]string{"name": "Noor \u202e00.125\u202c", "id": "p\u009b2J\x1b]2;T\x07", "ar": "نور\u200f", "del": "a\x7f"}
	raw, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	safe := JSON(raw)
	if !Clean(strings.NewReplacer("\n", "", "\t", "").Replace(string(safe))) {
		t.Fatalf("JSON left an unsafe rune: %q", safe)
	}
	var back map[string]string
	if err := json.Unmarshal(safe, &back); err != nil {
		t.Fatalf("JSON broke the document: %v\n%s", err, safe)
	}
	for k, v := range in {
		if back[k] != v {
			t.Errorf("%s decodes to %q, want %q", k, back[k], v)
		}
	}
	plain := []byte(`{"a": "Noor"}`)
	if got := JSON(plain); string(got) != string(plain) {
		t.Errorf("clean JSON changed: %s", got)
	}
}

// FuzzWriter: however the text is split between writes, what comes out is Text of all of it.
func FuzzWriter(f *testing.F) {
	f.Add("Consent \xe2\x82\xac\x1b]2;T\x07 \u009b\u202e", 9)
	f.Add("\xf0\x9f\x98\x80\xf0\x9f", 5)
	f.Fuzz(func(t *testing.T, s string, at int) {
		if at < 0 {
			at = -at
		}
		at %= len(s) + 1
		var out strings.Builder
		w := NewWriter(&out)
		_, _ = w.Write([]byte(s[:at]))
		_, _ = w.Write([]byte(s[at:]))
		_ = w.Flush()
		if out.String() != Text(s) {
			t.Fatalf("split at %d: %q, want %q", at, out.String(), Text(s))
		}
	})
}

// FuzzJSON: any value encoded by encoding/json and passed through JSON is printable and decodes
// to the same value.
func FuzzJSON(f *testing.F) {
	f.Add("Noor \u202e521\u202c", "\u009b2J\x1b]52;c;AA==\x07")
	f.Add("\xff\xfe", "\x7f\u2066")
	f.Fuzz(func(t *testing.T, a, b string) {
		raw, err := json.Marshal([]string{a, b})
		if err != nil {
			t.Skip()
		}
		safe := JSON(raw)
		if !Clean(string(safe)) {
			t.Fatalf("JSON(%q) = %q is not printable", raw, safe)
		}
		var want, got []string
		if json.Unmarshal(raw, &want) != nil || json.Unmarshal(safe, &got) != nil {
			t.Fatalf("JSON(%q) = %q does not decode", raw, safe)
		}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("JSON changed the value: %q, want %q", got, want)
		}
	})
}
