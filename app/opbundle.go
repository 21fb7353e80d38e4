package app

import (
	"context"
	"strconv"
	"sync"

	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// Bundles (ui.BundleService): several payments at a bank that approves them together (OP), one
// wallet check and one approval at the bank (wallet.SubmitBundle). The bank's question is
// answered through ContinuePayment under the bundle's id: a.paying maps it to the ledger id of
// the bundle's first payment, where the wallet waits for the answer.

var _ ui.BundleService = uiWallet{}

// preparedBundles are the bundles prepared and not yet paid, by id.
type preparedBundles struct {
	mu sync.Mutex
	m  map[string]*wallet.PreparedBundle
}

func (p *preparedBundles) put(b *wallet.PreparedBundle) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]*wallet.PreparedBundle{}
	}
	p.m[b.ID] = b
}

func (p *preparedBundles) get(id string) *wallet.PreparedBundle {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[id]
}

func (p *preparedBundles) drop(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, id)
}

// walletDraft is a pay form's draft as the wallet takes it.
func walletDraft(d ui.PaymentDraft) (wallet.Draft, error) {
	draft := wallet.Draft{ConsentID: d.ConsentID, Amount: d.Amount, Reference: d.Reference, Purpose: d.Purpose, Product: d.Product}
	if d.PayeeID != "" {
		id, ok := parseID(d.PayeeID)
		if !ok {
			return wallet.Draft{}, &ui.Problem{What: "That payee is not in the wallet.", Next: "Pick a payee from the list."}
		}
		draft.PayeeID = id
		return draft, nil
	}
	in := payeeInput(d.NewPayee)
	draft.NewPayee = &in
	return draft, nil
}

func (w uiWallet) PrepareBundle(ctx context.Context, consentID string, items []ui.PaymentDraft) (ui.PreparedBundle, error) {
	a := w.a
	drafts := make([]wallet.Draft, len(items))
	for i, d := range items {
		d.ConsentID = consentID
		dr, err := walletDraft(d)
		if err != nil {
			return ui.PreparedBundle{}, err
		}
		drafts[i] = dr
	}
	b, err := a.wallet.PrepareBundle(ctx, drafts)
	if err != nil {
		return ui.PreparedBundle{}, uiError("Checking the bundle", err)
	}
	warn, err := a.wallet.BundleRevokeWarning(ctx, consentID, len(b.Items))
	if err != nil {
		return ui.PreparedBundle{}, uiError("Checking the bundle", err)
	}
	out := ui.PreparedBundle{ID: b.ID, ConsentID: consentID, Total: b.Total, Currency: b.Currency, RevokeWarning: warn}
	bank := ""
	if c, err := a.ledger.Consent(ctx, consentID); err == nil {
		bank = c.Bank
	}
	for _, p := range b.Items {
		out.Items = append(out.Items, ui.PreparedPayment{ID: p.ID, ConsentID: p.ConsentID, Payee: ui.Payee{Name: p.Payee.Name, IBAN: p.Payee.IBAN},
			Amount: p.Amount, Currency: p.Currency, Reference: p.Reference, Product: p.Product, Steps: a.stepsOf(bank)})
	}
	a.bundles.put(b)
	a.paying.prepared(b.ID, bank, a.opts.Clock())
	return out, nil
}

func (w uiWallet) SubmitBundle(ctx context.Context, bundleID string, in ui.SCAInput) (<-chan ui.BundleEvent, error) {
	a := w.a
	b := a.bundles.get(bundleID)
	if b == nil {
		return nil, &ui.Problem{What: "This bundle was already paid or has expired.", Next: "Add the payments again."}
	}
	ch := make(chan ui.BundleEvent, 64)
	go func() {
		defer close(ch)
		send := func(ev ui.BundleEvent) {
			select {
			case ch <- ev:
			case <-ctx.Done():
				select { // the screen still reads the final event after it stopped watching
				case ch <- ev:
				default:
				}
			}
		}
		items := make([]ui.BundleItem, len(b.Items))
		index := map[int64]int{}
		snapshot := func() []ui.BundleItem { return append([]ui.BundleItem(nil), items...) }
		progress := func(e wallet.Event) {
			n := 0
			if e.PaymentID != 0 {
				i, ok := index[e.PaymentID]
				if !ok && len(index) < len(items) {
					i = len(index)
					index[e.PaymentID] = i
					if i == 0 {
						a.paying.set(bundleID, e.PaymentID)
					}
					items[i].PaymentID = strconv.FormatInt(e.PaymentID, 10)
					ok = true
				}
				if ok {
					n = i + 1
					if e.Status != "" {
						items[i].Status, items[i].BankStatus = uiStatuses(e.Status, "")
					}
				}
			}
			if e.Action != nil {
				n = 0 // the approval is the bundle's
			}
			ev := ui.BundleEvent{Item: n, State: ui.StepRunning, Note: e.Note, Action: toUIAction(e.Action), Items: snapshot()}
			switch e.State {
			case wallet.StepDone:
				ev.State = ui.StepDone
			case wallet.StepFailed:
				ev.State, ev.Err = ui.StepFailed, uiError("Paying the bundle", e.Err)
			}
			send(ev)
		}
		ps, err := a.wallet.SubmitBundle(ctx, b, sca.PIN(in.PIN.Reveal()), sca.OTP(in.TOTP.Reveal()), progress)
		if len(ps) > 0 {
			a.bundles.drop(bundleID) // paid (or on its way): never submitted again
		}
		open := false
		for i, p := range ps {
			if i >= len(items) {
				break
			}
			fresh, ferr := a.ledger.Payment(context.WithoutCancel(ctx), p.ID)
			if ferr == nil {
				p = fresh
			}
			items[i] = bundleItemOf(p)
			open = open || !p.Final
		}
		a.paying.forget(bundleID)
		if open {
			a.keeper.poke() // the background loop follows the rest
		}
		send(ui.BundleEvent{State: ui.StepDone, Items: snapshot(), Final: true, Err: uiError("Paying the bundle", err)})
	}()
	return ch, nil
}

// bundleItemOf is a payment of a bundle as the bundle screen lists it.
func bundleItemOf(p wallet.Payment) ui.BundleItem {
	st, bank := uiStatuses(p.Status, p.BankStatus)
	it := ui.BundleItem{PaymentID: strconv.FormatInt(p.ID, 10), Status: st, BankStatus: bank}
	if p.Status.Outcome() == wallet.OutcomeFailed {
		it.Reason = reasonText(p)
	}
	return it
}

func (w uiWallet) RevokeBundle(ctx context.Context, bundleID string) ([]ui.BundleItem, error) {
	ps, err := w.a.wallet.RevokeBundle(ctx, bundleID)
	out := make([]ui.BundleItem, len(ps))
	for i, p := range ps {
		out[i] = bundleItemOf(p)
	}
	return out, uiError("Revoking the bundle", err)
}

// approveAgain asks the bank again for its approval of p (ApproveAgain). A payment of a bundle
// is approved with its whole bundle (wallet.ResumeBundle): the bank's one page covers them all,
// and every payment approved there is submitted now, not at the next background resume. The
// screen follows p: the other payments' events are not forwarded.
func (a *App) approveAgain(ctx context.Context, p wallet.Payment, progress func(wallet.Event)) (wallet.Payment, error) {
	r, err := p.Receipt()
	if err != nil || r.Bundle == "" {
		return a.wallet.ApproveAgain(ctx, p.ID, progress)
	}
	ps, err := a.wallet.ResumeBundle(ctx, r.Bundle, func(e wallet.Event) {
		if e.PaymentID == p.ID || e.Action != nil {
			e.PaymentID = p.ID // the bank's question is answered under this payment's id
			progress(e)
		}
	})
	for _, q := range ps {
		if q.ID == p.ID {
			return q, err
		}
	}
	return p, err
}
