package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/sandbox"
	"github.com/payterm/payterm/ui"
)

// remoteBank starts a separate sandbox standing in for a real LFI, registers a TPP there as the
// Trust Framework would, and returns the bank and the config section naming its files.
func remoteBank(t *testing.T, id, name string) (*sandbox.Bank, config.Bank) {
	t.Helper()
	bank, err := sandbox.New(sandbox.Config{AutoApprove: true, SettleAfter: 50 * time.Millisecond, CreditAfter: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := bank.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bank.Close() })

	dir := t.TempDir()
	sig, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tlsKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kid, err := thumbprintKID(&sig.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &sig.PublicKey, KeyID: kid, Use: "sig", Algorithm: "PS256"}}})
	reg, err := bank.Register(sandbox.ClientRegistration{Name: "payterm remote test", SigningJWKS: jwks,
		RedirectURIs: []string{"http://127.0.0.1/callback"}, TransportPublicKey: &tlsKey.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(sig)
	if err != nil {
		t.Fatal(err)
	}
	return bank, config.Bank{ID: id, Mode: config.ModeRemote, Name: name, DiscoveryURL: bank.DiscoveryURL(), Issuer: bank.Issuer(),
		ResourceBaseURL: bank.ResourceBaseURL(), ClientID: reg.ClientID, SigningKID: kid,
		SigningKeyFile:    write("sig.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		TransportCertFile: write("tls.crt", []byte(reg.TransportCertPEM)),
		TransportKeyFile:  write("tls.key", pemKey(tlsKey)),
		RootCAFile:        write("ca.pem", bank.CACertPEM()),
		RedirectURI:       "http://127.0.0.1:0/callback", CustomerIPAddress: "127.0.0.1", DefaultPurposeCode: "TOF"}
}

// TestRemoteBank: bank.mode = "remote" with the Trust Framework files named in [bank], against
// a separately started sandbox standing in for a real LFI. Off the embedded sandbox the
// inspector must not carry personal data.
func TestRemoteBank(t *testing.T) {
	bank, remote := remoteBank(t, "remote-test", "Remote Test Bank")
	cfg := testConfig(t)
	cfg.Bank = remote
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	clock := newSCAClock()
	a := openApp(t, cfg, clock)
	defer a.Close()
	if a.Sandbox() != nil || a.Registered() {
		t.Fatal("remote mode must not start or register at an embedded sandbox")
	}
	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees()[:1])
	if c.Bank != "Remote Test Bank" {
		t.Fatalf("consent bank %q", c.Bank)
	}
	payees, _ := w.Payees(context.Background(), c.ID)
	last := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "3.00", clock.nextCode(t, js.totpSecret)))
	if last.State != ui.StepDone || last.Receipt == nil || last.Receipt.PaymentID == "" {
		t.Fatalf("remote payment: %+v", last)
	}
	if st, _ := bank.PaymentStatus(last.Receipt.PaymentID); !strings.HasPrefix(st, "Accepted") {
		t.Fatalf("bank's payment status %q", st)
	}

	in, err := w.Inspect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if in.ShowPII || len(in.Verdicts) != 0 {
		t.Fatalf("remote inspection must hide PII and has no bank verdicts: ShowPII=%v verdicts=%d", in.ShowPII, len(in.Verdicts))
	}
	raw, _ := json.Marshal(in)
	for _, needle := range []string{twoPayees()[0].IBAN, "127.0.0.1\"", "payterm/test"} {
		if strings.Contains(string(raw), needle) {
			t.Errorf("remote inspection carries personal data %q", needle)
		}
	}
	if !strings.Contains(string(raw), "[PII]") {
		t.Error("remote inspection shows no masked field; the masking was not exercised")
	}
	sealed := sealedOf(t, in)
	if len(sealed) < 3 {
		t.Fatalf("remote inspection lists %d sealed fields; want the creditor and Risk fields, masked", len(sealed))
	}
	for _, f := range sealed {
		if !f.PII || f.Value != "[PII]" {
			t.Errorf("remote sealed field not masked: %s = %q", f.Name, f.Value)
		}
	}
	path, err := w.ExportSupportBundle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, needle := range []string{twoPayees()[0].IBAN, twoPayees()[0].Name, "payterm/test", js.totpSecret, testPIN} {
		if holds(bundle, needle) {
			t.Errorf("the support bundle carries %q", needle)
		}
	}
}

// TestSandboxAndRemoteBank: [bank] is the embedded sandbox and a [[banks]] entry a remote bank.
// Each consent pays at its own bank, and since one bank is real the inspector masks personal
// data for all.
func TestSandboxAndRemoteBank(t *testing.T) {
	ctx := context.Background()
	bank, remote := remoteBank(t, "lfi", "Remote Test Bank")
	cfg := testConfig(t)
	cfg.Banks = []config.Bank{remote}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	clock := newSCAClock()
	a := openApp(t, cfg, clock)
	defer a.Close()
	w := a.UIWallet()
	local, js := onboard(t, w, clock, twoPayees()[:1])
	far := newConsentAt(t, w, "lfi")
	if far.Bank != "Remote Test Bank" {
		t.Fatalf("remote consent bank %q", far.Bank)
	}
	last := payOpen(t, w, bank, clock, js.totpSecret, far.ID, "2.00")
	if last.State != ui.StepDone || last.Receipt == nil {
		t.Fatalf("remote payment: %+v", last)
	}
	if st, _ := bank.PaymentStatus(last.Receipt.PaymentID); !strings.HasPrefix(st, "Accepted") {
		t.Fatalf("remote bank's payment status %q", st)
	}
	payees, _ := w.Payees(ctx, local.ID)
	if last := finalEvent(t, pay(t, w, local.ID, payees[0].ID, "1.00", clock.nextCode(t, js.totpSecret))); last.State != ui.StepDone {
		t.Fatalf("sandbox payment: %+v", last)
	} else if _, err := a.Sandbox().PaymentStatus(last.Receipt.PaymentID); err != nil {
		t.Fatalf("the embedded bank has no payment: %v", err)
	}
	in, err := w.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(in)
	if in.ShowPII || strings.Contains(string(raw), twoPayees()[0].IBAN) {
		t.Fatal("with a real bank configured the inspector shows personal data")
	}
}
