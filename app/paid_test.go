package app

import (
	"context"
	"testing"
	"time"

	"github.com/payterm/payterm/sandbox"
	"github.com/payterm/payterm/ui"
)

// TestPaidToDateCountsOnlyWhatWasPaid: a payment left queued (the bank asked to wait and the
// user stopped waiting: Prepared, never sent) and then cancelled is not "paid to date" on Home
// or the consent detail; a settled one is. History's totals add up the same rows with the part paid.
func TestPaidToDateCountsOnlyWhatWasPaid(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees())
	payees, err := w.Payees(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}

	// Queued: the bank answers 429 Retry-After; the submission's context ends during the wait.
	if err := a.Sandbox().InjectFault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 1, RetryAfter: 60}); err != nil {
		t.Fatal(err)
	}
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: c.ID, PayeeID: payees[0].ID, Amount: "7", Purpose: "TOF"})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		clock.nextCode(t, js.totpSecret) // the SCA clock runs minutes behind: bring it close to now
	}
	runCtx, stop := context.WithCancel(ctx)
	ch, err := w.SubmitPayment(runCtx, pp.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, js.totpSecret))})
	if err != nil {
		t.Fatal(err)
	}
	var last ui.PaymentEvent
	deadline := time.After(60 * time.Second)
	for done := false; !done; {
		select {
		case ev, ok := <-ch:
			if !ok {
				done = true
				break
			}
			last = ev
			if !ev.Until.IsZero() {
				stop() // esc: stop waiting; the payment stays queued
			}
		case <-deadline:
			t.Fatal("the queued payment never ended")
		}
	}
	stop()
	if last.Receipt == nil || last.Receipt.Status != ui.PaymentPrepared {
		t.Fatalf("want a queued receipt, got %+v", last)
	}
	ov, err := w.Overview(ctx)
	if err != nil || ov.Active == nil {
		t.Fatalf("overview: %+v, %v", ov, err)
	}
	if !ov.Active.TotalPaid.IsZero() || ov.Active.PaymentCount != 0 {
		t.Fatalf("a queued payment counts as paid: %s in %d", ov.Active.TotalPaid.Display(), ov.Active.PaymentCount)
	}
	// The payer cancels it (X): left queued, the background loop would send it once the bank's
	// wait is over (it may, while the approval lasts), at a moment this test does not control.
	if _, err := w.CancelPayment(ctx, last.Receipt.ID); err != nil {
		t.Fatal(err)
	}

	// Settled: it is paid.
	if ev := finalEvent(t, pay(t, w, c.ID, payees[1].ID, "12.50", clock.nextCode(t, js.totpSecret))); ev.Receipt == nil || ev.Err != nil {
		t.Fatalf("payment: %+v", ev)
	}
	d, err := w.ConsentDetail(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Consent.TotalPaid.Display(); got != "12.50" || d.Consent.PaymentCount != 1 {
		t.Fatalf("paid to date = %s in %d, want 12.50 in 1", got, d.Consent.PaymentCount)
	}
	if len(d.Payments) != 2 {
		t.Fatalf("the consent's payments: %d, want both (queued and settled)", len(d.Payments))
	}
	page, err := w.History(ctx, ui.HistoryQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 2 || len(page.Totals) != 1 {
		t.Fatalf("history totals: %d, %+v", page.Total, page.Totals)
	}
	if tt := page.Totals[0]; tt.Currency != "AED" || tt.Count != 2 || tt.Sum.Display() != "19.50" || tt.Paid.Display() != "12.50" {
		t.Fatalf("history totals: %+v", tt)
	}
}
