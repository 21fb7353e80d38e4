package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/risk"
	"github.com/payterm/payterm/sca"
)

// Step is one step of the payment pipeline (design.md "Data flow of one payment").
type Step int

// The steps in order.
const (
	StepSCA Step = iota
	StepRisk
	StepSealPII
	StepSign
	StepPersist
	StepSend
	StepBankPending
	StepSettled
)

var stepNames = [...]string{"SCA", "Risk", "PII sealed", "Signed", "Saved", "Sent", "Bank has it", "Settled"}

func (s Step) String() string {
	if s >= 0 && int(s) < len(stepNames) {
		return stepNames[s]
	}
	return fmt.Sprintf("step %d", int(s))
}

// StepState is where a step is.
type StepState int

// Step states.
const (
	StepRunning StepState = iota
	StepDone
	StepFailed
)

// Event is one pipeline transition, for progress screens (and the crash tests).
type Event struct {
	Step      Step
	State     StepState
	At        time.Time
	Note      string // plain words, never PII
	Err       error
	PaymentID int64         // ledger id, once persisted
	Status    PaymentStatus // the payment's status after this event, once persisted
}

// maxSends bounds POSTs of one payment per deliver call; later ones happen on Resume.
const maxSends = 3

// resendMargin: the exact bytes are resent only while the signed request has at least this
// long left, so it cannot expire in flight.
const resendMargin = 30 * time.Second

// lookupWindow is how long after the first send a lookup by idempotency key is authoritative:
// the standard's 24-hour idempotency window, less a margin for clock differences.
const lookupWindow = 23 * time.Hour

// ErrPreparedUnknown: the prepared payment does not exist (already submitted, or the wallet
// restarted); prepare it again.
var ErrPreparedUnknown = errors.New("this payment was already submitted or has expired; prepare it again")

// SCAReceipt is what the ledger keeps of the SCA that authorised a payment (Payment.SCAReceipt,
// as JSON): no secret, enough to resend the exact request with the same x-fapi-auth-date after
// a restart. The dynamic-linking JWS in AuthenticationValue names the payee, so it is PII.
type SCAReceipt struct {
	ChallengeTime       time.Time `json:"challengeTime"`
	Factors             []string  `json:"factors"`
	DeviceBindingID     string    `json:"deviceBindingId"`
	AuthenticationValue string    `json:"authenticationValue"`
}

// Receipt decodes the payment's SCA receipt.
func (p Payment) Receipt() (SCAReceipt, error) {
	var r SCAReceipt
	if err := json.Unmarshal([]byte(p.SCAReceipt), &r); err != nil {
		return SCAReceipt{}, fmt.Errorf("payment %d: read SCA receipt: %w", p.ID, err)
	}
	return r, nil
}

// Submit performs SCA for exactly this prepared payment and, if it passes, runs the pipeline:
// Risk → seal PII → sign → persist (limits re-checked atomically) → send → verify → track.
// progress (may be nil) receives every step transition. The returned payment is as far as it
// got; a payment that is not final is resumed by Resume.
func (w *Wallet) Submit(ctx context.Context, preparedID string, pin sca.PIN, code sca.OTP, progress func(Event)) (Payment, error) {
	emit := w.emitter(progress)
	p, ok := w.takePrepared(preparedID)
	if !ok {
		return Payment{}, &Problem{What: "This payment was already submitted or has expired.", Next: "Prepare it again.", Err: ErrPreparedUnknown}
	}
	intent := p.Intent()
	// The consent may have been paused, revoked or may have expired since Prepare.
	c, err := w.cfg.Ledger.Consent(ctx, p.ConsentID)
	if err != nil {
		return Payment{}, err
	}
	if err := Usable(c, w.cfg.Clock()); err != nil {
		return Payment{}, err
	}
	bank, err := w.bankOf(c)
	if err != nil {
		return Payment{}, err
	}

	emit(Event{Step: StepSCA, State: StepRunning})
	ev, err := w.cfg.SCA.Authenticate(intent, pin, code)
	if rerr := w.cfg.Ledger.RecordSCAAttempt(ctx, w.cfg.SessionID, err == nil); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		if errors.Is(err, sca.ErrAuthFailed) && !errors.Is(err, sca.ErrBlocked) {
			w.mu.Lock()
			w.prepared[p.ID] = p // the user may try again with the same intent
			w.mu.Unlock()
		}
		emit(Event{Step: StepSCA, State: StepFailed, Err: err})
		return Payment{}, fmt.Errorf("authenticate: %w", err)
	}
	emit(Event{Step: StepSCA, State: StepDone})

	fail := func(step Step, err error) (Payment, error) {
		emit(Event{Step: step, State: StepFailed, Err: err})
		return Payment{}, err
	}

	emit(Event{Step: StepRisk, State: StepRunning})
	riskBlock, err := w.paymentRisk(ctx, p, ev)
	if err != nil {
		return fail(StepRisk, err)
	}
	emit(Event{Step: StepRisk, State: StepDone})

	emit(Event{Step: StepSealPII, State: StepRunning})
	pii, err := paymentPII(p.creditor, riskBlock)
	if err != nil {
		return fail(StepSealPII, err)
	}
	sealed, err := bank.SealPII(ctx, pii)
	if err != nil {
		return fail(StepSealPII, fmt.Errorf("seal payment PII: %w", err))
	}
	emit(Event{Step: StepSealPII, State: StepDone})

	emit(Event{Step: StepSign, State: StepRunning})
	msg, err := paymentMessage(p, sealed)
	if err != nil {
		return fail(StepSign, err)
	}
	body, err := bank.SignPayment(msg)
	if err != nil {
		return fail(StepSign, fmt.Errorf("sign payment: %w", err))
	}
	exp, err := jwsExpiry(body)
	if err != nil {
		return fail(StepSign, err)
	}
	emit(Event{Step: StepSign, State: StepDone})

	emit(Event{Step: StepPersist, State: StepRunning})
	// The evidence is consumed before the record exists: one SCA, one payment, even if two
	// submissions race with the same evidence.
	if err := ev.Consume(intent, w.cfg.Clock()); err != nil {
		return fail(StepPersist, err)
	}
	receipt, err := json.Marshal(receiptOf(ev))
	if err != nil {
		return fail(StepPersist, fmt.Errorf("encode SCA receipt: %w", err))
	}
	rec := &Payment{ConsentID: p.ConsentID, PayeeID: p.Payee.ID, PayeeName: p.Payee.Name, PayeeIBAN: p.Payee.IBAN,
		Amount: p.Amount, Currency: p.Currency, Purpose: p.Purpose, Reference: p.Reference,
		IdempotencyKey: p.IdempotencyKey, Request: body, RequestExp: exp, SCAReceipt: string(receipt)}
	// From the commit of the record until this call claims it, a concurrent Resume (the
	// background loop) must not take the fresh Prepared payment for a crashed one: submitting
	// tells it to leave Prepared payments alone, and the claim is made under the same lock.
	w.mu.Lock()
	w.submitting++
	w.mu.Unlock()
	err = w.cfg.Ledger.ReservePayment(ctx, rec, w.cfg.Limits)
	w.mu.Lock()
	w.submitting--
	if err == nil {
		w.inflight[rec.ID] = true
	}
	w.mu.Unlock()
	if err != nil {
		return fail(StepPersist, err)
	}
	emit(Event{Step: StepPersist, State: StepDone, PaymentID: rec.ID, Status: rec.Status})

	err = w.deliverClaimed(ctx, rec, emit)
	return *rec, err
}

func receiptOf(ev *sca.Evidence) SCAReceipt {
	r := SCAReceipt{ChallengeTime: ev.ChallengeTime, DeviceBindingID: ev.DeviceBindingID, AuthenticationValue: ev.AuthenticationValue}
	for _, f := range ev.Factors {
		r.Factors = append(r.Factors, string(f.Category)+":"+string(f.Type))
	}
	return r
}

// paymentRisk builds the payment-time Risk block from the evidence, the device, the ledger's
// counters and the payee.
func (w *Wallet) paymentRisk(ctx context.Context, p *Prepared, ev *sca.Evidence) (risk.Risk, error) {
	counters, err := w.cfg.Ledger.RiskCounters(ctx, w.cfg.SessionID)
	if err != nil {
		return risk.Risk{}, err
	}
	facts := risk.SCAFacts{ChallengeTime: ev.ChallengeTime, Outcome: risk.Outcome(ev.Outcome), AuthenticationValue: ev.AuthenticationValue}
	for _, f := range ev.Factors {
		switch f.Category {
		case sca.Knowledge:
			facts.Knowledge = risk.Knowledge(f.Type)
		case sca.Possession:
			facts.Possession = risk.Possession(f.Type)
		}
	}
	device := w.cfg.Device
	device.BindingID, device.BoundAt, device.BindingStatus = ev.DeviceBindingID, ev.DeviceBoundAt, risk.BindingActive
	kind := risk.AccountRetail
	if p.Payee.Kind == "corporate" {
		kind = risk.AccountCorporate
	}
	now := w.cfg.Clock()
	started := p.Started
	if started.After(now) {
		started = now
	}
	// UserOnboardingDateTime is the SCA enrolment (the device binding the evidence names), the
	// same source as the consent-time Risk, so both blocks agree and a reset re-dates it.
	onboarded := ev.DeviceBoundAt
	if onboarded.After(now) {
		onboarded = time.Time{}
	}
	r, err := risk.ForPayment(risk.PaymentInput{Now: now, Started: started, SCA: facts, Device: device, App: w.cfg.App,
		History: risk.History{OnboardedAt: onboarded,
			SessionAttempts: counters.SessionAttempts, SessionFailedAttempts: counters.SessionFailedAttempts,
			Last24hAttempts: counters.Last24hAttempts, Last24hFailedAttempts: counters.Last24hFailedAttempts,
			TransactionsLastDay: counters.TransactionsLastDay, TransactionsLastYear: counters.TransactionsLastYear},
		Payee: risk.Payee{Kind: kind, PrePopulated: p.prePopulated}})
	if err != nil {
		return risk.Risk{}, fmt.Errorf("build Risk block: %w", err)
	}
	return r, nil
}

func (w *Wallet) emitter(progress func(Event)) func(Event) {
	return func(e Event) {
		if progress == nil {
			return
		}
		if e.At.IsZero() {
			e.At = w.cfg.Clock()
		}
		progress(e)
	}
}

// deliver drives a persisted payment to the bank and then to a final status: send when the
// bank provably has nothing, reconcile first whenever the outcome of an earlier send is
// unknown, track once the bank has it. It returns with the payment not final only when the
// bank cannot be reached or tracking ran out of time; Resume picks it up again.
func (w *Wallet) deliver(ctx context.Context, p *Payment, emit func(Event)) error {
	w.mu.Lock()
	if w.inflight[p.ID] {
		w.mu.Unlock()
		return nil // another call is delivering it
	}
	w.inflight[p.ID] = true
	w.mu.Unlock()
	return w.deliverClaimed(ctx, p, emit)
}

// deliverClaimed is deliver for a payment this call has already marked in flight; it releases
// the mark when it returns.
func (w *Wallet) deliverClaimed(ctx context.Context, p *Payment, emit func(Event)) error {
	defer func() {
		w.mu.Lock()
		delete(w.inflight, p.ID)
		w.mu.Unlock()
	}()
	bank, err := w.bankOfConsent(ctx, p.ConsentID)
	if err != nil {
		return fmt.Errorf("payment %d: %w", p.ID, err)
	}
	sends := 0
	for {
		switch {
		case p.Status.Final():
			w.emitFinal(p, emit)
			return nil
		case p.BankPaymentID != "":
			return w.track(ctx, bank, p, emit)
		case p.Status == PaymentPrepared:
			if sends == maxSends {
				return fmt.Errorf("payment %d: the bank's answer is still unknown after %d sends; it will be reconciled again", p.ID, sends)
			}
			sends++
			if err := w.send(ctx, bank, p, emit); err != nil {
				return err
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

// send posts the stored bytes with the stored key. Status Sending is durable before the POST,
// so a crash from here on is reconciled, never blindly resent.
func (w *Wallet) send(ctx context.Context, bank Bank, p *Payment, emit func(Event)) error {
	receipt, err := p.Receipt()
	if err != nil {
		return err
	}
	for tries := 0; ; tries++ {
		token, err := w.cfg.Tokens.AccessToken(ctx, p.ConsentID)
		if err != nil {
			return fmt.Errorf("payment %d: access token: %w", p.ID, err)
		}
		if err := w.setStatus(ctx, p, StatusUpdate{Status: PaymentSending, Note: "sending"}); err != nil {
			return err
		}
		emit(Event{Step: StepSend, State: StepRunning, PaymentID: p.ID, Status: p.Status})
		res, err := bank.CreatePayment(ctx, token, lfi.SignedPayment{IdempotencyKey: p.IdempotencyKey, Body: p.Request,
			AuthDate: receipt.ChallengeTime, CustomerIP: w.cfg.CustomerIP, UserAgent: w.cfg.UserAgent})
		w.recordAttempt(ctx, p.ID, "send", res, err)
		if err == nil {
			emit(Event{Step: StepSend, State: StepDone, PaymentID: p.ID, Status: p.Status})
			return w.accept(ctx, p, res, "created", emit)
		}
		var be *lfi.BankError
		switch {
		case errors.Is(err, lfi.ErrUnauthorized) && tries == 0:
			// A 401 is answered before anything is processed: refresh and resend once.
			w.cfg.Tokens.Invalidate(p.ConsentID)
			continue
		case errors.As(err, &be) && be.HTTPStatus >= 400 && be.HTTPStatus < 500 &&
			be.HTTPStatus != 401 && be.HTTPStatus != 409 && be.HTTPStatus != 429:
			// The bank refused the request before creating a payment.
			emit(Event{Step: StepSend, State: StepFailed, PaymentID: p.ID, Err: err, Note: be.Code()})
			if uerr := w.setStatus(ctx, p, StatusUpdate{Status: PaymentRefused, Note: fmt.Sprintf("refused by the bank (HTTP %d)", be.HTTPStatus),
				RejectCode: be.Code(), RejectMessage: "refused before a payment was created"}); uerr != nil {
				return uerr
			}
			if strings.HasPrefix(be.Code(), "Consent.") {
				// The bank's view of the consent changed (suspended, revoked, expired):
				// refresh ours so the next Prepare gives the real reason. Best effort.
				_, _ = w.SyncConsent(ctx, p.ConsentID)
			}
			w.emitFinal(p, emit)
			return nil
		default:
			// Timeout, 5xx, 409, 429, an unverifiable answer, a cancelled context: the bank may
			// or may not have the payment.
			if uerr := w.setStatus(context.WithoutCancel(ctx), p, StatusUpdate{Status: PaymentUnknown, Note: "outcome unknown; reconciling"}); uerr != nil {
				return uerr
			}
			emit(Event{Step: StepSend, State: StepRunning, PaymentID: p.ID, Status: p.Status, Note: "outcome unknown; reconciling"})
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return nil
		}
	}
}

// reconcile asks the bank for the payment created with the stored key. Found: adopt it. Not
// found: resend the same bytes while they are valid, otherwise the payment is abandoned (the
// bank provably has none; a new payment needs a new SCA).
func (w *Wallet) reconcile(ctx context.Context, bank Bank, p *Payment, emit func(Event)) error {
	res, err := bank.GetPaymentByIdempotencyKey(ctx, p.IdempotencyKey)
	w.recordAttempt(ctx, p.ID, "lookup-key", res, err)
	switch {
	case err == nil:
		return w.accept(ctx, p, res, "found by idempotency key", emit)
	case errors.Is(err, lfi.ErrNotFound):
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
		if now.Add(resendMargin).Before(p.RequestExp) {
			return w.setStatus(ctx, p, StatusUpdate{Status: PaymentPrepared, Note: "the bank has no payment for the key; resending the same request"})
		}
		if err := w.setStatus(ctx, p, StatusUpdate{Status: PaymentAbandoned,
			Note: "the bank has no payment for the key and the signed request expired; authenticate again to pay"}); err != nil {
			return err
		}
		w.emitFinal(p, emit)
		return nil
	default:
		return fmt.Errorf("payment %d: reconcile with the bank: %w", p.ID, err)
	}
}

// accept records the bank's payment after checking it is the one we sent.
func (w *Wallet) accept(ctx context.Context, p *Payment, res *lfi.Payment, how string, emit func(Event)) error {
	if res == nil || res.PaymentID == "" || len(res.PaymentID) > 40 {
		return fmt.Errorf("payment %d: the bank's answer has no valid PaymentId", p.ID)
	}
	if res.ConsentID != p.ConsentID || res.Amount.Amount != p.Amount.String() || (res.Amount.Currency != "" && res.Amount.Currency != p.Currency) {
		return fmt.Errorf("payment %d: the bank's payment does not match the one sent (consent or amount differ)", p.ID)
	}
	status, err := bankStatus(string(res.Status))
	if err != nil {
		return fmt.Errorf("payment %d: %w", p.ID, err)
	}
	u := StatusUpdate{Status: status, BankPaymentID: res.PaymentID, Note: how}
	if len(res.RejectReasons) > 0 {
		u.RejectCode, u.RejectMessage = res.RejectReasons[0].Code, res.RejectReasons[0].Message
	}
	if err := w.setStatus(ctx, p, u); err != nil {
		return err
	}
	emit(Event{Step: StepBankPending, State: StepDone, PaymentID: p.ID, Status: p.Status, Note: string(p.Status)})
	return nil
}

// track polls the payment with back-off until it is final or TrackFor has passed.
func (w *Wallet) track(ctx context.Context, bank Bank, p *Payment, emit func(Event)) error {
	deadline := w.cfg.Clock().Add(w.cfg.TrackFor)
	delay := 500 * time.Millisecond
	for !p.Status.Final() {
		if !w.cfg.Clock().Before(deadline) {
			return nil // still not final: Resume will continue
		}
		if err := w.cfg.Sleep(ctx, delay); err != nil {
			return err
		}
		delay = min(delay*2, 10*time.Second)
		res, err := bank.GetPayment(ctx, p.BankPaymentID)
		w.recordAttempt(ctx, p.ID, "get", res, err)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue // transient; the next poll tries again
		}
		before := p.Status
		if err := w.accept(ctx, p, res, "status poll", func(Event) {}); err != nil {
			return err
		}
		if p.Status != before && !p.Status.Final() {
			emit(Event{Step: StepBankPending, State: StepDone, PaymentID: p.ID, Status: p.Status, Note: string(p.Status)})
		}
	}
	w.emitFinal(p, emit)
	return nil
}

func (w *Wallet) emitFinal(p *Payment, emit func(Event)) {
	e := Event{Step: StepSettled, State: StepDone, PaymentID: p.ID, Status: p.Status, Note: string(p.Status)}
	if p.Status.Outcome() == OutcomeFailed {
		e.State = StepFailed
		e.Err = failureProblem(*p)
	}
	emit(e)
}

func (w *Wallet) recordAttempt(ctx context.Context, id int64, kind string, res *lfi.Payment, err error) {
	a := Attempt{Kind: kind, Outcome: "ok"}
	if res != nil {
		a.InteractionID = res.InteractionID
	}
	if err != nil {
		a.Outcome = "error"
		var be *lfi.BankError
		var te *lfi.TransportError
		var ue *lfi.UnverifiableError
		switch {
		case errors.As(err, &be):
			a.InteractionID, a.HTTPStatus, a.Outcome = be.InteractionID, be.HTTPStatus, "error "+be.Code()
		case errors.As(err, &te):
			a.InteractionID, a.Outcome = te.InteractionID, "no response"
		case errors.As(err, &ue):
			a.InteractionID, a.HTTPStatus, a.Outcome = ue.InteractionID, ue.HTTPStatus, "unverifiable"
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
		busy := w.inflight[p.ID] || (p.Status == PaymentPrepared && w.submitting > 0)
		w.mu.Unlock()
		if busy {
			continue
		}
		if p.Status == PaymentPrepared {
			// A record written before a crash may already have been sent: look first.
			if err := w.setStatus(ctx, p, StatusUpdate{Status: PaymentUnknown, Note: "resumed after restart; reconciling"}); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if err := w.deliver(ctx, p, emit); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
