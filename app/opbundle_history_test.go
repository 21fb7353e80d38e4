package app

// OP bundles taken up again from History after a restart: approving the whole bundle again, and
// cancelling one payment of it (refused, with the way to do it on OP's page).

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// TestOPBundleApprovedAgainFromHistoryAfterARestart: the wallet stops at OP's page; after a
// restart the payer asks again for the approval of one payment of the bundle (History's
// ApproveAgain, the screens' path): OP's one page covers the bundle, and once approved every
// payment of it is submitted at once, each debited once.
func TestOPBundleApprovedAgainFromHistoryAfterARestart(t *testing.T) {
	e := newBundleEnv(t)
	ps := e.leftAtOPsPage(t)

	a := openApp(t, e.cfg, e.clock)
	defer a.Close()
	bank := a.banks[1].op.bank
	w := a.UIWallet()
	pages, last := approveFromHistory(t, w, ps[1].ID, func(page string) string { return opBrowse(t, page, "approve") })
	if pages != 1 || last.Receipt == nil || !ui.PaymentPaid(last.Receipt.Status) {
		t.Fatalf("%d pages, final %+v", pages, last)
	}
	for i, p := range ps {
		q, err := a.ledger.Payment(context.Background(), p.ID)
		if err != nil || q.Status != wallet.PaymentExecuted || bank.PaymentDebits(q.BankPaymentID) != 1 {
			t.Fatalf("payment %d right after the approval: %s, debited %d, %v", i+1, q.Status, bank.PaymentDebits(q.BankPaymentID), err)
		}
	}
	checkVerdicts(t, bank)
}

// approveFromHistory asks the bank again, as History's a does, for its approval of payment id
// (retrying while the restarted wallet still resumes it), answers the first page with
// browse's address, and returns how many pages were asked and the last event.
func approveFromHistory(t *testing.T, w ui.Wallet, id int64, browse func(page string) string) (int, ui.PaymentEvent) {
	t.Helper()
	ref := strconv.FormatInt(id, 10)
	var (
		ch  <-chan ui.PaymentEvent
		err error
	)
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, ch, err = w.(ui.ApprovalResumer).ApproveAgain(context.Background(), ref)
		if err == nil || time.Now().After(end) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	last := drain(t, ch, func(ev ui.PaymentEvent) {
		if ev.Action == nil || pages > 0 {
			return
		}
		pages++
		back := browse(ev.Action.URL)
		if err := w.ContinuePayment(context.Background(), ref, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(back)}); err != nil {
			t.Errorf("ContinuePayment: %v", err)
		}
	})
	return pages, last
}

// leftAtOPsPage pays the bundle of three up to OP's page, stops watching there (the wallet
// stops before the payer approves) and closes the wallet; it returns the bundle's payments.
func (e *bundleEnv) leftAtOPsPage(t *testing.T) []wallet.Payment {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	b, err := e.a.wallet.PrepareBundle(ctx, bundleDrafts(e.link.ID))
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := e.a.wallet.SubmitBundle(ctx, b, sca.PIN(testPIN), sca.OTP(e.clock.nextCode(t, e.js.totpSecret)), func(ev wallet.Event) {
		if ev.Action != nil {
			stop()
		}
	})
	if len(ps) != 3 {
		t.Fatalf("%d payments before the restart", len(ps))
	}
	e.a.Close()
	return ps
}

// TestOPBundleCancelOneFromHistorySaysHowInstead: the wallet stops at OP's page; after a
// restart the payer tries to cancel one payment of the bundle from History. Erasing it alone
// at OP would leave OP's authorization of the bundle unable to approve the other two (the strict
// sandbox refuses a partly revoked bundle's page), so the wallet refuses and says how: leave it
// out on OP's page. Nothing reaches OP; the page then lists all three, the payer unticks the
// first, and the other two are submitted and debited once while the first ends Rejected.
func TestOPBundleCancelOneFromHistorySaysHowInstead(t *testing.T) {
	e := newBundleEnv(t)
	ps := e.leftAtOPsPage(t)

	a := openApp(t, e.cfg, e.clock)
	defer a.Close()
	bank := a.banks[1].op.bank
	w := a.UIWallet()
	var err error
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, err = w.CancelPayment(context.Background(), strconv.FormatInt(ps[0].ID, 10))
		if err == nil || !strings.Contains(err.Error(), "right now") || time.Now().After(end) {
			break
		}
	}
	var p *ui.Problem
	if !errors.As(err, &p) || !strings.Contains(p.What, "2 more of it await your one approval") || !strings.Contains(p.Next, "leave this payment out") {
		t.Fatalf("cancelling one payment of a waiting bundle: %v", err)
	}
	for _, q := range ps {
		q, err := a.ledger.Payment(context.Background(), q.ID)
		if err != nil || q.Final || q.Status != wallet.PaymentAwaitingBankSCA {
			t.Fatalf("a payment of the bundle after the refused cancel: %s final=%v %v", q.Status, q.Final, err)
		}
	}
	listed := 0
	_, last := approveFromHistory(t, w, ps[1].ID, func(page string) string {
		return opBrowsePick(t, page, func(i int) bool { listed = i + 1; return i != 0 })
	})
	if listed != 3 || last.Receipt == nil || !ui.PaymentPaid(last.Receipt.Status) {
		t.Fatalf("OP's page listed %d payments to approve (want 3), final %+v", listed, last)
	}
	for i, p := range ps {
		q, err := a.ledger.Payment(context.Background(), p.ID)
		want, debits := wallet.PaymentExecuted, 1
		if i == 0 {
			want, debits = wallet.PaymentRejected, 0
		}
		if err != nil || q.Status != want || bank.PaymentDebits(q.BankPaymentID) != debits {
			t.Fatalf("payment %d: %s, debited %d, %v (want %s, %d)", i+1, q.Status, bank.PaymentDebits(q.BankPaymentID), err, want, debits)
		}
	}
	checkVerdicts(t, bank)
}
