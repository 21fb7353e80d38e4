package ui

import (
	"context"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// A payment already saved, on the pay screen again: its bank's approval asked for again
// (History: a), or its cancellation (X) from the receipt.

// newPayAgain is the pay screen for asking the bank again for its approval of a payment that
// awaits it (History: a), straight on its progress: the bank's questions, then the receipt.
func newPayAgain(c *common, consent Consent, d PaymentDetail) *payScreen {
	s := newPay(c, consent)
	s.again = d.Row.ID
	if d.Bundle != nil {
		s.againBundle = d.Bundle.Awaiting
	}
	s.prepared = &PreparedPayment{ID: d.Row.ID, ConsentID: consent.ID, Payee: Payee{Name: d.Row.PayeeName},
		Amount: d.Row.Amount, Currency: d.Row.Currency, Reference: d.Row.Reference}
	s.stage, s.inFlight, s.submitting = payProgress, true, true
	return s
}

// startAgain asks the core to resume the bank's approval (Init of a newPayAgain screen).
func (s *payScreen) startAgain() tea.Cmd {
	s.req = s.c.nextReq()
	s.started = s.c.now()
	s.approval = newApproval()
	ctx, cancel := context.WithCancel(s.c.ctx)
	s.cancelRun, s.runCtx = cancel, ctx
	req, w, id := s.req, s.c.w, s.again
	start := func() tea.Msg {
		ar, ok := w.(ApprovalResumer)
		if !ok {
			return submitStartedMsg{req: req, err: errNoApproveAgain}
		}
		pp, ch, err := ar.ApproveAgain(ctx, id)
		return submitStartedMsg{req: req, ch: ch, err: err, again: &pp}
	}
	if s.c.accessible {
		return start
	}
	return tea.Batch(start, progressTick(req))
}

// canCancel reports whether X applies to a payment in status st at a bank of terms t: a queued
// one (the bank has none; it is never sent), or one awaiting the bank's approval where payterm
// can ask the bank to cancel it.
func canCancel(st PaymentStatus, t PayTerms) bool {
	return st == PaymentPrepared || st == PaymentAwaitingBankSCA && !t.NoCancel
}

// cancelKey is X with the help that fits st.
func cancelKey(st PaymentStatus) key.Binding {
	if st == PaymentAwaitingBankSCA {
		return keyCancelAtBank
	}
	return keyCancelPay
}

// cancelQuestion is what X asks before it cancels a payment in status st.
func cancelQuestion(st PaymentStatus) string {
	if st == PaymentAwaitingBankSCA {
		return "Ask the bank to cancel this payment? It has not approved it yet. y: ask it to cancel · n: keep it"
	}
	return "Cancel this payment? The bank has not got it; it will never be sent. y: cancel it · n: keep it queued"
}
