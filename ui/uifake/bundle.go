package uifake

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/payterm/payterm/internal/iban"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/ui"
)

// The fake's OP bank: SEPA payments in EUR that may go in a bundle (several payments, one
// wallet check, one approval on the bank's page). Test scaffolding like the rest of FakeWallet:
// deterministic, obviously fake names, public example IBANs. The page's outcome is in the
// address pasted back: "code=" approves every payment, "error=" rejects them all, and
// "code=…&only=1,2" approves those places only (the others end Rejected, as at OP).

// FakeOPBank is the fake OP bank.
var FakeOPBank = ui.BankOption{ID: "op", Name: "OP Test Bank", Terms: FakeOPTerms()}

// FakeOPTerms are the OP bank's terms as the core fills them.
func FakeOPTerms() ui.PayTerms {
	return ui.PayTerms{
		Standard:  "OP PSD2 Payment Initiation v1",
		Currency:  "EUR",
		Products:  []ui.Product{{ID: "sepa-payments", Label: "SEPA transfer (OP)", Currency: "EUR", Account: ui.AccountIBAN}},
		Reference: ui.ReferenceField{Label: "Message to the payee", Max: 140},
		WalletSCA: ui.SCAWalletOnly,
		Signing:   "detached JWS (ES256) over the body in x-jws-signature, x-idempotency-key, mTLS; answers' x-jws-signature verified",
		Approval:  "at the bank, each payment",
		Scheme:    "detached JWS ES256 (x-jws-signature)",
		Bundle:    10,
	}
}

// NewFakeOPWallet is NewFakeWallet with a link at the fake OP bank first: Home's active
// consent, what b pays a bundle from.
func NewFakeOPWallet(now func() time.Time, n int) *FakeWallet {
	f := NewFakeWallet(now, n)
	f.AddBGConsent(FakeOPBank)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.consents[0].Model = ui.BeneficiaryOpen // OP pays any payee typed
	f.consents[0].DebtorMasked = "FI49 •••• 8730"
	return f
}

// fakeBundles are the fake OP bank's bundles.
type fakeBundles struct {
	seq      int
	prepared map[string]ui.PreparedBundle
	paid     map[string][]ui.BundleItem
	pending  *fakeBundleWait
	// waiting are the bundles AddWaitingBundle left at the bank: bundle id → row ids.
	waiting map[string][]string
	// Hold, when non-nil, keeps every bundle at the bank's page until it is closed (after an
	// answer): a test reads the live list meanwhile.
	Hold chan struct{}
}

type fakeBundleWait struct {
	id string
	in chan ui.BankInput
}

// fakeOPURL is the address of OP's page for a bundle.
func fakeOPURL(id string) string {
	return "https://authorize.op.example/oauth/authorize?request=eyJ.fake.request&bundle=" + id
}

// BundleHold makes the next bundles wait after the bank's answer until the channel is closed.
func (f *FakeWallet) BundleHold(c chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bundle.Hold = c
}

// BundleItems are where each payment of a bundle the fake paid ended (nil for none).
func (f *FakeWallet) BundleItems(id string) []ui.BundleItem {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ui.BundleItem(nil), f.bundle.paid[id]...)
}

func (f *FakeWallet) PrepareBundle(ctx context.Context, consentID string, items []ui.PaymentDraft) (ui.PreparedBundle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("PrepareBundle")
	var c *ui.Consent
	for i := range f.consents {
		if f.consents[i].ID == consentID {
			c = &f.consents[i]
		}
	}
	if c == nil || c.Terms.Bundle < 2 {
		return ui.PreparedBundle{}, &ui.Problem{What: "This bank approves each payment on its own: it takes no bundles.", Next: "Pay them one by one."}
	}
	if len(items) < 2 || len(items) > c.Terms.Bundle {
		return ui.PreparedBundle{}, &ui.Problem{What: fmt.Sprintf("A bundle holds 2 to %d payments.", c.Terms.Bundle), Next: "Add or remove payments."}
	}
	f.bundle.seq++
	b := ui.PreparedBundle{ID: fmt.Sprintf("b%07d-0000-4000-8000-000000000000", f.bundle.seq), ConsentID: consentID, Currency: "EUR",
		RevokeWarning: fmt.Sprintf("Revoking this authorization at OP revokes every payment in it: all %d of them, not only this one.", len(items))}
	for i, d := range items {
		a, err := money.ParseInput(d.Amount)
		if err != nil || !a.IsPositive() {
			return ui.PreparedBundle{}, &ui.Problem{What: fmt.Sprintf("Payment %d of the bundle: the amount is not valid.", i+1), Next: "Type it in digits, like 12.50."}
		}
		acct, err := iban.Parse(d.NewPayee.IBAN)
		if err != nil {
			return ui.PreparedBundle{}, &ui.Problem{What: fmt.Sprintf("Payment %d of the bundle: the IBAN is not valid.", i+1), Next: "Check it."}
		}
		if b.Total, err = b.Total.Add(a); err != nil {
			return ui.PreparedBundle{}, err
		}
		b.Items = append(b.Items, ui.PreparedPayment{ID: fmt.Sprintf("%s-%d", b.ID, i+1), ConsentID: consentID,
			Payee: ui.Payee{Name: strings.TrimSpace(d.NewPayee.Name), IBAN: string(acct)}, Amount: a, Currency: "EUR", Reference: d.Reference,
			Product: "sepa-payments", Steps: bgSteps})
	}
	if f.bundle.prepared == nil {
		f.bundle.prepared = map[string]ui.PreparedBundle{}
	}
	f.bundle.prepared[b.ID] = b
	return b, nil
}

func (f *FakeWallet) SubmitBundle(ctx context.Context, bundleID string, sca ui.SCAInput) (<-chan ui.BundleEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("SubmitBundle")
	b, ok := f.bundle.prepared[bundleID]
	if !ok {
		return nil, &ui.Problem{What: "This bundle was already paid or has expired.", Next: "Add the payments again."}
	}
	ch := make(chan ui.BundleEvent, 64)
	if err := f.scaCheck(sca.PIN.Reveal(), sca.TOTP.Reveal()); err != nil {
		ch <- ui.BundleEvent{State: ui.StepFailed, Err: err, Final: true}
		close(ch)
		return ch, nil
	}
	delete(f.bundle.prepared, bundleID) // one wallet check, one bundle
	wait := &fakeBundleWait{id: bundleID, in: make(chan ui.BankInput, 1)}
	f.bundle.pending = wait
	hold := f.bundle.Hold
	go f.runBundle(ctx, ch, b, wait, hold)
	return ch, nil
}

// answerBundle takes the answer to a bundle's page (ContinuePayment under the bundle's id);
// false when no bundle waits under that id. The caller holds f.mu.
func (f *FakeWallet) answerBundle(id string, in ui.BankInput) bool {
	p := f.bundle.pending
	if p == nil || p.id != id || in.Kind != ui.ActionRedirect {
		return false
	}
	f.bundle.pending = nil
	p.in <- in
	return true
}

// runBundle is a bundle after the wallet's check: each payment saved and created at the bank,
// one page for all, then each submitted (or rejected) and executed.
func (f *FakeWallet) runBundle(ctx context.Context, ch chan ui.BundleEvent, b ui.PreparedBundle, wait *fakeBundleWait, hold chan struct{}) {
	defer close(ch)
	// The bundle's items live in f.bundle.paid (under f.mu), so RevokeBundle sees them while the
	// page is shown and this run sees what it changed.
	f.mu.Lock()
	if f.bundle.paid == nil {
		f.bundle.paid = map[string][]ui.BundleItem{}
	}
	f.bundle.paid[b.ID] = make([]ui.BundleItem, len(b.Items))
	f.mu.Unlock()
	set := func(i int, it ui.BundleItem) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if cur := f.bundle.paid[b.ID][i]; cur.Status != ui.PaymentCancelled {
			f.bundle.paid[b.ID][i] = it
		}
	}
	snap := func() []ui.BundleItem {
		f.mu.Lock()
		defer f.mu.Unlock()
		return append([]ui.BundleItem(nil), f.bundle.paid[b.ID]...)
	}
	emit := func(ev ui.BundleEvent) bool {
		ev.Items = snap()
		select {
		case ch <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	finish := func(err error) {
		f.mu.Lock()
		if f.bundle.pending == wait {
			f.bundle.pending = nil
		}
		f.mu.Unlock()
		ch <- ui.BundleEvent{State: ui.StepDone, Items: snap(), Final: true, Err: err}
	}
	if !emit(ui.BundleEvent{State: ui.StepDone, Note: "Wallet check"}) {
		finish(nil)
		return
	}
	for i := range b.Items {
		set(i, ui.BundleItem{PaymentID: fmt.Sprintf("op-pay-%d", i+1), Status: ui.PaymentAwaitingBankSCA, BankStatus: "Unauthorized"})
		if !emit(ui.BundleEvent{Item: i + 1, State: ui.StepDone, Note: "Created at OP"}) {
			finish(nil)
			return
		}
	}
	act := &ui.BankAction{Kind: ui.ActionRedirect, URL: fakeOPURL(b.ID), NeedsCallback: true,
		Message: fmt.Sprintf("Open OP's page, log in once and approve the %d payments there, then paste the address OP sends your browser back to.", len(b.Items))}
	if !emit(ui.BundleEvent{State: ui.StepRunning, Action: act}) {
		finish(nil)
		return
	}
	var in ui.BankInput
	select {
	case in = <-wait.in:
	case <-ctx.Done():
		finish(nil)
		return
	}
	back := in.Secret.Reveal()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
		}
	}
	only := map[int]bool{}
	if k := strings.Index(back, "only="); k >= 0 {
		for _, n := range strings.Split(back[k+len("only="):], ",") {
			var x int
			if _, err := fmt.Sscanf(n, "%d", &x); err == nil {
				only[x] = true
			}
		}
	}
	approved := strings.Contains(back, "code=")
	for i := range b.Items {
		it := ui.BundleItem{PaymentID: fmt.Sprintf("op-pay-%d", i+1), Status: ui.PaymentExecuted, BankStatus: "Submitted"}
		if !approved || (len(only) > 0 && !only[i+1]) {
			it.Status, it.BankStatus, it.Reason = ui.PaymentRejected, "", "You rejected the payment at OP: nothing was paid."
		}
		set(i, it)
		emit(ui.BundleEvent{Item: i + 1, State: ui.StepDone, Note: it.BankStatus})
	}
	finish(nil)
}

func (f *FakeWallet) RevokeBundle(ctx context.Context, bundleID string) ([]ui.BundleItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("RevokeBundle")
	items := f.bundle.paid[bundleID]
	if len(items) == 0 {
		return nil, &ui.Problem{What: "That bundle is not in the ledger.", Next: "Check History."}
	}
	for i := range items {
		if items[i].Status == ui.PaymentAwaitingBankSCA {
			items[i].Status, items[i].BankStatus, items[i].Reason = ui.PaymentCancelled, "Revoked", "The payment was revoked before it was submitted."
		}
	}
	return append([]ui.BundleItem(nil), items...), nil
}
