package ui

// A payment as the core hands it to the screens (Wallet): the pay form, its steps, its
// statuses, the receipt, History's rows and pages.

import (
	"fmt"
	"time"

	"github.com/payterm/payterm/money"
)

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
