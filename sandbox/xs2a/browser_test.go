package xs2a

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

// webDriver is the few W3C WebDriver calls these tests need.
type webDriver struct {
	t       *testing.T
	base    string
	session string
}

func (d *webDriver) call(method, path string, body any) map[string]any {
	d.t.Helper()
	raw := []byte(nil)
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, d.base+path, bytes.NewReader(raw))
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

func (d *webDriver) click(css string) {
	d.call("POST", "/session/"+d.session+"/element/"+d.element(css)+"/click", map[string]any{})
}

func (d *webDriver) open(u string) {
	d.call("POST", "/session/"+d.session+"/url", map[string]string{"url": u})
}

func startChromium(t *testing.T) *webDriver {
	chromium := requireTool(t, "chromium", "chromium-browser", "google-chrome")
	driver := requireTool(t, "chromedriver")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(driver, fmt.Sprintf("--port=%d", port))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromedriver: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
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
	t.Cleanup(func() { d.call("DELETE", "/session/"+d.session, nil) })
	return d
}

// TestSCAPagesInChromium: SpareBank 1's session page and its redirect SCA page, in headless
// Chromium, with the browser landing on a loopback TPP redirect URI each time.
func TestSCAPagesInChromium(t *testing.T) {
	d := startChromium(t)
	callbacks := make(chan url.Values, 4)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cb" {
			callbacks <- r.URL.Query()
		}
		fmt.Fprint(w, "<html><body>back at the TPP</body></html>")
	}))
	defer cb.Close()
	wait := func() url.Values {
		select {
		case q := <-callbacks:
			return q
		case <-time.After(30 * time.Second):
			t.Fatal("the browser never reached the TPP")
			return nil
		}
	}
	b := newTestBank(t, ProfileSB1())
	c := newTPP(t, b, 0)
	c.redirect = cb.URL + "/cb" // registered as http://127.0.0.1/cb: any loopback port
	path, body := productPath(b.prof)
	gate := c.do("POST", path, body, opts{})
	d.open(gate.link("scaRedirect"))
	if got := d.text("#title"); !strings.Contains(got, "Log in") {
		t.Fatalf("session page title %q", got)
	}
	d.call("POST", "/session/"+d.session+"/element/"+d.element("#psu")+"/clear", map[string]any{})
	d.call("POST", "/session/"+d.session+"/element/"+d.element("#psu")+"/value", map[string]any{"text": "01017012345"})
	d.click("#approve")
	q := wait()
	c.psuID, c.session = q.Get("psu-id"), q.Get("tpp-session-id")
	if c.psuID != "01017012345" || c.session == "" {
		t.Fatalf("session callback: %v", q)
	}
	r := c.initiate(opts{})
	start := c.do("POST", c.pathOf(r.link("startAuthorisation")), nil, opts{})
	d.open(start.link("scaRedirect"))
	if got := d.text("#what"); !strings.Contains(got, "Pay 250.00 NOK") || !strings.Contains(got, "Test TPP 0") || strings.Contains(got, "12345678903") {
		t.Fatalf("what the PSU is asked: %q", got)
	}
	d.click("#approve")
	wait()
	if s, _ := b.AuthorisationStatus(start.str("authorisationId")); s != "finalised" {
		t.Fatalf("after Approve in Chromium: %s", s)
	}
}
