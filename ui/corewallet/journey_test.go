package corewallet

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
	"github.com/payterm/payterm/ui/uitest"
	"github.com/payterm/payterm/wallet"
)

// The journeys below run the production UI (ui.New through uitest) on the real core: the
// wallet, its SQLite ledger, the sca authenticator, the lfi client and the consent flow, against
// the strict embedded sandbox over loopback mTLS. Nothing on the payment path is faked.

const journeyPIN = "730461"

var cheapKDF = keystore.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

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

// scaClock runs the authenticator's clock behind real time and steps it 30 s per code, so each
// code is a fresh TOTP step (codes are accepted once) without waiting.
type scaClock struct{ offset atomic.Int64 }

func (c *scaClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *scaClock) nextCode(t *testing.T, key string) string {
	t.Helper()
	c.offset.Add(int64(30 * time.Second))
	return uitest.TOTPCode(t, key, c.Now())
}

type journey struct {
	app      *uitest.App
	web      *http.Client
	clock    *scaClock
	bank     *sandbox.Bank
	adapter  *Adapter
	totpKey  string
	recovery string
}

func newJourney(t *testing.T, limits wallet.Limits) *journey {
	t.Helper()
	if testing.Short() {
		t.Skip("sandbox journey: skipped in -short")
	}
	ctx := context.Background()
	sigKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tlsKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	bank, err := sandbox.New(sandbox.Config{AutoApprove: true, SettleAfter: 50 * time.Millisecond, CreditAfter: 100 * time.Millisecond, SCAMaxAge: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := bank.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bank.Close() })
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &sigKey.PublicKey, KeyID: "tpp-sig", Use: "sig", Algorithm: "PS256"}}})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := bank.Register(sandbox.ClientRegistration{ClientID: "payterm-ui-journey", Name: "payterm UI journey", SigningJWKS: jwks,
		RedirectURIs: []string{"http://127.0.0.1/callback"}, Roles: []string{"BSIP"}, TransportPublicKey: &tlsKey.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	hc, err := lfi.NewMTLSClient([]byte(reg.TransportCertPEM), tlsKey, bank.RootCAs())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := lfi.NewSigner(sigKey, "tpp-sig")
	if err != nil {
		t.Fatal(err)
	}
	insp := NewInspector(InspectorConfig{ShowPII: true, BundleDir: filepath.Join(t.TempDir(), "support"),
		Verdicts: func(iid string) []ui.Verdict {
			v, ok := bank.VerdictFor(iid)
			if !ok {
				return nil
			}
			var out []ui.Verdict
			for _, c := range v.Checks {
				out = append(out, ui.Verdict{Rule: c.Name, Passed: c.Passed, Detail: c.Detail})
			}
			return out
		}})
	client, err := lfi.New(lfi.Config{DiscoveryURL: bank.DiscoveryURL(), Issuer: bank.Issuer(), ResourceBaseURL: bank.ResourceBaseURL(),
		ClientID: reg.ClientID, Signer: signer, HTTPClient: hc, Observer: insp.Observe})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	store, err := keystore.Open(keystore.Options{DataDir: dir, Mode: keystore.ModeFile, FileKDF: cheapKDF, AllowWeakKDF: true,
		MachineSecret: func() ([]byte, error) { return []byte("ui-journey-machine"), nil }})
	if err != nil {
		t.Fatal(err)
	}
	clock := &scaClock{}
	clock.offset.Store(int64(-5 * time.Minute))
	auth, err := sca.Open(sca.Config{DataDir: dir, Store: store, Clock: clock.Now, PINKDF: cheapKDF, AllowWeakKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	led, err := wallet.OpenLedger(ctx, dir, wallet.LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Close() })
	tokStore := &memStore{m: map[string]lfi.Secret{}}
	lfiBank := consent.NewLFIBank(client)
	tokens := wallet.NewConsentTokens(tokStore, lfiBank.Refresh, nil)
	device := risk.Device{Type: risk.DeviceDesktop, OS: "Linux"}
	app := risk.App{Version: "ui-journey"}
	w, err := wallet.New(wallet.Config{Ledger: led, Bank: client, Tokens: tokens, SCA: auth, BankName: "payterm Sandbox Bank",
		Limits: limits, Device: device, App: app, CustomerIP: "203.0.113.7", UserAgent: "payterm-ui-journey/1"})
	if err != nil {
		t.Fatal(err)
	}
	ob, err := NewOnboarding(OnboardingConfig{Wallet: w, SCA: auth, Bank: lfiBank, Store: tokStore, RedirectURI: "http://127.0.0.1/callback",
		Tokens: tokens, BankName: "payterm Sandbox Bank", Device: device, App: app})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(w, limits, nil, Extras{Onboarding: ob, Inspector: insp, Renew: ob.Renew, Recover: RecoverWith(auth),
		Unlock: func(context.Context, ui.Secret) error {
			return &ui.Problem{What: "Unlocking needs a PIN-only check that sca does not offer yet."}
		},
		SecretStore: "encrypted file", Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	web := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: bank.RootCAs(), MinVersion: tls.VersionTLS12}}}
	j := &journey{web: web, clock: clock, bank: bank, adapter: a}
	j.app = uitest.Start(t, a, uitest.WithTimeout(30*time.Second))
	return j
}

// approveAtBank plays the user's browser: it walks the sandbox's auto-approve redirects to the
// loopback callback and delivers it to payterm's receiver.
func (j *journey) approveAtBank(t *testing.T, authURL string) {
	t.Helper()
	c := *j.web
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	next := authURL
	for range 10 {
		resp, err := c.Get(next)
		if err != nil {
			t.Errorf("bank walk: %v", err)
			return
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			t.Errorf("bank walk: HTTP %d without a redirect", resp.StatusCode)
			return
		}
		if loc.Hostname() == "127.0.0.1" && loc.Path == "/callback" {
			r, err := http.Get(loc.String()) // payterm's loopback receiver
			if err != nil {
				t.Errorf("deliver callback: %v", err)
				return
			}
			r.Body.Close()
			return
		}
		next = loc.String()
	}
	t.Error("bank walk: too many redirects")
}

func lineAfter(view, marker string) string {
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

// onboard drives the first-run wizard to an active consent with two payees (one Arabic).
func (j *journey) onboard(t *testing.T) {
	t.Helper()
	app := j.app
	app.WaitFor("Welcome to payterm")
	app.Press("enter")
	app.WaitFor("Choose a PIN")
	app.Type(journeyPIN)
	app.Press("enter")
	app.Type(journeyPIN)
	app.Press("enter")
	app.WaitFor("Add payterm to your authenticator app")
	j.totpKey = uitest.TOTPKeyFromView(app.View())
	if len(j.totpKey) < 32 {
		t.Fatalf("no TOTP key on screen:\n%s", app.View())
	}
	app.Type(j.clock.nextCode(t, j.totpKey))
	app.Press("enter")
	app.WaitFor("Write down this recovery code")
	j.recovery = strings.TrimSpace(lineAfter(app.View(), "You need it if payments are blocked"))
	app.Press("enter")
	app.WaitFor("Who will you pay?")
	app.Press("tab")
	app.Type("Test Payee One")
	app.Press("tab")
	app.Type("AE07 0331 2345 6789 0123 456")
	app.Press("enter")
	app.WaitFor("1. Test Payee One")
	app.Type("مثال تجريبي")
	app.Press("tab")
	app.Type("AE620260001015678901234")
	app.Press("tab", "right")
	app.Press("enter")
	app.WaitFor("2. مثال تجريبي")
	app.Press("enter")
	app.WaitFor("Your consent")
	app.Press("enter")
	app.WaitFor("Approve the consent at your bank")
	authURL := lineAfter(app.View(), "Open this address in a browser")
	if _, err := url.Parse(authURL); err != nil || !strings.HasPrefix(authURL, "http") {
		t.Fatalf("no authorization URL on screen: %q", authURL)
	}
	app.Press("w")
	app.WaitFor("Waiting for your bank")
	walked := make(chan struct{})
	go func() {
		defer close(walked)
		j.approveAtBank(t, authURL)
	}()
	app.WaitFor("You are set up.")
	<-walked
	app.Press("enter")
	app.WaitFor("Recent payments")
}

// toSCA fills the pay form for payee index (0 or 1) and reaches the SCA screen.
func (j *journey) toSCA(t *testing.T, payee int, amount string) {
	t.Helper()
	app := j.app
	app.Press("p")
	app.WaitFor("Purpose")
	for range payee {
		app.Press("right")
	}
	app.Press("tab")
	app.Type(amount)
	app.Press("tab")
	app.Type("journey")
	app.Press("tab")
	app.Type("mwp")
	app.WaitFor("MWP  Mobile Wallet Payments")
	app.Press("enter")
}

func (j *journey) authenticate(t *testing.T, code string) {
	t.Helper()
	j.app.Type(journeyPIN)
	j.app.Press("tab")
	j.app.Type(code)
	j.app.Press("enter")
}

// TestJourneyOnboardPayRevoke: first run to an active consent, a wrong TOTP then a right one,
// a payment to settlement to the Arabic-named payee, a limit refusal, then revoke.
func TestJourneyOnboardPayRevoke(t *testing.T) {
	limits := wallet.Limits{PerPayment: mustAmount(t, 20000)} // 200.00 AED per payment
	j := newJourney(t, limits)
	app := j.app
	j.onboard(t)
	v := app.View()
	for _, want := range []string{"payterm Sandbox Bank", "Active", "Flexi Pay", "embedded sandbox bank", "Secrets: encrypted file"} {
		if !strings.Contains(v, want) {
			t.Errorf("home lacks %q:\n%s", want, v)
		}
	}

	j.toSCA(t, 1, "12.5")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Authorise 12.50 AED to مثال تجريبي")
	j.authenticate(t, "000000")
	app.WaitFor("PIN or code not accepted. 4 attempts left")
	j.authenticate(t, j.clock.nextCode(t, j.totpKey))
	app.WaitFor("Payment Settled")
	v = app.View()
	if !strings.Contains(v, "Settled (AcceptedCreditSettlementCompleted)") || !strings.Contains(v, "Interaction id") {
		t.Fatalf("receipt:\n%s", v)
	}
	app.Press("ctrl+t")
	app.WaitFor("← now")
	app.WaitFor("Sandbox bank verdicts")
	v = app.View()
	for _, secret := range []string{journeyPIN, j.totpKey} {
		if strings.Contains(v, secret) {
			t.Errorf("inspector shows a secret:\n%s", v)
		}
	}
	if os.Getenv("PAYTERM_SHOW_FRAMES") != "" {
		t.Logf("inspector frame:\n%s", v)
	}
	app.Press("x")
	app.WaitFor("Support bundle written to")
	app.Press("esc")
	app.WaitFor("Payment Settled")
	app.Press("enter")
	app.WaitFor("Recent payments")
	app.WaitFor("12.50 AED")

	j.toSCA(t, 0, "250")
	app.WaitFor("per-payment")
	app.Press("esc")
	app.WaitFor("Recent payments")

	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.WaitFor("Active")
	app.Press("enter")
	app.WaitFor("Payment Rules")
	app.Press("X")
	app.WaitFor("Cancel permission?")
	app.Press("y")
	app.WaitFor("Permission cancelled at the bank")
	app.WaitFor("Cancelled")
	_ = app.FinalView()
}

// TestJourneyLockoutThenRecover: five wrong codes block payments; the recovery code shown at
// enrolment, a current code and a new PIN unblock them.
func TestJourneyLockoutThenRecover(t *testing.T) {
	j := newJourney(t, wallet.Limits{})
	app := j.app
	j.onboard(t)
	j.toSCA(t, 0, "10")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Authorise 10.00 AED")
	for i := 1; i <= 5; i++ {
		j.authenticate(t, "000000")
		if i < 5 {
			app.WaitFor(fmt.Sprintf("%d attempts left", 5-i))
		}
	}
	app.WaitFor("Payments are blocked")
	app.Press("esc", "esc", "esc")
	app.WaitFor("Recent payments")
	app.Press("u")
	app.WaitFor("Unblock payments")
	app.Type(j.recovery)
	app.Press("tab")
	app.Type(j.clock.nextCode(t, j.totpKey))
	app.Press("tab")
	app.Type("864209")
	app.Press("tab")
	app.Type("864209")
	app.Press("enter")
	app.WaitFor("Payments are unblocked")
	_ = app.FinalView()
}

// TestJourneyBankRejectionDuringResize: a payment above the sandbox account's balance is
// rejected by the bank and the receipt gives the reason in words; the terminal is resized
// below the minimum and back while the payment is in flight.
func TestJourneyBankRejectionDuringResize(t *testing.T) {
	j := newJourney(t, wallet.Limits{})
	app := j.app
	j.onboard(t)
	j.toSCA(t, 0, "30,000")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Authorise 30,000.00 AED")
	j.authenticate(t, j.clock.nextCode(t, j.totpKey))
	app.Resize(50, 12)
	app.WaitFor("Terminal too small")
	app.Resize(100, 40)
	app.WaitFor("The bank rejected the payment")
	v := app.View()
	if !strings.Contains(v, "Reason") || !strings.Contains(v, "Failed (Rejected)") {
		t.Fatalf("rejection receipt:\n%s", v)
	}
	if os.Getenv("PAYTERM_SHOW_FRAMES") != "" {
		t.Logf("rejection frame:\n%s", v)
	}
	_ = app.FinalView()
}
