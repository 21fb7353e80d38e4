package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// requireTool finds an external tool, or skips (fails under PAYTERM_REQUIRE_E2E=1).
func requireTool(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s not installed (apt-get install -y chromium chromium-driver)", strings.Join(names, "/"))
	if os.Getenv("PAYTERM_REQUIRE_E2E") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// webDriver is the few W3C WebDriver calls this test needs.
type webDriver struct {
	t       *testing.T
	base    string
	session string
}

func (d *webDriver) call(method, path string, body any) map[string]any {
	d.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, d.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		d.t.Fatalf("webdriver %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		d.t.Fatalf("webdriver %s %s: %v", method, path, err)
	}
	if resp.StatusCode != 200 {
		d.t.Fatalf("webdriver %s %s: %d %v", method, path, resp.StatusCode, out)
	}
	return out
}

func (d *webDriver) element(css string) string {
	v := d.call("POST", "/session/"+d.session+"/element", map[string]string{"using": "css selector", "value": css})["value"].(map[string]any)
	for _, id := range v {
		return id.(string)
	}
	d.t.Fatalf("no element %s", css)
	return ""
}

func (d *webDriver) text(css string) string {
	return d.call("GET", "/session/"+d.session+"/element/"+d.element(css)+"/text", nil)["value"].(string)
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestConsentPageInChromium renders the consent page in headless Chromium, checks what the user
// is told, reloads it, clicks Approve and receives the callback on a loopback redirect URI.
func TestConsentPageInChromium(t *testing.T) {
	chromium := requireTool(t, "chromium", "chromium-browser", "google-chrome")
	driver := requireTool(t, "chromedriver")

	callbacks := make(chan url.Values, 1)
	cbSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/callback" {
			select {
			case callbacks <- r.URL.Query():
			default:
			}
		}
		fmt.Fprint(w, "<html><body>done</body></html>")
	}))
	defer cbSrv.Close()

	b := newBank(t, nil)
	c := newTPP(t, b)
	c.redirect = cbSrv.URL + "/callback" // loopback, another port than registered: RFC 8252
	uri, ro := c.pushed(consentPII(creditor(testIBAN, "Ivan England"), creditor(testIBAN2, "Fatima Al Mansouri")))

	port := freePort(t)
	cmd := exec.Command(driver, fmt.Sprintf("--port=%d", port))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromedriver: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	d := &webDriver{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(d.base + "/status")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromedriver did not come up: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{"binary": chromium, "args": []string{
			"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
			"--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}},
	}}}
	d.session = d.call("POST", "/session", caps)["value"].(map[string]any)["sessionId"].(string)
	defer d.call("DELETE", "/session/"+d.session, nil)

	d.call("POST", "/session/"+d.session+"/url", map[string]string{"url": c.authorizeURL(uri)})
	if got := d.text("#tpp"); got != "Test Wallet" {
		t.Fatalf("TPP name on the page: %q", got)
	}
	if got := d.text("#dsca"); !strings.Contains(got, "authenticated by") || !strings.Contains(got, "Test Wallet") {
		t.Fatalf("delegated-SCA statement: %q", got)
	}
	if got := d.text("#creditors"); !strings.Contains(got, "Ivan England") || !strings.Contains(got, "Fatima Al Mansouri") || strings.Contains(got, testIBAN) {
		t.Fatalf("creditor list (names, masked accounts): %q", got)
	}
	if got := d.text("#expiry"); got == "" {
		t.Fatal("no expiry shown")
	}
	// A reload shows the same page again (the request_uri is spent, the browser's session is not).
	d.call("POST", "/session/"+d.session+"/refresh", map[string]any{})
	if got := d.text("#tpp"); got != "Test Wallet" {
		t.Fatalf("TPP name after a reload: %q", got)
	}
	d.call("POST", "/session/"+d.session+"/element/"+d.element("input[name=debtor][value='1']")+"/click", map[string]any{})
	d.call("POST", "/session/"+d.session+"/element/"+d.element("#approve")+"/click", map[string]any{})
	select {
	case q := <-callbacks:
		if q.Get("code") == "" || q.Get("state") != ro["state"] || q.Get("iss") != b.Issuer() {
			t.Fatalf("callback: %v", q)
		}
		tr := c.postForm(c.disc.Token, c.tokenForm("authorization_code", "code", q.Get("code"), "redirect_uri", c.redirect, "code_verifier", testVerifier))
		if tr.Status != 200 {
			t.Fatalf("token after browser approval: %d %v", tr.Status, tr.Body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the browser never reached the callback")
	}
	b.mu.Lock()
	debtor := b.st.Consents[consentOf(ro)["ConsentId"].(string)].DebtorAccount
	b.mu.Unlock()
	if debtor != sandboxAccounts[1].IBAN {
		t.Fatal("the debtor account chosen on the page was not recorded")
	}
}
