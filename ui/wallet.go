package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/money"
)

// This file declares everything the terminal UI needs from the application core, and nothing
// more. The UI imports no core package but money/: app/ (the production composition) adapts the
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

// ConsentStatus is the API status (AEConsentStatusCodes). Paused is a separate local flag.
type ConsentStatus string

// The API consent statuses.
const (
	ConsentAwaitingAuthorization ConsentStatus = "AwaitingAuthorization"
	ConsentAuthorized            ConsentStatus = "Authorized"
	ConsentSuspended             ConsentStatus = "Suspended"
	ConsentRejected              ConsentStatus = "Rejected"
	ConsentRevoked               ConsentStatus = "Revoked"
	ConsentExpired               ConsentStatus = "Expired"
	ConsentConsumed              ConsentStatus = "Consumed"
)

// BeneficiaryModel is how payees are bound to the consent.
type BeneficiaryModel string

// The three beneficiary models of a delegated-SCA consent.
const (
	BeneficiaryOpen BeneficiaryModel = "open" // no creditors: the wallet picks at payment time
	BeneficiaryOne  BeneficiaryModel = "one"  // exactly one creditor
	BeneficiaryList BeneficiaryModel = "list" // two to ten creditors
)

// Consent is one payment consent as the dashboard shows it.
type Consent struct {
	ID            string
	BaseConsentID string
	Bank          string // the bank's display name
	BankID        string // BankOption.ID
	Status        ConsentStatus
	Paused        bool // local only
	Created       time.Time
	Expires       time.Time
	// ExpiryRestoring: the end is not known yet because what holds it is still being read back
	// (an OP link's latest approval, from the payer's tokens kept in the secret store, which
	// opens in the background after the first frame). The screens say "restoring" rather than
	// "no end date", and reload when the core reports the change (Changes: everything).
	ExpiryRestoring bool
	Model           BeneficiaryModel
	Creditors       []Payee
	// DebtorMasked is the payer account already masked by the core ("AE07 •••• 1234"), or "".
	DebtorMasked string
	// TotalPaid is what the consent has paid in its own currency (Terms.Currency): the payments
	// the bank accepted (queued, pending and failed payments are not paid). PaymentCount counts
	// those payments in every currency; OtherPaid is what it paid in each other currency (a
	// SpareBank 1 link paying NOK at home and EUR over SEPA), one entry per currency, never
	// added to TotalPaid.
	TotalPaid    money.Amount
	PaymentCount int
	OtherPaid    []Money
	PurposeCode  string
	// Terms are what the pay screens need to know about paying under this consent's bank: its
	// standard, currency, products, fields and what the wallet's own check means. The zero
	// value is the UAE's (UAETerms).
	Terms PayTerms
}

// Current reports whether the consent belongs on the Current tab.
func (c Consent) Current() bool {
	switch c.Status {
	case ConsentAuthorized, ConsentAwaitingAuthorization, ConsentSuspended:
		return true
	default:
		return false
	}
}

// ConsentDetail is the consent with its rules and payments.
type ConsentDetail struct {
	Consent  Consent
	Rules    []Rule
	Payments []PaymentRow
}

// Rule is one line of "Payment Rules" (label + value), already worded by the core.
type Rule struct{ Label, Value string }

// PayeeType is the creditor kind the standard distinguishes.
type PayeeType string

// Payee types.
const (
	PayeeRetail    PayeeType = "retail"
	PayeeCorporate PayeeType = "corporate"
)

// Payee is a creditor. Name and IBAN are PII: the UI shows them on screen, never logs them.
type Payee struct {
	ID   string
	Name string
	IBAN string
	Type PayeeType
}

// PayeeDraft is a payee typed in onboarding or in the pay form for an open consent.
type PayeeDraft struct {
	Name string
	IBAN string
	Type PayeeType
	// BIC, Address (at most two lines) and Country (ISO 3166 alpha-2): the payee's bank and
	// address, for payments that need them (OP's foreign payments); empty elsewhere. PII.
	BIC     string
	Address []string
	Country string
}

// BeneficiaryPlan is what onboarding collects before the consent page.
type BeneficiaryPlan struct {
	// Bank is the BankOption.ID the consent is set up with; "" means the first bank.
	Bank          string
	Model         BeneficiaryModel
	Payees        []PayeeDraft
	DebtorAccount string // optional IBAN of the payer account (PII)
	// DebtorName is that account's holder's name (PII): given with DebtorAccount or not at all,
	// since the bank refuses the account without it.
	DebtorName string
}

// BankOption is one bank the wallet can set up a consent with.
type BankOption struct {
	ID      string // stable id from the config; the ledger records it with each consent
	Name    string // what the user sees
	Sandbox bool   // the embedded sandbox bank, not a real one
	// Terms are the bank's standard, currency and products (the zero value is the UAE's).
	// "Which bank?" names the standard and currency of each bank when the banks differ in them.
	Terms PayTerms
}

// TOTPEnrolment is shown once, during onboarding.
type TOTPEnrolment struct {
	Secret  Secret // base32 seed for manual entry
	URI     Secret // otpauth:// URI encoded in the QR code
	Issuer  string
	Account string
	Digits  int
	Period  time.Duration
}

// ConsentTerms is the content of the consent page the standard requires before the bank.
type ConsentTerms struct {
	Bank    string
	Model   BeneficiaryModel
	Payees  []Payee
	Expires time.Time
	Purpose PurposeCode
}

// BankStep is a staged authorisation at the bank.
type BankStep struct {
	ConsentID     string
	URL           string // the authorize URL (only client_id and request_uri)
	InteractionID string
	// ExpiresAt is when the bank stops accepting URL (the PAR's expires_in); zero when unknown.
	// The bank accepts it once: a retry needs a new BankStep.
	ExpiresAt time.Time
	// PasteBack is true when nothing on this computer receives the bank's answer (an https
	// redirect_uri with no certificate configured for it, or one on another host): the user
	// pastes the address the browser lands on (CompleteBankStep); there is nothing to wait for.
	PasteBack bool
	// CallbackHere is true when the bank sends the browser back to this computer (a loopback
	// redirect_uri), which a browser on another device cannot reach.
	CallbackHere bool
}

// Limits are the TPP-side limits (same shape as wallet.Limits). A zero amount or count means
// "no limit".
type Limits struct {
	PerPayment   money.Amount
	PerDay       money.Amount
	PerMonth     money.Amount
	PerDayCount  int
	ConsentTotal money.Amount
}

// LimitName names one limit in LimitPlan.Raised.
type LimitName string

// The limits, in the order the screens list them.
const (
	LimitPerPayment   LimitName = "per_payment"
	LimitPerDay       LimitName = "per_day"
	LimitPerMonth     LimitName = "per_month"
	LimitPerDayCount  LimitName = "per_day_count"
	LimitConsentTotal LimitName = "consent_total"
)

// LimitPlan is a checked edit of the limits: From are the limits in force, To the edit, and
// Raised the limits it raises or removes (adding or lowering a limit is not raising).
type LimitPlan struct {
	From, To Limits
	Raised   []LimitName
}

// NeedsSCA reports whether saving the edit needs the PIN and the code.
func (p LimitPlan) NeedsSCA() bool { return len(p.Raised) > 0 }

// Usage is what the current windows have used (same shape as wallet.Usage).
type Usage struct {
	Day      money.Amount
	DayCount int
	Month    money.Amount
	Consent  money.Amount
}

// Headroom is the limits with their usage; the UI derives what is left.
type Headroom struct {
	Limits Limits
	Used   Usage
	// Currency is the ISO 4217 code of every amount in Limits and Used ("" = AED): limits and
	// windows are per currency, and no sum adds two.
	Currency string
}

// PurposeCode is an AANI purpose code.
type PurposeCode struct{ Code, Description string }

// PaymentDraft is the pay form as typed; the core parses and validates everything.
type PaymentDraft struct {
	// ConsentID is the consent the pay form was opened for: the one chosen on Home's "Pay from
	// which consent?" (or the only one that can pay), or the one selected on Consents.
	ConsentID string
	PayeeID   string     // a payee from the consent, or
	NewPayee  PayeeDraft // a new payee for an open consent (PayeeID empty)
	Amount    string     // as typed: "1250", "1,250.5"
	Reference string
	Purpose   string // "" when the consent's standard has no purpose code (PayTerms.Purpose)
	// Product is the Product.ID chosen on the form; "" when the bank offers one product.
	Product string
}

// PreparedPayment is a validated intent, ready for SCA.
type PreparedPayment struct {
	// ID is what SubmitPayment and ContinuePayment take (the real core's ledger id).
	ID        string
	ConsentID string
	Payee     Payee
	Amount    money.Amount
	// Currency is Amount's ISO 4217 code ("" = AED).
	Currency  string
	Reference string
	Purpose   PurposeCode
	// Product is the Product.ID the payment is made as ("" with one product).
	Product string
	// Headroom is the limits and usage as if this payment were made, for the review screen.
	Headroom Headroom
	// Steps are the progress screen's rows for this payment, in order, as the bank's standard
	// runs it; PaymentEvent.Step indexes them. Nil is the UAE pipeline (PaymentStep's names:
	// SCA, Risk, PII sealed, Signed, Saved, Sent, Bank says Pending, Settled). Berlin Group, for
	// example: Wallet check, Signed, Saved, Sent, Approve at your bank, Bank says, Executed. Row
	// 0 is always the wallet's own PIN + code check: a failure there sent nothing.
	Steps []string
	// BankApproval is the bank's forecast of its own approval of this payment, in plain words
	// ("OP may not ask: 2 of 5, 45.00 of 100.00 EUR since your last bank approval (OP decides;
	// …)"): the review screen shows it as a row. "" shows nothing.
	BankApproval string
	// PayeeBank is the payee's bank (BIC) and address the payment carries, for a product that
	// names them (Product.PayeeBank: OP's foreign payments), a saved payee's as much as a typed
	// one's; zero elsewhere. PII.
	PayeeBank PayeeBank
}

// PayeeBank is a payee's bank (BIC), address lines and ISO 3166 alpha-2 country.
type PayeeBank struct {
	BIC     string
	Address []string
	Country string
}

// SCAInput is what the user types on the SCA screen.
type SCAInput struct {
	PIN  Secret
	TOTP Secret
}

// PaymentStep is one row of the progress screen: an index into PreparedPayment.Steps, or, when
// the prepared payment has none, one of the UAE pipeline's steps below.
type PaymentStep int

// The UAE pipeline steps in order (design.md "Data flow of one payment").
const (
	StepSCA PaymentStep = iota
	StepRisk
	StepSealPII
	StepSign
	StepPersist
	StepSend
	StepBankPending
	StepSettled
	stepCount
)

// String is the label used on the progress screen.
func (s PaymentStep) String() string {
	switch s {
	case StepSCA:
		return "SCA"
	case StepRisk:
		return "Risk"
	case StepSealPII:
		return "PII sealed"
	case StepSign:
		return "Signed"
	case StepPersist:
		return "Saved"
	case StepSend:
		return "Sent"
	case StepBankPending:
		return "Bank says Pending"
	case StepSettled:
		return "Settled"
	default:
		return fmt.Sprintf("step %d", int(s))
	}
}

// StepState is where a step is.
type StepState int

// Step states.
const (
	StepRunning StepState = iota
	StepDone
	StepFailed
)

// PaymentEvent is one transition on SubmitPayment's channel.
type PaymentEvent struct {
	Step  PaymentStep
	State StepState
	At    time.Time
	// Note is a short plain-words detail ("AcceptedWithoutPosting", "retrying (503)", "ACTC").
	Note string
	// Action is set while the bank waits for the payer (State StepRunning): approve at the
	// bank's page, in its app, or answer its questions here (BankAction). It stands until the
	// next event; an event without Action means the core moved on. The same question asked again
	// (a wrong one-time code) comes with Err set to what went wrong and State still StepRunning.
	Action *BankAction
	// Until is set while the core sits out a wait the bank asked for (Retry-After; Note then
	// says "Bank asked to wait 59 s"): when it ends. The screen counts down to it and offers esc,
	// which cancels the submission's context: the payment stays tracked (queued if unsent).
	Until time.Time
	// Err is set when State is StepFailed (a *SCAError, a *Problem, or any error), or, with an
	// Action, when the bank refused the last answer.
	Err error
	// Final marks the last event; Receipt is set when a payment resource exists.
	Final   bool
	Receipt *Receipt
}

// PaymentStatus is the AEPaymentStatus of a payment, or a local state before the bank has it.
type PaymentStatus string

// Payment statuses (API values plus local ones).
const (
	PaymentPrepared                          PaymentStatus = "Prepared" // queued: the bank has not got it
	PaymentSending                           PaymentStatus = "Sending"
	PaymentPending                           PaymentStatus = "Pending"
	PaymentAcceptedSettlementCompleted       PaymentStatus = "AcceptedSettlementCompleted"
	PaymentAcceptedCreditSettlementCompleted PaymentStatus = "AcceptedCreditSettlementCompleted"
	PaymentAcceptedWithoutPosting            PaymentStatus = "AcceptedWithoutPosting"
	PaymentRejected                          PaymentStatus = "Rejected"
	PaymentUnknown                           PaymentStatus = "Unknown"
	PaymentRefused                           PaymentStatus = "Refused"   // 4xx before a payment existed
	PaymentAbandoned                         PaymentStatus = "Abandoned" // never reached the bank; expired
	PaymentCancelled                         PaymentStatus = "Cancelled" // cancelled (queued, or at the bank: BG CANC)
)

// The normalised statuses of banks under other standards (psd2-providers.md §7.4); the bank's
// own code goes in BankStatus ("ACSC"). Rejected, Cancelled and the local statuses above are
// shared. A UAE payment may carry either its AE status or these with the AE code in BankStatus:
// the screens word both the same way.
const (
	PaymentAwaitingBankSCA PaymentStatus = "AwaitingBankSCA" // the bank waits for the payer's approval (RCVD, PATC)
	PaymentAuthorised      PaymentStatus = "Authorised"      // approved, not yet executed (ACTC, ACCP, ACFC, ACWC)
	PaymentProcessing      PaymentStatus = "Processing"      // being executed (PDNG, ACSP; UAE Pending)
	PaymentExecuted        PaymentStatus = "Executed"        // debited (ACSC, ACWP): final for Berlin Group banks
	PaymentSettled         PaymentStatus = "Settled"         // credited to the payee (ACCC)
)

// Receipt is what the receipt screen shows.
type Receipt struct {
	// ID is the ledger id (PaymentRow.ID), for Payment(); PaymentID is the bank's PaymentId.
	ID            string
	PaymentID     string
	InteractionID string
	Status        PaymentStatus
	// BankStatus is the bank's own status code ("ACSC", "RJCT"), shown after the status in
	// words: "Executed (ACSC)"; "" when the bank has none (a local status) or Status is it.
	BankStatus string
	// Reason is the bank's reason in plain words (RejectReasonCode mapped by the core).
	Reason     string
	ReasonCode string
	Amount     money.Amount
	Currency   string // Amount's ISO 4217 code ("" = AED)
	Payee      Payee
	At         time.Time
}

// PaymentRow is one line of history.
type PaymentRow struct {
	ID        string // ledger id, stable
	PaymentID string // bank PaymentId, "" before the bank has it
	At        time.Time
	PayeeName string
	Amount    money.Amount
	Currency  string // Amount's ISO 4217 code ("" = AED)
	Status    PaymentStatus
	// BankStatus is the bank's own code, as on Receipt.
	BankStatus string
	Reference  string
	// Bank is the display name of the bank the payment went to; "" when the core does not say
	// (History then shows no bank column).
	Bank string
}

// PaymentDetail is a payment with its status timeline.
type PaymentDetail struct {
	Row           PaymentRow
	InteractionID string
	ConsentID     string
	Purpose       string
	Reason        string
	Timeline      []StatusChange
	// Terms are the standard of the payment's bank (Row.Bank): the detail names it, who
	// approved and how the request was signed. Zero with Row.Bank "": nothing is shown.
	Terms PayTerms
	// Bundle is set for a payment of a bundle (bundle_waiting.go): approving it at the bank
	// approves the bundle's other waiting payments too.
	Bundle *BundleMembership
}

// StatusChange is one transition on the timeline.
type StatusChange struct {
	At     time.Time
	Status PaymentStatus
	// BankStatus is the bank's own code for it, as on Receipt.
	BankStatus string
	Note       string
}

// Outcome groups statuses as users see them (same values as wallet.Outcome): the three
// Accepted*, Executed and Settled are "successful", Rejected, Cancelled and local refusals
// "failed", the rest "pending".
type Outcome string

// Outcomes; "" means any.
const (
	OutcomeAny        Outcome = ""
	OutcomeSuccessful Outcome = "successful"
	OutcomePending    Outcome = "pending"
	OutcomeFailed     Outcome = "failed"
)

// HistoryFilter narrows the history query; zero values mean "any".
type HistoryFilter struct {
	PayeeName string // case-insensitive substring of the payee name
	Outcome   Outcome
	From      time.Time // inclusive
	To        time.Time // exclusive
}

// HistoryQuery is keyset pagination: rows strictly older than After, or strictly newer than
// Before (returned oldest-last as well), newest first. Both empty = the newest page.
type HistoryQuery struct {
	Filter HistoryFilter
	After  string // PaymentRow.ID of the last row already held
	Before string // PaymentRow.ID of the first row already held
	// Oldest asks for the page of the oldest rows (jump to the end), still newest first.
	Oldest bool
	Limit  int
}

// HistoryPage is one page, newest first.
type HistoryPage struct {
	Rows []PaymentRow
	// More is true when rows exist beyond this page in the requested direction.
	More bool
	// Total counts rows matching the filter, or -1 when the core cannot count cheaply.
	Total int
	// Totals add up the rows matching the filter, one per currency (never two currencies in
	// one sum), when Total is counted; nil otherwise.
	Totals []CurrencyTotal
}

// CurrencyTotal is what the payments matching a history filter add up to in one currency.
type CurrencyTotal struct {
	Currency string
	Count    int
	Sum      money.Amount // every matching payment, whatever its status
	Paid     money.Amount // the part the bank accepted (the successful outcome)
}

// Inspection is the protocol trace for the inspector.
type Inspection struct {
	// ShowPII is true only on the embedded sandbox: the UI masks PII fields otherwise.
	ShowPII bool
	// Standard and Signing name, in words, the standard of the bank the trace is at and how its
	// requests are signed ("Berlin Group NextGenPSD2", "HTTP signature (draft-cavage
	// rsa-sha256)"); both "" for a UAE trace (whose steps say it).
	Standard, Signing string
	// Banks are the wallet's banks with their terms, listed side by side under the message
	// when they speak more than one standard (as on Home).
	Banks    []BankOption
	Steps    []SequenceStep
	Verdicts []Verdict
	// ConsentID and InteractionIDs go into the support bundle.
	ConsentID string
}

// SequenceStep is one box of the delegated-SCA sequence diagram.
type SequenceStep struct {
	Name     string // "PAR", "Authorize", "Callback", "Token", "SCA", "POST /payments", ...
	State    SequenceState
	Exchange *Exchange // nil when the step has no HTTP message (e.g. local SCA)
}

// SequenceState marks where the flow is.
type SequenceState int

// Sequence states.
const (
	SeqPending SequenceState = iota
	SeqCurrent
	SeqDone
	SeqFailed
)

// Exchange is one HTTP request/response with decoded JOSE parts.
type Exchange struct {
	// Bank names the bank the message went to when the wallet has several ("" with one).
	Bank          string
	Request       string // "POST /par HTTP/1.1"
	Response      string // "HTTP/1.1 201 Created"
	InteractionID string
	// IDName is the header InteractionID came in ("" = x-fapi-interaction-id; Berlin Group's
	// is X-Request-ID).
	IDName    string
	Headers   []Field
	JWTHeader []Field
	JWTClaims []Field
	JWEHeader []Field
	// Signature is an HTTP signature's parts (Berlin Group): scheme, keyId, algorithm, the
	// signed headers, the Digest, and the signing string line by line.
	Signature []Field
	// Body and ResponseBody are the JSON bodies flattened (standards that send them in clear).
	Body, ResponseBody []Field
	// Sealed is the plaintext of the personal data sent encrypted to the bank (the JWE payload
	// of POST /payments: creditor name and account, ...). Its fields are PII: the inspector shows
	// their values only on the embedded sandbox.
	Sealed []Field
	Checks []Check
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

// Field is one name/value with its sensitivity. Secret values are never shown; PII values are
// shown only when Inspection.ShowPII.
type Field struct {
	Name   string
	Value  string
	Secret bool
	PII    bool
}

// Check is one verification result ("signature PS256 kid=…", "aud matches").
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// Verdict is what the sandbox bank checked and decided (sandbox only).
type Verdict struct {
	Rule   string
	Passed bool
	Detail string
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
