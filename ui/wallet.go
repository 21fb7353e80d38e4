package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/money"
)

// This file and wallet_*.go declare everything the terminal UI needs from the application core,
// and nothing more. The UI imports no core package but money/: app/ (the production composition) adapts the
// core to Wallet, and the screens' tests use a fake. Every method may do I/O; the UI only ever
// calls them from inside a tea.Cmd, so they may block, but they must honour ctx cancellation
// (the UI cancels ctx when the program quits or the user backs out).
//
// Secrets cross this boundary only as Secret (redacting String/LogValue) and PII (names, IBANs)
// only in fields documented as such; the UI never logs either.

// Wallet is the whole surface of the core that the screens use.
type Wallet interface {
	SessionService
	OnboardingService
	ConsentService
	LimitService
	PaymentService
	HistoryService
	InspectorService
	ChangeService
}

// ChangeService tells the screens when the core recorded something they may be showing.
type ChangeService interface {
	// Changes delivers, from now until ctx ends (then the channel is closed), each payment and
	// consent the core records or changes, whoever caused it: a payment being sent, the
	// background resume and start-up reconciliation, a consent sync, the user's own actions.
	// The core never waits for the reader: what piles up is merged (repeats dropped, and past a
	// bound one EverythingChanged). The UI reads it in a tea.Cmd and every open screen reloads
	// what the change touches, so nothing on screen goes stale without the user pressing r.
	Changes(ctx context.Context) <-chan Change
}

// ChangeKind says what a Change is about.
type ChangeKind int

// The kinds of change.
const (
	// PaymentChanged: a payment (Change.ID is PaymentRow.ID) was recorded or its status changed.
	PaymentChanged ChangeKind = iota + 1
	// ConsentChanged: a consent (Change.ID is Consent.ID) was recorded, or its status or pause
	// changed.
	ConsentChanged
	// EverythingChanged: more changed than was itemised; reload whatever is shown.
	EverythingChanged
)

// Change is one thing the core recorded. It carries no content: screens read it again.
type Change struct {
	Kind ChangeKind
	ID   string
}

// Touches reports whether the change may alter the record of that kind with that id ("" = any
// record of that kind).
func (c Change) Touches(kind ChangeKind, id string) bool {
	return c.Kind == EverythingChanged || (c.Kind == kind && (id == "" || c.ID == id))
}

// SessionService answers "what state is the wallet in" and unlocks an idle session.
type SessionService interface {
	// Overview is everything Home shows in one call: whether onboarding is done, the active
	// consent card, limit headroom, the most recent payments and the secret store in use.
	Overview(ctx context.Context) (Overview, error)
	// Unlock verifies the PIN after the idle lock. A wrong PIN returns *SCAError.
	Unlock(ctx context.Context, pin Secret) error
	// Recover lifts an SCA block (five failures) with the recovery code shown at enrolment, a
	// current authenticator code and a new PIN; it returns the next recovery code (sca.Recover).
	Recover(ctx context.Context, recoveryCode, totp, newPIN Secret) (Secret, error)
}

// OnboardingService is the first-run wizard, in the order the screens call it.
type OnboardingService interface {
	// SetPIN stores the user's knowledge factor (the core derives and stores a verifier).
	SetPIN(ctx context.Context, pin Secret) error
	// EnrolTOTP creates a fresh TOTP seed and returns what the user needs to add it to an
	// authenticator app. It is not active until ConfirmTOTP succeeds.
	EnrolTOTP(ctx context.Context) (TOTPEnrolment, error)
	// ConfirmTOTP checks the first code from the authenticator app, activates the seed and
	// returns the one-time recovery code the user must write down (sca.ConfirmEnrolment).
	ConfirmTOTP(ctx context.Context, code Secret) (Secret, error)
	// Banks lists the banks a consent can be set up with ([bank] and [[banks]] in the config),
	// in config order. With more than one the wizard asks which bank first.
	// With exactly one nothing is asked and the plan names it. The wizard refuses an empty list
	// and ids that do not tell the banks apart (each unique; only the first may be ""), and
	// prints names without control characters. Renewal never calls it.
	Banks(ctx context.Context) ([]BankOption, error)
	// SaveBeneficiaries records the bank, the beneficiary model, the payees and the optional
	// debtor account.
	SaveBeneficiaries(ctx context.Context, plan BeneficiaryPlan) error
	// ConsentTerms is what the consent page must show before the user goes to the bank.
	ConsentTerms(ctx context.Context) (ConsentTerms, error)
	// BeginBankStep stages the consent at the bank (PAR) and returns the URL the user opens.
	BeginBankStep(ctx context.Context) (BankStep, error)
	// AwaitBankCallback blocks until the bank redirects back to the wallet's callback listener,
	// the consent is authorised (or refused), or ctx is cancelled.
	AwaitBankCallback(ctx context.Context, step BankStep) (Consent, error)
	// CompleteBankStep finishes the same step from a callback URL the user pasted (no listener).
	CompleteBankStep(ctx context.Context, step BankStep, callbackURL string) (Consent, error)
	// BankStepDone reports without waiting whether step already has its outcome: the bank's
	// answer reached the wallet's listener while the screen was not waiting (the address opened
	// by hand, then approved). done is false while it has none. The bank step asks it every
	// second while it offers its choices, and before it stages another request (n).
	BankStepDone(ctx context.Context, step BankStep) (c Consent, done bool, err error)
}

// ConsentService is the consent dashboard (UAE consent-management duties, uae-spec §8).
type ConsentService interface {
	// Consents lists every consent the wallet knows, newest first; the UI splits Current/History.
	// Home's p calls it too: the consents that can pay now (Authorized, not Paused, not expired
	// by the UI's clock) are offered on "Pay from which consent?" when there is more than one.
	Consents(ctx context.Context) ([]Consent, error)
	// ConsentDetail adds the payment rules and the payment history of one consent.
	ConsentDetail(ctx context.Context, consentID string) (ConsentDetail, error)
	// PauseConsent and ReactivateConsent are local only: never sent to the bank.
	PauseConsent(ctx context.Context, consentID string) error
	ReactivateConsent(ctx context.Context, consentID string) error
	// RevokeConsent sends PATCH Status=Revoked, RevokedBy=TPP.InitiatedByUser immediately.
	RevokeConsent(ctx context.Context, consentID string) error
	// RenewConsent stages a new consent carrying the root BaseConsentId; the user then goes
	// through the same bank step as onboarding (AwaitBankCallback / CompleteBankStep).
	RenewConsent(ctx context.Context, consentID string) (BankStep, error)
}

// LimitService is the TPP-side limits (the bank enforces none under delegated SCA).
type LimitService interface {
	Limits(ctx context.Context) (Headroom, error)
	// PlanLimits checks an edit without saving it. Limits that contradict each other (a
	// per-payment limit above the daily one, …) are a *Problem naming both and what to do; the
	// plan lists the limits the edit raises or removes.
	PlanLimits(ctx context.Context, l Limits) (LimitPlan, error)
	// SetLimits saves an edit. Lowering or adding limits needs nothing (sca may be empty).
	// Raising or removing any limit needs the PIN and the code, checked as a payment's SCA and
	// counted in the same five attempts: a wrong one is a *SCAError and saves nothing; none at
	// all is a *Problem. The core enforces this whatever the screen asked.
	SetLimits(ctx context.Context, l Limits, sca SCAInput) error
}

// PaymentService is the pay flow: Prepare (nothing leaves the machine), then SCA + submit.
type PaymentService interface {
	// Payees are the creditors the chosen consent allows (empty for an open consent).
	Payees(ctx context.Context, consentID string) ([]Payee, error)
	// PurposeCodes is the AANI list (code + description).
	PurposeCodes(ctx context.Context) ([]PurposeCode, error)
	// PreparePayment validates the draft against the consent's beneficiary model and the limits.
	// A refusal is a *Problem with a human sentence and what to do next.
	PreparePayment(ctx context.Context, d PaymentDraft) (PreparedPayment, error)
	// SubmitPayment performs SCA for exactly this prepared payment and, if it passes, runs the
	// pipeline. Progress arrives on the returned channel, one event per step transition; the
	// channel is closed after the final event (Final=true). A wrong PIN/TOTP is reported as the
	// SCA step failing with a *SCAError and nothing is sent.
	SubmitPayment(ctx context.Context, preparedID string, sca SCAInput) (<-chan PaymentEvent, error)
	// Payment reads one payment with its status timeline (history detail, receipt refresh).
	Payment(ctx context.Context, paymentID string) (PaymentDetail, error)
	// CancelPayment cancels a queued payment (PaymentPrepared: the bank has not got it) so it
	// is never sent, or asks the bank to cancel one awaiting its approval
	// (PaymentAwaitingBankSCA), and returns it as it is now. Anything else, and a bank that
	// would not cancel, is a *Problem.
	CancelPayment(ctx context.Context, paymentID string) (PaymentDetail, error)
	// ContinuePayment feeds the payer's answer to the bank's approval step of a payment in
	// flight (PaymentEvent.Action: the bank's password, the SCA method chosen, a one-time code,
	// the address the browser landed on) back to the core. paymentID is the id SubmitPayment was
	// given (PreparedPayment.ID). It returns once the core has taken the answer; what the bank
	// made of it arrives on SubmitPayment's channel as the next event (the next question, the same
	// one again with Err set and fewer attempts left, or the step done or failed). An answer the
	// core cannot take (no approval waiting for that payment, an answer of another kind, a bank
	// whose payments need none — UAE delegated SCA) is a *Problem. Secrets in it are used once,
	// never stored or logged, and the UI wipes its copy of what was typed once it has sent it.
	ContinuePayment(ctx context.Context, paymentID string, in BankInput) error
}

// HistoryService pages the ledger; the UI keeps only a window of rows in memory.
type HistoryService interface {
	History(ctx context.Context, q HistoryQuery) (HistoryPage, error)
}

// InspectorService exposes the protocol trace of the delegated-SCA sequence.
type InspectorService interface {
	Inspect(ctx context.Context) (Inspection, error)
	// ExportSupportBundle writes interaction ids, the consent id and the redacted trace (never
	// secrets) to a file and returns its path.
	ExportSupportBundle(ctx context.Context) (string, error)
}

// Secret carries a PIN, TOTP code or seed through the UI without ever printing it.
type Secret struct{ v string }

// NewSecret wraps a secret value.
func NewSecret(v string) Secret { return Secret{v: v} }

// Reveal returns the value; call it only where the secret is consumed.
func (s Secret) Reveal() string { return s.v }

// Empty reports whether no secret was given.
func (s Secret) Empty() bool { return s.v == "" }

// String redacts.
func (s Secret) String() string { return "‹redacted›" }

// GoString redacts for %#v.
func (s Secret) GoString() string { return "ui.Secret{‹redacted›}" }

// LogValue redacts for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue("‹redacted›") }

// MarshalText redacts, so a Secret inside a struct never reaches JSON or a support bundle.
func (s Secret) MarshalText() ([]byte, error) { return []byte("‹redacted›"), nil }

// Amounts are money.Amount (integer minor units, no floating point) and travel with the ISO
// 4217 code of their currency in a sibling Currency field. An empty Currency is AED: every
// amount was AED before banks under other standards (UAE Open Finance cores may leave it empty),
// so a core that serves any other currency must fill it on every value it returns.
const currency = "AED"

// formatAmount renders 1234567 fils as "12,345.67 AED": for amounts known to be AED (the UAE
// paths, the limits' own sentences). Anything that may be in another currency uses formatMoney.
func formatAmount(a money.Amount) string { return formatMoney(a, currency) }

// Overview feeds Home.
type Overview struct {
	Onboarded bool
	// Active is the consent that pays now; nil when none is usable. When several can pay it is
	// the first row of Home's "Pay from which consent?" (enter alone pays with it).
	Active   *Consent
	Headroom Headroom
	Recent   []PaymentRow
	// SecretStore names where secrets live, e.g. "OS keyring (Secret Service)" or
	// "encrypted file (~/.local/share/payterm/secrets)".
	SecretStore string
	// Sandbox is true when the wallet talks to the embedded sandbox bank.
	Sandbox bool
	// PaymentsBlocked is true when five failed PIN/code checks (or tampered counters) block
	// payments until the recovery code lifts the block (sca.Status().Blocked). A core that
	// leaves it false only loses the early warning: the block still shows at authentication.
	PaymentsBlocked bool
	// OtherHeadroom is the headroom of the limits in each other currency the wallet pays in
	// (Headroom is the active consent's currency), one per currency, in the order Home lists
	// them; nil with one currency. No two currencies are ever added up.
	OtherHeadroom []Headroom
	// Banks are every bank the wallet pays at, in config order, each with its terms (standard,
	// currency, approval, signature scheme). When they speak more than one standard Home lists
	// them side by side; nil or one standard draws nothing.
	Banks []BankOption
	// BundlesAwaiting counts, per bank, the bundles with payments awaiting the payer's one
	// approval there (nil for none): Home says so, since no screen lists open bundles.
	BundlesAwaiting []BundlesWaiting
}

// PINPrestretcher is implemented by a wallet whose PIN check is deliberately slow (argon2id):
// the pay screen hands it the PIN as soon as focus moves on to the code field, so that cost is
// spent while the code is typed instead of after enter. It checks nothing and returns at once;
// the PIN is still checked, and counted, only by SubmitPayment.
type PINPrestretcher interface {
	PrestretchPIN(pin Secret)
}

// ApprovalResumer is implemented by a wallet that can ask a bank again for its approval of a
// payment awaiting it (PaymentAwaitingBankSCA): the bank's questions asked in payterm end with
// the run that asked them (esc, or a restart).
type ApprovalResumer interface {
	// ApproveAgain asks the bank again. The PreparedPayment describes the payment (its ID is
	// what ContinuePayment takes; Steps are the progress rows); events arrive as after
	// SubmitPayment, the last one Final with the receipt.
	ApproveAgain(ctx context.Context, paymentID string) (PreparedPayment, <-chan PaymentEvent, error)
}

// SCAError is a failed PIN/TOTP check. The message never says which factor failed.
type SCAError struct {
	AttemptsLeft int
	Locked       bool
}

func (e *SCAError) Error() string {
	if e.Locked {
		return "authentication blocked after too many failed attempts"
	}
	return fmt.Sprintf("authentication failed (%s left)", count(e.AttemptsLeft, "attempt", "attempts"))
}

// Problem is a refusal the user can act on: what happened, and what to do next.
type Problem struct {
	What string
	Next string
	// Detail is one line of the bank's own words about it (an error_description, an error
	// Message), cleaned by the core and again when shown; shown under What and Next, "" when none.
	Detail string
	Err    error // optional cause, for errors.Is/As; never shown raw
}

// Error is What and Next as one line, cleaned (safetext.Line): a Problem is worded by the core,
// but its sentence may quote text from outside, so it is safe to draw whoever built it.
func (p *Problem) Error() string {
	if p.Next == "" {
		return safetext.Line(p.What)
	}
	return safetext.Line(p.What + " " + p.Next)
}

// Unwrap exposes the cause.
func (p *Problem) Unwrap() error { return p.Err }

// maxErrorText bounds how much of an error payterm did not word is shown.
const maxErrorText = 300

// explain turns any error into one sentence plus what to do next.
func explain(err error) string {
	var sca *SCAError
	var pr *Problem
	switch {
	case err == nil:
		return ""
	case errors.As(err, &sca):
		if sca.Locked {
			return "Payments are blocked after too many failed attempts. Press u on Home to unblock with your recovery code."
		}
		return fmt.Sprintf("PIN or code not accepted. %s left before the wallet blocks payments.", count(sca.AttemptsLeft, "attempt", "attempts"))
	case errors.As(err, &pr):
		if pr.Detail != "" {
			return pr.Error() + "\nThe bank said: " + safetext.Line(pr.Detail)
		}
		return pr.Error()
	case errors.Is(err, context.Canceled):
		return "Cancelled."
	case errors.Is(err, context.DeadlineExceeded):
		return "The operation timed out. Try again; nothing was sent twice."
	default:
		// Text of an error payterm did not word: cleaned and cut (Go's TLS errors quote the
		// server's certificate names verbatim, escape sequences and all).
		return "Something went wrong: " + safetext.Short(err.Error(), maxErrorText) + ". Try again, or open the inspector (ctrl+t)."
	}
}
