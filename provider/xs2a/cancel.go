package xs2aprov

import (
	"context"
	"errors"
	"fmt"

	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/xs2a"
)

// Cancel asks the bank to cancel the payment (DELETE on its self link). A 204 cancels it; a 202
// asks the payer to approve the cancellation, which is started here and returned as an Action
// like Approve's; calling Cancel again follows that authorisation (a zero-input poll) instead
// of deleting twice. A refusal (400 RESOURCE_BLOCKED: it is executed or final) comes with the
// payment's current state.
func (b *Bank) Cancel(ctx context.Context, p provider.Payment) (provider.State, *provider.Action, error) {
	f, err := b.flow(ctx, p, true)
	if err != nil {
		return provider.State{}, nil, err
	}
	if p.State.Final {
		return p.State, nil, fmt.Errorf("the payment is already %s at the bank: it cannot be cancelled", p.State.Status)
	}
	if f.m.Cancel != nil || f.m.CancelLinks != nil {
		return answerable(f.poll())
	}
	self, ok := link("self", f.m.Links)
	if !ok {
		return f.waiting(), nil, errors.New("the bank gave no address to cancel this payment: cancel it in your online banking")
	}
	rep, req, err := b.exchange(ctx, f.m.PaymentID, func(c xs2a.Call) (*xs2a.Request, error) { return b.cl.BuildCancel(self, c) })
	var be *xs2a.BankError
	switch {
	case err == nil && rep.Cancellation.Cancelled:
		f.m.Reason = ""
		return f.cancelledBy(req.RequestID)
	case err == nil:
		// 202: the cancellation needs the payer's approval.
		f.m.CancelLinks = hrefs(rep.Cancellation.Links)
		if f.m.CancelLinks == nil {
			f.m.CancelLinks = map[string]string{}
		}
		return answerable(f.poll())
	case errors.As(err, &be) && be.HTTPStatus >= 400 && be.HTTPStatus < 500 && be.HTTPStatus != 429:
		st, serr := b.status(ctx, f.m)
		if serr != nil {
			st = f.waiting()
		}
		why := "the bank would not cancel the payment"
		if be.Code() == "RESOURCE_BLOCKED" {
			why = "the bank can no longer cancel the payment: it is being executed or has ended"
		}
		return st, nil, wrap(req, err, why)
	case errors.Is(err, provider.ErrOutcomeUnknown):
		// The DELETE's answer was lost: the status says whether it took.
		st, serr := b.status(ctx, f.m)
		if serr == nil && st.Status == provider.StatusCancelled {
			return st, nil, nil
		}
		if serr != nil {
			st = f.waiting()
		}
		return st, nil, err
	}
	return f.waiting(), nil, err
}

// answerable keeps the actions a cancellation can take: Cancel has no Input, so a bank that
// wants the payer's password or a code to approve the cancellation is sent to the online bank.
func answerable(st provider.State, act *provider.Action, err error) (provider.State, *provider.Action, error) {
	if act != nil && (act.Kind == provider.ActionPassword || act.Kind == provider.ActionChooseMethod || act.Kind == provider.ActionOTP || act.NeedsCallback) {
		return st, nil, errors.New("the bank wants your password or a code to approve the cancellation, which payterm cannot pass on: cancel the payment in your online banking")
	}
	return st, act, err
}

// cancelled is the state once the bank's cancellation authorisation is finalised: read back.
func (f *approval) cancelled() (provider.State, *provider.Action, error) {
	st, err := f.b.status(f.ctx, f.m)
	return st, nil, err
}

// cancelledBy is the state of a 204: cancelled at once.
func (f *approval) cancelledBy(interaction string) (provider.State, *provider.Action, error) {
	st := stateOf(xs2a.TxCancelled, f.m)
	st.InteractionID = interaction
	return st, nil, nil
}
