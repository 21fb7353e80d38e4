package app

import (
	"time"

	"github.com/payterm/payterm/wallet"
)

// An OP link has no consent at the bank, but its latest bank approval does end: OP's refresh
// token lives 45 days after the SCA, and with it the exemption flow and late re-submissions.
// The grant dashboard shows that end as the link's expiry, and warns ahead of it as it does for
// a UAE consent. Before any approval (or after the last one ended) the link shows none.

//
// After a start the approvals come back with the payer's kept tokens, once the secret store has
// opened in the background (secrets.go, optokens.go): until then the link's end is unknown, not
// absent, and the screens say it is being restored. The background open tells every screen to
// reload (the feed's "everything changed") after the tokens are back.

// opLinkEnd is what the dashboard shows of c's end, if c is an OP link: the end of the latest
// OP approval held for its bank, or restoring while the kept tokens may still be on their way
// back (neither when no approval is held once they are back).
func (a *App) opLinkEnd(c wallet.Consent) (end time.Time, restoring bool) {
	if c.Kind != wallet.GrantLink {
		return time.Time{}, false
	}
	bc, ok := a.bankByID(c.Bank)
	if !ok || bc.op == nil || bc.op.prov == nil {
		return time.Time{}, false
	}
	// Asked before the expiry is read: the restore closes the wait only after the tokens are
	// in the provider, so "back" here means the expiry read next is the kept one.
	pending := a.opTokensPending()
	if exp := bc.op.prov.ApprovalExpiry(); !exp.IsZero() {
		return exp, false
	}
	return time.Time{}, pending
}
