package ui

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// The inspector's pane at 100 columns is 46 cells wide: the client assertion type and a key id
// must stay copyable (issue 6: "client-assertion-typ" / "e:jwt-bearer" with spaces between).
func TestWrapTokensKeepsValuesCopyable(t *testing.T) {
	in := "  form client_assertion_type: urn:ietf:params:oauth:client-assertion-type:jwt-bearer\n" +
		"  kid: X7bm8z1JUh0BoWS-Y_u0rimdmbZoUINvF4ByjHnXQ-I\n" +
		"  x-fapi-interaction-id: a1f5472a-2834-4a4f-943a-62adc43e9c91 and more words"
	got := wrapTokens(in, 46, 2)
	want := "  form client_assertion_type:\n" +
		"urn:ietf:params:oauth:client-assertion-type:\n" +
		"jwt-bearer\n" +
		"  kid:\n" +
		"   X7bm8z1JUh0BoWS-Y_u0rimdmbZoUINvF4ByjHnXQ-I\n" +
		"  x-fapi-interaction-id:\n" +
		"    a1f5472a-2834-4a4f-943a-62adc43e9c91 and\n" +
		"    more words"
	if got != want {
		t.Errorf("wrapTokens:\n%s\nwant:\n%s", got, want)
	}
	joined := strings.ReplaceAll(got, "\n", "")
	for _, v := range []string{"urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "X7bm8z1JUh0BoWS-Y_u0rimdmbZoUINvF4ByjHnXQ-I"} {
		if !strings.Contains(joined, v) {
			t.Errorf("%q does not come back whole from the wrapped lines", v)
		}
	}
	// No separator in reach: cut hard at the edge.
	if got := wrapTokens("k: "+strings.Repeat("a", 25), 10, 2); got != "k:\naaaaaaaaaa\naaaaaaaaaa\naaaaa" {
		t.Errorf("a long word without separators: %q", got)
	}
}

// FuzzWrapTokens: nothing visible lost or invented, no line wider than w, and every word comes
// back whole when the lines are joined without their newlines (no space inside a token).
func FuzzWrapTokens(f *testing.F) {
	f.Add("  form client_assertion_type: urn:ietf:params:oauth:client-assertion-type:jwt-bearer", 46, 2, false)
	f.Add("  kid: X7bm8z1JUh0BoWS-Y_u0rimdmbZoUINvF4ByjHnXQ-I https://a.example/x?y=1&z=2", 20, 4, true)
	f.Add("  Name: مثال تجريبي AE070331234567890123456 €", 7, 4, true)
	f.Fuzz(func(t *testing.T, s string, w, hang int, styled bool) {
		if !utf8.ValidString(s) || len(s) > 4096 || w < 1 || w > 300 || hang < 0 || hang > 10 {
			t.Skip()
		}
		for _, r := range s {
			if (r < ' ' && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Skip()
			}
		}
		if styled {
			s = "\x1b[1;31m" + s + "\x1b[0m"
		}
		out := wrapTokens(s, w, hang)
		keep := func(x string) string {
			return strings.NewReplacer(" ", "", "\n", "").Replace(ansi.Strip(x))
		}
		if keep(out) != keep(s) {
			t.Fatalf("content changed:\n%q\n%q", s, out)
		}
		for _, l := range strings.Split(out, "\n") {
			if lw := ansi.StringWidth(l); lw > w && !hasWide(l) {
				t.Fatalf("line of %d cells > %d: %q", lw, w, l)
			}
		}
		joined := strings.ReplaceAll(ansi.Strip(out), "\n", "")
		for _, word := range strings.Fields(ansi.Strip(s)) {
			if !strings.Contains(joined, word) {
				t.Fatalf("word %q split by inserted spaces:\n%q", word, out)
			}
		}
	})
}
