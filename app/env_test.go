package app

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/risk"
	"github.com/payterm/payterm/ui"
)

// The tests run the real App: embedded sandbox over loopback mTLS, the file keystore with a
// cheap KDF, the real SCA, lfi client, consent flow, ledger and wallet. Nothing is faked.

const (
	testPIN        = "730461"
	testPassphrase = "app test passphrase"
)

var cheapKDF = keystore.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

// scaClock runs the authenticator's clock behind real time and moves it one TOTP step forward
// per code, so each authentication uses a fresh step without waiting 30 s, while the challenge
// time stays within the bank's 5-minute window.
type scaClock struct{ offset atomic.Int64 }

func newSCAClock() *scaClock {
	c := &scaClock{}
	c.offset.Store(int64(-4 * time.Minute))
	return c
}

func (c *scaClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *scaClock) nextCode(t testing.TB, secret string) string {
	t.Helper()
	c.offset.Add(int64(30 * time.Second))
	code, err := totp.GenerateCode(secret, c.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// testConfig is the default config on a fresh data dir: embedded sandbox with auto-approve and
// fast settlement, and the encrypted-file secret store (no keyring on CI machines).
func testConfig(t testing.TB) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Security.SecretStore = config.StoreFile
	cfg.Sandbox.AutoApprove = true
	cfg.Sandbox.SettleAfter = config.Duration{Duration: 50 * time.Millisecond}
	cfg.Sandbox.CreditAfter = config.Duration{Duration: 100 * time.Millisecond}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func testOptions(clock *scaClock) Options {
	return Options{
		SCAClock: clock.Now, KDF: cheapKDF, AllowWeakKDF: true,
		MachineSecret: func() ([]byte, error) { return []byte("app-test-machine"), nil },
		Passphrase:    func(bool) ([]byte, error) { return []byte(testPassphrase), nil },
		Sleep: func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d / 20)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		},
		Device: &risk.Device{Type: risk.DeviceDesktop, OS: "Linux"},
		App:    &risk.App{Version: "test"},
	}
}

func openApp(t testing.TB, cfg config.Config, clock *scaClock) *App {
	t.Helper()
	a, err := Open(context.Background(), cfg, testOptions(clock))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	// The start-up work (resume, consent sync) starts now, as it would once Home's first frame
	// is out, instead of at the 1 s timer in the middle of a test that draws no Home: a sync
	// landing after a test's payment made the inspector show that sync's bank (startwork.go;
	// the tests of the hold itself call Open).
	a.startWork.release()
	return a
}

// ibanFor builds a valid UAE IBAN (mod-97) from a 3-digit bank code and 16 account digits.
func ibanFor(bank, account string) string {
	n, _ := new(big.Int).SetString(bank+account+"101400", 10)
	return fmt.Sprintf("AE%02d%s%s", 98-new(big.Int).Mod(n, big.NewInt(97)).Int64(), bank, account)
}

// secrets a journey typed or was shown, for the grep test.
type journeySecrets struct {
	totpSecret, recovery string
	codes                []string
}

// onboard drives the onboarding part of ui.Wallet: PIN, TOTP (code computed from the shown
// secret), payees, consent terms, the bank step (a "browser" follows the authorize URL, the
// auto-approving sandbox redirects it to the wallet's loopback receiver) and the result.
func onboard(t testing.TB, w ui.Wallet, clock *scaClock, payees []ui.PayeeDraft) (ui.Consent, journeySecrets) {
	t.Helper()
	step, js := onboardToBankStep(t, w, clock, payees)
	browse(t, step.URL)
	c, err := w.AwaitBankCallback(context.Background(), step)
	if err != nil {
		t.Fatalf("AwaitBankCallback: %v", err)
	}
	return c, js
}

// onboardToBankStep runs onboarding up to the bank's address (its consent request staged).
func onboardToBankStep(t testing.TB, w ui.Wallet, clock *scaClock, payees []ui.PayeeDraft) (ui.BankStep, journeySecrets) {
	t.Helper()
	ctx := context.Background()
	var js journeySecrets
	if err := w.SetPIN(ctx, ui.NewSecret(testPIN)); err != nil {
		t.Fatalf("SetPIN: %v", err)
	}
	en, err := w.EnrolTOTP(ctx)
	if err != nil {
		t.Fatalf("EnrolTOTP: %v", err)
	}
	js.totpSecret = en.Secret.Reveal()
	code := clock.nextCode(t, js.totpSecret)
	js.codes = append(js.codes, code)
	rc, err := w.ConfirmTOTP(ctx, ui.NewSecret(code))
	if err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	js.recovery = rc.Reveal()
	model := ui.BeneficiaryList
	switch len(payees) {
	case 0:
		model = ui.BeneficiaryOpen
	case 1:
		model = ui.BeneficiaryOne
	}
	if err := w.SaveBeneficiaries(ctx, ui.BeneficiaryPlan{Model: model, Payees: payees}); err != nil {
		t.Fatalf("SaveBeneficiaries: %v", err)
	}
	terms, err := w.ConsentTerms(ctx)
	if err != nil {
		t.Fatalf("ConsentTerms: %v", err)
	}
	if terms.Model != model || len(terms.Payees) != len(payees) || terms.Purpose.Code != "TOF" || terms.Purpose.Description == "" {
		t.Fatalf("consent terms do not describe the plan: %+v", terms)
	}
	step, err := w.BeginBankStep(ctx)
	if err != nil {
		t.Fatalf("BeginBankStep: %v", err)
	}
	if step.ConsentID == "" || step.URL == "" || step.InteractionID == "" {
		t.Fatalf("bank step incomplete: %+v", step)
	}
	return step, js
}

// browse plays the user's browser: it opens the authorize URL and follows the redirects, the
// last of which lands on the wallet's loopback callback.
func browse(t testing.TB, url string) {
	t.Helper()
	hc := &http.Client{Timeout: 20 * time.Second}
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("browser: callback page answered %d", resp.StatusCode)
	}
}

// pay prepares and submits a payment to the consent's first payee and returns every event.
func pay(t *testing.T, w ui.Wallet, consentID, payeeID, amount, code string) []ui.PaymentEvent {
	t.Helper()
	ctx := context.Background()
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: consentID, PayeeID: payeeID, Amount: amount, Reference: "app test", Purpose: "TOF"})
	if err != nil {
		t.Fatalf("PreparePayment: %v", err)
	}
	return submit(t, w, pp.ID, testPIN, code)
}

func submit(t *testing.T, w ui.Wallet, preparedID, pin, code string) []ui.PaymentEvent {
	t.Helper()
	ch, err := w.SubmitPayment(context.Background(), preparedID, ui.SCAInput{PIN: ui.NewSecret(pin), TOTP: ui.NewSecret(code)})
	if err != nil {
		t.Fatalf("SubmitPayment: %v", err)
	}
	var evs []ui.PaymentEvent
	timeout := time.After(60 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return evs
			}
			evs = append(evs, ev)
		case <-timeout:
			t.Fatalf("payment did not finish; events so far: %+v", evs)
		}
	}
}

func finalEvent(t *testing.T, evs []ui.PaymentEvent) ui.PaymentEvent {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no payment events")
	}
	last := evs[len(evs)-1]
	if !last.Final {
		t.Fatalf("last event is not final: %+v", last)
	}
	for _, e := range evs[:len(evs)-1] {
		if e.Final {
			t.Fatalf("a non-last event is final: %+v", e)
		}
	}
	return last
}

func twoPayees() []ui.PayeeDraft {
	return []ui.PayeeDraft{
		{Name: "Test Payee One", IBAN: ibanFor("033", "0000000000001001"), Type: ui.PayeeRetail},
		{Name: "مثال تجريبي", IBAN: ibanFor("033", "0000000000001002"), Type: ui.PayeeCorporate},
	}
}
