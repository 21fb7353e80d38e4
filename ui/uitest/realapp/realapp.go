// Package realapp starts payterm's production UI on the production composition (app.Open: the
// wallet core, its SQLite ledger, the sca authenticator, the lfi client, the consent flow and the
// keystore) against a fresh embedded sandbox bank over loopback mTLS, for journeys scripted with
// uitest. Nothing on the payment path is faked; only the KDF is cheap and the SCA clock is
// stepped so every code is a fresh TOTP step.
//
//	func TestPayOnSandbox(t *testing.T) {
//		app := realapp.Start(t, realapp.Options{})
//		app.Onboard(t, realapp.Payee{Name: "مثال تجريبي", IBAN: "AE070331234567890123456"})
//		app.Press("p")
//		… // type with app.Type (rune-safe), wait with app.WaitFor
//		app.Type(app.NextCode(t)) // the TOTP code the user's authenticator app would show
//		app.WaitFor("Payment Settled")
//		_ = app.FinalView()
//	}
//
// Sandbox identifiers (consent ids, PaymentIds, interaction ids) are random, so assert on
// text, not golden files.
package realapp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payterm/payterm/app"
	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/risk"
	"github.com/payterm/payterm/ui/uitest"
)

// PIN is the PIN Onboard chooses.
const PIN = "730461"

// cheapKDF keeps argon2id fast in tests (refused outside AllowWeakKDF).
var cheapKDF = keystore.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

// Options configure the environment.
type Options struct {
	// Configure edits the configuration (limits, sandbox behaviour) before the app opens; the
	// starting point is config.Default() on a temporary data dir with the encrypted-file store
	// and an auto-approving sandbox that settles in 100 ms.
	Configure func(cfg *config.Config)
	// Timeout bounds each wait (default 30 s: the sandbox settles in real time).
	Timeout time.Duration
	// UI adds uitest options (size, accessible mode).
	UI []uitest.Option
	// Sleep is the core's wait (status polls, the background loop's resume back-off and its
	// consent sync every 15 minutes); nil runs each wait at 1/20 of its length.
	Sleep func(ctx context.Context, d time.Duration) error
}

// scaledSleep waits d/div of real time, or until ctx ends.
func scaledSleep(div time.Duration) func(ctx context.Context, d time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		tm := time.NewTimer(d / div)
		defer tm.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tm.C:
			return nil
		}
	}
}

// ScaledSleep is an Options.Sleep that waits d/div of real time (1/20 is the default).
func ScaledSleep(div int) func(ctx context.Context, d time.Duration) error {
	return scaledSleep(time.Duration(max(1, div)))
}

// App is the running UI plus handles on the environment.
type App struct {
	*uitest.App
	// Core is the production composition the UI drives (app.Open).
	Core *app.App
	// TOTPKey and Recovery are read off the screen by Onboard, as a user would.
	TOTPKey  string
	Recovery string

	web   *http.Client
	clock *scaClock
}

// scaClock runs the authenticator's clock behind real time and steps it 30 s per code, so
// each code is a fresh TOTP step (a code is accepted once) without waiting.
type scaClock struct{ offset atomic.Int64 }

func (c *scaClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Start opens the production composition on a fresh data dir and starts the UI on it (first
// run: onboarding shows).
func Start(t *testing.T, opts Options) *App {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Security.SecretStore = config.StoreFile
	cfg.Sandbox.AutoApprove = true
	cfg.Sandbox.SettleAfter = config.Duration{Duration: 50 * time.Millisecond}
	cfg.Sandbox.CreditAfter = config.Duration{Duration: 100 * time.Millisecond}
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("realapp: config: %v", err)
	}
	clock := &scaClock{}
	clock.offset.Store(int64(-4 * time.Minute))
	sleep := opts.Sleep
	if sleep == nil {
		sleep = scaledSleep(20)
	}
	core, err := app.Open(context.Background(), cfg, app.Options{SCAClock: clock.Now, KDF: cheapKDF, AllowWeakKDF: true,
		MachineSecret: func() ([]byte, error) { return []byte("ui-test-machine"), nil },
		Passphrase:    func(bool) ([]byte, error) { return []byte("ui test passphrase"), nil },
		Sleep:         sleep,
		Device:        &risk.Device{Type: risk.DeviceDesktop, OS: "Linux"}, App: &risk.App{Version: "ui-test"}})
	if err != nil {
		t.Fatalf("realapp: open: %v", err)
	}
	// Registered before uitest.Start, so it runs after the UI has quit (cleanups run last first).
	t.Cleanup(func() { _ = core.Close() })
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if b := core.Sandbox(); b != nil {
		tlsCfg.RootCAs = b.RootCAs()
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	uiOpts := append([]uitest.Option{uitest.WithTimeout(timeout)}, opts.UI...)
	return &App{App: uitest.Start(t, core.UIWallet(), uiOpts...), Core: core,
		web: &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}}, clock: clock}
}

// NextCode returns the next TOTP code for the enrolled key (a fresh 30-second step each call).
func (a *App) NextCode(t *testing.T) string {
	t.Helper()
	if a.TOTPKey == "" {
		t.Fatal("realapp: no TOTP key yet; call Onboard (or read it with uitest.TOTPKeyFromView)")
	}
	a.clock.offset.Add(int64(30 * time.Second))
	return uitest.TOTPCode(t, a.TOTPKey, a.clock.Now())
}

// AuthenticateWithNextCode answers a payment's authentication screen with the enrolled PIN and
// the next TOTP code (NextCode), as a user reading their authenticator would.
func (a *App) AuthenticateWithNextCode(t *testing.T) {
	t.Helper()
	a.Authenticate(PIN, a.NextCode(t))
}

// ApproveAtBank plays the user's browser: it walks the sandbox's auto-approve redirects from
// authURL to the loopback callback and delivers it to payterm's receiver.
func (a *App) ApproveAtBank(authURL string) error {
	c := *a.web
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	next := authURL
	for range 10 {
		resp, err := c.Get(next)
		if err != nil {
			return fmt.Errorf("bank walk: %w", err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			return fmt.Errorf("bank walk: HTTP %d without a redirect", resp.StatusCode)
		}
		if loc.Hostname() == "127.0.0.1" && loc.Path == "/callback" {
			r, err := http.Get(loc.String())
			if err != nil {
				// Not the *url.Error itself: it quotes the URL, whose code must not reach a log.
				var ue *url.Error
				if errors.As(err, &ue) {
					err = ue.Err
				}
				return fmt.Errorf("deliver callback: %w", err)
			}
			r.Body.Close()
			return nil
		}
		next = loc.String()
	}
	return fmt.Errorf("bank walk: too many redirects")
}

// CallbackFromBank walks the auto-approving sandbox's redirects from authURL like ApproveAtBank
// but does not deliver the last one: it returns the address the browser lands on, for a
// paste-back step (nothing on this computer receives it).
func (a *App) CallbackFromBank(authURL string) (string, error) {
	c := *a.web
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	next := authURL
	for range 10 {
		resp, err := c.Get(next)
		if err != nil {
			return "", fmt.Errorf("bank walk: %w", err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			return "", fmt.Errorf("bank walk: HTTP %d without a redirect", resp.StatusCode)
		}
		if loc.Path == "/callback" && (loc.Hostname() == "127.0.0.1" || loc.Hostname() == "localhost") {
			return loc.String(), nil
		}
		next = loc.String()
	}
	return "", fmt.Errorf("bank walk: too many redirects")
}

// DecideAtBank plays the user at the bank's page when the sandbox does not auto-approve
// (Options.Configure sets cfg.Sandbox.AutoApprove = false): it opens authURL in a fresh browser
// (its own cookies), presses Approve or Deny, and delivers the redirect to payterm's loopback
// receiver. It returns the page's error text when the bank shows one instead of the consent.
func (a *App) DecideAtBank(authURL string, approve bool) error {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	c := *a.web
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	page, err := c.Get(authURL)
	if err != nil {
		return fmt.Errorf("bank page: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(page.Body, 1<<20))
	page.Body.Close()
	if err != nil {
		return fmt.Errorf("bank page: %w", err)
	}
	if m := pageError.FindSubmatch(body); m != nil {
		return fmt.Errorf("the bank's page says: %s", html.UnescapeString(string(m[1])))
	}
	form := url.Values{"decision": {"deny"}}
	if approve {
		form.Set("decision", "approve")
	}
	for _, name := range []string{"session", "csrf"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]+)"`).FindSubmatch(body)
		if m == nil {
			return fmt.Errorf("bank page: no %s field", name)
		}
		form.Set(name, html.UnescapeString(string(m[1])))
	}
	action := page.Request.URL.ResolveReference(&url.URL{Path: "/authorize/decision"})
	resp, err := c.PostForm(action.String(), form)
	if err != nil {
		return fmt.Errorf("bank decision: %w", err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		return fmt.Errorf("bank decision: HTTP %d without a redirect", resp.StatusCode)
	}
	return a.deliver(loc.String())
}

// PreviewAtBank opens authURL the way a chat app's link preview does: one GET, no decision, no
// cookies kept. The bank counts the address as used.
func (a *App) PreviewAtBank(authURL string) error {
	resp, err := a.web.Get(authURL)
	if err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	resp.Body.Close()
	return nil
}

// pageError is the sandbox page's error paragraph.
var pageError = regexp.MustCompile(`<p id="error"[^>]*>([^<]*)</p>`)

// deliver sends the bank's redirect to payterm's loopback callback, as the browser would.
func (a *App) deliver(callback string) error {
	r, err := http.Get(callback)
	if err != nil {
		// Not the *url.Error itself: it quotes the URL, whose code must not reach a log.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("deliver callback: %w", err)
	}
	r.Body.Close()
	return nil
}

// LineAfter returns the first non-empty line after the line containing marker.
func LineAfter(view, marker string) string {
	lines := strings.Split(view, "\n")
	for i, l := range lines {
		if strings.Contains(l, marker) {
			for _, next := range lines[i+1:] {
				if s := strings.TrimSpace(next); s != "" {
					return s
				}
			}
		}
	}
	return ""
}

// BlockAfter joins the lines after the line containing marker, from the first non-empty one
// up to the next empty one, without the line breaks: a value the screen wrapped hard at its
// edge (the bank step's address) read back whole.
func BlockAfter(view, marker string) string {
	lines := strings.Split(view, "\n")
	for i, l := range lines {
		if !strings.Contains(l, marker) {
			continue
		}
		var b strings.Builder
		for _, next := range lines[i+1:] {
			s := strings.TrimSpace(next)
			if s == "" && b.Len() > 0 {
				break
			}
			b.WriteString(s)
		}
		return b.String()
	}
	return ""
}

// AddressOnScreen reads back the bank's address the bank step wrapped hard at the edge: the
// lines from the first one starting with http:// or https:// up to the next empty one, joined.
func AddressOnScreen(view string) string {
	lines := strings.Split(view, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
			var b strings.Builder
			for _, next := range lines[i:] {
				s := strings.TrimSpace(next)
				if s == "" {
					break
				}
				b.WriteString(s)
			}
			return b.String()
		}
	}
	return ""
}

// Payee is one payee typed during onboarding.
type Payee struct {
	Name      string
	IBAN      string
	Corporate bool
}

// Onboard drives the first-run wizard as a user: PIN, reads the TOTP key off the screen and
// types a code, notes the recovery code, types the payees (none = an open consent; one = the
// single-payee model), the consent page, the bank step with a live wait, then Home.
func (a *App) Onboard(t *testing.T, payees ...Payee) {
	t.Helper()
	a.OnboardAt(t, "", payees...)
}

// OnboardAt is Onboard on a wallet with several banks: it chooses the bank named bank on the
// "Which bank?" step ("" = a wallet with one bank, which has no such step).
func (a *App) OnboardAt(t *testing.T, bank string, payees ...Payee) {
	t.Helper()
	a.WaitFor("Welcome to payterm")
	a.Press("enter")
	a.WaitFor("Choose a PIN")
	a.Type(PIN)
	a.Press("enter")
	a.Type(PIN)
	a.Press("enter")
	a.WaitFor("Add payterm to your authenticator app")
	a.TOTPKey = uitest.TOTPKeyFromView(a.View())
	if len(a.TOTPKey) < 16 {
		t.Fatalf("realapp: no TOTP key on screen:\n%s", a.View())
	}
	a.Type(a.NextCode(t))
	a.Press("enter")
	a.WaitFor("Write down this recovery code")
	a.Recovery = LineAfter(a.View(), "You need it if payments are blocked")
	a.Press("enter")
	a.consentSteps(t, "You are set up.", bank, payees)
}

// NewConsent gives a new consent from Home (n) on a wallet already set up (after the last one
// was revoked, expired or rejected): payees, the consent page and the bank, no PIN or TOTP.
func (a *App) NewConsent(t *testing.T, payees ...Payee) {
	t.Helper()
	a.NewConsentAt(t, "", payees...)
}

// NewConsentAt is NewConsent at the bank named bank, chosen on "Which bank?" ("" = one bank).
func (a *App) NewConsentAt(t *testing.T, bank string, payees ...Payee) {
	t.Helper()
	a.Press("n")
	a.WaitFor("New consent · step 1 of")
	a.consentSteps(t, "Your new consent is in place.", bank, payees)
}

// chooseBank picks the row "N. bank" on the "Which bank?" step by its number.
func (a *App) chooseBank(t *testing.T, bank string) {
	t.Helper()
	a.WaitFor("Which bank?")
	a.WaitFor(bank)
	for _, line := range strings.Split(a.View(), "\n") {
		row := strings.TrimLeft(line, " >")
		if num, name, ok := strings.Cut(row, ". "); ok && strings.HasPrefix(name, bank) && len(num) == 1 {
			a.Type(num)
			a.Press("enter")
			return
		}
	}
	t.Fatalf("realapp: no bank %q on the list:\n%s", bank, a.View())
}

// OnboardToBank walks the first-run wizard like Onboard but stops on the bank step, with its
// address on screen (AddressOnScreen), for journeys that play the bank's page themselves.
func (a *App) OnboardToBank(t *testing.T, payees ...Payee) {
	t.Helper()
	a.ToPayees(t)
	a.payeesAndTerms(t, "", payees)
}

// ToPayees walks the first-run wizard up to the payees step ("Who will you pay?"): PIN, the
// TOTP key read off the screen and a code, the recovery code.
func (a *App) ToPayees(t *testing.T) {
	t.Helper()
	a.WaitFor("Welcome to payterm")
	a.Press("enter")
	a.WaitFor("Choose a PIN")
	a.Type(PIN)
	a.Press("enter")
	a.Type(PIN)
	a.Press("enter")
	a.WaitFor("Add payterm to your authenticator app")
	a.TOTPKey = uitest.TOTPKeyFromView(a.View())
	if len(a.TOTPKey) < 16 {
		t.Fatalf("realapp: no TOTP key on screen:\n%s", a.View())
	}
	a.Type(a.NextCode(t))
	a.Press("enter")
	a.WaitFor("Write down this recovery code")
	a.Recovery = LineAfter(a.View(), "You need it if payments are blocked")
	a.Press("enter")
	a.WaitFor("Who will you pay?")
}

// consentSteps fills the payees step, accepts the consent page, approves at the sandbox bank
// and waits for done, the result page's first line; it ends on Home.
func (a *App) consentSteps(t *testing.T, done, bank string, payees []Payee) {
	t.Helper()
	a.payeesAndTerms(t, bank, payees)
	authURL := AddressOnScreen(a.View())
	if u, err := url.Parse(authURL); err != nil || u.Scheme == "" {
		t.Fatalf("realapp: no authorization URL on screen: %q", authURL)
	}
	a.Press("w")
	a.WaitFor("Waiting for your bank")
	walked := make(chan error, 1)
	go func() { walked <- a.ApproveAtBank(authURL) }()
	a.WaitFor(done)
	if err := <-walked; err != nil {
		t.Fatal(err)
	}
	a.Press("enter")
	a.WaitFor("Recent payments")
}

// payeesAndTerms fills the payees step (after "Which bank?" when bank is named) and accepts the
// consent page; it ends on the bank step.
func (a *App) payeesAndTerms(t *testing.T, bank string, payees []Payee) {
	t.Helper()
	if bank != "" {
		a.chooseBank(t, bank)
	}
	a.WaitFor("Who will you pay?")
	switch len(payees) {
	case 0:
		a.Press("left", "left") // two to ten → one → open
		a.WaitFor("open: choose any payee")
	case 1:
		a.Press("left")
		a.WaitFor("one payee")
	}
	for i, p := range payees {
		if i == 0 {
			a.Press("tab") // from the model to the name; after an add the name has the focus
		}
		a.Type(p.Name)
		a.Press("tab")
		a.Type(p.IBAN)
		if p.Corporate {
			a.Press("tab", "right")
		}
		a.Press("enter")
		a.WaitFor(fmt.Sprintf("%d. %s", i+1, p.Name))
	}
	a.Press("enter")
	a.WaitFor("Your consent")
	a.Press("enter")
	a.WaitFor("Approve the consent at ")
}
