package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/sca"
)

// Delivery: from a persisted payment to a final status. Three rules bound every send:
//   - exactly once: the exact bytes are on disk before they leave, a resend is the same bytes
//     under the same key (or, after a key rotation, new bytes stored first under the same key),
//     and an unknown outcome is reconciled by idempotency key before anything is resent;
//   - never late: a payment is sent only while the SCA that authorised it is at most
//     sca.EvidenceLifetime old and its signed request has resendMargin left; after that it is
//     abandoned (the bank provably has none), whatever the bank or the consent does later;
//   - the bank's waits: a Retry-After is sat out (shown through Event.Until, cancellable) and
//     a 429 means nothing was processed: the payment stays queued (Prepared), not Unknown.

// deliverOpts are what the caller knows beyond the ledger row.
type deliverOpts struct {
	// interactive: someone watches this delivery (Submit) and can answer the bank's approval
	// step; without it (Resume in the background) the approval is only checked, never waited for.
	interactive bool
	// lookFirst: a Prepared payment found by Resume is looked up by its key before it is sent
	// (cheap insurance; a Prepared payment was never sent by this code). Only where the bank
	// offers a lookup (provider.DedupKeyAndLookup): elsewhere a lookup can only fail, and the
	// write-ahead status alone proves it — Sending is durable before the first byte leaves, so
	// a Prepared payment never left and goes on under the rules for an unwatched send.
	lookFirst bool
}

// deliver drives a persisted payment to the bank and then to a final status: send when the
// bank provably has nothing, reconcile first whenever the outcome of an earlier send is
// unknown, track once the bank has it. It returns with the payment not final only when the
// bank cannot be reached, asked to wait, or tracking ran out of time; Resume picks it up again.
func (w *Wallet) deliver(ctx context.Context, p *Payment, emit func(Event), opts deliverOpts) error {
	if !w.claim(p.ID) {
		return nil // another call is delivering it
	}
	// What the caller read may be stale (a Submit may have finished it meanwhile): read again
	// now that no one else can change it.
	fresh, err := w.cfg.Ledger.Payment(ctx, p.ID)
	if err != nil {
		w.release(p.ID)
		return err
	}
	*p = fresh
	return w.deliverClaimed(ctx, p, emit, opts)
}

// claim marks a payment as being delivered (or cancelled) by this call; false when another
// call has it. In one process no two calls ever talk to the bank about one payment at once.
func (w *Wallet) claim(id int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, busy := w.inflight[id]; busy {
		return false
	}
	w.inflight[id] = make(chan struct{})
	return true
}

func (w *Wallet) release(id int64) {
	w.mu.Lock()
	if done, ok := w.inflight[id]; ok {
		close(done)
		delete(w.inflight, id)
	}
	w.mu.Unlock()
}

// claimWithin is claim, waiting up to d for a call that has the payment to let it go: a user
// who stops watching a wait and cancels at once finds the delivery still returning.
func (w *Wallet) claimWithin(ctx context.Context, id int64, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		w.mu.Lock()
		done, busy := w.inflight[id]
		if !busy {
			w.inflight[id] = make(chan struct{})
			w.mu.Unlock()
			return true
		}
		w.mu.Unlock()
		select {
		case <-done:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// deliverClaimed is deliver for a payment this call has already claimed; it releases the
// claim when it returns.
func (w *Wallet) deliverClaimed(ctx context.Context, p *Payment, emit func(Event), opts deliverOpts) error {
	defer w.release(p.ID)
	bank, err := w.bankOfConsent(ctx, p.ConsentID)
	if err != nil {
		return fmt.Errorf("payment %d: %w", p.ID, err)
	}
	sends, logins := 0, 0
	// relogin: the bank ended the payer's session (provider.Login) while a watched delivery
	// asked it about a payment it has: log in, then ask again. Nothing is sent again.
	relogin := func(err error) (bool, error) {
		lg, ok := loginOf(bank)
		if !ok || !opts.interactive || logins == maxLogins || !errors.Is(err, provider.ErrGrantInactive) {
			return false, nil
		}
		logins++
		return true, w.loginForPayment(ctx, lg, p, emit)
	}
	for {
		switch {
		case p.Final:
			w.emitFinal(p, emit)
			return nil
		case p.Status == PaymentAwaitingBankSCA:
			if err := w.approve(ctx, bank, p, emit, opts.interactive); err != nil {
				if again, lerr := relogin(err); again {
					if lerr != nil {
						return lerr
					}
					continue
				}
				return err
			}
			if p.Status == PaymentAwaitingBankSCA {
				return nil // not approved yet: checked again later
			}
		case p.BankPaymentID != "":
			err := w.track(ctx, bank, p, emit)
			if again, lerr := relogin(err); again {
				if lerr != nil {
					return lerr
				}
				continue
			}
			return err
		case p.Status == PaymentPrepared:
			if _, ok := loginOf(bank); ok && !opts.interactive {
				return w.dropForLogin(ctx, p, emit)
			}
			if opts.lookFirst && bank.Caps().Dedup == provider.DedupKeyAndLookup {
				opts.lookFirst = false
				if err := w.lookUp(ctx, bank, p, emit); err != nil {
					return err
				}
				continue
			}
			if sends == maxSends {
				return fmt.Errorf("payment %d: the bank's answer is still unknown after %d sends; it will be reconciled again", p.ID, sends)
			}
			if lg, ok := loginOf(bank); ok && opts.interactive && logins < maxLogins {
				// The bank ended the payer's session (or none was kept): log in, then send.
				logins++
				if err := w.loginForPayment(ctx, lg, p, emit); err != nil {
					return err
				}
				continue
			}
			sent, err := w.send(ctx, bank, p, emit)
			if err != nil {
				if errors.Is(err, ErrLoginNeeded) && opts.interactive && logins < maxLogins && p.Status == PaymentPrepared {
					continue // the next turn logs in; nothing was processed
				}
				return err
			}
			if sent {
				sends++
			}
		default: // Sending or Unknown: the bank may have it
			if err := w.reconcile(ctx, bank, p, emit); err != nil {
				return err
			}
		}
	}
}

func (w *Wallet) setStatus(ctx context.Context, p *Payment, u StatusUpdate) error {
	if err := w.cfg.Ledger.UpdatePaymentStatus(ctx, p.ID, u); err != nil {
		return err
	}
	fresh, err := w.cfg.Ledger.Payment(ctx, p.ID)
	if err != nil {
		return err
	}
	*p = fresh
	return nil
}

// scaDeadline is the last moment the payment may leave: its SCA's lifetime, and its signed
// request's exp less resendMargin, whichever comes first.
func scaDeadline(p *Payment, r SCAReceipt) time.Time {
	d := r.ChallengeTime.Add(sca.EvidenceLifetime)
	if reqEnd := p.RequestExp.Add(-resendMargin); reqEnd.Before(d) {
		d = reqEnd
	}
	return d
}

// bankCtx is ctx for a call about p: the bank's Retry-After waits are reported as events
// (Event.Until counts down) and sat out for up to maxWait.
func (w *Wallet) bankCtx(ctx context.Context, p *Payment, step Step, emit func(Event), maxWait time.Duration) context.Context {
	return provider.WithWaits(ctx, max(maxWait, 0), func(wt provider.Wait) {
		emit(Event{Step: step, State: StepRunning, PaymentID: p.ID, Status: p.Status, Until: wt.Until,
			Note: "Bank asked to wait " + waitWords(wt.For)})
	})
}

// asProvided is the stored payment as its provider sees it.
func asProvided(p *Payment, r SCAReceipt) provider.Payment {
	return provider.Payment{GrantID: p.ConsentID, Amount: provider.Money{Amount: p.Amount, Currency: p.Currency},
		Request: provider.Request{Bytes: p.Request, Key: p.IdempotencyKey, SendBy: p.RequestExp}, AuthTime: r.ChallengeTime,
		State: provider.State{BankRef: p.BankPaymentID, Status: provider.Status(p.Status), BankStatus: p.BankStatus, Final: p.Final,
			Blob: p.ProviderState}}
}

// waitWords says a wait the way the progress screen does: "59 s", "10 min", "2 min 5 s".
func waitWords(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s%60 == 0:
		return fmt.Sprintf("%d min", s/60)
	default:
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	}
}

// send posts the stored bytes with the stored key, once the payment may still leave. Status
// Sending is durable before the POST, so a crash from here on is reconciled, never blindly
// resent. sent reports whether a POST may have reached the bank.
func (w *Wallet) send(ctx context.Context, bank provider.Bank, p *Payment, emit func(Event)) (sent bool, err error) {
	receipt, err := p.Receipt()
	if err != nil {
		return false, err
	}
	deadline := scaDeadline(p, receipt)
	if !w.cfg.Clock().Before(deadline) {
		return false, w.abandon(ctx, p, emit, "never sent: its authorisation (SCA) is over 5 minutes old")
	}
	// Sit out the bank's waits only while the payment may still leave.
	bctx := w.bankCtx(ctx, p, StepSend, emit, deadline.Sub(w.cfg.Clock()))
	if err := bank.Ready(bctx, asProvided(p, receipt)); err != nil {
		return false, w.notSent(ctx, p, receipt, emit, fmt.Errorf("payment %d: %w", p.ID, err))
	}
	if !w.cfg.Clock().Before(deadline) { // getting ready may have waited
		return false, w.abandon(ctx, p, emit, "never sent: its authorisation (SCA) is over 5 minutes old")
	}
	if err := w.setStatus(ctx, p, StatusUpdate{Status: PaymentSending, Note: "sending"}); err != nil {
		return false, err
	}
	emit(Event{Step: StepSend, State: StepRunning, PaymentID: p.ID, Status: p.Status})
	st, err := bank.Send(bctx, asProvided(p, receipt))
	w.recordAttempt(ctx, p.ID, "send", st.InteractionID, err)
	if err == nil {
		// The bank has it: record that even if the user stopped watching meanwhile.
		bg := context.WithoutCancel(ctx)
		emit(Event{Step: StepSend, State: StepDone, PaymentID: p.ID, Status: p.Status})
		w.syncIfNotAuthorized(bg, p.ConsentID)
		return true, w.accept(bg, p, st, "created", emit)
	}
	var (
		rb *provider.Rebuild
		rf *provider.Refused
	)
	switch {
	case errors.Is(err, provider.ErrNotProcessed):
		return false, w.notSent(ctx, p, receipt, emit, err)
	case errors.As(err, &rb):
		// Nothing was created, but the request must be built again (the bank rotated its
		// encryption key): store the new bytes, then send them under the same key.
		return false, w.rebuilt(ctx, p, rb, emit)
	case errors.As(err, &rf):
		// The bank refused the request before creating a payment. Its own words go on the
		// user's receipt (they may name the payee: never into an error string).
		msg := rf.Detail
		if msg == "" {
			msg = "refused before a payment was created"
		}
		emit(Event{Step: StepSend, State: StepFailed, PaymentID: p.ID, Err: err, Note: rf.Code})
		if uerr := w.setStatus(context.WithoutCancel(ctx), p, StatusUpdate{Status: PaymentRefused, Note: fmt.Sprintf("refused by the bank (HTTP %d)", rf.HTTPStatus),
			RejectCode: rf.Code, RejectMessage: msg}); uerr != nil {
			return true, uerr
		}
		if rf.GrantChanged {
			// The bank's view of the consent changed (suspended, revoked, expired): refresh
			// ours now, so every screen shows it. Best effort.
			_, _ = w.SyncConsent(context.WithoutCancel(ctx), p.ConsentID)
		}
		w.emitFinal(p, emit)
		return true, nil
	default:
		// The bank may or may not have the payment.
		note := "outcome unknown; reconciling"
		if bank.Caps().Dedup == provider.DedupNone {
			note = "outcome unknown: the bank offers no way to look a payment up; never sent again by payterm"
		}
		if uerr := w.setStatus(context.WithoutCancel(ctx), p, StatusUpdate{Status: PaymentUnknown, Note: note}); uerr != nil {
			return true, uerr
		}
		emit(Event{Step: StepSend, State: StepRunning, PaymentID: p.ID, Status: p.Status, Note: "outcome unknown; reconciling"})
		if ctx.Err() != nil {
			return true, ctx.Err()
		}
		return true, nil
	}
}

// rebuilt stores the request the provider built again, before it is sent.
func (w *Wallet) rebuilt(ctx context.Context, p *Payment, rb *provider.Rebuild, emit func(Event)) error {
	bg := context.WithoutCancel(ctx)
	if err := w.setStatus(bg, p, StatusUpdate{Status: PaymentPrepared, Note: "not processed: " + rb.Reason}); err != nil {
		return err
	}
	if err := w.cfg.Ledger.ReplaceRequest(bg, p.ID, rb.Request.Bytes, rb.Request.SendBy, rb.Done+"; same idempotency key"); err != nil {
		return err
	}
	fresh, err := w.cfg.Ledger.Payment(bg, p.ID)
	if err != nil {
		return err
	}
	*p = fresh
	emit(Event{Step: StepSealPII, State: StepDone, PaymentID: p.ID, Status: p.Status, Note: rb.Done})
	return nil
}

// notSent handles a send the bank provably did not process (a 429, a wait held back or
// cancelled, a refused or failed token refresh): the payment is queued (Prepared) while its
// SCA allows, and the returned error says what happens next in words the wallet keeps.
func (w *Wallet) notSent(ctx context.Context, p *Payment, receipt SCAReceipt, emit func(Event), cause error) error {
	bg := context.WithoutCancel(ctx)
	deadline := scaDeadline(p, receipt)
	if bank, err := w.bankOfConsent(bg, p.ConsentID); err == nil && errors.Is(cause, provider.ErrGrantInactive) {
		if _, ok := loginOf(bank); ok {
			// The bank ended the payer's session (it processed nothing): queued until the
			// payer logs in again, within the SCA's lifetime.
			if err := w.setStatus(bg, p, StatusUpdate{Status: PaymentPrepared, Note: "queued, not sent: the bank's login session ended"}); err != nil {
				return err
			}
			emit(Event{Step: StepSend, State: StepRunning, PaymentID: p.ID, Status: p.Status, Note: "queued, not sent: log in at your bank"})
			// A watched delivery asks for the login next; otherwise the payment is dropped
			// (dropForLogin): only a watched payment can ask for one.
			return &Problem{What: "The payment was not sent: your login at the bank ended, and the bank processed nothing.",
				Next: "Pay again: payterm asks for the login first.", Err: errors.Join(ErrLoginNeeded, ErrQueued, cause)}
		}
	}
	if errors.Is(cause, provider.ErrGrantInactive) {
		// The bank refused the consent's refresh token: ask it how the consent stands now, so
		// the ledger (and every screen) shows it at once.
		c, serr := w.SyncConsent(bg, p.ConsentID)
		if serr == nil && c.Status.Terminal() {
			uerr := Usable(c, w.cfg.Clock())
			if err := w.abandon(bg, p, emit, "never sent: the bank reports the consent "+string(c.Status)); err != nil {
				return err
			}
			var pr *Problem
			if errors.As(uerr, &pr) {
				return &Problem{What: pr.What + " The payment was not sent, and never will be: nothing was paid.", Next: pr.Next, Err: cause}
			}
			return cause
		}
		why := "your bank did not accept this consent"
		if serr == nil && c.Status != ConsentAuthorized {
			why = "your bank reports this consent as " + string(c.Status)
		}
		return w.queued(p, why, cause)
	}
	if ra := provider.RetryAfter(cause); ra > 0 && !w.cfg.Clock().Add(ra).Before(deadline) {
		// The bank's wait ends after the payment may leave: it can never be sent.
		if err := w.abandon(bg, p, emit, "never sent: the bank asked to wait "+waitWords(ra)+", longer than the authorisation lasts"); err != nil {
			return err
		}
		return &Problem{What: "The bank asked to wait " + waitWords(ra) + ", longer than your approval of this payment lasts, so it was not sent: nothing was paid.",
			Next: "Pay again later.", Err: cause}
	}
	note := "queued, not sent: " + sentenceOf(cause)
	if err := w.setStatus(bg, p, StatusUpdate{Status: PaymentPrepared, Note: note}); err != nil {
		return err
	}
	emit(Event{Step: StepSend, State: StepRunning, PaymentID: p.ID, Status: p.Status, Note: "queued, not sent"})
	if errors.Is(cause, provider.ErrBankBusy) {
		return w.queued(p, "the bank asked payterm to wait", cause)
	}
	return w.queued(p, "the bank could not be reached", cause)
}

// queued is the error of a payment left queued: what the wallet will do with it, and when it
// stops trying. The cause stays reachable for errors.Is.
func (w *Wallet) queued(p *Payment, why string, cause error) error {
	until := "within 5 minutes of your approval"
	if r, err := p.Receipt(); err == nil {
		until = "by " + scaDeadline(p, r).UTC().Format("15:04:05") + " UTC (5 minutes after your approval)"
	}
	return &Problem{What: fmt.Sprintf("The payment was not sent: %s. It is queued: payterm sends it only if the bank takes it %s, and drops it after that.", why, until),
		Next: "To stop it now, cancel it (X on the receipt or in History). Do not pay it again while it is queued.", Err: errors.Join(ErrQueued, cause)}
}

// QueuedText is what a queued (Prepared) payment's receipt says: not sent, until when it may
// still go, how to stop it.
func QueuedText(p Payment) string {
	until := ""
	if r, err := p.Receipt(); err == nil {
		until = " (until " + scaDeadline(&p, r).UTC().Format("15:04:05") + " UTC)"
	}
	return "Not sent yet: the bank has not got it. payterm sends it only while your approval lasts" + until +
		", then drops it. Cancel it with X; do not pay it again while it is queued."
}

// ErrQueued marks an error that left the payment queued (Prepared): not sent, still sendable
// while its SCA lasts, cancellable with CancelPayment.
var ErrQueued = errors.New("payment queued, not sent")

// sentenceOf is a short, PII-free reason for a timeline note.
func sentenceOf(err error) string {
	switch {
	case errors.Is(err, provider.ErrGrantInactive):
		return "the bank refused the consent's refresh token"
	case errors.Is(err, provider.ErrBankBusy):
		if ra := provider.RetryAfter(err); ra > 0 {
			return "the bank asked to wait " + waitWords(ra)
		}
		return "the bank asked to wait"
	case errors.Is(err, context.Canceled):
		return "stopped by the user"
	}
	return "no access token"
}

// abandon ends a payment the bank provably does not have and that may no longer be sent.
func (w *Wallet) abandon(ctx context.Context, p *Payment, emit func(Event), note string) error {
	if err := w.setStatus(context.WithoutCancel(ctx), p, StatusUpdate{Status: PaymentAbandoned, Note: note}); err != nil {
		return err
	}
	w.emitFinal(p, emit)
	return nil
}

// syncIfNotAuthorized refreshes the ledger's view of a consent that was not Authorized there
// although the bank just took a payment on it (a suspension was lifted). Best effort.
func (w *Wallet) syncIfNotAuthorized(ctx context.Context, consentID string) {
	if c, err := w.cfg.Ledger.Consent(ctx, consentID); err == nil && c.Status != ConsentAuthorized && !c.Status.Terminal() {
		_, _ = w.SyncConsent(context.WithoutCancel(ctx), consentID)
	}
}

// accept records the bank's state of the payment (the provider checked it is the one we sent).
func (w *Wallet) accept(ctx context.Context, p *Payment, st provider.State, how string, emit func(Event)) error {
	if st.BankRef == "" {
		return fmt.Errorf("payment %d: the bank's answer has no payment id", p.ID)
	}
	status, err := bankState(st)
	if err != nil {
		return fmt.Errorf("payment %d: %w", p.ID, err)
	}
	u := StatusUpdate{Status: status, BankStatus: st.BankStatus, Final: st.Final, ProviderState: st.Blob,
		BankPaymentID: st.BankRef, Note: how, RejectCode: st.RejectCode, RejectMessage: st.RejectMessage}
	if err := w.setStatus(ctx, p, u); err != nil {
		return err
	}
	emit(Event{Step: StepBankPending, State: StepDone, PaymentID: p.ID, Status: p.Status, Note: statusWord(*p)})
	return nil
}

// track polls the payment with back-off until it is final or TrackFor has passed. A wait the
// bank asks for is sat out (shown) while it ends before TrackFor does; a longer one leaves the
// payment to Resume, and the client holds every call back until the wait is over.
func (w *Wallet) track(ctx context.Context, bank provider.Bank, p *Payment, emit func(Event)) error {
	deadline := w.cfg.Clock().Add(w.cfg.TrackFor)
	delay := 500 * time.Millisecond
	for !p.Final {
		if !w.cfg.Clock().Before(deadline) {
			return nil // still not final: Resume will continue
		}
		if err := w.cfg.Sleep(ctx, delay); err != nil {
			return err
		}
		delay = min(delay*2, 10*time.Second)
		st, err := bank.Status(w.bankCtx(ctx, p, StepBankPending, emit, deadline.Sub(w.cfg.Clock())), asProvided(p, SCAReceipt{}))
		w.recordAttempt(ctx, p.ID, "get", st.InteractionID, err)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, provider.ErrBankBusy) {
				return nil // the bank's wait outlasts this call: Resume continues after it
			}
			if _, ok := loginOf(bank); ok && errors.Is(err, provider.ErrGrantInactive) {
				return err // the bank ended the payer's login: no poll works until the next one
			}
			continue // transient; the next poll tries again
		}
		before, beforeBank := p.Status, p.BankStatus
		if err := w.accept(ctx, p, st, "status poll", func(Event) {}); err != nil {
			return err
		}
		if (p.Status != before || p.BankStatus != beforeBank) && !p.Final {
			emit(Event{Step: StepBankPending, State: StepDone, PaymentID: p.ID, Status: p.Status, Note: p.BankStatus})
		}
	}
	w.emitFinal(p, emit)
	return nil
}

// statusWord is the bank's own word for the payment's status, or the ledger's when the bank
// has not given one.
func statusWord(p Payment) string {
	if p.BankStatus != "" {
		return p.BankStatus
	}
	return string(p.Status)
}

func (w *Wallet) emitFinal(p *Payment, emit func(Event)) {
	e := Event{Step: StepSettled, State: StepDone, PaymentID: p.ID, Status: p.Status, Note: statusWord(*p)}
	if p.Status.Outcome() == OutcomeFailed {
		e.State = StepFailed
		e.Err = failureProblem(*p)
	}
	emit(e)
}

func (w *Wallet) recordAttempt(ctx context.Context, id int64, kind, interactionID string, err error) {
	a := Attempt{Kind: kind, Outcome: "ok", InteractionID: interactionID}
	if err != nil {
		pa := provider.AttemptOf(err)
		if pa.NotSent {
			return // held back by the bank's Retry-After: nothing was sent
		}
		a.InteractionID, a.HTTPStatus, a.Outcome = pa.InteractionID, pa.HTTPStatus, pa.Outcome
		if a.Outcome == "" {
			a.Outcome = "error"
		}
	}
	// The attempt log is for support; losing one line must not fail the payment.
	_ = w.cfg.Ledger.RecordAttempt(context.WithoutCancel(ctx), id, a)
}

// Start is what a wallet does when it starts: refresh every consent that can still change
// (a bank that cannot be reached is not fatal: the stored status stands) and resume every
// payment that is not final. It returns the errors of both, joined.
func (w *Wallet) Start(ctx context.Context, progress func(Event)) error {
	syncErr := w.SyncConsents(ctx)
	if syncErr != nil {
		syncErr = fmt.Errorf("sync consents: %w", syncErr)
	}
	return errors.Join(syncErr, w.Resume(ctx, progress))
}

// Resume drives every payment that is not final: after a crash, a timeout or a restart. Each
// one is reconciled with the bank before anything is resent. progress may be nil.
func (w *Wallet) Resume(ctx context.Context, progress func(Event)) error {
	open, err := w.cfg.Ledger.OpenPayments(ctx)
	if err != nil {
		return err
	}
	emit := w.emitter(progress)
	var errs []error
	for i := range open {
		p := &open[i]
		w.mu.Lock()
		// A Prepared payment may be one a Submit has just recorded and not yet claimed.
		_, delivering := w.inflight[p.ID]
		busy := delivering || (p.Status == PaymentPrepared && w.submitting > 0)
		w.mu.Unlock()
		if busy {
			continue
		}
		if err := w.deliver(ctx, p, emit, deliverOpts{lookFirst: true}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
