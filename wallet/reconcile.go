package wallet

// Finding out what the bank made of a payment whose answer was lost: looked up by its key, never
// sent twice.

import (
	"context"
	"errors"
	"fmt"

	"github.com/payterm/payterm/provider"
)

// lookUp asks the bank for a Prepared payment by its key without marking it Unknown: found,
// it is adopted; not found, it stays queued for send.
func (w *Wallet) lookUp(ctx context.Context, bank provider.Bank, p *Payment, emit func(Event)) error {
	st, err := w.lookup(ctx, bank, p)
	switch {
	case err == nil:
		return w.accept(ctx, p, st, "found by idempotency key", emit)
	case errors.Is(err, provider.ErrNotFound):
		return nil
	default:
		return fmt.Errorf("payment %d: check with the bank before sending: %w", p.ID, err)
	}
}

// reconcile asks the bank for the payment created with the stored key. Found: adopt it. Not
// found: queue it again for a resend of the same bytes (send decides whether it may still
// leave, else abandons it: the bank provably has none; a new payment needs a new SCA).
func (w *Wallet) reconcile(ctx context.Context, bank provider.Bank, p *Payment, emit func(Event)) error {
	if bank.Caps().Dedup == provider.DedupNone {
		return w.unverifiable(ctx, p, "the bank offers no way to look a payment up; it may or may not have it")
	}
	st, err := w.lookup(w.bankCtx(ctx, p, StepSend, emit, w.cfg.TrackFor), bank, p)
	switch {
	case errors.Is(err, provider.ErrCannotReconcile):
		return w.unverifiable(ctx, p, "the bank could not tell whether it has the payment")
	case err == nil:
		return w.accept(ctx, p, st, "found by idempotency key", emit)
	case errors.Is(err, provider.ErrNotFound):
		now := w.cfg.Clock()
		if !now.Before(p.Created.Add(lookupWindow)) {
			// Past the bank's idempotency window a miss proves nothing: the payment may
			// exist. Never abandon it (nor resend): leave it Unknown for a person to check.
			if err := w.setStatus(ctx, p, StatusUpdate{Status: PaymentUnknown,
				Note: "past the bank's idempotency window: cannot be verified automatically"}); err != nil {
				return err
			}
			return fmt.Errorf("payment %d: the bank's idempotency window has passed; its outcome cannot be verified automatically, check with your bank", p.ID)
		}
		if r, rerr := p.Receipt(); rerr == nil && now.Before(scaDeadline(p, r)) {
			return w.setStatus(ctx, p, StatusUpdate{Status: PaymentPrepared, Note: "the bank has no payment for the key; resending the same request"})
		}
		return w.abandon(ctx, p, emit, "the bank has no payment for the key and its authorisation expired; authenticate again to pay")
	default:
		return fmt.Errorf("payment %d: reconcile with the bank: %w", p.ID, err)
	}
}

// lookup asks the provider for the payment the stored request created, logging the attempt.
func (w *Wallet) lookup(ctx context.Context, bank provider.Bank, p *Payment) (provider.State, error) {
	receipt, _ := p.Receipt() // a lookup goes by the stored key; the SCA time is not needed
	st, err := bank.Lookup(ctx, asProvided(p, receipt))
	w.recordAttempt(ctx, p.ID, "lookup-key", st.InteractionID, err)
	return st, err
}

// unverifiable leaves a payment whose outcome the wallet cannot learn from the bank Unknown,
// never resent, and says what the payer must do.
func (w *Wallet) unverifiable(ctx context.Context, p *Payment, why string) error {
	if p.Status != PaymentUnknown {
		note := "outcome unknown: " + why + "; never sent again by payterm"
		if err := w.setStatus(context.WithoutCancel(ctx), p, StatusUpdate{Status: PaymentUnknown, Note: note}); err != nil {
			return err
		}
	}
	return &Problem{What: "The bank's answer to this payment was lost, and " + why + ". payterm will not send it again.",
		Next: "Check your bank's app or statement for it before you pay again.", Err: provider.ErrCannotReconcile}
}
