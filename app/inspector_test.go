package app

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
)

// currentStep is the name of the lit step of an inspection, or "" when none is.
func currentStep(t testing.TB, in ui.Inspection) string {
	t.Helper()
	name := ""
	for _, s := range in.Steps {
		if s.State == ui.SeqCurrent {
			if name != "" {
				t.Fatalf("two steps are current: %q and %q", name, s.Name)
			}
			name = s.Name
		}
	}
	return name
}

// TestInspectorLightsOnlyWhatRuns: the inspector's "now" is the bank step while the bank has the
// user, the status polls while a payment is being tracked, and nothing at rest — also after a
// restart, when the trace holds only the start-up exchanges.
func TestInspectorLightsOnlyWhatRuns(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := testConfig(t)
	opts := testOptions(clock)
	var (
		mu          sync.Mutex
		w           ui.Wallet
		seenInSleep = map[string]bool{}
	)
	scaled := opts.Sleep
	// The wallet sleeps between status polls: look at the inspector from there, mid-payment.
	opts.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		cur := w
		mu.Unlock()
		if cur != nil && d < time.Minute {
			if in, err := cur.Inspect(ctx); err == nil {
				name := currentStep(t, in)
				mu.Lock()
				seenInSleep[name] = true
				mu.Unlock()
			}
		}
		return scaled(ctx, d)
	}
	a, err := Open(ctx, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	w = a.UIWallet()
	mu.Unlock()

	if err := w.SetPIN(ctx, ui.NewSecret(testPIN)); err != nil {
		t.Fatal(err)
	}
	en, err := w.EnrolTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	totpSecret := en.Secret.Reveal()
	if _, err := w.ConfirmTOTP(ctx, ui.NewSecret(clock.nextCode(t, totpSecret))); err != nil {
		t.Fatal(err)
	}
	if err := w.SaveBeneficiaries(ctx, ui.BeneficiaryPlan{Model: ui.BeneficiaryOne, Payees: twoPayees()[:1]}); err != nil {
		t.Fatal(err)
	}
	step, err := w.BeginBankStep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	in, err := w.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := currentStep(t, in); got != sequence[seqAuthorize].name {
		t.Fatalf("while the bank has the user, the lit step is %q", got)
	}
	for _, st := range in.Steps {
		if st.Exchange != nil && st.Exchange.Bank != "" {
			t.Fatalf("with one bank the inspector names it on %s (%q)", st.Name, st.Exchange.Bank)
		}
	}
	browse(t, step.URL)
	c, err := w.AwaitBankCallback(ctx, step)
	if err != nil {
		t.Fatal(err)
	}
	if in, _ := w.Inspect(ctx); currentStep(t, in) != "" {
		t.Fatalf("after onboarding nothing runs, yet %q is lit", currentStep(t, in))
	}
	payees, _ := w.Payees(ctx, c.ID)
	if last := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "4.00", clock.nextCode(t, totpSecret))); last.State != ui.StepDone {
		t.Fatalf("payment: %+v", last)
	}
	mu.Lock()
	polled := seenInSleep[sequence[seqGet].name]
	mu.Unlock()
	if !polled {
		t.Fatalf("while the payment was polled the inspector lit %v, not the status polls", seenInSleep)
	}
	if in, _ := w.Inspect(ctx); currentStep(t, in) != "" {
		t.Fatalf("after the payment nothing runs, yet %q is lit", currentStep(t, in))
	}
	mu.Lock()
	w = nil
	mu.Unlock()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	b := openApp(t, cfg, clock)
	defer b.Close()
	if err := b.WaitStartup(ctx); err != nil {
		t.Fatal(err)
	}
	in, err = b.UIWallet().Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := currentStep(t, in); got != "" {
		t.Fatalf("after a restart nothing runs, yet %q is lit", got)
	}
	for _, s := range in.Steps[seqPAR:] {
		if s.State != ui.SeqPending {
			t.Errorf("after a restart %q is %v, want pending (the trace has no such exchange)", s.Name, s.State)
		}
	}
}
