package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/ui"
)

// toBankStep runs the wizard up to a staged consent and returns the step and the TOTP secret.
func toBankStep(t *testing.T, w ui.Wallet, clock *scaClock) (ui.BankStep, string) {
	t.Helper()
	ctx := context.Background()
	if err := w.SetPIN(ctx, ui.NewSecret(testPIN)); err != nil {
		t.Fatal(err)
	}
	en, err := w.EnrolTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ConfirmTOTP(ctx, ui.NewSecret(clock.nextCode(t, en.Secret.Reveal()))); err != nil {
		t.Fatal(err)
	}
	if err := w.SaveBeneficiaries(ctx, ui.BeneficiaryPlan{Model: ui.BeneficiaryOpen}); err != nil {
		t.Fatal(err)
	}
	step, err := w.BeginBankStep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return step, en.Secret.Reveal()
}

// callbackURL walks the authorize URL without delivering the callback (what the user would
// copy from the browser's address bar).
func callbackURL(t *testing.T, a *App, step ui.BankStep) string {
	t.Helper()
	a.ob.mu.Lock()
	redirect := a.ob.step.ob.RedirectURI()
	a.ob.mu.Unlock()
	hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: a.Sandbox().RootCAs()}}}
	cb, err := consent.FollowToRedirect(context.Background(), hc, step.URL, redirect)
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

// TestPasteBackAfterStoppedWait: the UI stops waiting (its ctx is cancelled), the user pastes the
// callback URL instead; the consent completes once, and a later wait reports the same consent.
func TestPasteBackAfterStoppedWait(t *testing.T) {
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	step, _ := toBankStep(t, w, clock)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.AwaitBankCallback(ctx, step); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	cb := callbackURL(t, a, step)
	var prob *ui.Problem
	if _, err := w.CompleteBankStep(context.Background(), ui.BankStep{ConsentID: "another"}, cb); !errors.As(err, &prob) {
		t.Fatalf("a callback for another step: %v", err)
	}
	c, err := w.CompleteBankStep(context.Background(), step, cb)
	if err != nil {
		t.Fatalf("paste-back: %v", err)
	}
	if c.ID != step.ConsentID || c.Status != ui.ConsentAuthorized || c.Model != ui.BeneficiaryOpen {
		t.Fatalf("consent: %+v", c)
	}
	again, err := w.AwaitBankCallback(context.Background(), step)
	if err != nil || again.ID != c.ID {
		t.Fatalf("wait after completion: %v %+v", err, again)
	}
}

// TestBadPasteEndsTheStep: a pasted address that is not the bank's answer (wrong state) is
// refused with a sentence, and the step is over (fail closed): the right code no longer works.
func TestBadPasteEndsTheStep(t *testing.T) {
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	step, _ := toBankStep(t, w, clock)
	cb := callbackURL(t, a, step)
	forged := strings.Replace(cb, "state=", "state=x", 1)
	var prob *ui.Problem
	if _, err := w.CompleteBankStep(context.Background(), step, forged); !errors.As(err, &prob) || !strings.Contains(prob.What, "not the bank's answer") {
		t.Fatalf("forged callback: %v", err)
	}
	if strings.Contains(prob.Error(), "code=") || strings.Contains(prob.Error(), "state") {
		t.Fatalf("the refusal repeats the URL: %q", prob.Error())
	}
	if _, err := w.CompleteBankStep(context.Background(), step, cb); err == nil {
		t.Fatal("the step must be over after a forged callback")
	}
	if ov, _ := w.Overview(context.Background()); ov.Onboarded {
		t.Fatal("no consent may be recorded")
	}
}

// TestHalfOnboardedRestartsCleanly: the user enrolled, quit before the bank, and starts the
// wizard again: SetPIN resets the unused enrolment and a new authenticator secret is issued.
func TestHalfOnboardedRestartsCleanly(t *testing.T) {
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	w := a.UIWallet()
	_, first := toBankStep(t, w, clock)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := openApp(t, cfg, clock)
	defer b.Close()
	c, js := onboard(t, b.UIWallet(), clock, twoPayees())
	if js.totpSecret == first || c.Status != ui.ConsentAuthorized {
		t.Fatalf("re-onboarding: same secret=%v, consent %+v", js.totpSecret == first, c)
	}
	var prob *ui.Problem
	if err := b.UIWallet().SetPIN(context.Background(), ui.NewSecret("864209")); !errors.As(err, &prob) {
		t.Fatalf("SetPIN on an onboarded wallet: %v", err)
	}
}

// TestOnboardingRefusals: the wizard's checks answer with sentences and never echo the input.
func TestOnboardingRefusals(t *testing.T) {
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	ctx := context.Background()
	var prob *ui.Problem
	if err := w.SetPIN(ctx, ui.NewSecret("123456")); !errors.As(err, &prob) || strings.Contains(err.Error(), "123456") {
		t.Fatalf("weak PIN: %v", err)
	}
	if _, err := w.EnrolTOTP(ctx); !errors.As(err, &prob) {
		t.Fatalf("TOTP before PIN: %v", err)
	}
	if _, err := w.ConsentTerms(ctx); !errors.As(err, &prob) {
		t.Fatalf("terms before payees: %v", err)
	}
	bad := "AE070331234567890123457"
	for _, plan := range []ui.BeneficiaryPlan{
		{Model: ui.BeneficiaryOne, Payees: []ui.PayeeDraft{{Name: "A", IBAN: bad}}},
		{Model: ui.BeneficiaryOne},
		{Model: ui.BeneficiaryList, Payees: twoPayees()[:1]},
		{Model: ui.BeneficiaryOpen, Payees: twoPayees()[:1]},
		{Model: ui.BeneficiaryOne, Payees: []ui.PayeeDraft{{Name: " padded", IBAN: twoPayees()[0].IBAN}}},
		{Model: ui.BeneficiaryOpen, DebtorAccount: bad},
		{Model: "everyone"},
	} {
		err := w.SaveBeneficiaries(ctx, plan)
		if !errors.As(err, &prob) {
			t.Errorf("plan %+v accepted: %v", plan.Model, err)
			continue
		}
		if strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), "padded") {
			t.Errorf("refusal echoes the input: %q", err.Error())
		}
	}
	if err := w.SetPIN(ctx, ui.NewSecret(testPIN)); err != nil {
		t.Fatal(err)
	}
	en, err := w.EnrolTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ConfirmTOTP(ctx, ui.NewSecret("000000")); !errors.As(err, &prob) || !strings.Contains(prob.What, "does not match") {
		t.Fatalf("wrong first code: %v", err)
	}
	if _, err := w.ConfirmTOTP(ctx, ui.NewSecret(clock.nextCode(t, en.Secret.Reveal()))); err != nil {
		t.Fatalf("the right code after a wrong one: %v", err)
	}
	if _, err := w.BeginBankStep(ctx); !errors.As(err, &prob) {
		t.Fatalf("bank step without payees: %v", err)
	}
}

// TestDebtorAccountNamesItsHolder: the optional account to pay from goes to the bank with its
// holder's name (uae-spec §11 rule 18: the strict sandbox refuses a DebtorAccount without one),
// so PAR succeeds, the consent pays from that account, and a renewal names it again. Half an
// account (IBAN without name, or name without IBAN) is refused before anything is sent.
func TestDebtorAccountNamesItsHolder(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	if err := w.SetPIN(ctx, ui.NewSecret(testPIN)); err != nil {
		t.Fatal(err)
	}
	en, err := w.EnrolTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	secret := en.Secret.Reveal()
	if _, err := w.ConfirmTOTP(ctx, ui.NewSecret(clock.nextCode(t, secret))); err != nil {
		t.Fatal(err)
	}
	const debtor, holder = "AE070331234567890123456", "Test Holder"
	var prob *ui.Problem
	for _, plan := range []ui.BeneficiaryPlan{
		{Model: ui.BeneficiaryOpen, DebtorAccount: debtor},
		{Model: ui.BeneficiaryOpen, DebtorName: holder},
		{Model: ui.BeneficiaryOpen, DebtorAccount: debtor, DebtorName: " " + holder},
	} {
		err := w.SaveBeneficiaries(ctx, plan)
		if !errors.As(err, &prob) {
			t.Fatalf("half or bad debtor account accepted: %v", err)
		}
		if strings.Contains(err.Error(), debtor) || strings.Contains(err.Error(), holder) {
			t.Errorf("the refusal echoes PII: %q", err.Error())
		}
	}
	if err := w.SaveBeneficiaries(ctx, ui.BeneficiaryPlan{Model: ui.BeneficiaryOpen, DebtorAccount: debtor, DebtorName: holder}); err != nil {
		t.Fatal(err)
	}
	step, err := w.BeginBankStep(ctx)
	if err != nil {
		t.Fatalf("PAR with a named debtor account: %v", err)
	}
	browse(t, step.URL)
	c, err := w.AwaitBankCallback(ctx, step)
	if err != nil || c.DebtorMasked != ui.MaskIBAN(debtor) {
		t.Fatalf("consent: %v %+v", err, c)
	}
	if rec, err := a.ledger.Consent(ctx, c.ID); err != nil || rec.DebtorAccount != debtor || rec.DebtorName != holder {
		t.Fatalf("the ledger does not keep the account and its holder: %v", err)
	}
	renewal, err := w.RenewConsent(ctx, c.ID)
	if err != nil {
		t.Fatalf("renewing a consent with a named debtor account: %v", err)
	}
	browse(t, renewal.URL)
	r, err := w.AwaitBankCallback(ctx, renewal)
	if err != nil || r.DebtorMasked != ui.MaskIBAN(debtor) {
		t.Fatalf("renewal: %v %+v", err, r)
	}
}

// writeLoopbackCert writes a self-signed certificate for 127.0.0.1 and its key as PEM files (what
// mkcert gives a user) and returns their paths and a pool that trusts it (the user's browser).
func writeLoopbackCert(t *testing.T) (certFile, keyFile string, trust *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	trust = x509.NewCertPool()
	trust.AddCert(leaf)
	return certFile, keyFile, trust
}

// freeLoopbackPort is a port nothing listens on now.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestHTTPSLoopbackRedirect: an https loopback redirect_uri never fails the bank step (issue
// 11). Without a certificate the step is paste-back: the consent is staged, nothing waits, and
// the address the browser lands on completes it. With redirect_tls_cert_file/key_file the
// wallet serves that address itself and the browser's redirect completes it.
func TestHTTPSLoopbackRedirect(t *testing.T) {
	ctx := context.Background()
	t.Run("paste-back without a certificate", func(t *testing.T) {
		clock := newSCAClock()
		cfg := testConfig(t)
		cfg.Bank.RedirectURI = fmt.Sprintf("https://127.0.0.1:%d/callback", freeLoopbackPort(t))
		a := openApp(t, cfg, clock)
		defer a.Close()
		w := a.UIWallet()
		step, _ := toBankStep(t, w, clock)
		if !step.PasteBack || !step.CallbackHere {
			t.Fatalf("bank step %+v: want paste-back, back to this computer", step)
		}
		var prob *ui.Problem
		if _, err := w.AwaitBankCallback(ctx, step); !errors.As(err, &prob) || !strings.Contains(prob.Next, "(v)") {
			t.Fatalf("waiting on a paste-back step: %v", err)
		}
		c, err := w.CompleteBankStep(ctx, step, callbackURL(t, a, step))
		if err != nil || c.Status != ui.ConsentAuthorized {
			t.Fatalf("paste-back: %v %+v", err, c)
		}
	})
	t.Run("received with a certificate", func(t *testing.T) {
		clock := newSCAClock()
		cfg := testConfig(t)
		certFile, keyFile, trust := writeLoopbackCert(t)
		cfg.Bank.RedirectURI = fmt.Sprintf("https://127.0.0.1:%d/callback", freeLoopbackPort(t))
		cfg.Bank.RedirectTLSCertFile, cfg.Bank.RedirectTLSKeyFile = certFile, keyFile
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		a := openApp(t, cfg, clock)
		defer a.Close()
		w := a.UIWallet()
		step, _ := toBankStep(t, w, clock)
		if step.PasteBack {
			t.Fatalf("bank step %+v: with a certificate the wallet receives the callback", step)
		}
		cb := callbackURL(t, a, step)
		if !strings.HasPrefix(cb, cfg.Bank.RedirectURI+"?") {
			t.Fatalf("the bank redirected elsewhere than the registered URI")
		}
		browser := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: trust, MinVersion: tls.VersionTLS12}}}
		resp, err := browser.Get(cb)
		if err != nil {
			t.Fatalf("the browser cannot reach the https callback: %v", err)
		}
		resp.Body.Close()
		c, err := w.AwaitBankCallback(ctx, step)
		if err != nil || c.Status != ui.ConsentAuthorized {
			t.Fatalf("callback: %v %+v", err, c)
		}
	})
	t.Run("a bad certificate file stops the start", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.Bank.RedirectURI = "https://127.0.0.1:8443/callback"
		cfg.Bank.RedirectTLSCertFile = filepath.Join(t.TempDir(), "missing.pem")
		cfg.Bank.RedirectTLSKeyFile = cfg.Bank.RedirectTLSCertFile
		if _, err := Open(ctx, cfg, testOptions(newSCAClock())); err == nil || !strings.Contains(err.Error(), "redirect_tls_cert_file") {
			t.Fatalf("Open with a missing certificate file: %v", err)
		}
	})
}
