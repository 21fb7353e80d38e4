package app

import (
	"context"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// Bundles left waiting for the payer's one approval at the bank (issue 14): no screen lists
// open bundles, so History's detail of a bundled payment carries its place in the bundle and
// how many of it still wait (approving it approves them all: approveAgain), and Home counts
// the waiting bundles per bank.

// bundleMembership is p's place in its bundle; nil for a payment not made in one.
func (a *App) bundleMembership(ctx context.Context, p wallet.Payment) (*ui.BundleMembership, error) {
	r, err := p.Receipt()
	if err != nil || r.Bundle == "" {
		return nil, nil // no receipt yet, or a payment of its own
	}
	ps, err := a.ledger.PaymentsOfBundle(ctx, r.Bundle)
	if err != nil {
		return nil, err
	}
	m := &ui.BundleMembership{Item: r.BundleItem, Size: len(ps)}
	for _, q := range ps {
		if awaitsApproval(q) {
			m.Awaiting++
		}
	}
	return m, nil
}

// awaitsApproval reports whether p still waits for the payer's approval at its bank.
func awaitsApproval(p wallet.Payment) bool {
	return p.Status == wallet.PaymentAwaitingBankSCA && !p.Final
}

// bundlesAwaiting counts the bundles with a payment awaiting the payer's approval, per bank
// (banks maps a link's id to its bank's id), in the order their oldest payment was made. Only
// banks in the config that take bundles (Caps.Bundle) are counted: a bundle left at a bank that
// left the config cannot be approved from here. With no such bank the open payments are not
// read at all (Home reads its overview at every start and every change).
func (a *App) bundlesAwaiting(ctx context.Context, banks map[string]string) ([]ui.BundlesWaiting, error) {
	bundling := a.bundlingBanks()
	if len(bundling) == 0 {
		return nil, nil
	}
	open, err := a.ledger.OpenPayments(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	at := map[string]int{} // bank id → index in out
	var out []ui.BundlesWaiting
	for _, p := range open {
		if !awaitsApproval(p) {
			continue
		}
		bank := banks[p.ConsentID]
		if !bundling[bank] {
			continue
		}
		r, err := p.Receipt()
		if err != nil || r.Bundle == "" || seen[r.Bundle] {
			continue
		}
		seen[r.Bundle] = true
		i, ok := at[bank]
		if !ok {
			i = len(out)
			at[bank] = i
			out = append(out, ui.BundlesWaiting{Bank: a.bankName(bank)})
		}
		out[i].Count++
	}
	return out, nil
}

// bundlingBanks are the ids of the configured banks whose approval may cover a bundle.
func (a *App) bundlingBanks() map[string]bool {
	out := map[string]bool{}
	for _, bc := range a.banks {
		if caps, ok := a.capsOf(bc.cfg.ID); ok && caps.Bundle > 0 {
			out[bc.cfg.ID] = true
		}
	}
	return out
}
