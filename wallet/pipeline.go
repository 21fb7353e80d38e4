package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
	// Until is set while the wallet sits out a wait the bank asked for (Retry-After): when it
	// ends, by the wallet's clock. Note then says "Bank asked to wait 59 s". Cancelling the
	// context stops the wait; the payment stays tracked (queued if nothing was processed).
	Until time.Time
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
		w.inflight[rec.ID] = make(chan struct{})
	}
	w.mu.Unlock()
	if err != nil {
		return fail(StepPersist, err)
	}
	emit(Event{Step: StepPersist, State: StepDone, PaymentID: rec.ID, Status: rec.Status})

	// Should the bank have rotated its encryption key meanwhile, this run (and only this one:
	// the PII plaintext is never stored) can seal the same PII again and sign a new request.
	reseal := func(ctx context.Context) ([]byte, time.Time, error) {
		sealed, err := bank.SealPII(ctx, pii)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("seal payment PII: %w", err)
		}
		msg, err := paymentMessage(p, sealed)
		if err != nil {
			return nil, time.Time{}, err
		}
		body, err := bank.SignPayment(msg)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("sign payment: %w", err)
		}
		exp, err := jwsExpiry(body)
		return body, exp, err
	}
	err = w.deliverClaimed(ctx, rec, emit, deliverOpts{reseal: reseal})
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
