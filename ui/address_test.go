package ui

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestQRElsewhere: which bank addresses another device can open.
func TestQRElsewhere(t *testing.T) {
	for _, tt := range []struct {
		url  string
		ok   bool
		says string
	}{
		{"https://auth1.bank.example/authorize?x=1", true, ""},
		{"https://203.0.113.7:8443/authorize", true, ""},
		{"http://127.0.0.1:41999/authorize?x=1", false, "on this computer (127.0.0.1)"},
		{"http://[::1]:41999/authorize", false, "on this computer (::1)"},
		{"https://localhost/authorize", false, "on this computer (localhost)"},
		{"https://bank.localhost/authorize", false, "on this computer"},
		{"http://0.0.0.0:8080/authorize", false, "on this computer"},
		{"https://192.168.1.20/authorize", false, "a private network address (192.168.1.20)"},
		{"https://10.0.0.5/authorize", false, "a private network address"},
		{"https://[fd00::1]/authorize", false, "a private network address"},
		{"https://169.254.1.1/authorize", false, "a private network address"},
		{"https://bankhost/authorize", false, "a local network name (bankhost)"},
		{"https://bank.local/authorize", false, "a local network name"},
		{"not a url", false, ""},
	} {
		ok, why := qrElsewhere(tt.url)
		if ok != tt.ok || !strings.Contains(why, tt.says) || (!ok && tt.says != "" && !strings.Contains(why, "phone")) {
			t.Errorf("qrElsewhere(%q) = %v, %q", tt.url, ok, why)
		}
	}
}

// TestAddressLineAndCopy: the address is an OSC 8 link to itself only when asked, the clipboard
// sequence carries exactly the address, and an address with anything but visible ASCII (it came
// from the bank) is neither linked nor copied, and is shown cleaned.
func TestAddressLineAndCopy(t *testing.T) {
	u := fakeStep.URL
	if got := addressLine(u, false); got != u {
		t.Errorf("plain line = %q", got)
	}
	if got, want := addressLine(u, true), "\x1b]8;;"+u+"\x1b\\"+u+"\x1b]8;;\x1b\\"; got != want {
		t.Errorf("link line = %q", got)
	}
	if got := displayWidth(addressLine(u, true)); got != len(u) {
		t.Errorf("the link takes %d cells, the address %d", got, len(u))
	}
	seq := copySequence(u)
	if !strings.HasPrefix(seq, "\x1b]52;c;") || !strings.HasSuffix(seq, "\x07") {
		t.Fatalf("copy sequence = %q", seq)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(seq, "\x1b]52;c;"), "\x07"))
	if err != nil || string(raw) != u {
		t.Errorf("the clipboard would get %q (%v)", raw, err)
	}
	evil := "https://bank.example/a\x1b]52;c;ZXZpbA==\x07"
	if got := addressLine(evil, true); strings.Contains(got, "\x1b") || strings.Contains(got, "\x07") {
		t.Errorf("a bank address with escapes reaches the terminal: %q", got)
	}
	if copySequence(evil) != "" {
		t.Error("a bank address with escapes goes to the clipboard")
	}
}

// TestHyperlinks: OSC 8 only for terminals known to show it, never inside tmux or screen.
func TestHyperlinks(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for i, tt := range []struct {
		env  func(string) string
		want bool
	}{
		{env(), false},
		{env("TERM", "xterm-256color"), false},
		{env("TERM", "linux"), false},
		{env("VTE_VERSION", "7600"), true},
		{env("VTE_VERSION", "4800"), false},
		{env("TERM_PROGRAM", "iTerm.app"), true},
		{env("TERM_PROGRAM", "WezTerm"), true},
		{env("KITTY_WINDOW_ID", "1"), true},
		{env("TERM", "foot"), true},
		{env("WT_SESSION", "x"), true},
		{env("KONSOLE_VERSION", "230805"), true},
		{env("VTE_VERSION", "7600", "TMUX", "/tmp/tmux-0/default,1,0"), false},
		{env("TERM_PROGRAM", "iTerm.app", "TERM", "screen-256color"), false},
	} {
		if got := Hyperlinks(tt.env); got != tt.want {
			t.Errorf("case %d: Hyperlinks = %v", i, got)
		}
	}
}
