package wallet

import (
	"context"
	"fmt"

	"github.com/payterm/payterm/provider"
)

// A renewal is a new consent carrying the chain's root as BaseConsentId (uae-spec §8: after
// staging only the status of a consent can change). Once the bank has authorised it, the
// consent it replaces has no further use, and leaving it Authorized would show two active
// consents and keep a second payment permission alive at the bank. So the wallet revokes the
// replaced consent at the bank with RevokedBy "TPP" — the TPP's own decision, not the user
// cancelling a permission — and it moves to History. Two cases wait for a later attempt (every
// consent sync retries): the replaced consent still has a payment that is not final (tracking
// it must not be cut off), or the bank cannot be reached. Meanwhile the wallet pays with the
// newest usable consent, as it always does.

// supersededConsents lists the consents RetireSuperseded revokes now: not terminal, an
// ancestor (through RenewedFrom) of an Authorized consent, and without an open payment.
func supersededConsents(all []Consent, open []Payment) []Consent {
	byID := make(map[string]Consent, len(all))
	for _, c := range all {
		byID[c.ID] = c
	}
	replaced := map[string]bool{}
	for _, c := range all {
		if c.Status != ConsentAuthorized {
			continue
		}
		// Walk back the chain; the bound guards against a corrupt ledger with a cycle.
		for id, n := c.RenewedFrom, 0; id != "" && n < len(all); n++ {
			replaced[id] = true
			id = byID[id].RenewedFrom
		}
	}
	busy := map[string]bool{}
	for _, p := range open {
		busy[p.ConsentID] = true
	}
	var out []Consent
	for _, c := range all {
		if replaced[c.ID] && !c.Status.Terminal() && !busy[c.ID] {
			out = append(out, c)
		}
	}
	return out
}

// RetireSuperseded revokes at the bank (RevokedBy "TPP") every consent an authorised renewal
// replaced, records it Revoked and forgets its tokens. It tries them all and returns the
// first error; what it could not do now, the next call does.
func (w *Wallet) RetireSuperseded(ctx context.Context) error {
	all, err := w.cfg.Ledger.Consents(ctx)
	if err != nil {
		return fmt.Errorf("retire replaced consents: %w", err)
	}
	open, err := w.cfg.Ledger.OpenPayments(ctx)
	if err != nil {
		return fmt.Errorf("retire replaced consents: %w", err)
	}
	var first error
	for _, c := range supersededConsents(all, open) {
		if err := w.revoke(ctx, c.ID, provider.RevokedByWallet); err != nil && first == nil {
			first = fmt.Errorf("retire replaced consent: %w", err)
		}
	}
	return first
}
