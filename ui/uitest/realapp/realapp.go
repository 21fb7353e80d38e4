// Package realapp starts payterm's production UI on the real core — wallet, SQLite ledger,
// sca authenticator, lfi client, consent flow — against a fresh embedded sandbox bank over
// loopback mTLS, for journeys scripted with uitest. Nothing on the payment path is faked.
//
//	func TestPayOnSandbox(t *testing.T) {
//		app := realapp.Start(t, realapp.Options{})
//		app.Onboard(t, realapp.Payee{Name: "مثال تجريبي", IBAN: "AE070331234567890123456"},
//			realapp.Payee{Name: "Test Payee Two", IBAN: "AE620260001015678901234"})
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
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/risk"
	"github.com/payterm/payterm/sandbox"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/corewallet"
	"github.com/payterm/payterm/ui/uitest"
	"github.com/payterm/payterm/wallet"
)

// PIN is the PIN Onboard chooses.
const PIN = "730461"

// cheapKDF keeps argon2id fast in tests (refused outside AllowWeakKDF).
var cheapKDF = keystore.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

// Options configure the environment.
type Options struct {
	// Limits are the configured TPP-side limits (zero = no limit).
	Limits wallet.Limits
	// Timeout bounds each wait (default 30 s: the sandbox settles in real time).
	Timeout time.Duration
	// UI adds uitest options (size, accessible mode).
	UI []uitest.Option
}

// App is the running UI plus handles on the environment.
type App struct {
	*uitest.App
	Bank    *sandbox.Bank
	Wallet  *wallet.Wallet
	Adapter *corewallet.Adapter
	// TOTPKey and Recovery are read off the screen by Onboard, as a user would.
	TOTPKey  string
	Recovery string

	web   *http.Client
	clock *scaClock
}

type memStore struct {
	mu sync.Mutex
	m  map[string]lfi.Secret
}

func (s *memStore) Save(_ context.Context, id string, tok lfi.Secret) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = tok
	return nil
}

func (s *memStore) Load(_ context.Context, id string) (lfi.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := s.m[id]
	if !ok {
		return "", fmt.Errorf("load: %w", consent.ErrNoRefreshToken)
	}
	return tok, nil
}

func (s *memStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
	return nil
}

// scaClock runs the authenticator's clock behind real time and steps it 30 s per code, so
// each code is a fresh TOTP step (a code is accepted once) without waiting.
type scaClock struct{ offset atomic.Int64 }

func (c *scaClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Start builds the environment and starts the UI on it (first run: onboarding shows).
func Start(t *testing.T, opts Options) *App {
	t.Helper()
	ctx := context.Background()
	sigKey, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	tlsKey, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	bank, err := sandbox.New(sandbox.Config{AutoApprove: true, SettleAfter: 50 * time.Millisecond, CreditAfter: 100 * time.Millisecond,
		SCAMaxAge: 10 * time.Minute})
	must(t, err)
	must(t, bank.Start())
	t.Cleanup(func() { _ = bank.Close() })
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &sigKey.PublicKey, KeyID: "tpp-sig", Use: "sig", Algorithm: "PS256"}}})
	must(t, err)
	reg, err := bank.Register(sandbox.ClientRegistration{ClientID: "payterm-ui-test", Name: "payterm (UI test)", SigningJWKS: jwks,
		RedirectURIs: []string{"http://127.0.0.1/callback"}, Roles: []string{"BSIP"}, TransportPublicKey: &tlsKey.PublicKey})
	must(t, err)
	hc, err := lfi.NewMTLSClient([]byte(reg.TransportCertPEM), tlsKey, bank.RootCAs())
	must(t, err)
	signer, err := lfi.NewSigner(sigKey, "tpp-sig")
	must(t, err)
	dir := filepath.Join(t.TempDir(), "data")
	must(t, os.MkdirAll(dir, 0o700))
	insp := corewallet.NewInspector(corewallet.InspectorConfig{ShowPII: true, BundleDir: filepath.Join(dir, "support"),
		Verdicts: func(iid string) []ui.Verdict {
			v, ok := bank.VerdictFor(iid)
			if !ok {
				return nil
			}
			out := make([]ui.Verdict, 0, len(v.Checks))
			for _, c := range v.Checks {
				out = append(out, ui.Verdict{Rule: c.Name, Passed: c.Passed, Detail: c.Detail})
			}
			return out
		}})
	client, err := lfi.New(lfi.Config{DiscoveryURL: bank.DiscoveryURL(), Issuer: bank.Issuer(), ResourceBaseURL: bank.ResourceBaseURL(),
		ClientID: reg.ClientID, Signer: signer, HTTPClient: hc, Observer: insp.Observe})
	must(t, err)
	store, err := keystore.Open(keystore.Options{DataDir: dir, Mode: keystore.ModeFile, FileKDF: cheapKDF, AllowWeakKDF: true,
		MachineSecret: func() ([]byte, error) { return []byte("ui-test-machine"), nil }})
	must(t, err)
	clock := &scaClock{}
	clock.offset.Store(int64(-5 * time.Minute))
	auth, err := sca.Open(sca.Config{DataDir: dir, Store: store, Clock: clock.Now, PINKDF: cheapKDF, AllowWeakKDF: true})
	must(t, err)
	led, err := wallet.OpenLedger(ctx, dir, wallet.LedgerOptions{})
	must(t, err)
	t.Cleanup(func() { led.Close() })
	tokStore := &memStore{m: map[string]lfi.Secret{}}
	lfiBank := consent.NewLFIBank(client)
	tokens := wallet.NewConsentTokens(tokStore, lfiBank.Refresh, nil)
	device, appInfo := risk.Device{Type: risk.DeviceDesktop, OS: "Linux"}, risk.App{Version: "ui-test"}
	w, err := wallet.New(wallet.Config{Ledger: led, Bank: client, Tokens: tokens, SCA: auth, BankName: "payterm Sandbox Bank",
		Limits: opts.Limits, Device: device, App: appInfo, CustomerIP: "203.0.113.7", UserAgent: "payterm-ui-test/1"})
	must(t, err)
	ob, err := corewallet.NewOnboarding(corewallet.OnboardingConfig{Wallet: w, SCA: auth, Bank: lfiBank, Store: tokStore,
		RedirectURI: "http://127.0.0.1/callback", Tokens: tokens, BankName: "payterm Sandbox Bank", Device: device, App: appInfo})
	must(t, err)
	a, err := corewallet.New(w, opts.Limits, nil, corewallet.Extras{Onboarding: ob, Inspector: insp, Renew: ob.Renew,
		Recover: corewallet.RecoverWith(auth),
		Unlock: func(context.Context, ui.Secret) error {
			return &ui.Problem{What: "Unlocking needs a PIN-only check that sca does not offer yet."}
		},
		SecretStore: "encrypted file", Sandbox: true})
	must(t, err)
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	web := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: bank.RootCAs(), MinVersion: tls.VersionTLS12}}}
	uiOpts := append([]uitest.Option{uitest.WithTimeout(timeout)}, opts.UI...)
	return &App{App: uitest.Start(t, a, uiOpts...), Bank: bank, Wallet: w, Adapter: a, web: web, clock: clock}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
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
				return fmt.Errorf("deliver callback: %w", err)
			}
			r.Body.Close()
			return nil
		}
		next = loc.String()
	}
	return fmt.Errorf("bank walk: too many redirects")
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
	switch len(payees) {
	case 0:
		a.Press("left", "left") // up to ten → one → open
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
	a.WaitFor("Approve the consent at your bank")
	authURL := LineAfter(a.View(), "Open this address in a browser")
	if u, err := url.Parse(authURL); err != nil || u.Scheme == "" {
		t.Fatalf("realapp: no authorization URL on screen: %q", authURL)
	}
	a.Press("w")
	a.WaitFor("Waiting for your bank")
	walked := make(chan error, 1)
	go func() { walked <- a.ApproveAtBank(authURL) }()
	a.WaitFor("You are set up.")
	if err := <-walked; err != nil {
		t.Fatal(err)
	}
	a.Press("enter")
	a.WaitFor("Recent payments")
}
