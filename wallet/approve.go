package wallet

// A created payment's approval at a bank that asks the payer itself: the bank's action shown,
// the payer's answers passed on, until it approves or gives up.

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/payterm/payterm/provider"
)

// approvalFor bounds how long one delivery waits for the payer to approve a payment at the
// bank; the bank itself rejects one left unapproved (the wallet then records that).
const approvalFor = 15 * time.Minute

// defaultPoll is how often the approval is checked when the provider does not say.
const defaultPoll = 2 * time.Second

// approve drives the bank's own approval of a created payment: it asks the provider what the
// payer must do, shows it (Event.Action), and passes the payer's answers (ContinuePayment) on,
// until the bank has approved or refused it. Without a watcher it checks once.
func (w *Wallet) approve(ctx context.Context, bank provider.Bank, p *Payment, emit func(Event), interactive bool) error {
	ap, ok := bank.(provider.Approver)
	if !ok {
		return fmt.Errorf("payment %d waits for the bank's approval, but its bank's provider cannot ask for it", p.ID)
	}
	inbox := make(chan provider.Input, 1)
	if interactive {
		w.mu.Lock()
		w.answers[p.ID] = inbox
		w.mu.Unlock()
		defer func() {
			w.mu.Lock()
			delete(w.answers, p.ID)
			w.mu.Unlock()
		}()
	}
	deadline := w.cfg.Clock().Add(approvalFor)
	var in provider.Input
	waived := false // the bank took it without asking the payer (an SCA exemption)
	for p.Status == PaymentAwaitingBankSCA {
		bctx := w.bankCtx(ctx, p, StepApprove, emit, deadline.Sub(w.cfg.Clock()))
		st, act, err := ap.Approve(bctx, asProvided(p, SCAReceipt{}), in)
		in = provider.Input{} // an answer is passed on once, then forgotten
		kind := "approve"
		if err != nil || st.InteractionID != "" {
			w.recordAttempt(ctx, p.ID, kind, st.InteractionID, err)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if _, ok := loginOf(bank); ok && interactive && errors.Is(err, provider.ErrGrantInactive) {
				// The bank ended the payer's login: the delivery asks for a new one, then
				// asks again (deliverClaimed); the step has not failed.
				return fmt.Errorf("payment %d: the bank's approval: %w", p.ID, err)
			}
			emit(Event{Step: StepApprove, State: StepFailed, PaymentID: p.ID, Status: p.Status, Err: err})
			return fmt.Errorf("payment %d: the bank's approval: %w", p.ID, err)
		}
		if st.BankRef == "" {
			st.BankRef = p.BankPaymentID
		}
		what := "bank approval"
		if st.ApprovalWaived {
			waived, what = true, "approval not asked: the bank waived it (exemption)"
		}
		if err := w.accept(context.WithoutCancel(ctx), p, st, what, func(Event) {}); err != nil {
			return err
		}
		if p.Status != PaymentAwaitingBankSCA {
			break
		}
		if !interactive {
			return nil
		}
		wait := defaultPoll
		if act != nil {
			emit(Event{Step: StepApprove, State: StepRunning, PaymentID: p.ID, Status: p.Status, Action: act})
			wait = act.PollAfter
		}
		if !w.cfg.Clock().Before(deadline) {
			return nil // left to the bank's own timeout; Resume checks it later
		}
		if err := w.awaitAnswer(ctx, inbox, wait, &in); err != nil {
			return err
		}
	}
	state := StepDone
	if p.Status.Outcome() == OutcomeFailed {
		state = StepFailed
	}
	note := statusWord(*p)
	if waived {
		note = "not asked: exemption · " + note
	}
	emit(Event{Step: StepApprove, State: state, PaymentID: p.ID, Status: p.Status, Note: note})
	return nil
}

// awaitAnswer waits for the payer's answer (into *in) or, when wait > 0, that long at most.
func (w *Wallet) awaitAnswer(ctx context.Context, inbox <-chan provider.Input, wait time.Duration, in *provider.Input) error {
	var slept chan error
	if wait > 0 {
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		slept = make(chan error, 1)
		go func() { slept <- w.cfg.Sleep(sctx, wait) }() // the injected sleep: tests make it instant
	}
	select {
	case *in = <-inbox:
	case <-slept:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// ContinuePayment passes the payer's answer to the bank's approval step of a payment a
// delivery is waiting on (Event.Action). The answer is kept nowhere but on its way to the bank.
func (w *Wallet) ContinuePayment(ctx context.Context, id int64, in provider.Input) error {
	if in.CallbackURL != "" {
		if err := w.checkCallback(ctx, id, in.CallbackURL); err != nil {
			return err
		}
	}
	return passAnswer(ctx, w, w.answers, id, in, "payterm is not waiting for your bank's approval of this payment now.")
}

// checkCallback refuses at once a pasted address the payment's bank can tell is not its answer
// (provider.CallbackChecker): the bank's question still stands and the payer pastes again,
// where handing it on would have ended the approval with a failure and no way to try again.
func (w *Wallet) checkCallback(ctx context.Context, id int64, raw string) error {
	p, err := w.cfg.Ledger.Payment(ctx, id)
	if err != nil {
		return nil // the approval's own step says what is wrong
	}
	bank, err := w.bankOfConsent(ctx, p.ConsentID)
	if err != nil {
		return nil
	}
	chk, ok := bank.(provider.CallbackChecker)
	if !ok {
		return nil
	}
	if err := chk.CheckCallback(raw); err != nil {
		what := err.Error()
		if r, n := utf8.DecodeRuneInString(what); n > 0 {
			what = string(unicode.ToUpper(r)) + what[n:]
		}
		return &Problem{What: what + ".", Next: "Your bank still waits for your approval: paste the address again (v).", Err: err}
	}
	return nil
}

// passAnswer hands in to the step waiting on waiting[k] (an approval or a login), or says
// notWaiting when none is; one answer at a time: a second while the first is still on its way
// is refused, not queued.
func passAnswer[K comparable](ctx context.Context, w *Wallet, waiting map[K]chan provider.Input, k K, in provider.Input, notWaiting string) error {
	w.mu.Lock()
	inbox, ok := waiting[k]
	w.mu.Unlock()
	if !ok {
		return &Problem{What: notWaiting, Next: "Open the payment in History to see where it is."}
	}
	select {
	case inbox <- in:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	default:
		return &Problem{What: "Your previous answer is still on its way to the bank.", Next: "Wait a moment, then answer again if the bank asks."}
	}
}
