package wallet

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/provider/uae"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/pquerna/otp/totp"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/internal/ctxsleep"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/risk"
	"github.com/payterm/payterm/sandbox"
	"github.com/payterm/payterm/sca"
)

// Integration environment: the real lfi client, consent flow and sca authenticator against
// the strict embedded sandbox over loopback mTLS. Nothing the wallet calls is faked; only the
// token source of a crash-test child is a fixed real access token (see staticTokens).

const (
	testPIN      sca.PIN = "730461"
	testClientID         = "payterm-wallet-test"
	testBankID           = "sandbox" // the bank id the single-bank environment records
)

var cheapKDF = keystore.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

// envPINKDF is the PIN KDF of the installations walletEnv enrols: cheap, except in
// BenchmarkSCAToWireUnderLoad, which measures the production cost.
var envPINKDF = cheapKDF

var (
	tppKeysOnce       sync.Once
	tppSig, tppTLSKey *rsa.PrivateKey
)

func tppKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	tppKeysOnce.Do(func() {
		var err error
		if tppSig, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if tppTLSKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return tppSig, tppTLSKey
}

// ibanFor builds a valid UAE IBAN (mod-97 check digits) from a 3-digit bank code and a
// 16-digit account number.
func ibanFor(bank, account string) string {
	bban := bank + account
	n, _ := new(big.Int).SetString(bban+"101400", 10) // "AE" = 10 14, check digits 00
	check := 98 - new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("AE%02d%s", check, bban)
}

// memTokenStore is an in-memory consent.TokenStore (the keyring's stand-in).
type memTokenStore struct {
	mu     sync.Mutex
	tokens map[string]lfi.Secret
}

func (s *memTokenStore) Save(_ context.Context, id string, tok lfi.Secret) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[id] = tok
	return nil
}

func (s *memTokenStore) Load(_ context.Context, id string) (lfi.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := s.tokens[id]
	if !ok {
		return "", fmt.Errorf("load: %w", consent.ErrNoRefreshToken)
	}
	return tok, nil
}

func (s *memTokenStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, id)
	return nil
}

// bankEnv is one running sandbox with our client registered.
type bankEnv struct {
	bank     *sandbox.Bank
	clientID string
	certPEM  []byte
	web      *http.Client
}

func newBankEnv(t testing.TB) *bankEnv {
	t.Helper()
	return newBankEnvIn(t, "")
}

// newBankEnvIn runs the sandbox with its keys and state in dataDir ("" = in memory). The
// conformance tests read the bank's enc key from there (sandbox/README.md: enc-key.pem) to
// decrypt the PII exactly as the bank receives it.
func newBankEnvIn(t testing.TB, dataDir string) *bankEnv {
	t.Helper()
	return newBankEnvWith(t, sandbox.Config{DataDir: dataDir, AutoApprove: true, SettleAfter: 100 * time.Millisecond,
		CreditAfter: 200 * time.Millisecond, SCAMaxAge: 10 * time.Minute})
}

// newBankEnvWith runs the sandbox with cfg.
func newBankEnvWith(t testing.TB, cfg sandbox.Config) *bankEnv {
	t.Helper()
	sigKey, tlsKey := tppKeys(t)
	bank, err := sandbox.New(cfg)
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
	reg, err := bank.Register(sandbox.ClientRegistration{ClientID: testClientID, Name: "payterm wallet test", SigningJWKS: jwks,
		RedirectURIs: []string{"http://127.0.0.1/callback"}, Roles: []string{"BSIP"}, TransportPublicKey: &tlsKey.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	web := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: bank.RootCAs(), MinVersion: tls.VersionTLS12}}}
	return &bankEnv{bank: bank, clientID: reg.ClientID, certPEM: []byte(reg.TransportCertPEM), web: web}
}

// client builds a real lfi client; wrap (may be nil) wraps its mTLS transport.
func (b *bankEnv) client(t testing.TB, wrap func(http.RoundTripper) http.RoundTripper) *lfi.Client {
	t.Helper()
	sigKey, tlsKey := tppKeys(t)
	return newLFIClient(t, b.bank.DiscoveryURL(), b.bank.Issuer(), b.bank.ResourceBaseURL(), b.clientID,
		b.certPEM, b.bank.RootCAs(), sigKey, tlsKey, wrap)
}

func newLFIClient(t testing.TB, discovery, issuer, rs, clientID string, certPEM []byte, roots *x509.CertPool,
	sigKey, tlsKey *rsa.PrivateKey, wrap func(http.RoundTripper) http.RoundTripper) *lfi.Client {
	t.Helper()
	hc, err := lfi.NewMTLSClient(certPEM, tlsKey, roots)
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		hc.Transport = wrap(hc.Transport)
	}
	signer, err := lfi.NewSigner(sigKey, "tpp-sig")
	if err != nil {
		t.Fatal(err)
	}
	c, err := lfi.New(lfi.Config{DiscoveryURL: discovery, Issuer: issuer, ResourceBaseURL: rs, ClientID: clientID,
		Signer: signer, HTTPClient: hc, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// scaClock runs the wallet's SCA clock behind real time and moves it 30 s forward for every
// authentication, so each payment in a test uses a fresh TOTP step (a code is accepted once)
// without waiting, while the challenge stays within the 5-minute evidence lifetime.
type scaClock struct {
	offset atomic.Int64 // nanoseconds relative to time.Now
}

func newSCAClock(offset time.Duration) *scaClock {
	c := &scaClock{}
	c.offset.Store(int64(offset))
	return c
}

func (c *scaClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// nextCode advances one TOTP step and returns its code.
func (c *scaClock) nextCode(t testing.TB, secret string) sca.OTP {
	t.Helper()
	c.offset.Add(int64(30 * time.Second))
	code, err := totp.GenerateCode(secret, c.Now())
	if err != nil {
		t.Fatal(err)
	}
	return sca.OTP(code)
}

func openKeystore(t testing.TB, dir string) keystore.Store {
	t.Helper()
	s, err := keystore.Open(keystore.Options{DataDir: dir, Mode: keystore.ModeFile, FileKDF: cheapKDF, AllowWeakKDF: true,
		MachineSecret: func() ([]byte, error) { return []byte("wallet-test-machine"), nil }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func openSCA(t testing.TB, dir string, clock func() time.Time) *sca.Authenticator {
	t.Helper()
	a, err := sca.Open(sca.Config{DataDir: dir, Store: openKeystore(t, dir), Clock: clock, PINKDF: envPINKDF, AllowWeakKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// walletEnv is one installation (data dir, SCA enrolment, ledger) paying at one sandbox.
type walletEnv struct {
	*bankEnv
	dir       string
	client    *lfi.Client
	scaClock  *scaClock
	totp      string
	auth      *sca.Authenticator
	ledger    *Ledger
	store     *memTokenStore
	tokens    *uae.ConsentTokens
	wallet    *Wallet
	consentID string
	payees    []Payee
}

func newWalletEnv(t testing.TB, b *bankEnv, limits Limits) *walletEnv {
	t.Helper()
	e := &walletEnv{bankEnv: b, dir: filepath.Join(t.TempDir(), "data"), scaClock: newSCAClock(-5 * time.Minute)}
	if err := os.MkdirAll(e.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	e.client = b.client(t, nil)
	e.auth = openSCA(t, e.dir, e.scaClock.Now)
	en, err := e.auth.BeginEnrolment(testPIN)
	if err != nil {
		t.Fatal(err)
	}
	e.totp = en.Secret()
	if _, err := e.auth.ConfirmEnrolment(en, e.scaClock.nextCode(t, e.totp)); err != nil {
		t.Fatal(err)
	}
	e.ledger, err = OpenLedger(context.Background(), e.dir, LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.ledger.Close() })
	e.store = &memTokenStore{tokens: map[string]lfi.Secret{}}
	e.tokens = uae.NewConsentTokens(e.store, uae.OneBank(consent.NewLFIBank(e.client).Refresh), nil)
	e.wallet = e.newWallet(t, e.client, e.tokens, limits, nil)
	return e
}

// uaeBank is the provider of a UAE bank reached with c, as app builds it.
func uaeBank(t testing.TB, c uae.Client, tokens uae.Tokens, clock func() time.Time) provider.Bank {
	t.Helper()
	b, err := uae.New(uae.Config{Name: "Sandbox Bank", Client: c, Tokens: tokens, Device: risk.Device{Type: risk.DeviceDesktop, OS: "Linux"},
		App: risk.App{Version: "test"}, CustomerIP: "203.0.113.7", UserAgent: "payterm-test/1", Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *walletEnv) newWallet(t testing.TB, c uae.Client, tokens uae.Tokens, limits Limits, clock func() time.Time) *Wallet {
	t.Helper()
	w, err := New(Config{Ledger: e.ledger, Banks: map[string]provider.Bank{testBankID: uaeBank(t, c, tokens, clock)}, SCA: e.auth,
		Limits: limits, Clock: clock,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctxsleep.For(ctx, d/10) }})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// onboard authorises a consent at the sandbox (headless auto-approve) with the given number
// of creditors (0 = open beneficiary), and records it.
func (e *walletEnv) onboard(t testing.TB, creditors int, baseFrom string) Consent {
	t.Helper()
	return e.onboardAt(t, testBankID, e.client, e.web, creditors, baseFrom)
}

// onboardAt is onboard at the bank the wallet knows as bankID, reached with client; web
// follows its consent page.
func (e *walletEnv) onboardAt(t testing.TB, bankID string, client *lfi.Client, web *http.Client, creditors int, baseFrom string) Consent {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	// The consent-time Risk as app.consentRisk builds it: the enrolled device key's binding,
	// when the user enrolled and, for one payee, that payee's kind.
	st := e.auth.Status()
	device := risk.Device{Type: risk.DeviceDesktop, OS: "Linux", BindingID: st.DeviceBindingID, BoundAt: st.BoundAt, BindingStatus: risk.BindingActive}
	in := risk.ConsentInput{Now: now, Device: device, App: risk.App{Version: "test"}, History: risk.History{OnboardedAt: st.BoundAt}}
	if creditors == 1 {
		in.Payee = &risk.Payee{Kind: risk.AccountRetail}
	}
	rb, err := risk.ForConsent(in)
	if err != nil {
		t.Fatal(err)
	}
	riskJSON, err := json.Marshal(rb)
	if err != nil {
		t.Fatal(err)
	}
	model := consent.OpenBeneficiary
	switch {
	case creditors == 1:
		model = consent.SingleBeneficiary
	case creditors > 1:
		model = consent.MultipleBeneficiaries
	}
	pii := consent.ConsentPIIInput{Model: model, Risk: riskJSON}
	for i := range creditors {
		pii.Creditors = append(pii.Creditors, consent.CreditorInput{IBAN: ibanFor("033", fmt.Sprintf("%016d", 1000+i)),
			AccountName: consent.Name{EN: fmt.Sprintf("Payee %c", 'A'+i)}})
	}
	params := consent.ConsentParams{ExpirationDateTime: now.AddDate(0, 6, 0), IsSingleAuthorization: true, PaymentPurposeCode: "TOF"}
	if baseFrom != "" {
		if params, err = e.wallet.RenewalParams(ctx, baseFrom, now.AddDate(0, 9, 0)); err != nil {
			t.Fatal(err)
		}
		// A renewal names exactly the creditors of the consent it replaces.
		if pii.Model, pii.Creditors, err = e.wallet.RenewalCreditors(ctx, baseFrom); err != nil {
			t.Fatal(err)
		}
	}
	res, err := consent.Onboard(ctx, consent.OnboardingConfig{Bank: consent.NewLFIBank(client), RedirectURI: "http://127.0.0.1/callback",
		Store: e.store}, consent.OnboardingRequest{Params: params, PII: pii}, consent.Presentation{Headless: web})
	if err != nil {
		t.Fatalf("onboard: %v", err)
	}
	if err := e.tokens.Adopt(res.ConsentID, res.Tokens); err != nil {
		t.Fatal(err)
	}
	c, err := e.wallet.RecordConsent(ctx, bankID, res, "TOF", Debtor{}, baseFrom)
	if err != nil {
		t.Fatal(err)
	}
	e.consentID = c.ID
	if e.payees, err = e.ledger.Payees(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	return c
}

// pay prepares and submits one payment to the first payee (or a new payee on an open consent).
func (e *walletEnv) pay(t testing.TB, amount string, progress func(Event)) (Payment, error) {
	t.Helper()
	d := e.draft(amount)
	if d.NewPayee != nil {
		e.confirmPayee(t, d.ConsentID, d.NewPayee.Name, d.NewPayee.IBAN)
	}
	p, err := e.wallet.Prepare(context.Background(), d)
	if err != nil {
		return Payment{}, err
	}
	return e.wallet.Submit(context.Background(), p.ID, testPIN, e.scaClock.nextCode(t, e.totp), progress)
}

// confirmPayee makes the bank's Confirmation of Payee directory hold name at iban and checks
// the payee through the wallet (a match is accepted as it comes), as the pay form does before
// an open consent pays someone new.
func (e *walletEnv) confirmPayee(t testing.TB, consentID, name, iban string) {
	t.Helper()
	if err := e.bank.AddAccountHolder(sandbox.AccountHolder{IBAN: strings.ReplaceAll(iban, " ", ""), Name: name}); err != nil {
		t.Fatal(err)
	}
	chk, err := e.wallet.CheckPayee(context.Background(), consentID, PayeeInput{Name: name, IBAN: iban})
	if err != nil || !chk.Accepted {
		t.Fatalf("check payee %q: %+v %v", name, chk, err)
	}
}

func (e *walletEnv) draft(amount string) Draft {
	d := Draft{ConsentID: e.consentID, Amount: amount, Reference: "test"}
	if len(e.payees) > 0 {
		d.PayeeID = e.payees[0].ID
	} else {
		d.NewPayee = &PayeeInput{Name: "Open Payee", IBAN: ibanFor("033", "0000000000009999")}
	}
	return d
}

// bankPayments counts the payments the bank holds under a consent (Links.Related of GET
// /payment-consents/{id}, read with the real client).
func (e *walletEnv) bankPayments(t testing.TB, consentID string) int {
	t.Helper()
	c, err := e.client.GetConsent(context.Background(), consentID)
	if err != nil {
		t.Fatal(err)
	}
	return len(c.PaymentURLs)
}

// writePEM writes a private key for a child process.
func writePEM(t testing.TB, path string, key *rsa.PrivateKey) {
	t.Helper()
	b := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
