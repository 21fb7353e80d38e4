package ui

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

func TestCountPlurals(t *testing.T) {
	cases := []struct {
		n    int
		want string
	}{{0, "0 payments"}, {1, "1 payment"}, {2, "2 payments"}, {-1, "-1 payment"}}
	for _, c := range cases {
		if got := count(c.n, "payment", "payments"); got != c.want {
			t.Errorf("count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{30 * time.Second: "in 1 minute", 90 * time.Minute: "in 90 minutes",
		3 * time.Hour: "in 3 hours", 50 * time.Hour: "in 2 days"} {
		if got := until(now, now.Add(d), time.UTC); got != want {
			t.Errorf("until(+%s) = %q, want %q", d, got, want)
		}
	}
	if got := explain(&SCAError{AttemptsLeft: 1}); !strings.Contains(got, "1 attempt left") {
		t.Errorf("explain = %q", got)
	}
	if got := (&SCAError{AttemptsLeft: 1}).Error(); !strings.Contains(got, "(1 attempt left)") {
		t.Errorf("Error() = %q", got)
	}
}

func TestHardWrapKeepsEveryCharacter(t *testing.T) {
	url := "http://127.0.0.1:40153/authorize?client_id=f58bd8e0-6d5e-48ff-b73b-5cf56745cff0&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3AuiW04f"
	lines := hardWrap(url, 40)
	if strings.Join(lines, "") != url {
		t.Fatalf("pieces do not join back to the URL: %q", lines)
	}
	for i, l := range lines {
		if w := displayWidth(l); w > 40 || (i < len(lines)-1 && w != 40) {
			t.Errorf("line %d is %d cells: %q", i, w, l)
		}
	}
}

func TestWrapLines(t *testing.T) {
	in := "  x-fapi-interaction-id: 973a7b07-c014-496a-9366-3e26bd3f41d9 and more words here"
	got := wrapHanging(in, 40, 2)
	want := "  x-fapi-interaction-id:\n    973a7b07-c014-496a-9366-3e26bd3f41d9\n    and more words here"
	if got != want {
		t.Errorf("wrapHanging:\n%s\nwant:\n%s", got, want)
	}
	if got := wrapLines("short", 40); got != "short" {
		t.Errorf("a short line changed: %q", got)
	}
	long := strings.Repeat("a", 25)
	if got := wrapLines("xy "+long, 10); got != "xy\naaaaaaaaaa\naaaaaaaaaa\naaaaa" {
		t.Errorf("a long word is not cut hard: %q", got)
	}
	styled := "\x1b[1mbold words\x1b[0m that wrap"
	for _, l := range strings.Split(wrapLines(styled, 8), "\n") {
		if ansi.StringWidth(l) > 8 {
			t.Errorf("styled line too wide: %q", l)
		}
	}
}

// FuzzWrapLines: wrapping never loses or invents a visible character and never exceeds the width.
func FuzzWrapLines(f *testing.F) {
	f.Add("Payments are blocked after too many failed attempts. Press u on Home.", 20, 2, false)
	f.Add("  Name: مثال تجريبي AE070331234567890123456 €", 7, 4, true)
	f.Add("red  two  spaces\nnext line", 3, 0, true)
	f.Fuzz(func(t *testing.T, s string, w, hang int, styled bool) {
		if !utf8.ValidString(s) || len(s) > 4096 || w < 1 || w > 300 || hang < 0 || hang > 10 {
			t.Skip()
		}
		// Screens hand the wrapper printable text and well-formed styling, nothing else.
		for _, r := range s {
			if (r < ' ' && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Skip()
			}
		}
		if styled {
			s = "\x1b[1;31m" + s + "\x1b[0m"
		}
		out := wrapHanging(s, w, hang)
		keep := func(x string) string {
			x = ansi.Strip(x)
			return strings.NewReplacer(" ", "", "\n", "").Replace(x)
		}
		if keep(out) != keep(s) {
			t.Fatalf("content changed:\n%q\n%q", s, out)
		}
		for _, l := range strings.Split(out, "\n") {
			if lw := ansi.StringWidth(l); lw > w && !hasWide(l) {
				t.Fatalf("line of %d cells > %d: %q", lw, w, l)
			}
		}
	})
}

// hasWide reports a rune two cells wide: it cannot be split, so a 1-cell limit can be exceeded.
func hasWide(s string) bool {
	for _, r := range ansi.Strip(s) {
		if ansi.StringWidth(string(r)) > 1 {
			return true
		}
	}
	return false
}

func TestAbbreviateOpaqueValues(t *testing.T) {
	if got := abbreviate("PS256"); got != "PS256" {
		t.Errorf("short value changed: %q", got)
	}
	prose := strings.Repeat("a sentence with spaces ", 10)
	if got := abbreviate(prose); got != prose {
		t.Error("text with spaces must stay whole")
	}
	jwe := "eyJhbGciOiJSU0EtT0FFUC0yNTYifQ." + strings.Repeat("k", 300) + ".aXY." + strings.Repeat("c", 300) + ".dGFn"
	got := abbreviate(jwe)
	if !strings.HasPrefix(got, jwe[:48]+"…") || !strings.Contains(got, "(JWE of 641 characters)") {
		t.Errorf("abbreviate(JWE) = %q", got)
	}
	arabic := strings.Repeat("مثال", 60) // 2-byte runes: the cut must not split one
	if got := abbreviate(arabic); !utf8.ValidString(got) {
		t.Errorf("cut inside a rune: %q", got)
	}
}
