package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/internal/tmuxterm"
)

// needTools skips when a tool the demo runs is missing, or fails under PAYTERM_REQUIRE_E2E=1.
func needTools(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			reason := name + " not found on PATH (Debian: apt-get install " + name + ")"
			if os.Getenv("PAYTERM_REQUIRE_E2E") == "1" {
				t.Fatalf("PAYTERM_REQUIRE_E2E=1 but %s", reason)
			}
			t.Skip(reason)
		}
	}
}

// TestDemoFast plays the whole demo without pauses on the real binary in tmux: onboarding with
// the bank's page approved (and once more with the sandbox's auto_approve), one payment to
// settlement, the inspector walk, the revoke, and the refused payment. Every step waits for
// the text it needs, so a change to the screens that breaks the talk fails here.
func TestDemoFast(t *testing.T) {
	if testing.Short() {
		t.Skip("demo journey: skipped in -short")
	}
	needTools(t, "tmux")
	// CI may build the binary once for the e2e journeys and this test (as e2e/ does).
	bin := os.Getenv("PAYTERM_E2E_BIN")
	if bin == "" {
		needTools(t, "go")
		var err error
		if bin, err = buildPayterm(context.Background(), t.TempDir()); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name        string
		autoApprove bool
		standards   bool
		wantLine    string
	}{
		{"bank page", false, false, "The bank's page: delegated SCA, paying " + demoPayee},
		{"auto approve", true, false, "The sandbox approved at once"},
		// The same payment under UAE Open Finance and through the Fintecture hub (-standards).
		{"two standards", false, true, "The Connect page: paid at the bank"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			var out bytes.Buffer
			o := options{fast: true, detached: true, pace: 1, autoApprove: tc.autoApprove, standards: tc.standards, bin: bin}
			err := run(ctx, o, &out)
			if err != nil {
				t.Fatalf("demo failed: %v\nnarration:\n%s", err, out.String())
			}
			got := out.String()
			for i, s := range journey(o) {
				if !strings.Contains(got, s.title) {
					t.Errorf("step %d %q was not announced", i+1, s.title)
				}
			}
			if !strings.Contains(got, tc.wantLine) || !strings.Contains(got, "Done in") {
				t.Errorf("narration lacks %q or the end:\n%s", tc.wantLine, got)
			}
		})
	}
}

// TestScriptFollowsTheSteps: SCRIPT.md (and SCRIPT-STANDARDS.md for -standards) has one "## n.
// title" section per step of the command, in the same order, so the talk and the command
// cannot drift apart.
func TestScriptFollowsTheSteps(t *testing.T) {
	for file, steps := range map[string][]step{"SCRIPT.md": journey(options{}), "SCRIPT-STANDARDS.md": journey(options{standards: true})} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var headings []string
		for _, m := range regexp.MustCompile(`(?m)^## \d+\. (.+)$`).FindAllStringSubmatch(string(raw), -1) {
			headings = append(headings, strings.TrimSpace(m[1]))
		}
		if len(headings) != len(steps) {
			t.Fatalf("%s has %d numbered sections, the demo %d steps: %q", file, len(headings), len(steps), headings)
		}
		for i, s := range steps {
			if headings[i] != s.title {
				t.Errorf("%s: section %d is %q, the demo's step is %q", file, i+1, headings[i], s.title)
			}
		}
	}
}

// TestDemoConfigIsValid: the config the demo writes is accepted by payterm's own loader
// (unknown keys are rejected there, so a renamed setting fails here).
func TestDemoConfigIsValid(t *testing.T) {
	for _, o := range []options{{}, {fast: true, autoApprove: true}, {standards: true}} {
		dir := t.TempDir()
		p := filepath.Join(dir, "config.toml")
		if err := os.WriteFile(p, []byte(demoConfig(filepath.Join(dir, "data"), o)), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(p, true)
		if err != nil {
			t.Fatalf("payterm rejects the demo config: %v", err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("payterm rejects the demo config: %v", err)
		}
		if cfg.Sandbox.AutoApprove != o.autoApprove || cfg.Security.SecretStore != config.StoreFile {
			t.Errorf("demo config read back as auto_approve=%v secret_store=%v", cfg.Sandbox.AutoApprove, cfg.Security.SecretStore)
		}
		if banks := cfg.AllBanks(); (len(banks) == 2) != o.standards || (o.standards && banks[1].Provider != config.ProviderFintecture) {
			t.Errorf("standards=%v: banks %+v", o.standards, banks)
		}
	}
}

const samplePage = `<!doctype html><html><body><h1>payterm Sandbox Bank</h1>
<p><strong id="tpp">payterm</strong> asks for a long-lived payment consent.</p>
<div class="box" id="dsca"><p>Each payment under this consent will be authenticated by
<strong>payterm</strong> itself (delegated strong customer authentication).</p></div>
<ul id="creditors"><li>Noor Test – account ending 3456</li></ul>
<form method="post" action="/authorize/decision">
<input type="hidden" name="session" value="s&amp;1">
<input type="hidden" name="csrf" value="c2">
<p><button id="approve" type="submit" name="decision" value="approve">Approve</button>
<button id="deny" type="submit" name="decision" value="deny">Deny</button></p>
</form></body></html>`

func TestParseConsentPage(t *testing.T) {
	f, err := parseConsentPage(samplePage)
	if err != nil {
		t.Fatal(err)
	}
	if f.Action != "/authorize/decision" || f.Session != "s&1" || f.CSRF != "c2" || !f.Delegate ||
		len(f.Payees) != 1 || f.Payees[0] != "Noor Test – account ending 3456" {
		t.Fatalf("parsed %+v", f)
	}
	for name, page := range map[string]string{
		"error page":   `<html><p id="error" role="alert">This consent can no longer be authorized.</p></html>`,
		"no csrf":      strings.Replace(samplePage, `name="csrf"`, `name="other"`, 1),
		"no approve":   strings.Replace(samplePage, `value="approve"`, `value="x"`, 1),
		"empty":        "",
		"form, no ids": `<form action="/x"><button name="decision" value="approve"></button></form>`,
	} {
		if _, err := parseConsentPage(page); err == nil {
			t.Errorf("%s: parsed, want an error", name)
		}
	}
}

// FuzzParseConsentPage: the bank's page is untrusted; parsing never panics, and a page it
// accepts always yields the fields the approval posts.
func FuzzParseConsentPage(f *testing.F) {
	f.Add(samplePage)
	f.Add(`<form action=""><input name="session" value="a"><input name="csrf" value="b"><button name="decision" value="approve">`)
	f.Add("<li></li><li>" + strings.Repeat("x", 300) + "</li>")
	f.Fuzz(func(t *testing.T, page string) {
		form, err := parseConsentPage(page)
		if err == nil && (form.Session == "" || form.CSRF == "") {
			t.Fatalf("accepted a page without session or CSRF: %+v", form)
		}
	})
}

func TestShellQuote(t *testing.T) {
	out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(`/tmp/it's "here"`)).Output()
	if err != nil || string(out) != `/tmp/it's "here"` {
		t.Fatalf("shellQuote round trip = %q, %v", out, err)
	}
}

// TestXdgOpenStandIn: the stand-in records the address payterm asks to open, verbatim, and the
// pane runs payterm with a clean environment (the presenter's own config and keyring untouched).
func TestXdgOpenStandIn(t *testing.T) {
	home := t.TempDir()
	argv, urlFile, err := prepareHome(home, "/bin/payterm", options{})
	if err != nil {
		t.Fatal(err)
	}
	if argv[0] != "env" || argv[1] != "-i" || argv[len(argv)-5] != "/bin/payterm" {
		t.Fatalf("pane command = %q", argv)
	}
	for _, kv := range argv {
		if strings.HasPrefix(kv, "HOME=") && kv != "HOME="+home {
			t.Errorf("payterm runs with %s, want the demo's own home", kv)
		}
	}
	addr := "http://127.0.0.1:1234/authorize?client_id=a&request_uri=urn%3Ax&scope=openid"
	if out, err := exec.Command(filepath.Join(home, "bin", "xdg-open"), addr).CombinedOutput(); err != nil {
		t.Fatalf("xdg-open stand-in: %v %s", err, out)
	}
	raw, err := os.ReadFile(urlFile)
	if err != nil || string(raw) != addr+"\n" {
		t.Fatalf("recorded %q, %v; want the address", raw, err)
	}
}

// TestApproveAtBankKeepsTheCodeOutOfErrors: when the redirect to the wallet's callback fails,
// the error (which the demo prints) does not carry the callback's authorization code.
func TestApproveAtBankKeepsTheCodeOutOfErrors(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	callback := gone.URL + "/callback?code=AUTHCODE-SECRET&state=STATE-SECRET"
	gone.Close() // the wallet's listener is no longer there
	bank := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, callback, http.StatusFound) // as with auto_approve
	}))
	defer bank.Close()
	_, err := approveAtBank(context.Background(), bank.URL+"/authorize")
	if err == nil {
		t.Fatal("a redirect to a closed listener succeeded")
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("the error carries the callback's query: %v", err)
	}
}

// TestStoppedOnlyWhenCancelled: a wait or pause cut short by the cancelled demo reads as
// stopped (the demo says "stopped before the end"); the same errors with a live context, or
// another failure, are real failures.
func TestStoppedOnlyWhenCancelled(t *testing.T) {
	live := context.Background()
	ended, cancel := context.WithCancel(live)
	cancel()
	waitCut := fmt.Errorf("step %q: %w", "x", &tmuxterm.WaitError{Want: "text", Err: context.Canceled})
	for _, tc := range []struct {
		ctx  context.Context
		err  error
		want bool
	}{
		{ended, errStopped, true},
		{ended, waitCut, true},
		{ended, errors.New("payterm exited with status 1"), false},
		{live, waitCut, false},
		{live, errStopped, false},
	} {
		if got := stopped(tc.ctx, tc.err); got != tc.want {
			t.Errorf("stopped(ctx err %v, %v) = %v, want %v", tc.ctx.Err(), tc.err, got, tc.want)
		}
	}
}

// TestCtrlCStopsTheAttachedDemo: the presenter's terminal, attached read-only to the demo's
// session, leaves it on ctrl+c (which stops the demo: attach's stop). The presenter's terminal
// is played by a second tmux whose pane runs the attach; ctrl+c is pressed there.
func TestCtrlCStopsTheAttachedDemo(t *testing.T) {
	needTools(t, "tmux")
	ctx := t.Context()
	demo, err := tmuxterm.Start(ctx, tmuxterm.Options{Socket: filepath.Join(t.TempDir(), "d.sock"), Session: "demo"},
		"sh", "-c", "echo the demo screen; sleep 120")
	if err != nil {
		t.Fatal(err)
	}
	defer demo.Close()
	if _, err := demo.WaitFor(ctx, "the demo screen", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	attach, err := attachCommand(demo) // the very client attach starts
	if err != nil {
		t.Fatal(err)
	}
	presenter, err := tmuxterm.Start(ctx, tmuxterm.Options{Socket: filepath.Join(t.TempDir(), "p.sock"), Session: "presenter"},
		append([]string{"env", "-u", "TMUX"}, attach.Args...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer presenter.Close()
	if _, err := presenter.WaitFor(ctx, "the demo screen", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := presenter.Press("C-c"); err != nil {
		t.Fatal(err)
	}
	if _, err := presenter.WaitExit(ctx, 10*time.Second); err != nil {
		s, _ := presenter.Screen()
		t.Fatalf("ctrl+c did not leave the demo's session: %v\n%s", err, s)
	}
	if dead, _, err := demo.Exited(); err != nil || dead {
		t.Fatalf("the demo's own session should be left running for the demo to close: dead=%v %v", dead, err)
	}
}

// TestParseConnectPage: the demo takes the page token only from the Connect page's own form,
// and refuses a page that offers no payment or does not show the amount.
func TestParseConnectPage(t *testing.T) {
	const page = `<form method="post"><p>125.50 EUR to Noor Test</p>
<input type="hidden" name="page" value="0123456789abcdef0123456789abcdef">
<button type="submit" name="outcome" value="pay" id="pay">Pay at my bank</button></form>`
	if tok, err := parseConnectPage(page, "125.50 EUR"); err != nil || tok != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("token %q, %v", tok, err)
	}
	for name, bad := range map[string]string{
		"no form":   "<p>125.50 EUR</p>",
		"no pay":    strings.Replace(page, `value="pay"`, `value="deny"`, 1),
		"no amount": strings.Replace(page, "125.50 EUR", "999.00 EUR", 1),
		"bad token": strings.Replace(page, "0123456789abcdef0123456789abcdef", "<script>", 1),
	} {
		if _, err := parseConnectPage(bad, "125.50 EUR"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzParseConnectPage: whatever the page holds, the parser never panics, and a token it
// returns is one the page's form carries (hex, 16 to 128 characters), so nothing else of the
// page is ever posted back.
func FuzzParseConnectPage(f *testing.F) {
	f.Add(`<input type="hidden" name="page" value="0123456789abcdef0123456789abcdef"><button name="outcome" value="pay">125.50 EUR`, "125.50 EUR")
	f.Add(`<input name="page" value="zz"><button name="outcome" value="pay">`, "1.00 EUR")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, page, amount string) {
		tok, err := parseConnectPage(page, amount)
		if err != nil {
			return
		}
		if len(tok) < 16 || len(tok) > 128 || strings.Trim(tok, "0123456789abcdef") != "" || !strings.Contains(page, tok) {
			t.Fatalf("token %q from the page", tok)
		}
	})
}
