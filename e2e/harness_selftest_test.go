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
