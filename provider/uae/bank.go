// Package uae is the UAE Open Finance v2.1 delegated-SCA standard behind payterm's provider seam:
// a payment is built from the wallet's own SCA evidence (the Risk block proves it), its PII is
// sealed as a JWS inside a JWE to the bank's key, the request is signed (PS256) and posted over
// mTLS with a consent-bound access token; a lost answer is reconciled by idempotency key.
//
// It wraps lfi (the bank as the TPP sees it), consent (tokens) and risk; the wallet core sees
// only provider.Bank.
package uae

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/risk"
)

// Currency is the only currency of UAE domestic payments.
const Currency = "AED"

// Client is what this provider needs of the bank client; *lfi.Client satisfies it.
type Client interface {
	SealPII(ctx context.Context, piiJSON []byte) (string, error)
	SignPayment(message []byte) ([]byte, error)
	CreatePayment(ctx context.Context, userToken lfi.Secret, p lfi.SignedPayment) (*lfi.Payment, error)
	GetPayment(ctx context.Context, paymentID string) (*lfi.Payment, error)
	GetPaymentByIdempotencyKey(ctx context.Context, key string) (*lfi.Payment, error)
	GetConsent(ctx context.Context, consentID string) (*lfi.Consent, error)
	RevokeConsent(ctx context.Context, consentID, revokedBy string) (string, error)
}

var _ Client = (*lfi.Client)(nil)

// Tokens hands out the consent-bound user access token for a consent (*ConsentTokens).
type Tokens interface {
	AccessToken(ctx context.Context, consentID string) (lfi.Secret, error)
	// Invalidate drops a cached access token the bank answered 401 to.
	Invalidate(consentID string)
	// Forget deletes every token of a consent (after revocation).
	Forget(ctx context.Context, consentID string) error
}

// Config wires one UAE bank.
type Config struct {
	Name   string
	Client Client
	Tokens Tokens
	// Device and App feed the Risk block (risk.DetectDevice, risk.AppFromBuild).
	Device risk.Device
	App    risk.App
	// CustomerIP is sent as x-fapi-customer-ip-address; UserAgent as x-customer-user-agent.
	CustomerIP string
	UserAgent  string
	Clock      func() time.Time
}

// Bank is one UAE bank: provider.Bank.
type Bank struct {
	cfg Config

	mu sync.Mutex
	// pii keeps, for the run that built a request, what sealing it again needs should the bank
	// rotate its encryption key before the request is sent (the PII plaintext is never stored:
	// after a restart a key rotation ends in a refusal). Keyed by idempotency key.
	pii map[string]pending
}

type pending struct {
	intent provider.Intent
	pii    []byte
	at     time.Time
}

// piiTTL bounds how long a built request's PII stays in memory for a reseal: longer than any
// send may wait (the SCA lasts 5 minutes).
const piiTTL = 10 * time.Minute

var _ provider.Bank = (*Bank)(nil)

// New checks cfg.
func New(cfg Config) (*Bank, error) {
	if cfg.Client == nil || cfg.Tokens == nil {
		return nil, errors.New("uae: a bank client and a token source are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Bank{cfg: cfg, pii: map[string]pending{}}, nil
}

// Step names of a UAE payment, as the progress screen shows them.
const (
	StepRisk   = "Risk"
	StepSealed = "PII sealed"
	StepSigned = "Signed"
)

// Caps describes a UAE bank.
func (b *Bank) Caps() provider.Caps {
	return provider.Caps{
		Kind: provider.UAE, BankName: b.cfg.Name,
		WalletSCA: provider.WalletSCAIsTheSCA, BankSCA: provider.BankSCAOnGrant,
		Grant: provider.GrantConsent, Dedup: provider.DedupKeyAndLookup,
		Products: []provider.Product{{Label: "Domestic transfer", Currencies: []string{Currency},
			Creditor: provider.SchemeIBAN, Debtor: provider.SchemeIBAN, IBANCountries: []string{"AE"}}},
		Fields:  provider.Fields{Purpose: true, ReferenceMax: 35, ReferenceName: "Reference"},
		Signing: "JWS (PS256), PII in a JWE (RSA-OAEP-256, A256GCM), mTLS",
		Scheme:  "JWS PS256 + JWE",
		Steps:   []string{"SCA", StepRisk, StepSealed, StepSigned, "Saved", "Sent", "Bank has it", "Settled"},
	}
}

// Build makes POST /payments for the intent: the Risk block from the evidence and the facts,
// the PII (the creditor as it went with the consent, and the Risk) sealed to the bank's key,
// the AEPaymentRequest signed. Nothing leaves the machine but a JWKS fetch.
func (b *Bank) Build(ctx context.Context, in provider.Intent, ev provider.Evidence, f provider.Facts) (provider.Request, error) {
	if in.Amount.Currency != Currency {
		return provider.Request{}, fmt.Errorf("uae: a payment is in %s, not %q", Currency, in.Amount.Currency)
	}
	provider.ReportStep(ctx, StepRisk, provider.StepRunning, nil)
	rb, err := b.paymentRisk(in, ev, f)
	if err != nil {
		provider.ReportStep(ctx, StepRisk, provider.StepFailed, err)
		return provider.Request{}, err
	}
	provider.ReportStep(ctx, StepRisk, provider.StepDone, nil)

	provider.ReportStep(ctx, StepSealed, provider.StepRunning, nil)
	creditor, err := withCoP(in.Creditor.Wire, f.PayeeCheck.Evidence)
	if err != nil {
		err = fmt.Errorf("uae: %w", err)
		provider.ReportStep(ctx, StepSealed, provider.StepFailed, err)
		return provider.Request{}, err
	}
	pii, err := paymentPII(creditor, rb)
	if err != nil {
		provider.ReportStep(ctx, StepSealed, provider.StepFailed, err)
		return provider.Request{}, err
	}
	req, err := b.seal(ctx, in, pii, false)
	if err != nil {
		return provider.Request{}, err
	}
	b.mu.Lock()
	now := b.cfg.Clock()
	for k, p := range b.pii {
		if now.Sub(p.at) > piiTTL {
			delete(b.pii, k)
		}
	}
	b.pii[in.IdempotencyKey] = pending{intent: in, pii: pii, at: now}
	b.mu.Unlock()
	return req, nil
}

// seal seals pii to the bank's current key and signs the request, reporting both steps.
// announce reports the sealing step as started (Build has already done so).
func (b *Bank) seal(ctx context.Context, in provider.Intent, pii []byte, announce bool) (provider.Request, error) {
	if announce {
		provider.ReportStep(ctx, StepSealed, provider.StepRunning, nil)
	}
	sealed, err := b.cfg.Client.SealPII(ctx, pii)
	if err != nil {
		err = fmt.Errorf("seal payment PII: %w", err)
		provider.ReportStep(ctx, StepSealed, provider.StepFailed, err)
		return provider.Request{}, err
	}
	provider.ReportStep(ctx, StepSealed, provider.StepDone, nil)

	provider.ReportStep(ctx, StepSigned, provider.StepRunning, nil)
	msg, err := paymentMessage(in, sealed)
	if err == nil {
		var body []byte
		if body, err = b.cfg.Client.SignPayment(msg); err != nil {
			err = fmt.Errorf("sign payment: %w", err)
		} else {
			var exp time.Time
			if exp, err = jwsExpiry(body); err == nil {
				provider.ReportStep(ctx, StepSigned, provider.StepDone, nil)
				return provider.Request{Bytes: body, Key: in.IdempotencyKey, SendBy: exp}, nil
			}
		}
	}
	provider.ReportStep(ctx, StepSigned, provider.StepFailed, err)
	return provider.Request{}, err
}

// paymentRisk builds the payment-time Risk block from the evidence, the device, the wallet's
// counters and the payee.
func (b *Bank) paymentRisk(in provider.Intent, ev provider.Evidence, f provider.Facts) (risk.Risk, error) {
	facts := risk.SCAFacts{ChallengeTime: ev.ChallengeTime, Outcome: risk.Outcome(ev.Outcome), AuthenticationValue: ev.AuthenticationValue}
	for _, fa := range ev.Factors {
		switch fa.Category {
		case "Knowledge":
			facts.Knowledge = risk.Knowledge(fa.Type)
		case "Possession":
			facts.Possession = risk.Possession(fa.Type)
		}
	}
	device := b.cfg.Device
	device.BindingID, device.BoundAt, device.BindingStatus = ev.DeviceBindingID, ev.DeviceBoundAt, risk.BindingActive
	kind := risk.AccountRetail
	if in.Creditor.Kind == "corporate" {
		kind = risk.AccountCorporate
	}
	now := b.cfg.Clock()
	started := f.Started
	if started.IsZero() || started.After(now) {
		started = now
	}
	// UserOnboardingDateTime is the SCA enrolment (the device binding the evidence names), the
	// same source as the consent-time Risk, so both blocks agree and a reset re-dates it.
	onboarded := ev.DeviceBoundAt
	if onboarded.After(now) {
		onboarded = time.Time{}
	}
	r, err := risk.ForPayment(risk.PaymentInput{Now: now, Started: started, SCA: facts, Device: device, App: b.cfg.App,
		History: risk.History{OnboardedAt: onboarded,
			SessionAttempts: f.SessionAttempts, SessionFailedAttempts: f.SessionFailedAttempts,
			Last24hAttempts: f.Last24hAttempts, Last24hFailedAttempts: f.Last24hFailedAttempts,
			TransactionsLastDay: f.TransactionsLastDay, TransactionsLastYear: f.TransactionsLastYear},
		Payee: risk.Payee{Kind: kind, PrePopulated: f.PayeePrePopulated,
			ConfirmedByCoP: f.PayeeCheck.Answer == provider.PayeeMatch && f.PayeeCheck.Evidence != ""}})
	if err != nil {
		return risk.Risk{}, fmt.Errorf("build Risk block: %w", err)
	}
	return r, nil
}

// lfiCtx carries the core's waits (provider.WithWaits) to the lfi client.
func lfiCtx(ctx context.Context) context.Context {
	max, observe, ok := provider.Waits(ctx)
	if !ok {
		return ctx
	}
	ctx = lfi.WithMaxWait(ctx, max)
	if observe != nil {
		ctx = lfi.WithWaitObserver(ctx, func(w lfi.Wait) { observe(provider.Wait{For: w.For, Until: w.Until}) })
	}
	return ctx
}

// Ready gets a fresh access token for the payment's consent: nothing is sent to the resource
// server. A refresh the bank refuses (invalid_grant) is ErrGrantInactive.
func (b *Bank) Ready(ctx context.Context, p provider.Payment) error {
	if _, err := b.cfg.Tokens.AccessToken(lfiCtx(ctx), p.GrantID); err != nil {
		return tokenErr(p, err)
	}
	return nil
}

func tokenErr(p provider.Payment, err error) error {
	err = fmt.Errorf("access token for the consent: %w", err)
	if errors.Is(err, consent.ErrConsentInactive) {
		return &callError{err: err, is: []error{provider.ErrGrantInactive, provider.ErrNotProcessed}}
	}
	return &callError{err: err, is: []error{provider.ErrNotProcessed}, attempt: provider.Attempt{NotSent: true}}
}

// Send posts the stored bytes with the stored key. A 401 is answered before anything is
// processed: the token is refreshed and the same bytes go once more.
func (b *Bank) Send(ctx context.Context, p provider.Payment) (provider.State, error) {
	lctx := lfiCtx(ctx)
	for tries := 0; ; tries++ {
		token, err := b.cfg.Tokens.AccessToken(lctx, p.GrantID)
		if err != nil {
			return provider.State{}, tokenErr(p, err)
		}
		res, err := b.cfg.Client.CreatePayment(lctx, token, lfi.SignedPayment{IdempotencyKey: p.Request.Key, Body: p.Request.Bytes,
			AuthDate: p.AuthTime, CustomerIP: b.cfg.CustomerIP, UserAgent: b.cfg.UserAgent})
		if err == nil {
			return b.accept(p, res)
		}
		var be *lfi.BankError
		switch {
		case errors.Is(err, lfi.ErrUnauthorized) && tries == 0:
			b.cfg.Tokens.Invalidate(p.GrantID)
			continue
		case errors.Is(err, lfi.ErrRateLimited) && !errors.Is(err, lfi.ErrOutcomeUnknown):
			// 429 (or held back by an earlier one): the bank processed nothing.
			return provider.State{}, wrapCall(err, provider.ErrNotProcessed, provider.ErrBankBusy)
		case errors.As(err, &be) && be.HTTPStatus == 400 && be.Code() == "JWE.InvalidHeader":
			// The bank rotated its encryption key: nothing was created. Seal the same PII to
			// the new key and sign a new request, once, if this run still holds the PII.
			if req, ok := b.resealFor(ctx, p.Request.Key); ok {
				return provider.State{}, &provider.Rebuild{Request: req,
					Reason: "the bank no longer has the key the PII was sealed to (JWE.InvalidHeader)",
					Done:   "sealed again to the bank's new key and signed again", Err: wrapCall(err)}
			}
			return provider.State{}, b.refused(be, err)
		case errors.As(err, &be) && be.HTTPStatus >= 400 && be.HTTPStatus < 500 && be.HTTPStatus != 401 && be.HTTPStatus != 409:
			return provider.State{}, b.refused(be, err)
		default:
			// Timeout, 5xx, 409, an unverifiable answer, a cancelled context: the bank may or
			// may not have the payment.
			return provider.State{}, wrapCall(err, provider.ErrOutcomeUnknown)
		}
	}
}

// resealFor seals the PII of the request with this key again (once) and signs a new request.
func (b *Bank) resealFor(ctx context.Context, key string) (provider.Request, bool) {
	b.mu.Lock()
	p, ok := b.pii[key]
	delete(b.pii, key)
	b.mu.Unlock()
	if !ok {
		return provider.Request{}, false
	}
	req, err := b.seal(ctx, p.intent, p.pii, true)
	if err != nil {
		return provider.Request{}, false
	}
	return req, true
}

func (b *Bank) refused(be *lfi.BankError, err error) error {
	return &provider.Refused{HTTPStatus: be.HTTPStatus, Code: be.Code(), Detail: strings.TrimSpace(be.Detail()),
		InteractionID: be.InteractionID, GrantChanged: strings.HasPrefix(be.Code(), "Consent."), Err: wrapCall(err)}
}

// Lookup asks the bank for the payment created with the stored idempotency key.
func (b *Bank) Lookup(ctx context.Context, p provider.Payment) (provider.State, error) {
	res, err := b.cfg.Client.GetPaymentByIdempotencyKey(lfiCtx(ctx), p.Request.Key)
	switch {
	case err == nil:
		return b.accept(p, res)
	case errors.Is(err, lfi.ErrNotFound):
		return provider.State{}, wrapCall(err, provider.ErrNotFound)
	default:
		return provider.State{}, wrapCall(err)
	}
}

// Status reads the payment by its PaymentId.
func (b *Bank) Status(ctx context.Context, p provider.Payment) (provider.State, error) {
	res, err := b.cfg.Client.GetPayment(lfiCtx(ctx), p.State.BankRef)
	if err != nil {
		if errors.Is(err, lfi.ErrRateLimited) {
			return provider.State{}, wrapCall(err, provider.ErrBankBusy)
		}
		return provider.State{}, wrapCall(err)
	}
	return b.accept(p, res)
}

// accept checks the bank's payment is the one we sent and returns its state.
func (b *Bank) accept(p provider.Payment, res *lfi.Payment) (provider.State, error) {
	if res == nil || res.PaymentID == "" || len(res.PaymentID) > 40 {
		return provider.State{}, errors.New("the bank's answer has no valid PaymentId")
	}
	if res.ConsentID != p.GrantID || res.Amount.Amount != p.Amount.Amount.String() ||
		(res.Amount.Currency != "" && res.Amount.Currency != p.Amount.Currency) {
		return provider.State{}, errors.New("the bank's payment does not match the one sent (consent or amount differ)")
	}
	st := provider.State{BankRef: res.PaymentID, BankStatus: string(res.Status), InteractionID: res.InteractionID}
	st.Status, st.Final = normalise(res.Status)
	if len(res.RejectReasons) > 0 {
		st.RejectCode, st.RejectMessage = res.RejectReasons[0].Code, res.RejectReasons[0].Message
	}
	return st, nil
}

// normalise maps AEPaymentStatus to the normalised status. Only AcceptedCreditSettlementCompleted
// and Rejected are final under the UAE standard; an unknown (well-formed) value is pending.
func normalise(s lfi.PaymentStatus) (provider.Status, bool) {
	switch s {
	case "AcceptedSettlementCompleted", "AcceptedWithoutPosting":
		return provider.StatusExecuted, false
	case "AcceptedCreditSettlementCompleted":
		return provider.StatusSettled, true
	case "Rejected":
		return provider.StatusRejected, true
	default:
		return provider.StatusProcessing, false
	}
}

// SyncGrant reads the consent at the bank.
func (b *Bank) SyncGrant(ctx context.Context, consentID string) (provider.GrantState, error) {
	bc, err := b.cfg.Client.GetConsent(lfiCtx(ctx), consentID)
	if err != nil {
		return provider.GrantState{}, err
	}
	if bc.ConsentID != consentID {
		return provider.GrantState{}, errors.New("the bank answered for a different consent")
	}
	return provider.GrantState{ID: bc.ConsentID, Status: string(bc.Status), RevokedBy: bc.RevokedBy, UpdatedAt: bc.StatusUpdateDateTime}, nil
}

// RevokeGrant revokes the consent (PATCH Status=Revoked) and forgets its tokens. When the
// PATCH's outcome is unknown the consent is read back before anything is said.
func (b *Bank) RevokeGrant(ctx context.Context, consentID string, by provider.RevokedBy) (string, error) {
	var revokedBy string
	switch by {
	case provider.RevokedByUser:
		revokedBy = lfi.RevokedByTPPInitiatedUser
	case provider.RevokedByWallet:
		revokedBy = lfi.RevokedByTPP
	default:
		return "", fmt.Errorf("revoke consent: unknown revoker %q", by)
	}
	if _, err := b.cfg.Client.RevokeConsent(lfiCtx(ctx), consentID, revokedBy); err != nil {
		if !errors.Is(err, lfi.ErrOutcomeUnknown) {
			return "", fmt.Errorf("revoke consent: %w", err)
		}
		bc, gerr := b.cfg.Client.GetConsent(ctx, consentID)
		if gerr != nil {
			return "", fmt.Errorf("revoke consent: outcome unknown and status unreadable: %w", errors.Join(err, gerr))
		}
		if bc.Status != lfi.ConsentRevoked {
			return "", fmt.Errorf("revoke consent: %w", err)
		}
	}
	if err := b.cfg.Tokens.Forget(ctx, consentID); err != nil {
		return revokedBy, fmt.Errorf("revoked, but %w", err)
	}
	return revokedBy, nil
}

// callError carries an lfi error to the core: the sentinels it means, the attempt to log and
// the bank's wait.
type callError struct {
	err     error
	is      []error
	attempt provider.Attempt
}

func (e *callError) Error() string { return e.err.Error() }
func (e *callError) Unwrap() error { return e.err }
func (e *callError) Is(target error) bool {
	for _, s := range e.is {
		if s == target {
			return true
		}
	}
	return false
}
func (e *callError) Attempt() provider.Attempt { return e.attempt }
func (e *callError) RetryAfter() time.Duration { return lfi.RetryAfterOf(e.err) }

// wrapCall wraps an lfi error with the sentinels it means and its attempt. A wait the bank
// asked for, still running when the call was held back, is ErrBankBusy too.
func wrapCall(err error, sentinels ...error) error {
	ce := &callError{err: err, attempt: attemptOf(err), is: sentinels}
	var held *lfi.WaitError
	if errors.As(err, &held) {
		ce.is = append(ce.is, provider.ErrBankBusy)
	}
	return ce
}

func attemptOf(err error) provider.Attempt {
	var held *lfi.WaitError
	if errors.As(err, &held) {
		return provider.Attempt{NotSent: true}
	}
	a := provider.Attempt{Outcome: "error"}
	var be *lfi.BankError
	var te *lfi.TransportError
	var ue *lfi.UnverifiableError
	switch {
	case errors.As(err, &be):
		a.InteractionID, a.HTTPStatus, a.Outcome = be.InteractionID, be.HTTPStatus, "error "+be.Code()
		if be.HTTPStatus == 429 {
			a.Outcome = "rate limited, not processed"
		}
	case errors.As(err, &te):
		a.InteractionID, a.Outcome = te.InteractionID, "no response"
	case errors.As(err, &ue):
		a.InteractionID, a.HTTPStatus, a.Outcome = ue.InteractionID, ue.HTTPStatus, "unverifiable"
	}
	return a
}
