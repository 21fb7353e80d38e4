package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// foreignDir is the Node client's directory.
func foreignDir(t testing.TB) string { return filepath.Join(moduleRoot(t), "e2e", "foreign") }

// nodeClient checks for node and npm and runs `npm ci` when node_modules is absent.
func nodeClient(t testing.TB) (node string) {
	t.Helper()
	node = needTool(t, "node", "apt-get install nodejs npm")
	needTool(t, "openssl", "apt-get install openssl")
	dir := foreignDir(t)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "jose", "package.json")); err != nil {
		npm := needTool(t, "npm", "apt-get install npm")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in e2e/foreign: %v\n%s", err, out)
		}
	}
	return node
}

type foreignResult struct {
	ClientID      string   `json:"client_id"`
	ConsentID     string   `json:"consent_id"`
	ConsentStatus string   `json:"consent_status"`
	ResponseKID   string   `json:"response_kid"`
	ResponseAlg   string   `json:"response_alg"`
	Steps         []string `json:"steps"`
}

// runForeign runs client.mjs against bank. With approve=browser, onAuthorize gets the URL the
// client prints and must complete the bank's page.
func runForeign(t *testing.T, bank *standaloneBank, approve string, onAuthorize func(url string)) foreignResult {
	t.Helper()
	node := nodeClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "client.mjs", "--discovery", bank.DiscoveryURL, "--resource", bank.ResourceBaseURL,
		"--ca", bank.CAFile, "--work", privateDir(t, "foreign"), "--approve", approve)
	cmd.Dir = foreignDir(t)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start foreign client: %v", err)
	}
	var res foreignResult
	var gotResult bool
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "AUTHORIZE "):
			if onAuthorize == nil {
				t.Error("foreign client asked for a browser in auto mode")
				continue
			}
			onAuthorize(strings.TrimPrefix(line, "AUTHORIZE "))
		case strings.HasPrefix(line, "RESULT "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "RESULT ")), &res); err != nil {
				t.Fatalf("foreign client result: %v", err)
			}
			gotResult = true
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("foreign client failed: %v\n%s", err, stderr.String())
	}
	if !gotResult {
		t.Fatalf("foreign client printed no result\n%s", stderr.String())
	}
	return res
}

// checkForeignRun asserts what the client proved and what the bank recorded: every request of
// the foreign client passed every rule the bank checked, except the deliberate 404.
func checkForeignRun(t *testing.T, bank *standaloneBank, res foreignResult) {
	t.Helper()
	want := []string{"discovery", "register", "jwks", "par", "authorize", "token", "signed consent verified", "unknown consent 404"}
	for _, s := range want {
		if !slices.Contains(res.Steps, s) {
			t.Errorf("foreign client did not complete %q (steps %v)", s, res.Steps)
		}
	}
	if res.ConsentStatus != "Authorized" {
		t.Errorf("consent status read back: %q, want Authorized", res.ConsentStatus)
	}
	if res.ResponseAlg != "PS256" || res.ResponseKID == "" {
		t.Errorf("signed response alg %q kid %q", res.ResponseAlg, res.ResponseKID)
	}
	var seen []string
	for _, v := range bank.verdicts(t) {
		if v.ClientID != res.ClientID {
			continue
		}
		seen = append(seen, v.Method+" "+v.Host)
		failed := v.failed()
		deliberate404 := v.Method == "GET" && v.Status == 404 && strings.Contains(v.Path, "/payment-consents/") && !strings.Contains(v.Path, res.ConsentID)
		if deliberate404 {
			if len(failed) == 0 {
				t.Errorf("the unknown-consent 404 recorded no failed ownership check")
			}
			continue
		}
		if len(failed) > 0 || v.Status >= 400 {
			t.Errorf("bank verdict on %s %s (%d): %v", v.Method, v.Path, v.Status, failed)
		}
	}
	for _, host := range []string{"POST issuer", "POST as", "GET rs"} {
		if !slices.Contains(seen, host) {
			t.Errorf("bank recorded no %s request of the foreign client (saw %v)", host, seen)
		}
	}
}

// TestForeignClientAutoApprove: a Node + jose client, sharing no code with payterm, registers
// with the standalone sandbox over HTTPS, runs discovery, PAR (request object + client assertion
// over mTLS, PII signed and encrypted), is auto-approved, exchanges the code with PKCE, and
// verifies the bank's signed consent response against the JWKS.
func TestForeignClientAutoApprove(t *testing.T) {
	nodeClient(t)
	bank := startStandaloneBank(t, true)
	res := runForeign(t, bank, "auto", nil)
	checkForeignRun(t, bank, res)
}

// TestForeignClientBrowserApprove is the same client with the bank's consent page approved in
// headless Chromium: the page lists the foreign client and its payee, Approve is clicked, and the
// browser lands on the client's own loopback listener.
func TestForeignClientBrowserApprove(t *testing.T) {
	nodeClient(t)
	b := startBrowser(t)
	bank := startStandaloneBank(t, false)
	res := runForeign(t, bank, "browser", func(u string) {
		b.Navigate(u)
		page := b.Text()
		for _, want := range []string{"Foreign Node Client", "delegated strong customer authentication", "Foreign Payee", "Foreign Payee – account ending 3456"} {
			if !strings.Contains(oneLine(page), want) {
				t.Errorf("consent page lacks %q:\n%s", want, page)
			}
		}
		b.Click(b.Find("#approve"))
		b.WaitURL(func(u string) bool { return strings.Contains(u, "/foreign/callback") }, 20*time.Second)
		if got := b.ElementText(b.Find("#done")); !strings.Contains(got, "consent received") {
			t.Errorf("callback page: %q", got)
		}
	})
	checkForeignRun(t, bank, res)
}
