package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chromiumBinary is where Debian's chromium package installs the browser.
const chromiumBinary = "/usr/bin/chromium"

// browser is one headless Chromium session behind a chromedriver started for the test, spoken
// to over the W3C WebDriver HTTP API (no client library).
type browser struct {
	t       testing.TB
	base    string // http://127.0.0.1:PORT
	session string
	http    *http.Client
}

// startBrowser starts chromedriver on a free loopback port and opens a headless Chromium session
// with a fresh profile. Both end with the test.
func startBrowser(t testing.TB) *browser {
	t.Helper()
	driver := needTool(t, "chromedriver", "apt-get install chromium chromium-driver")
	if _, err := os.Stat(chromiumBinary); err != nil {
		missing(t, chromiumBinary+" not found (install: apt-get install chromium)")
	}
	port := freePort(t)
	cmd := exec.Command(driver, "--port="+strconv.Itoa(port), "--allowed-ips=127.0.0.1")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	// chromedriver and the Chromium it starts are one process group, killed together: a
	// Chromium left behind keeps chromedriver's output pipe open, and Wait would then never
	// return (CI hung 20 minutes on it). WaitDelay bounds that wait whatever is left.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromedriver: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	b := &browser{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port), http: &http.Client{Timeout: 60 * time.Second}}
	deadline := time.Now().Add(patience(20 * time.Second))
	for {
		var st struct {
			Ready bool `json:"ready"`
		}
		if err := b.call(http.MethodGet, "/status", nil, &st); err == nil && st.Ready {
			break
		}
		select {
		case <-done:
			t.Fatalf("chromedriver exited: %s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromedriver not ready after 20s: %s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chromiumBinary,
			"args": []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--no-first-run", "--user-data-dir=" + privateDir(t, "chromium-profile")},
		},
	}}}
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(http.MethodPost, "/session", caps, &sess); err != nil {
		t.Fatalf("new WebDriver session: %v\nchromedriver: %s", err, logs.String())
	}
	if sess.SessionID == "" {
		t.Fatal("new WebDriver session: no session id")
	}
	b.session = sess.SessionID
	t.Cleanup(func() { _ = b.call(http.MethodDelete, "/session/"+b.session, nil, nil) })
	return b
}

// freePort asks the kernel for a free loopback port.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// call does one WebDriver command; the W3C answer is {"value": ...}, with value.error on failure.
func (b *browser) call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("webdriver %s %s: HTTP %d, not JSON", method, path, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(env.Value, &e)
		return &webdriverError{Code: e.Error, Message: firstLine(e.Message)}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(env.Value, out)
}

type webdriverError struct{ Code, Message string }

func (e *webdriverError) Error() string { return "webdriver: " + e.Code + ": " + e.Message }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (b *browser) sessionCall(method, path string, body, out any) {
	b.t.Helper()
	if err := b.call(method, "/session/"+b.session+path, body, out); err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
}

// Navigate loads url and waits for the page load (the W3C default "normal" strategy).
func (b *browser) Navigate(url string) {
	b.t.Helper()
	b.sessionCall(http.MethodPost, "/url", map[string]string{"url": url}, nil)
}

// URL is the current top-level URL.
func (b *browser) URL() string {
	b.t.Helper()
	var u string
	b.sessionCall(http.MethodGet, "/url", nil, &u)
	return u
}

// Text is the visible text of the page body.
func (b *browser) Text() string {
	b.t.Helper()
	return b.ElementText(b.Find("body"))
}

// WaitText waits until the page's visible text contains want, and returns it. After a click
// that submits a form the old page's body goes stale while the next one loads: a stale or
// missing body is read again, not a failure.
func (b *browser) WaitText(want string, timeout time.Duration) string {
	b.t.Helper()
	deadline := time.Now().Add(patience(timeout))
	last := ""
	for {
		if body, err := b.FindErr("body"); err == nil {
			var s string
			if err := b.call(http.MethodGet, "/session/"+b.session+"/element/"+body+"/text", nil, &s); err == nil {
				if last = s; strings.Contains(s, want) {
					return s
				}
			} else if we := (*webdriverError)(nil); !errors.As(err, &we) || we.Code != "stale element reference" {
				b.t.Fatalf("read the page: %v", err)
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("the page never said %q; it says:\n%s", want, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// w3cElement is the W3C element reference key.
const w3cElement = "element-6066-11e4-a52e-4f735466cecf"

// FindErr looks up the first element matching a CSS selector.
func (b *browser) FindErr(css string) (string, error) {
	var ref map[string]string
	if err := b.call(http.MethodPost, "/session/"+b.session+"/element", map[string]string{"using": "css selector", "value": css}, &ref); err != nil {
		return "", err
	}
	id := ref[w3cElement]
	if id == "" {
		return "", errors.New("webdriver: element reference missing")
	}
	return id, nil
}

// Find returns the element matching css, waiting up to 10 s for it to appear.
func (b *browser) Find(css string) string {
	b.t.Helper()
	deadline := time.Now().Add(patience(10 * time.Second))
	for {
		id, err := b.FindErr(css)
		if err == nil {
			return id
		}
		var we *webdriverError
		if !errors.As(err, &we) || we.Code != "no such element" || time.Now().After(deadline) {
			b.t.Fatalf("find %q: %v (page %s)", css, err, b.URL())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Click clicks an element (as a user would: scrolled into view, hit-tested).
func (b *browser) Click(element string) {
	b.t.Helper()
	b.sessionCall(http.MethodPost, "/element/"+element+"/click", map[string]any{}, nil)
}

// ElementText is an element's rendered text.
func (b *browser) ElementText(element string) string {
	b.t.Helper()
	var s string
	b.sessionCall(http.MethodGet, "/element/"+element+"/text", nil, &s)
	return s
}

// WaitURL waits until the current URL satisfies ok.
func (b *browser) WaitURL(ok func(string) bool, timeout time.Duration) string {
	b.t.Helper()
	deadline := time.Now().Add(patience(timeout))
	for {
		u := b.URL()
		if ok(u) {
			return u
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("browser stayed on %s for %s", redactQuery(u), timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// redactQuery drops a URL's query (authorization codes, request_uri) before it reaches a log.
func redactQuery(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i] + "?…"
	}
	return u
}
