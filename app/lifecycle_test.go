package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/sandbox"
	"github.com/payterm/payterm/ui"
)

// TestConsentDashboardActions: pause (local only), reactivate, limits edited and enforced,
// the consent detail, and a renewal through the same bank step that carries the root id.
func TestConsentDashboardActions(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees())
	payees, _ := w.Payees(ctx, c.ID)

	if err := w.PauseConsent(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := a.Sandbox().ConsentStatus(c.ID); st != "Authorized" {
		t.Fatalf("pausing told the bank: %s", st)
	}
	var prob *ui.Problem
	if _, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: c.ID, PayeeID: payees[0].ID, Amount: "1"}); !errors.As(err, &prob) || !strings.Contains(prob.What, "paused") {
		t.Fatalf("payment on a paused consent: %v", err)
	}
	if ov, _ := w.Overview(ctx); ov.Active == nil || !ov.Active.Paused {
		t.Fatalf("Home must show the paused consent: %+v", ov.Active)
	}
	if err := w.ReactivateConsent(ctx, c.ID); err != nil {
		t.Fatal(err)
	}

	// Lowering needs no SCA.
	h, err := w.Limits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lowered := h.Limits
	lowered.PerPayment, _ = money.ParseInput("20.00")
	lowered.PerDayCount = 3
	if err := w.SetLimits(ctx, lowered, ui.SCAInput{}); err != nil {
		t.Fatal(err)
	}
	h, err = w.Limits(ctx)
	if err != nil || h.Limits != lowered {
		t.Fatalf("limits after edit: %v %+v", err, h.Limits)
	}
	// Removing the daily limit is raising: refused without the PIN and code, saved with them.
	removed := lowered
	removed.PerDay = money.Zero
	if plan, err := w.PlanLimits(ctx, removed); err != nil || len(plan.Raised) != 1 || plan.Raised[0] != ui.LimitPerDay {
		t.Fatalf("plan removal: %+v, %v", plan, err)
	}
	if err := w.SetLimits(ctx, removed, ui.SCAInput{}); !errors.As(err, &prob) || !strings.Contains(prob.What, "needs your PIN") {
		t.Fatalf("removal without SCA: %v", err)
	}
	var scaErr *ui.SCAError
	if err := w.SetLimits(ctx, removed, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(wrongCode(t, clock, js.totpSecret))}); !errors.As(err, &scaErr) || scaErr.AttemptsLeft != 4 {
		t.Fatalf("removal with a wrong code: %v", err)
	}
	if err := w.SetLimits(ctx, removed, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, js.totpSecret))}); err != nil {
		t.Fatalf("removal with SCA: %v", err)
	}
	if h, err = w.Limits(ctx); err != nil || h.Limits != removed {
		t.Fatalf("limits after removal: %v %+v", err, h.Limits)
	}
	contradictory := removed
	contradictory.PerMonth, _ = money.ParseInput("10.00")
	if _, err := w.PlanLimits(ctx, contradictory); !errors.As(err, &prob) || !strings.Contains(prob.What, "above the monthly limit (10.00 AED)") {
		t.Fatalf("contradictory limits: %v", err)
	}
	if _, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: c.ID, PayeeID: payees[0].ID, Amount: "20.01"}); !errors.As(err, &prob) || !strings.Contains(prob.What, "20.00 AED") {
		t.Fatalf("edited limit not enforced: %v", err)
	}
	if err := w.SetLimits(ctx, ui.Limits{PerDayCount: -1}, ui.SCAInput{}); !errors.As(err, &prob) {
		t.Fatalf("negative count accepted: %v", err)
	}
	if last := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "20.00", clock.nextCode(t, js.totpSecret))); last.State != ui.StepDone {
		t.Fatalf("payment at the limit: %+v", last)
	}

	d, err := w.ConsentDetail(ctx, c.ID)
	if err != nil || len(d.Rules) < 5 || len(d.Payments) != 1 || d.Consent.TotalPaid.Wire() != "20.00" || len(d.Consent.Creditors) != 2 {
		t.Fatalf("consent detail: %v %+v", err, d)
	}

	step, err := w.RenewConsent(ctx, c.ID)
	if err != nil {
		t.Fatalf("renew: %v", err)
	}
	browse(t, step.URL)
	renewed, err := w.AwaitBankCallback(ctx, step)
	if err != nil {
		t.Fatalf("renewal callback: %v", err)
	}
	if renewed.ID == c.ID || renewed.BaseConsentID != c.ID || len(renewed.Creditors) != 2 {
		t.Fatalf("renewed consent: %+v", renewed)
	}
	cs, err := w.Consents(ctx)
	if err != nil || len(cs) != 2 || cs[0].ID != renewed.ID {
		t.Fatalf("consents after renewal (newest first): %v %+v", err, cs)
	}
	// The replaced consent is revoked at the bank by the TPP and leaves the Current tab; the
	// renewal is the one that pays.
	if !cs[0].Current() || cs[0].Status != ui.ConsentAuthorized || cs[1].Current() || cs[1].Status != ui.ConsentRevoked {
		t.Fatalf("after renewal: new %s (current %v), old %s (current %v)", cs[0].Status, cs[0].Current(), cs[1].Status, cs[1].Current())
	}
	if bc, err := a.banks[0].client.GetConsent(ctx, c.ID); err != nil || bc.Status != "Revoked" || bc.RevokedBy != "TPP" {
		t.Fatalf("the bank's view of the replaced consent: %v %+v", err, bc)
	}
	if ov, _ := w.Overview(ctx); ov.Active == nil || ov.Active.ID != renewed.ID {
		t.Fatalf("Home's active consent after renewal: %+v", ov.Active)
	}
	newPayees, _ := w.Payees(ctx, renewed.ID)
	if last := finalEvent(t, pay(t, w, renewed.ID, newPayees[0].ID, "1.00", clock.nextCode(t, js.totpSecret))); last.State != ui.StepDone {
		t.Fatalf("payment on the renewal: %+v", last)
	}
}

// TestLockoutRecoverAndUnlock: five wrong codes block payments; the recovery code with a fresh
// authenticator code and a new PIN lifts the block; the new PIN pays and unlocks the idle lock.
func TestLockoutRecoverAndUnlock(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees()[:1])
	payees, _ := w.Payees(ctx, c.ID)
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: c.ID, PayeeID: payees[0].ID, Amount: "5"})
	if err != nil {
		t.Fatal(err)
	}
	var scaErr *ui.SCAError
	for i := 1; i <= 5; i++ {
		last := finalEvent(t, submit(t, w, pp.ID, testPIN, "000000"))
		if !errors.As(last.Err, &scaErr) || scaErr.Locked != (i == 5) {
			t.Fatalf("failure %d: %+v", i, last)
		}
	}
	if _, err := w.Recover(ctx, ui.NewSecret("AAAA-BBBB"), ui.NewSecret(clock.nextCode(t, js.totpSecret)), ui.NewSecret("864209")); err == nil {
		t.Fatal("a wrong recovery code lifted the block")
	}
	next, err := w.Recover(ctx, ui.NewSecret(js.recovery), ui.NewSecret(clock.nextCode(t, js.totpSecret)), ui.NewSecret("864209"))
	if err != nil || next.Empty() || next.Reveal() == js.recovery {
		t.Fatalf("recover: %v", err)
	}
	if err := w.Unlock(ctx, ui.NewSecret("864209")); err != nil {
		t.Fatalf("unlock with the new PIN: %v", err)
	}
	if err := w.Unlock(ctx, ui.NewSecret(testPIN)); !errors.As(err, &scaErr) {
		t.Fatalf("the old PIN still unlocks: %v", err)
	}
	pp, err = w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: c.ID, PayeeID: payees[0].ID, Amount: "5"})
	if err != nil {
		t.Fatal(err)
	}
	if last := finalEvent(t, submit(t, w, pp.ID, "864209", clock.nextCode(t, js.totpSecret))); last.State != ui.StepDone {
		t.Fatalf("payment with the new PIN: %+v", last)
	}
}

// TestUnfinishedPaymentResumesOnStart: the bank fails every request with 500 after the payment
// is persisted; the wallet ends with the outcome unknown, nothing paid twice. The next start
// resumes it in the background (reconcile first) and it settles exactly once.
func TestUnfinishedPaymentResumesOnStart(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees()[:1])
	payees, _ := w.Payees(ctx, c.ID)
	if err := a.Sandbox().InjectFault(sandbox.Fault{Kind: sandbox.FaultServerError, Count: 1000, Target: "rs"}); err != nil {
		t.Fatal(err)
	}
	last := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "9.99", clock.nextCode(t, js.totpSecret)))
	if last.State != ui.StepFailed || last.Receipt == nil || last.Receipt.Status == ui.PaymentRefused {
		t.Fatalf("payment during the outage: %+v", last)
	}
	if err := a.Close(); err != nil { // the sandbox's faults are in memory: the next start has none
		t.Fatal(err)
	}
	b := openApp(t, cfg, clock)
	defer b.Close()
	if err := b.WaitStartup(ctx); err != nil {
		t.Fatalf("start-up: %v", err)
	}
	page, err := b.UIWallet().History(ctx, ui.HistoryQuery{})
	if err != nil || len(page.Rows) != 1 || !strings.HasPrefix(string(page.Rows[0].Status), "Accepted") {
		t.Fatalf("after resume: %v %+v", err, page.Rows)
	}
	bc, err := b.banks[0].client.GetConsent(ctx, c.ID)
	if err != nil || len(bc.PaymentURLs) != 1 {
		t.Fatalf("the bank holds %d payments, want exactly 1 (%v)", len(bc.PaymentURLs), err)
	}
}

// TestNewConsentAfterRevocation: an onboarded wallet can authorise a further consent through the
// same calls as the wizard (SaveBeneficiaries, ConsentTerms, BeginBankStep, the bank step), with
// the existing PIN and authenticator: what a "new consent" action on the dashboard needs.
func TestNewConsentAfterRevocation(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	old, js := onboard(t, w, clock, twoPayees()[:1])
	if err := w.RevokeConsent(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.SaveBeneficiaries(ctx, ui.BeneficiaryPlan{Model: ui.BeneficiaryOpen}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ConsentTerms(ctx); err != nil {
		t.Fatal(err)
	}
	step, err := w.BeginBankStep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	browse(t, step.URL)
	c, err := w.AwaitBankCallback(ctx, step)
	if err != nil || c.Model != ui.BeneficiaryOpen {
		t.Fatalf("new consent: %v %+v", err, c)
	}
	ov, _ := w.Overview(ctx)
	if ov.Active == nil || ov.Active.ID != c.ID {
		t.Fatalf("the new consent is not active: %+v", ov.Active)
	}
	newPayee := ui.PayeeDraft{Name: "New Payee", IBAN: ibanFor("033", "0000000000004242")}
	confirmPayee(t, w, a.Sandbox(), c.ID, newPayee)
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: c.ID, NewPayee: newPayee, Amount: "2.50"})
	if err != nil {
		t.Fatal(err)
	}
	if last := finalEvent(t, submit(t, w, pp.ID, testPIN, clock.nextCode(t, js.totpSecret))); last.State != ui.StepDone {
		t.Fatalf("payment to a new payee on the open consent: %+v", last)
	}
	// The composition checks payees with the embedded bank's Confirmation of Payee (its
	// default directory): a match, a close match with the bank's name, an unknown account.
	pc, ok := w.(ui.PayeeCheckService)
	if !ok {
		t.Fatal("the app's wallet does not check payees")
	}
	for _, tc := range []struct {
		name, iban string
		want       ui.PayeeCheckAnswer
		bankName   string
	}{
		{"Fatima Al Mansoori", "AE46 0090 0000 0012 3456 789", ui.PayeeCheckMatch, ""},
		{"Fatima Al Mansouri", "AE460090000000123456789", ui.PayeeCheckClose, "Fatima Al Mansoori"},
		{"Anyone", ibanFor("033", "0000000000005353"), ui.PayeeCheckNotFound, ""},
	} {
		got, err := pc.CheckPayee(ctx, c.ID, ui.PayeeDraft{Name: tc.name, IBAN: tc.iban})
		if err != nil || got.Answer != tc.want || got.BankName != tc.bankName {
			t.Errorf("check %s: %+v %v, want %s", tc.name, got, err, tc.want)
		}
	}
	if err := pc.AcceptPayee(ctx, c.ID, ui.PayeeDraft{Name: "Anyone", IBAN: ibanFor("033", "0000000000005353")}, true); err == nil {
		t.Error("an account the bank does not know was accepted")
	}
}

// TestOpenPaymentSettlesWhileTheWalletRuns: the bank fails every request while a payment is
// sent, so it ends with its outcome unknown; once the bank is back, the background loop
// reconciles and settles it without a restart or a manual recheck, exactly once. (The test's
// Sleep runs the loop's waits at 1/20 of their length; the guard below only stops a hang.)
func TestOpenPaymentSettlesWhileTheWalletRuns(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	defer a.Close()
	if err := a.WaitStartup(ctx); err != nil {
		t.Fatal(err)
	}
	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees()[:1])
	payees, _ := w.Payees(ctx, c.ID)
	if err := a.Sandbox().InjectFault(sandbox.Fault{Kind: sandbox.FaultServerError, Count: 1000, Target: "rs"}); err != nil {
		t.Fatal(err)
	}
	last := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "6.50", clock.nextCode(t, js.totpSecret)))
	if last.Receipt == nil || strings.HasPrefix(string(last.Receipt.Status), "Accepted") || last.Receipt.Status == ui.PaymentRefused {
		t.Fatalf("payment during the outage: %+v", last)
	}
	a.Sandbox().ClearFaults()
	guard := time.Now().Add(90 * time.Second)
	for {
		page, err := w.History(ctx, ui.HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Rows) == 1 && strings.HasPrefix(string(page.Rows[0].Status), "Accepted") {
			break
		}
		if time.Now().After(guard) {
			t.Fatalf("the background loop never settled the payment: %+v", page.Rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
	bc, err := a.banks[0].client.GetConsent(ctx, c.ID)
	if err != nil || len(bc.PaymentURLs) != 1 {
		t.Fatalf("the bank holds %d payments, want exactly 1 (%v)", len(bc.PaymentURLs), err)
	}
}

// wrongCode moves the clock one step on, as nextCode does, and returns a well-formed code
// that none of the steps the authenticator accepts then (±1) gives.
func wrongCode(t *testing.T, clock *scaClock, secret string) string {
	t.Helper()
	clock.offset.Add(int64(30 * time.Second))
	near := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		c, err := totp.GenerateCode(secret, clock.Now().Add(d))
		if err != nil {
			t.Fatal(err)
		}
		near[c] = true
	}
	for _, c := range []string{"000000", "000001", "000002", "000003"} {
		if !near[c] {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}
