package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/payterm/payterm/provider"
)

// What the payer does to a payment already saved: cancel it while the bank has none or has
// not approved it, or ask the bank again for its approval.

// ApproveAgain resumes the bank's approval of a payment that still awaits it — the payer
// stopped watching, or a restart lost the bank's questions asked in payterm: the bank's next
// question comes as an Event again (answered through ContinuePayment), and once approved the
// payment is followed to its end as after Submit. Nothing is sent again: the bank has the
// payment. A payment in any other state is a *Problem.
func (w *Wallet) ApproveAgain(ctx context.Context, id int64, progress func(Event)) (Payment, error) {
	if !w.claimWithin(ctx, id, cancelClaimWait) {
		return Payment{}, &Problem{What: "payterm is checking this payment with the bank right now.", Next: "Wait a moment, then try again."}
	}
	p, err := w.cfg.Ledger.Payment(ctx, id)
	if err != nil {
		w.release(id)
		return Payment{}, err
	}
	if p.Status != PaymentAwaitingBankSCA || p.Final {
		w.release(id)
		return p, &Problem{What: "Only a payment awaiting your bank's approval can be approved; this one is " + string(p.Status) + ".",
			Next: "Check its status in History."}
	}
	err = w.deliverClaimed(ctx, &p, w.emitter(progress), deliverOpts{interactive: true})
	return p, err
}

// leftOutOfItsBundle refuses to cancel one payment of a bundle whose other payments still
// await the payer's one approval: erasing one at the bank can leave the bank's authorization of
// the bundle unable to approve the rest (OP's documents leave it open; its strict sandbox
// refuses), stranding them. Leaving it out on the bank's page is how one payment is dropped.
func (w *Wallet) leftOutOfItsBundle(ctx context.Context, p Payment) error {
	r, err := p.Receipt()
	if err != nil || r.Bundle == "" {
		return nil // not made in a bundle
	}
	ps, err := w.cfg.Ledger.PaymentsOfBundle(ctx, r.Bundle)
	if err != nil {
		return err
	}
	others := 0
	for _, q := range ps {
		if q.ID != p.ID && q.Status == PaymentAwaitingBankSCA && !q.Final {
			others++
		}
	}
	if others == 0 {
		return nil
	}
	rest := fmt.Sprintf("%d more of it await your one approval at the bank: cancelling this one alone could leave the bank unable to approve the others", others)
	if others == 1 {
		rest = "one more of it awaits your one approval at the bank: cancelling this one alone could leave the bank unable to approve the other"
	}
	return &Problem{What: "This payment is one of a bundle, and " + rest + ".",
		Next: "Press a and leave this payment out on your bank's page: the others are approved without it."}
}

// cancelAtBank asks the bank to cancel a payment it holds but has not approved (the caller
// holds the claim). The bank's answer is recorded as any status is: Cancelled when it took.
func (w *Wallet) cancelAtBank(ctx context.Context, p Payment) (Payment, error) {
	c, err := w.cfg.Ledger.Consent(ctx, p.ConsentID)
	if err != nil {
		return p, err
	}
	bank, err := w.bankOf(c)
	if err != nil {
		return p, err
	}
	cn, ok := bank.(provider.Canceller)
	if !ok {
		return p, &Problem{What: "payterm cannot cancel a payment at this bank.", Next: "Cancel it in your online banking, or leave it: the bank rejects it if it is not approved in time."}
	}
	st, act, err := cn.Cancel(ctx, asProvided(&p, SCAReceipt{}))
	if err != nil || st.InteractionID != "" {
		w.recordAttempt(ctx, p.ID, "cancel", st.InteractionID, err)
	}
	if st.Status != "" {
		if st.BankRef == "" {
			st.BankRef = p.BankPaymentID
		}
		if aerr := w.accept(context.WithoutCancel(ctx), &p, st, "cancellation asked by the user", func(Event) {}); aerr != nil {
			return p, aerr
		}
	}
	switch {
	case err != nil && errors.Is(err, provider.ErrGrantInactive) && isLogin(bank):
		// The bank ended the payer's login: asking it again for the approval asks for a new
		// login first (deliverClaimed), after which the cancellation goes through.
		return p, &Problem{What: "Your bank needs you to log in before it takes the cancellation: your login there has ended.",
			Next: "Press a on the payment: it asks for the login first; then stop watching (esc) and cancel it (X).", Err: errors.Join(ErrLoginNeeded, err)}
	case err != nil:
		return p, &Problem{What: "The bank did not cancel the payment (" + err.Error() + ").", Next: "Check its status in History.", Err: err}
	case p.Status == PaymentCancelled:
		return p, nil
	case act != nil && act.URL != "":
		// The bank wants the payer to approve the cancellation; the payment's status follows.
		return p, &Problem{What: "The bank asks you to approve the cancellation on its page: " + act.URL,
			Next: "Approve it there; the payment then shows Cancelled here."}
	}
	if p.Status == PaymentAwaitingBankSCA {
		return p, &Problem{What: "The bank has not cancelled the payment yet: it still awaits approval there.", Next: "Check its status in History in a moment."}
	}
	return p, &Problem{What: "The bank did not cancel the payment: it went ahead (" + string(p.Status) + ").", Next: "Check its status in History."}
}

// cancelClaimWait is how long CancelPayment waits for a delivery that is letting the payment
// go (a wait the user just stopped watching) before it says the payment is busy.
const cancelClaimWait = 3 * time.Second

// CancelPayment cancels a queued payment (Prepared: the bank has none and it was never sent
// since), or asks the bank to cancel one that still awaits its approval (AwaitingBankSCA, at a
// bank whose provider can cancel). It refuses anything else the bank may have, and a payment
// another call is sending now.
func (w *Wallet) CancelPayment(ctx context.Context, id int64) (Payment, error) {
	if !w.claimWithin(ctx, id, cancelClaimWait) {
		return Payment{}, &Problem{What: "payterm is sending or checking this payment right now.", Next: "Wait for its result, then look again."}
	}
	defer w.release(id)
	p, err := w.cfg.Ledger.Payment(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	if p.Status == PaymentAwaitingBankSCA && !p.Final {
		if err := w.leftOutOfItsBundle(ctx, p); err != nil {
			return p, err
		}
		return w.cancelAtBank(ctx, p)
	}
	if p.Status != PaymentPrepared {
		return p, &Problem{What: "Only a queued payment, or one still awaiting your bank's approval, can be cancelled; this one is " + string(p.Status) + ".",
			Next: "Check its status in History."}
	}
	if err := w.setStatus(ctx, &p, StatusUpdate{Status: PaymentCancelled, Note: "cancelled by the user before it was sent"}); err != nil {
		return Payment{}, err
	}
	return p, nil
}
