package e2e

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestOathtoolRFC6238Vector checks the TOTP helper against the RFC 6238 appendix B vector
// (SHA-1, T=59 s → 94287082, 6-digit form 287082), so journeys rely on a known-good oracle.
func TestOathtoolRFC6238Vector(t *testing.T) {
	// base32 of the ASCII secret "12345678901234567890".
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	if got := oathTOTP(t, "gezd gnbv gy3t qojq gezd gnbv gy3t qojq", time.Unix(59, 0)); got != "287082" {
		t.Fatalf("oathtool at T=59: %s, want 287082", got)
	}
	if got := oathTOTP(t, secret, time.Unix(1111111109, 0)); got != "081804" {
		t.Fatalf("oathtool at T=1111111109: %s, want 081804", got)
	}
}

// TestTmuxDriver runs a shell in the driver: typed text arrives literally (including non-ASCII),
// named keys work, the pane is 100×30, and the exit status is read after the program ends.
func TestTmuxDriver(t *testing.T) {
	tm := startTerm(t, []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}, "sh", "-c",
		`stty size; printf 'ready> '; read line; echo "got:$line"; printf 'again> '; read l2; exit 7`)
	tm.WaitFor("ready>", 5*time.Second)
	if s := tm.Screen(); !strings.Contains(s, "30 100") {
		t.Fatalf("pane size: want 30 rows 100 cols; screen:\n%s", s)
	}
	tm.Type("héllo $HOME 'x'")
	tm.Press("Enter")
	tm.WaitFor("got:héllo $HOME 'x'", 5*time.Second)
	tm.WaitFor("again>", 5*time.Second)
	if dead, _ := tm.Exited(); dead {
		t.Fatal("shell exited early")
	}
	tm.Press("Enter")
	if code := tm.WaitExit(5 * time.Second); code != 7 {
		t.Fatalf("exit status %d, want 7", code)
	}
}

// TestTmuxExitZero: tmux leaves a zero exit status blank; the driver reads it as 0.
func TestTmuxExitZero(t *testing.T) {
	tm := startTerm(t, []string{"PATH=/usr/bin:/bin"}, "sh", "-c", "sleep 0.3; echo bye; sleep 0.5; exit 0")
	if code := tm.WaitExit(5 * time.Second); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	if !strings.Contains(tm.Transcript(), "bye") {
		t.Fatalf("the last screen is lost after exit: %q", tm.Transcript())
	}
}

// TestTmuxSIGKILL proves SIGKILL reaches the program itself (not a wrapper): a trap on TERM/HUP
// would print, SIGKILL cannot be trapped, so the status is 137 and nothing is printed.
func TestTmuxSIGKILL(t *testing.T) {
	tm := startTerm(t, []string{"PATH=/usr/bin:/bin"}, "sh", "-c", `trap 'echo trapped' TERM HUP INT; echo up; while :; do sleep 0.1; done`)
	tm.WaitFor("up", 5*time.Second)
	tm.SIGKILL()
	if _, code := tm.Exited(); code != 137 {
		t.Fatalf("exit status after SIGKILL: %d", code)
	}
	if strings.Contains(tm.Screen(), "trapped") {
		t.Fatal("the program saw a catchable signal, not SIGKILL")
	}
}

// TestBrowserDriver loads a page with a form in headless Chromium, clicks its button, follows
// the 303 to another loopback server (as the bank's page redirects to the wallet's listener)
// and reads the resulting URL and text.
func TestBrowserDriver(t *testing.T) {
	b := startBrowser(t)
	got := make(chan string, 1)
	wallet := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- r.URL.Query().Get("code"):
		default:
		}
		fmt.Fprint(w, "<!doctype html><p id=done>You can close this window.</p>")
	}))
	defer wallet.Close()
	bank := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if r.FormValue("decision") != "approve" {
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
			http.Redirect(w, r, wallet.URL+"/callback?code=c0de&state=s", http.StatusSeeOther)
			return
		}
		fmt.Fprint(w, `<!doctype html><title>Bank</title><h1>Approve?</h1><form method=post action=/decision><button id=approve name=decision value=approve>Approve</button></form>`)
	}))
	defer bank.Close()
	b.Navigate(bank.URL + "/authorize")
	if h := b.ElementText(b.Find("h1")); h != "Approve?" {
		t.Fatalf("heading %q", h)
	}
	b.Click(b.Find("#approve"))
	u := b.WaitURL(func(u string) bool { return strings.HasPrefix(u, wallet.URL+"/callback") }, 10*time.Second)
	if !strings.Contains(u, "code=c0de") {
		t.Fatalf("redirect URL %s", u)
	}
	select {
	case c := <-got:
		if c != "c0de" {
			t.Fatalf("listener got code %q", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the wallet listener never received the redirect")
	}
	if txt := b.Text(); !strings.Contains(txt, "You can close this window.") {
		t.Fatalf("final page text %q", txt)
	}
}

// TestSecretServiceHarness stores an item with secret-tool in the private keyring and finds it
// again with its attributes, so the keyring journey's search is known to work.
func TestSecretServiceHarness(t *testing.T) {
	s := startSecretService(t)
	store := exec.Command("secret-tool", "store", "--label=harness", "service", "payterm-e2e", "username", "ns/consent.rt.abc")
	store.Env = s.Env
	store.Stdin = strings.NewReader("ptks1:i:c3Vt:" + base64.StdEncoding.EncodeToString([]byte("rt-value-123")))
	if out, err := store.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v %s", err, out)
	}
	second := exec.Command("secret-tool", "store", "--label=other", "service", "payterm-e2e", "username", "ns/other")
	second.Env = s.Env
	second.Stdin = strings.NewReader("other-secret")
	if out, err := second.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v %s", err, out)
	}
	items := s.search(t, "service", "payterm-e2e")
	if len(items) != 2 {
		t.Fatalf("search found %+v", items)
	}
	if items[0].Attrs["username"] != "ns/consent.rt.abc" {
		items[0], items[1] = items[1], items[0]
	}
	if items[0].Attrs["username"] != "ns/consent.rt.abc" || items[1].Secret != "other-secret" || items[1].Attrs["username"] != "ns/other" {
		t.Fatalf("search found %+v", items)
	}
	v, ok := decodeInlineKeystoreValue(items[0].Secret)
	if !ok || string(v) != "rt-value-123" {
		t.Fatalf("decoded %q %v", v, ok)
	}
	if got := s.search(t, "service", "payterm-e2e-none"); len(got) != 0 {
		t.Fatalf("search for nothing found %+v", got)
	}
}
