package app

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// Kill tests across OP's exemption flow and its fallback, in the style of bgkill_test.go: the
// parent onboards a wallet at the embedded OP bank and pays once through OP's page (the bank
// approval the exemption re-uses; the payer's tokens kept in the keystore); a child (this test
// binary again) opens the same data dir and pays 9.00 EUR, and SIGKILLs itself at a chosen
// point. The embedded bank runs in the child and journals before it answers, so what it
// committed is there when the parent opens the wallet again. The parent then counts the
// payments at OP: exactly one from the killed run, and it ends paid, once.

const opKillChildEnv = "PAYTERM_APP_OPKILL_CHILD"

type opKillPlan struct {
	DataDir   string `json:"dataDir"`
	TOTP      string `json:"totp"`
	SCAOffset int64  `json:"scaOffset"`
	KillAt    string `json:"killAt"`
}

// opKillTransport kills the child at an exchange with OP: "created" once OP answered the
// payment's create (before the wallet read it), "submitting" and "fallback-submitting" before
// a submission leaves (after the exemption grant, or after the code exchange of the fallback:
// the payer's token is kept by then).
type opKillTransport struct {
	next http.RoundTripper
	at   string
}

func (k opKillTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/submissions/") && (k.at == "submitting" || k.at == "fallback-submitting") {
		bgDie()
	}
	res, err := k.next.RoundTrip(r)
	if err == nil && k.at == "created" && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/sepa-payments") {
		bgDie()
	}
	return res, err
}

// opKillConfig is the OP wallet's config on dataDir.
func opKillConfig(t *testing.T, dataDir string) config.Config {
	t.Helper()
	cfg := opConfig(t)
	cfg.DataDir = dataDir
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestOPKillChild is the child half; it does nothing unless started by an OP kill test.
func TestOPKillChild(t *testing.T) {
	planFile := os.Getenv(opKillChildEnv)
	if planFile == "" {
		t.Skip("only runs as the child of an OP kill test")
	}
	raw, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	var plan opKillPlan
	if err := json.Unmarshal(raw, &plan); err != nil {
		t.Fatal(err)
	}
	clock := &scaClock{}
	clock.offset.Store(plan.SCAOffset)
	a := openApp(t, opKillConfig(t, plan.DataDir), clock)
	conn := a.banks[1].op
	conn.hc.Transport = opKillTransport{next: conn.hc.Transport, at: plan.KillAt}
	w := a.UIWallet()
	ctx := context.Background()
	pp, err := w.PreparePayment(ctx, opKillDraft(t, w))
	if err != nil {
		t.Fatal(err)
	}
	answered := false
	_, err = a.wallet.Submit(ctx, pp.ID, sca.PIN(testPIN), sca.OTP(clock.nextCode(t, plan.TOTP)), func(ev wallet.Event) {
		act := ev.Action
		if act == nil || act.Kind != provider.ActionRedirect || answered {
			return
		}
		if plan.KillAt == "fallback-page" {
			bgDie() // OP refused the exemption: its page is shown for the same payment
		}
		answered = true
		back := opBrowse(t, act.URL, "approve")
		if err := a.wallet.ContinuePayment(ctx, ev.PaymentID, provider.Input{CallbackURL: back}); err != nil {
			t.Errorf("answer OP: %v", err)
		}
	})
	t.Fatalf("the child was not killed at %s (%v)", plan.KillAt, err)
}

func opKillDraft(t *testing.T, w ui.Wallet) ui.PaymentDraft {
	return ui.PaymentDraft{ConsentID: opLink(t, w).ID, Amount: "9.00", Reference: "Kahvi",
		NewPayee: ui.PayeeDraft{Name: "Kahvila Oy", IBAN: "FI21 1234 5600 0007 85"}}
}

// opKillEnv is the wallet whose second payment a child killed.
type opKillEnv struct {
	bgKillEnv
}

// runOPKill onboards a wallet at OP, pays once through OP's page, makes OP refuse the next
// exemption when refuse is set (payments "from other channels" used the allowance), then runs
// the 9.00 EUR payment in a child that dies at killAt.
func runOPKill(t *testing.T, killAt string, refuse bool) opKillEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	e := opKillEnv{bgKillEnv{clock: newSCAClock(), cfg: opConfig(t)}}
	a := openApp(t, e.cfg, e.clock)
	w := a.UIWallet()
	_, e.js = onboard(t, w, e.clock, twoPayees()[:1])
	payAtOPFor(t, a, w, e.clock, e.js.totpSecret, "12.50")
	bank := a.banks[1].op.bank
	if refuse {
		bank.AddOtherChannelExemptions("sandbox-user", 5, 500)
	}
	e.before = bank.Payments()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	plan := opKillPlan{DataDir: e.cfg.DataDir, TOTP: e.js.totpSecret, SCAOffset: int64(-time.Minute), KillAt: killAt}
	e.clock.offset.Store(0)
	runKilledChild(t, "^TestOPKillChild$", opKillChildEnv, plan)
	return e
}

// atOP fails unless OP holds exactly one payment from the killed run.
func (e opKillEnv) atOP(t *testing.T, a *App) {
	t.Helper()
	if n := a.banks[1].op.bank.Payments() - e.before; n != 1 {
		t.Fatalf("OP holds %d payments from the killed run, want exactly 1", n)
	}
}

// paidOnce waits for the killed payment to be paid (the restart's resume, or the payer's
// approval) and checks OP debited it once and holds it once.
func (e opKillEnv) paidOnce(t *testing.T, a *App) wallet.Payment {
	t.Helper()
	var p wallet.Payment
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		p = killedPayment(t, a)
		if p.Status.Outcome() == wallet.OutcomeSuccessful || time.Now().After(end) {
			break
		}
		if err := a.wallet.Resume(context.Background(), nil); err != nil {
			t.Logf("resume: %v", err)
		}
	}
	if p.Status.Outcome() != wallet.OutcomeSuccessful || p.BankPaymentID == "" {
		t.Fatalf("after the restart the payment is %s (%s), want paid", p.Status, p.BankStatus)
	}
	if n := a.banks[1].op.bank.PaymentDebits(p.BankPaymentID); n != 1 {
		t.Fatalf("OP debited the payment %d times, want once", n)
	}
	e.atOP(t, a)
	return p
}

// TestOPKillInsideTheExemption: killed once OP answered the exemption payment's create (the
// wallet never read it: Unknown, found again under the same idempotency key), and after OP's
// exemption grant, before the submission left (the grant's token was kept first). The restart
// pays it by itself, without OP's page: one payment at OP, paid once.
func TestOPKillInsideTheExemption(t *testing.T) {
	for _, killAt := range []string{"created", "submitting"} {
		t.Run(killAt, func(t *testing.T) {
			e := runOPKill(t, killAt, false)
			a := e.reopen(t)
			e.atOP(t, a)
			p := e.paidOnce(t, a)
			if !strings.Contains(string(p.ProviderState), `"exempt":true`) || strings.Contains(string(p.ProviderState), "exempt_refused") {
				t.Fatalf("the payment was not paid through the exemption: %s", p.ProviderState)
			}
		})
	}
}

// TestOPKillAcrossTheFallback: OP refused the exemption and the same payment went on through
// OP's page. Killed while the page was shown (the restart shows it again for that same
// payment: a on it approves, paid once), and after the payer approved on the page and the code
// was exchanged, before the submission left (the restart submits it with the kept token).
func TestOPKillAcrossTheFallback(t *testing.T) {
	for _, killAt := range []string{"fallback-page", "fallback-submitting"} {
		t.Run(killAt, func(t *testing.T) {
			e := runOPKill(t, killAt, true)
			a := e.reopen(t)
			e.atOP(t, a)
			if p := killedPayment(t, a); killAt == "fallback-page" {
				if p.Status != wallet.PaymentAwaitingBankSCA {
					t.Fatalf("after the restart the payment is %s, want awaiting OP's approval", p.Status)
				}
				opApproveAgain(t, a, p.ID)
			}
			p := e.paidOnce(t, a)
			if !strings.Contains(string(p.ProviderState), `"exempt_refused":true`) {
				t.Fatalf("the payment did not go through the fallback: %s", p.ProviderState)
			}
		})
	}
}

// opApproveAgain is the payer pressing a on the payment: OP's page, approved, the address
// pasted back.
func opApproveAgain(t *testing.T, a *App, id int64) {
	t.Helper()
	w := a.UIWallet()
	ctx := context.Background()
	pp, ch, err := w.(ui.ApprovalResumer).ApproveAgain(ctx, itoa(id))
	if err != nil {
		t.Fatal(err)
	}
	shown := 0
	last := drain(t, ch, func(ev ui.PaymentEvent) {
		if ev.Action == nil || shown > 0 {
			return
		}
		shown++
		if err := w.ContinuePayment(ctx, pp.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(opBrowse(t, ev.Action.URL, "approve"))}); err != nil {
			t.Errorf("ContinuePayment: %v", err)
		}
	})
	if shown != 1 || last.Receipt == nil || !ui.PaymentPaid(last.Receipt.Status) {
		t.Fatalf("approve again: page shown %d times, final %+v", shown, last)
	}
}
