package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/payterm/payterm/provider"
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
	// StepApprove: the payer approves the payment at their bank (per-payment bank SCA), after
	// Sent and before the bank's statuses.
	StepApprove
)

var stepNames = [...]string{"SCA", "Risk", "PII sealed", "Signed", "Saved", "Sent", "Bank has it", "Settled", "Approve at your bank"}

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
	// Action is set while the bank waits for the payer to approve the payment (StepApprove):
	// what to do. The answer goes back through ContinuePayment.
	Action *provider.Action
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
	// Bundle is set for a payment of a bundle (SubmitBundle): the one SCA covered every payment
	// of it, its device-key JWS signing BundleDigest (BundleDigestOf), and this payment is
	// item BundleItem (1…) of it.
	Bundle       string `json:"bundle,omitempty"`
	BundleItem   int    `json:"bundleItem,omitempty"`
	BundleDigest string `json:"bundleDigest,omitempty"`
}

// Receipt decodes the payment's SCA receipt.
func (p Payment) Receipt() (SCAReceipt, error) {
	var r SCAReceipt
	if err := json.Unmarshal([]byte(p.SCAReceipt), &r); err != nil {
		return SCAReceipt{}, fmt.Errorf("payment %d: read SCA receipt: %w", p.ID, err)
	}
	return r, nil
}

// PrestretchPIN lets the SCA start the PIN's deliberately slow key stretching while the code
// is still being typed (sca.Authenticator.Prestretch); it checks nothing and returns at once.
// An Authenticator without it is left alone: Submit then stretches the PIN itself.
func (w *Wallet) PrestretchPIN(pin sca.PIN) {
	if p, ok := w.cfg.SCA.(interface{ Prestretch(sca.PIN) }); ok {
		p.Prestretch(pin)
	}
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
	// Until the SCA has passed nothing is sent or stored, so a failure gives the prepared
	// payment back: the user may retype a PIN or a code (wrong, mistyped, already used), and
	// a blocked or paused wallet says so again rather than that the payment is gone.
	keep := func() {
		w.mu.Lock()
		w.prepared[p.ID] = p
		w.mu.Unlock()
	}
	// The consent may have been paused, revoked or may have expired since Prepare.
	c, err := w.cfg.Ledger.Consent(ctx, p.ConsentID)
	if err != nil {
		keep()
		return Payment{}, err
	}
	if err := Usable(c, w.cfg.Clock()); err != nil {
		keep()
		return Payment{}, err
	}
	bank, err := w.bankOf(c)
	if err != nil {
		keep()
		return Payment{}, err
	}

	emit(Event{Step: StepSCA, State: StepRunning})
	ev, err := w.cfg.SCA.Authenticate(intent, pin, code)
	if rerr := w.cfg.Ledger.RecordSCAAttempt(ctx, w.cfg.SessionID, err == nil); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		keep()
		emit(Event{Step: StepSCA, State: StepFailed, Err: err})
		return Payment{}, fmt.Errorf("authenticate: %w", err)
	}
	emit(Event{Step: StepSCA, State: StepDone})

	fail := func(step Step, err error) (Payment, error) {
		emit(Event{Step: step, State: StepFailed, Err: err})
		return Payment{}, err
	}

	counters, err := w.cfg.Ledger.RiskCounters(ctx, w.cfg.SessionID)
	if err != nil {
		return fail(StepRisk, err)
	}
	facts, err := w.factsOf(ctx, c, p, counters)
	if err != nil {
		return fail(StepRisk, err)
	}
	// A bank that wants the payer logged in gets the login now: the request names the
	// session's payer. The wallet's SCA keeps running meanwhile (it lasts 5 minutes).
	if lg, ok := loginOf(bank); ok {
		if err := w.loginBeforeBuild(ctx, lg, p.ID, emit); err != nil {
			return Payment{}, err
		}
		if now := w.cfg.Clock(); now.After(ev.ExpiresAt()) {
			return fail(StepPersist, &Problem{What: "You are logged in at your bank now, but your approval of this payment (PIN and code) is over 5 minutes old, so it was not sent.",
				Next: "Pay again: the login is kept.", Err: sca.ErrEvidenceExpired})
		}
	}
	req, err := bank.Build(provider.WithProgress(ctx, stepReporter(emit)), p.providerIntent(), evidenceOf(ev), facts)
	if err != nil {
		return Payment{}, err // the provider reported the failed step
	}

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
	rec, err := w.reserveClaimed(ctx, p, req, receipt)
	if err != nil {
		return fail(StepPersist, err)
	}
	emit(Event{Step: StepPersist, State: StepDone, PaymentID: rec.ID, Status: rec.Status})

	err = w.deliverClaimed(ctx, rec, emit, deliverOpts{interactive: true})
	return *rec, err
}

// stepReporter turns the steps a provider reports while it builds a request into progress
// events. The UAE steps keep their own rows; any other step shows as signing.
func stepReporter(emit func(Event)) func(string, provider.StepState, error) {
	return func(name string, st provider.StepState, err error) {
		step := StepSign
		switch name {
		case "Risk":
			step = StepRisk
		case "PII sealed":
			step = StepSealPII
		}
		emit(Event{Step: step, State: StepState(st), Err: err})
	}
}

// evidenceOf is the wallet's SCA as the providers see it.
func evidenceOf(ev *sca.Evidence) provider.Evidence {
	out := provider.Evidence{ChallengeTime: ev.ChallengeTime, Outcome: string(ev.Outcome), AuthenticationValue: ev.AuthenticationValue,
		DeviceBindingID: ev.DeviceBindingID, DeviceBoundAt: ev.DeviceBoundAt}
	for _, f := range ev.Factors {
		out.Factors = append(out.Factors, provider.Factor{Category: string(f.Category), Type: string(f.Type)})
	}
	return out
}

func receiptOf(ev *sca.Evidence) SCAReceipt {
	r := SCAReceipt{ChallengeTime: ev.ChallengeTime, DeviceBindingID: ev.DeviceBindingID, AuthenticationValue: ev.AuthenticationValue}
	for _, f := range ev.Factors {
		r.Factors = append(r.Factors, string(f.Category)+":"+string(f.Type))
	}
	return r
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

// factsOf is what the bank is told of the session and the payment (the Risk block's facts):
// the SCA counters, when the payment was started, whether its payee was pre-populated, and the
// payer's accepted Confirmation of Payee answer.
func (w *Wallet) factsOf(ctx context.Context, c Consent, p *Prepared, counters RiskCounters) (provider.Facts, error) {
	started := p.Started
	if now := w.cfg.Clock(); started.After(now) {
		started = now
	}
	facts := provider.Facts{SessionAttempts: counters.SessionAttempts, SessionFailedAttempts: counters.SessionFailedAttempts,
		Last24hAttempts: counters.Last24hAttempts, Last24hFailedAttempts: counters.Last24hFailedAttempts,
		TransactionsLastDay: counters.TransactionsLastDay, TransactionsLastYear: counters.TransactionsLastYear,
		Started: started, PayeePrePopulated: p.prePopulated}
	chk, ok, err := w.acceptedPayeeCheck(ctx, c, p.Payee)
	if err != nil {
		return provider.Facts{}, err
	}
	if ok {
		facts.PayeeCheck = provider.PayeeCheck{Answer: chk.Answer, BankName: chk.BankName, Evidence: chk.Evidence}
	}
	return facts, nil
}

// reserveClaimed stores p's record (its exact request bytes and SCA receipt) within the limits
// and claims it for this call. From the commit of the record until the claim, a concurrent
// Resume (the background loop) must not take the fresh Prepared payment for a crashed one:
// submitting tells it to leave Prepared payments alone, and the claim is made under the same
// lock.
func (w *Wallet) reserveClaimed(ctx context.Context, p *Prepared, req provider.Request, receipt []byte) (*Payment, error) {
	rec := &Payment{ConsentID: p.ConsentID, PayeeID: p.Payee.ID, PayeeName: p.Payee.Name, PayeeIBAN: p.Payee.IBAN,
		Amount: p.Amount, Currency: p.Currency, Purpose: p.Purpose, Reference: p.Reference,
		IdempotencyKey: p.IdempotencyKey, Request: req.Bytes, RequestExp: req.SendBy, SCAReceipt: string(receipt)}
	w.mu.Lock()
	w.submitting++
	w.mu.Unlock()
	err := w.cfg.Ledger.ReservePayment(ctx, rec, w.cfg.Limits)
	w.mu.Lock()
	w.submitting--
	if err == nil {
		w.inflight[rec.ID] = make(chan struct{})
	}
	w.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return rec, nil
}
