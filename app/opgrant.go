package app

import (
	"time"

	"github.com/payterm/payterm/wallet"
)

// An OP link has no consent at the bank, but its latest bank approval does end: OP's refresh
// token lives 45 days after the SCA, and with it the exemption flow and late re-submissions.
// The grant dashboard shows that end as the link's expiry, and warns ahead of it as it does for
// a UAE consent. Before any approval (or after the last one ended) the link shows none.

// opLinkExpiry is the end of the latest OP approval held for c's bank, if c is an OP link.
func (a *App) opLinkExpiry(c wallet.Consent) (time.Time, bool) {
	if c.Kind != wallet.GrantLink {
		return time.Time{}, false
	}
	bc, ok := a.bankByID(c.Bank)
	if !ok || bc.op == nil || bc.op.prov == nil {
		return time.Time{}, false
	}
	exp := bc.op.prov.ApprovalExpiry()
	return exp, !exp.IsZero()
}
