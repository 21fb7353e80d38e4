package e2e

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// joinedScreen is the visible pane with the lines the terminal wrapped joined back (capture-pane
// -J): what a selection of a wrapped line copies.
func (tm *term) joinedScreen() string {
	tm.t.Helper()
	s, err := tm.tm.Run(tm.t.Context(), "capture-pane", "-p", "-J", "-t", tm.tm.Session())
	tm.check(err)
	return s
}

// addressLine finds the bank's address as one line of a joined screen: it starts with http:// and
// carries a request_uri.
func addressLine(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "http://127.0.0.1") && strings.Contains(l, "request_uri=") {
			return l
		}
	}
	return ""
}

// TestJourneyBankStepAddressAlone: u prints the bank's address whole, so the terminal wraps it
// and a selection copies it in one piece (tmux joins the wrapped rows back into one line); c puts
// it on the terminal's clipboard (OSC 52: tmux, with set-clipboard on, keeps it in a buffer);
// the address is the one o opens and the one the bank approves.
func TestJourneyBankStepAddressAlone(t *testing.T) {
	t.Parallel()
	needJourneyTools(t)
	b := startBrowser(t)
	w := newWalletEnv(t, walletConfig{SettleAfter: "1s", CreditAfter: "2s"})
	tm := w.start()
	if _, err := tm.tm.Run(t.Context(), "set-option", "-g", "set-clipboard", "on"); err != nil {
		t.Fatal(err)
	}
	s := w.toBankStep(tm)
	if strings.Contains(s, "█") || !strings.Contains(s, "No QR code: the bank's page is on this computer (127.0.0.1)") {
		t.Fatalf("the sandbox's page (on this computer) gets a QR code, or no reason for none:\n%s", s)
	}
	tm.Press("u")
	tm.WaitFor("That is the whole address, above", 10*time.Second)
	whole := addressLine(tm.joinedScreen())
	if len(whole) <= 100 {
		t.Fatalf("no whole address on the screen, or one short enough not to wrap (%d characters):\n%s", len(whole), tm.joinedScreen())
	}
	if u, err := url.Parse(whole); err != nil || u.Query().Get("request_uri") == "" {
		t.Fatalf("the printed address does not parse: %v", err)
	}
	if buf, _ := tm.tm.Run(t.Context(), "show-buffer"); buf != "" {
		t.Fatal("something reached the clipboard before c")
	}
	tm.Press("c")
	tm.WaitFor("If your terminal does not let programs set the clipboard", 10*time.Second)
	deadline := time.Now().Add(patience(10 * time.Second))
	for {
		buf, _ := tm.tm.Run(t.Context(), "show-buffer")
		if buf == whole {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the clipboard holds %d characters, not the address (%d)", len(buf), len(whole))
		}
		time.Sleep(100 * time.Millisecond)
	}
	tm.Press("Escape")
	tm.WaitFor("paste the address you land on", 10*time.Second)
	tm.Press("o")
	if opened := w.openedURL(1, 10*time.Second); opened != whole {
		t.Fatalf("o opens another address than the one printed (%s)", redactQuery(opened))
	}
	tm.WaitFor("Waiting for your bank", 10*time.Second)
	w.approve(tm, b, whole)
}

// TestJourneyNoBrowser: on a machine where xdg-open finds no browser ("no method available",
// exit 3), o says no browser could be opened and offers w, u and v instead of waiting for a page
// nobody sees; the user opens the address elsewhere and the wallet is set up.
func TestJourneyNoBrowser(t *testing.T) {
	t.Parallel()
	needJourneyTools(t)
	b := startBrowser(t)
	w := newWalletEnv(t, walletConfig{SettleAfter: "1s", CreditAfter: "2s"})
	shim := "#!/bin/sh\necho 'xdg-open: no method available for opening' >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(w.homeDir, "bin", "xdg-open"), []byte(shim), 0o700); err != nil {
		t.Fatal(err)
	}
	tm := w.start()
	w.toBankStep(tm)
	tm.Press("o")
	s := tm.WaitFor("No browser could be opened on this computer", 20*time.Second)
	for _, want := range []string{"w  wait here", "u  show the address alone", "v  paste the address"} {
		if !strings.Contains(s, want) {
			t.Fatalf("after a failed o the screen does not offer %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "Waiting for your bank") || strings.Contains(s, "no method available") {
		t.Fatalf("still waiting, or the helper's own output reached the screen:\n%s", s)
	}
	tm.Press("u") // the address alone, to copy it into another browser
	tm.WaitFor("That is the whole address, above", 10*time.Second)
	whole := addressLine(tm.joinedScreen())
	if len(whole) <= 100 {
		t.Fatalf("no whole address on screen:\n%s", tm.joinedScreen())
	}
	tm.Press("Escape")
	tm.WaitFor("No browser could be opened on this computer", 10*time.Second)
	tm.Press("w")
	tm.WaitFor("Waiting for your bank", 10*time.Second)
	w.approve(tm, b, whole)
}
