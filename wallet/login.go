package wallet

import (
	"context"
	"errors"
	"fmt"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
)

// A bank that wants the payer logged in (provider.Login: SpareBank 1's PSU session) gets the
// login where a payment needs it: in Submit after the wallet's own SCA and before the payment
// is built (the built request names the session's payer), and in a watched delivery when the
// bank ended the session while the payment waited to be sent (it provably processed nothing,
// so the payment is sent after the new login, once). The login is shown as a bank step
// (Event.Action on StepApprove) and answered like one: ContinueLogin before the payment is
// saved, ContinuePayment after. A delivery nobody watches never waits for a login: it drops the
// payment (never sent, nothing paid), since only a watched payment can ask for one.

// ErrLoginNeeded marks an error that left a payment unsent because the bank wants the payer to
// log in first (and nobody was there to, or the login failed).
var ErrLoginNeeded = errors.New("the bank needs you to log in first")

// maxLogins bounds the logins one Submit or delivery asks for: a bank that ends every session
// at once must not keep the payer logging in.
const maxLogins = 2

// maxLoginAnswers bounds the answers one login takes (mistyped addresses, refused logins).
const maxLoginAnswers = 5

// isLogin reports a bank that wants the payer logged in (whether or not a session is held).
func isLogin(bank provider.Bank) bool {
	_, ok := bank.(provider.Login)
	return ok
}

// loginOf is the bank's Login when it needs one now.
func loginOf(bank provider.Bank) (provider.Login, bool) {
	lg, ok := bank.(provider.Login)
	if !ok || !lg.LoginNeeded() {
		return nil, false
	}
	return lg, true
}

// login shows the bank's login page and passes the payer's answers on until the bank opened a
// session. p is the saved payment it is for (nil before it is saved). Nothing about the payment
// is sent.
func (w *Wallet) login(ctx context.Context, lg provider.Login, inbox <-chan provider.Input, emit func(Event), p *Payment) error {
	event := func(e Event) Event {
		if p != nil {
			e.PaymentID, e.Status = p.ID, p.Status
		}
		return e
	}
	failed := func(err error) error {
		emit(event(Event{Step: StepApprove, State: StepFailed, Err: err}))
		return &Problem{What: "You are not logged in at your bank (" + safetext.Error(err) + "), so the payment was not sent.",
			Next: "Pay again to log in again.", Err: errors.Join(ErrLoginNeeded, err)}
	}
	act, err := lg.BeginLogin(ctx)
	if err != nil {
		return failed(err)
	}
	var lastErr error
	for answers := 0; ; answers++ {
		if answers == maxLoginAnswers {
			return failed(fmt.Errorf("%d answers did not open a session", answers))
		}
		a := act
		a.Login = true
		emit(event(Event{Step: StepApprove, State: StepRunning, Action: &a, Err: lastErr, Note: "log in at your bank"}))
		var in provider.Input
		// A login is answered or stopped by the payer (esc ends ctx); the bank ends the
		// login link on its own timer, which FinishLogin reports.
		if err := w.awaitAnswer(ctx, inbox, 0, &in); err != nil {
			return err
		}
		err := lg.FinishLogin(ctx, in)
		if err == nil {
			emit(event(Event{Step: StepApprove, State: StepRunning, Note: "logged in at your bank"}))
			return nil
		}
		lastErr = err
		if errors.Is(err, provider.ErrLoginOver) {
			if act, err = lg.BeginLogin(ctx); err != nil {
				return failed(err)
			}
		}
	}
}

// dropForLogin ends a saved payment that waits for a login nobody is there to give (the payer
// stopped watching, or the login failed): Prepared means the bank provably has none, and only a
// payment the payer watches can ask for the login, so it would never leave. It is abandoned —
// never sent, nothing paid — and the payer pays again, logging in first.
func (w *Wallet) dropForLogin(ctx context.Context, p *Payment, emit func(Event)) error {
	if err := w.abandon(ctx, p, emit, "never sent: the bank needs you to log in first, and nobody was there to"); err != nil {
		return err
	}
	return &Problem{What: "A payment was not sent, and never will be: your bank needs you to log in first. Nothing was paid.",
		Next: "Pay again: payterm asks for the login first.", Err: ErrLoginNeeded}
}

// loginBeforeBuild is Submit's login, before the payment exists in the ledger: its answers
// come through ContinueLogin under the prepared payment's id.
func (w *Wallet) loginBeforeBuild(ctx context.Context, lg provider.Login, preparedID string, emit func(Event)) error {
	inbox := make(chan provider.Input, 1)
	w.mu.Lock()
	w.logins[preparedID] = inbox
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.logins, preparedID)
		w.mu.Unlock()
	}()
	return w.login(ctx, lg, inbox, emit, nil)
}

// loginForPayment is a delivery's login for a saved payment: answered through ContinuePayment.
func (w *Wallet) loginForPayment(ctx context.Context, lg provider.Login, p *Payment, emit func(Event)) error {
	inbox := make(chan provider.Input, 1)
	w.mu.Lock()
	w.answers[p.ID] = inbox
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.answers, p.ID)
		w.mu.Unlock()
	}()
	return w.login(ctx, lg, inbox, emit, p)
}

// ContinueLogin passes the payer's answer to the bank's login a Submit is waiting on before
// the payment is saved (Event.Action with no PaymentID), by the prepared payment's id. The
// answer is kept nowhere but on its way to the bank.
func (w *Wallet) ContinueLogin(ctx context.Context, preparedID string, in provider.Input) error {
	return passAnswer(ctx, w, w.logins, preparedID, in, "payterm is not waiting for a login at your bank for this payment now.")
}

// WaitingForLogin reports whether a Submit waits for the payer's login under preparedID.
func (w *Wallet) WaitingForLogin(preparedID string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.logins[preparedID]
	return ok
}
