// Package provider is the seam between payterm's standard-neutral core (wallet) and each payment
// standard. The core owns the ledger, the write-ahead → send → reconcile → resume discipline, the
// TPP-side limits, the wallet's own SCA, history, the dashboard and the inspector; a Provider owns
// one standard's wire format, signatures, tokens and statuses, for one configured bank.
//
// The invariant the seam exists for: the provider BUILDS the request that creates a payment
// (Build), the core stores its exact bytes (fsync) before anything leaves, and only then the
// provider SENDS those bytes (Send). Whatever happens next — an answer, a refusal, a lost answer,
// a crash — the core decides from the typed outcome and its own rules (never resend after the SCA
// is 5 minutes old; reconcile before any resend when the outcome is unknown; never re-POST blindly
// where the standard has no way to look a payment up).
//
// Nothing here knows JWS, JWE, HTTP signatures, consents or links: those live in provider/uae,
// provider/xs2a, … . This package imports only money and the standard library.
package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/payterm/payterm/money"
)

// Kind names a payment standard.
type Kind string

// The standards payterm speaks.
const (
	UAE         Kind = "uae"          // UAE Open Finance v2.1, delegated SCA
	BerlinGroup Kind = "berlin-group" // Berlin Group NextGenPSD2 (profiles bg, sb1, bog)
	Fintecture  Kind = "fintecture"   // Fintecture payment sessions (a licensed PISP hub; seed 004)
	OP          Kind = "op"           // OP Financial Group PSD2 PIS v1 (bundles, detached JWS; seed 000)
)

// WalletSCA is what the wallet's own PIN + TOTP + device-key check means at a bank.
type WalletSCA string

const (
	// WalletSCAIsTheSCA: the standard delegates SCA to the wallet; its evidence goes to the bank
	// (the UAE Risk block). Without it nothing can be paid.
	WalletSCAIsTheSCA WalletSCA = "delegated"
	// WalletSCAProtectsTheWallet: the bank authenticates the payer itself; the wallet's check
	// only stops someone else at this terminal from starting a payment. It is never sent and
	// never claimed to be SCA.
	WalletSCAProtectsTheWallet WalletSCA = "wallet-only"
)

// BankSCA is when the bank authenticates the payer.
type BankSCA string

const (
	BankSCAOnGrant    BankSCA = "on-grant"    // once, when the grant (consent) is authorised
	BankSCAPerPayment BankSCA = "per-payment" // for every payment (redirect, decoupled, embedded, OAuth)
)

// GrantKind is what a payment hangs off in the ledger.
type GrantKind string

const (
	// GrantConsent: a long-lived payment consent authorised at the bank (UAE).
	GrantConsent GrantKind = "consent"
	// GrantLink: no grant exists at the bank; the wallet keeps a local link to the payer's
	// account at that bank (Berlin Group), so limits, history and the dashboard have a row.
	GrantLink GrantKind = "link"
)

// Dedup is what the bank offers when the answer to a create is lost.
type Dedup string

const (
	// DedupKeyAndLookup: an idempotency key, and a lookup by it (UAE): a lost answer is
	// reconciled automatically.
	DedupKeyAndLookup Dedup = "key+lookup"
	// DedupBankRefusesDuplicates: no lookup, but a resend of the same payment is refused by the
	// bank as a duplicate (SpareBank 1 allowLogicalDuplicate=false).
	DedupBankRefusesDuplicates Dedup = "bank-refuses-duplicates"
	// DedupNone: nothing (Berlin Group): a lost answer can only be resolved by the payer checking
	// their bank; the wallet never re-sends by itself.
	DedupNone Dedup = "none"
)

// AccountScheme names how an account is written.
type AccountScheme string

const (
	SchemeIBAN       AccountScheme = "iban"
	SchemeNorwayBBAN AccountScheme = "bban-no" // 11 digits, MOD-11
)

// Product is one kind of payment a bank offers (one per bank for the UAE).
type Product struct {
	ID         string        // the bank's name for it ("sepa-credit-transfers"); "" for the only one
	Label      string        // in words for the payer ("SEPA transfer", "Instant SEPA transfer")
	Currencies []string      // ISO 4217
	Creditor   AccountScheme // how the payee's account is written
	Debtor     AccountScheme
	// IBANCountries restricts IBANs (UAE: "AE"; SEPA: the SEPA countries); nil = any.
	IBANCountries []string
	// PayeeBank: a new payee is typed with its bank (BIC), address and country (Party.BIC,
	// Address, Country), and a message to the payee is required (OP's foreign payments).
	PayeeBank bool
}

// Fields are the optional parts of a payment the pay form offers for this bank.
type Fields struct {
	Purpose       bool // an AANI purpose code (UAE)
	ReferenceMax  int  // the payer's reference, at most this many characters (0: none)
	ReferenceName string
	// ReferenceRequired: the bank refuses a payment without one (Fintecture's communication).
	ReferenceRequired bool
}

// Caps describe one configured bank; static.
type Caps struct {
	Kind      Kind
	Profile   string // the standard's profile ("bg", "sb1", "bog"); "" when there is one
	BankName  string
	WalletSCA WalletSCA
	BankSCA   BankSCA
	Grant     GrantKind
	Dedup     Dedup
	Products  []Product
	Fields    Fields
	// Signing says in words how requests are protected, for the inspector and the review
	// screen ("JWS (PS256) with the PII in a JWE", "HTTP signature (draft-cavage, rsa-sha256)").
	Signing string
	// Scheme is Signing in a few words, for the banks side by side ("JWS PS256 + JWE", "HTTP
	// signature rsa-sha256"); "" lets the screens cut Signing.
	Scheme string
	// Steps are the progress rows of one payment, in order, after the wallet's own check.
	Steps []string
	// Bundle is how many payments one bank approval may cover (the provider is a Bundler);
	// 0 when each payment is approved on its own.
	Bundle int
}

// Currency is the currency of the bank's first product: the one the wallet shows where a bank
// has one (every product of a UAE bank is AED).
func (c Caps) Currency() string {
	if len(c.Products) == 0 || len(c.Products[0].Currencies) == 0 {
		return ""
	}
	return c.Products[0].Currencies[0]
}

// Product returns the product with that id ("" = the first).
func (c Caps) Product(id string) (Product, bool) {
	for _, p := range c.Products {
		if id == "" || p.ID == id {
			return p, true
		}
	}
	return Product{}, false
}

// Money is an amount in a currency. No code adds two Money of different currencies.
type Money struct {
	Amount   money.Amount
	Currency string // ISO 4217, upper case
}

func (m Money) String() string { return m.Amount.Display() + " " + m.Currency }

// Status is the normalised status the ledger and the screens use; the bank's own value is kept
// beside it (State.BankStatus).
type Status string

const (
	StatusAwaitingBankSCA Status = "AwaitingBankSCA" // created; the payer must still approve at the bank
	StatusAuthorised      Status = "Authorised"      // approved, not yet executed (ACTC, ACCP, …)
	StatusProcessing      Status = "Processing"      // the bank is executing it (UAE Pending, PDNG, ACSP)
	StatusExecuted        Status = "Executed"        // debited (ACSC, UAE AcceptedSettlementCompleted)
	StatusSettled         Status = "Settled"         // credited to the payee (ACCC, UAE AcceptedCreditSettlementCompleted)
	StatusRejected        Status = "Rejected"        // RJCT, UAE Rejected, bank SCA failed
	StatusCancelled       Status = "Cancelled"       // CANC
)

// State is where the bank says a payment is.
type State struct {
	BankRef    string // the bank's payment id
	Status     Status
	BankStatus string // the bank's own code, shown beside the normalised one
	// Final: the status never changes again at this bank (ACSC is final at Berlin Group banks,
	// ACCC at UAE ones); tracking stops.
	Final bool
	// RejectCode and RejectMessage are the bank's reason: the code is checked by the provider's
	// decoder; the message is the bank's free text, cleaned (internal/safetext) where it is shown.
	RejectCode, RejectMessage string
	// InteractionID identifies the exchange that produced this state, to quote to the bank.
	InteractionID string
	// Blob is the provider's own memory of the payment (links, authorisation ids), stored by
	// the core with the payment and handed back on every later call. Never secrets.
	Blob []byte
	// ApprovalWaived: the bank took the payment without asking the payer to approve it (an
	// SCA exemption: OP's exemption flow), so the approval step says it was not asked.
	ApprovalWaived bool
}

// Request is the fully built request that creates a payment: what the core stores before it
// leaves. Bytes are the provider's own serialisation (opaque to the core) and are exactly what
// Send sends; Key identifies it at the bank where the standard has a key.
type Request struct {
	Bytes []byte
	Key   string
	// SendBy is when the bytes stop being sendable as they are (a signature's exp, a Date the
	// bank checks); the core also stops at its own SCA deadline.
	SendBy time.Time
}

// Errors a provider returns, by what the core must do. A provider wraps its own error in one of
// these (errors.Is), so the core never inspects a standard's error types.
var (
	// ErrNotProcessed: the bank provably did nothing (429, a token refresh refused before the
	// request left, a wait not sat out). The same bytes may be sent again later.
	ErrNotProcessed = errors.New("the bank did not process the request")
	// ErrBankBusy: the bank asked the wallet to wait (a 429, or a Retry-After still running);
	// RetryAfter(err) says how long.
	ErrBankBusy = errors.New("the bank asked the wallet to wait")
	// ErrGrantInactive: the grant is no longer usable at the bank (invalid_grant, consent
	// suspended/revoked); nothing was processed. The core syncs the grant.
	ErrGrantInactive = errors.New("the bank no longer accepts the grant")
	// ErrOutcomeUnknown: the request may or may not have been processed. Reconcile first.
	ErrOutcomeUnknown = errors.New("the outcome at the bank is unknown")
	// ErrNotFound: a lookup proves the bank has no such payment.
	ErrNotFound = errors.New("the bank has no such payment")
	// ErrCannotReconcile: the standard offers no lookup; only the payer can check.
	ErrCannotReconcile = errors.New("the bank offers no way to look the payment up")
)

// Refused is a refusal before any payment was created (a 4xx on create): final, nothing paid.
type Refused struct {
	HTTPStatus    int
	Code          string // the bank's code, validated by the provider's decoder
	Detail        string // the bank's words, cleaned; may name the payee: never in Error()
	InteractionID string
	// GrantChanged: the refusal is about the grant (UAE Consent.*): the core syncs it.
	GrantChanged bool
	Err          error
}

func (r *Refused) Error() string {
	return fmt.Sprintf("the bank refused the payment (HTTP %d %s)", r.HTTPStatus, r.Code)
}
func (r *Refused) Unwrap() error { return r.Err }

// Rebuild is returned by Send when the bank did not process the request and it must be built
// again before it is resent (a UAE key rotation: the PII is sealed to a key the bank dropped).
// The core stores Request first, then sends it, under the same key.
type Rebuild struct {
	Request Request
	Reason  string // why the bank did not take the old one
	Done    string // what was built again, for the payment's timeline
	Err     error
}

func (r *Rebuild) Error() string { return "the request must be built again: " + r.Reason }
func (r *Rebuild) Unwrap() error { return r.Err }

// RetryAfter returns the wait the bank asked for, carried by err (0 if none).
func RetryAfter(err error) time.Duration {
	var w interface{ RetryAfter() time.Duration }
	if errors.As(err, &w) {
		return w.RetryAfter()
	}
	return 0
}

// Waits: the bank's Retry-After is honoured by every call; the core says, per call, how long it
// may be sat out and who is told while it lasts.

type waitKey struct{}

// Wait is one wait the bank asked for, reported before it is sat out.
type Wait struct {
	For   time.Duration
	Until time.Time
}

type waitOpts struct {
	max     time.Duration
	observe func(Wait)
}

// WithWaits lets calls under ctx sit out a bank's wait of up to max, reporting it to observe
// first (may be nil). Longer waits fail the call with an error carrying the wait.
func WithWaits(ctx context.Context, max time.Duration, observe func(Wait)) context.Context {
	return context.WithValue(ctx, waitKey{}, waitOpts{max: max, observe: observe})
}

// Waits reads what WithWaits set; ok is false when nothing was (the provider's default holds).
func Waits(ctx context.Context) (max time.Duration, observe func(Wait), ok bool) {
	o, ok := ctx.Value(waitKey{}).(waitOpts)
	return o.max, o.observe, ok
}

// Attempt is what the core's attempt log keeps of one exchange with the bank.
type Attempt struct {
	InteractionID string
	HTTPStatus    int
	Outcome       string // "error <code>", "no response", "unverifiable", "rate limited, not processed"
	// NotSent: the call never left (held back by a wait the bank asked for): not logged.
	NotSent bool
}

// AttemptOf reads the attempt an error of a call carries (zero when it carries none).
func AttemptOf(err error) Attempt {
	var a interface{ Attempt() Attempt }
	if errors.As(err, &a) {
		return a.Attempt()
	}
	return Attempt{}
}

// Evidence is the wallet's own SCA of one payment as the core hands it over. A standard that
// delegates SCA to the wallet proves it to the bank from this (the UAE Risk block); the others
// ignore it.
type Evidence struct {
	ChallengeTime time.Time
	Factors       []Factor
	Outcome       string
	// AuthenticationValue is the device-key JWS over the payment intent (dynamic linking). It
	// names the payee: PII.
	AuthenticationValue string
	DeviceBindingID     string
	DeviceBoundAt       time.Time
}

// Factor is one SCA factor that was checked.
type Factor struct {
	Category string // "Knowledge", "Possession", "Inherence"
	Type     string // "PIN", "OTP", …
}

// Facts are what the wallet knows of this session and its history, for standards whose
// requests carry them (the UAE Risk block's counters).
type Facts struct {
	SessionAttempts, SessionFailedAttempts int
	Last24hAttempts, Last24hFailedAttempts int
	TransactionsLastDay                    int
	TransactionsLastYear                   int
	// Started is when the payer opened the pay form; PayeePrePopulated whether the payee came
	// from a saved list rather than being typed.
	Started           time.Time
	PayeePrePopulated bool
	// PayeeCheck is the payer's accepted Confirmation of Payee answer for this payee, when one
	// was made (zero otherwise): its Evidence goes with the payment (UAE
	// ConfirmationOfPayeeResponse) and a Match says the creditor was confirmed.
	PayeeCheck PayeeCheck
}

// PayeeAnswer is a bank's answer to "does this name hold this account" (Confirmation of Payee).
type PayeeAnswer string

// The answers a payee check can give.
const (
	PayeeMatch       PayeeAnswer = "match"       // the name is the account holder's
	PayeeCloseMatch  PayeeAnswer = "close"       // close: BankName is the holder's name as the bank has it
	PayeeNoMatch     PayeeAnswer = "nomatch"     // the name is not the account holder's
	PayeeNotFound    PayeeAnswer = "notfound"    // no such account
	PayeeOptedOut    PayeeAnswer = "optedout"    // the holder opted out of Confirmation of Payee
	PayeeUnavailable PayeeAnswer = "unavailable" // the service could not answer now
)

// Known reports whether a is one of the answers above.
func (a PayeeAnswer) Known() bool {
	switch a {
	case PayeeMatch, PayeeCloseMatch, PayeeNoMatch, PayeeNotFound, PayeeOptedOut, PayeeUnavailable:
		return true
	}
	return false
}

// PayeeCheck is one answer of a payee check. BankName and Evidence are PII.
type PayeeCheck struct {
	Answer PayeeAnswer
	// BankName is the holder's (possibly masked) name as the bank returned it, checked free of
	// control and bidi characters by the provider; "" when the bank gave none.
	BankName string
	// Evidence is the bank's signed answer exactly as received (UAE: the CoP JWS), "" when
	// there is none (not found, unavailable, opted out).
	Evidence string
}

// PayeeConfirmer is a bank whose standard confirms a payee's name against the account before
// money goes to a new creditor (UAE Confirmation of Payee). A failure to reach the service is
// an answer (PayeeUnavailable) with the cause as the error.
type PayeeConfirmer interface {
	CheckPayeeName(ctx context.Context, p Party) (PayeeCheck, error)
}

// Party is a payee or a payer account. Name and Account are PII.
type Party struct {
	Name    string
	Account string
	Scheme  AccountScheme
	Kind    string // "retail" or "corporate"
	// Wire is the provider's own stored form of the party (the UAE creditor exactly as it went
	// on the wire with the consent), handed back unchanged.
	Wire []byte
	// BIC, Address (postal lines) and Country (ISO 3166 alpha-2): the payee's bank and address as
	// typed, for products that need them (OP's foreign payments); the provider's PayeeChecker
	// keeps them in Wire. Empty elsewhere.
	BIC     string
	Address []string
	Country string
}

// Intent is one payment to build.
type Intent struct {
	GrantID        string
	Product        string
	Amount         Money
	Creditor       Party
	Debtor         *Party
	Reference      string
	Purpose        string
	IdempotencyKey string // minted once by the core; the wallet's SCA signs it
}

// Payment is a stored payment as the core hands it back to its provider for every call after
// Build.
type Payment struct {
	GrantID  string
	Amount   Money
	Request  Request
	AuthTime time.Time // when the wallet's own SCA of it happened
	State    State     // as last recorded (BankRef, Blob)
}

// GrantState is a grant's status at the bank.
type GrantState struct {
	ID        string
	Status    string // the standard's own status word (UAE: Authorized, Suspended, Revoked, …)
	RevokedBy string
	UpdatedAt time.Time
}

// RevokedBy says who ends a grant.
type RevokedBy string

const (
	RevokedByUser   RevokedBy = "user"   // the payer asked
	RevokedByWallet RevokedBy = "wallet" // the wallet retires it (a renewal replaced it)
)

// Bank is one configured bank behind its standard. Every method may do I/O and must honour ctx
// (and the waits set by WithWaits). Errors are wrapped in the sentinels above, *Refused or
// *Rebuild, so the core decides without knowing the standard.
type Bank interface {
	Caps() Caps
	// Build makes the request that creates the payment. Nothing leaves the machine (a
	// standard may fetch the bank's public keys). Progress of the steps it takes is reported
	// through ReportStep.
	Build(ctx context.Context, in Intent, ev Evidence, f Facts) (Request, error)
	// Ready gets what sending p needs (a fresh access token) without sending anything: an
	// error means nothing left (ErrNotProcessed, ErrGrantInactive).
	Ready(ctx context.Context, p Payment) error
	// Send sends p.Request exactly. It returns the bank's state of the created payment.
	Send(ctx context.Context, p Payment) (State, error)
	// Lookup finds the payment p.Request created: ErrNotFound proves there is none,
	// ErrCannotReconcile says the standard cannot tell.
	Lookup(ctx context.Context, p Payment) (State, error)
	// Status reads the current state of a payment the bank has (p.State.BankRef).
	Status(ctx context.Context, p Payment) (State, error)
	// SyncGrant reads the grant's status at the bank.
	SyncGrant(ctx context.Context, grantID string) (GrantState, error)
	// RevokeGrant ends the grant at the bank and forgets what the wallet held for it (tokens).
	// An unknown outcome is resolved by the provider (it reads the grant back) before it
	// answers. It returns the RevokedBy word the bank recorded whenever the grant is revoked
	// at the bank — also together with an error when only forgetting failed.
	RevokeGrant(ctx context.Context, grantID string, by RevokedBy) (string, error)
}

// Progress: Build reports the steps it takes, so the screens can show each.

type progressKey struct{}

// StepState is where a reported step is.
type StepState int

const (
	StepRunning StepState = iota
	StepDone
	StepFailed
)

// WithProgress makes ReportStep under ctx call report.
func WithProgress(ctx context.Context, report func(step string, s StepState, err error)) context.Context {
	return context.WithValue(ctx, progressKey{}, report)
}

// ReportStep reports one step transition to whoever WithProgress named (nobody by default).
func ReportStep(ctx context.Context, step string, s StepState, err error) {
	if f, ok := ctx.Value(progressKey{}).(func(string, StepState, error)); ok && f != nil {
		f(step, s, err)
	}
}
