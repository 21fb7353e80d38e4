package ui

// The consents, payees, banks and limits as the core hands them to the screens (Wallet).

import (
	"time"

	"github.com/payterm/payterm/money"
)

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
	// Link: a PSD2 link to the account the config names, not a consent given at the bank: the
	// bank approves each payment, there is nothing at the bank to renew, and ending the link is
	// the wallet's own (it comes back at the next start while the bank stays in the config).
	Link    bool
	Created time.Time
	Expires time.Time
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
