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

// TestRemoteBank: bank.mode = "remote" with the Trust Framework files named in [bank], against
// a separately started sandbox standing in for a real LFI. Off the embedded sandbox the
// inspector must not carry personal data.
func TestRemoteBank(t *testing.T) {
	bank, err := sandbox.New(sandbox.Config{AutoApprove: true, SettleAfter: 50 * time.Millisecond, CreditAfter: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := bank.Start(); err != nil {
		t.Fatal(err)
	}
	defer bank.Close()

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
	cfg := testConfig(t)
	cfg.Bank = config.Bank{ID: "remote-test", Mode: config.ModeRemote, Name: "Remote Test Bank", DiscoveryURL: bank.DiscoveryURL(), Issuer: bank.Issuer(),
		ResourceBaseURL: bank.ResourceBaseURL(), ClientID: reg.ClientID, SigningKID: kid,
		SigningKeyFile:    write("sig.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		TransportCertFile: write("tls.crt", []byte(reg.TransportCertPEM)),
		TransportKeyFile:  write("tls.key", pemKey(tlsKey)),
		RootCAFile:        write("ca.pem", bank.CACertPEM()),
		RedirectURI:       "http://127.0.0.1:0/callback", CustomerIPAddress: "127.0.0.1", DefaultPurposeCode: "TOF"}
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
