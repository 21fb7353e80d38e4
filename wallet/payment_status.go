package wallet

import (
	"fmt"

	"github.com/payterm/payterm/provider"
)

// PaymentStatus is a payment's status in the ledger: a local state before the bank has it, then
// the normalised status every standard maps to (provider.Status). The bank's own word is kept
// beside it (Payment.BankStatus): AcceptedCreditSettlementCompleted, ACSC, …
type PaymentStatus string

// Local states, before the bank's answer is known.
const (
	// PaymentPrepared: the signed request and its idempotency key are stored and the bank has
	// no payment for them: never sent, or refused unprocessed (429, a refused token refresh).
	// The UI shows it as queued; it is sent only while its SCA is at most 5 minutes old.
	PaymentPrepared PaymentStatus = "Prepared"
	// PaymentSending: a send has started; if the process dies here the outcome is unknown.
	PaymentSending PaymentStatus = "Sending"
	// PaymentUnknown: a timeout, 5xx or unverifiable answer; the wallet must reconcile first.
	PaymentUnknown PaymentStatus = "Unknown"
	// PaymentRefused: the bank refused the request before creating a payment (a 4xx).
	PaymentRefused PaymentStatus = "Refused"
	// PaymentAbandoned: the bank provably has no payment and the signed request or its SCA
	// expired, so it cannot be resent without a new SCA.
	PaymentAbandoned PaymentStatus = "Abandoned"
	// PaymentCancelled: cancelled before it was executed — by the user while it was queued
	// (never sent), or at the bank (CANC).
	PaymentCancelled PaymentStatus = "Cancelled"
)

// The normalised statuses of a payment the bank has (provider.Status).
const (
	PaymentAwaitingBankSCA PaymentStatus = PaymentStatus(provider.StatusAwaitingBankSCA)
	PaymentAuthorised      PaymentStatus = PaymentStatus(provider.StatusAuthorised)
	PaymentProcessing      PaymentStatus = PaymentStatus(provider.StatusProcessing)
	PaymentExecuted        PaymentStatus = PaymentStatus(provider.StatusExecuted)
	PaymentSettled         PaymentStatus = PaymentStatus(provider.StatusSettled)
	PaymentRejected        PaymentStatus = PaymentStatus(provider.StatusRejected)
)

// Outcome is the UX grouping of statuses: Executed and Settled mean Successful, Rejected and
// the local refusals mean Failed, everything else is still Pending.
type Outcome string

// Outcomes.
const (
	OutcomePending    Outcome = "pending"
	OutcomeSuccessful Outcome = "successful"
	OutcomeFailed     Outcome = "failed"
)

// Outcome groups the status for history filters.
func (s PaymentStatus) Outcome() Outcome {
	switch s {
	case PaymentExecuted, PaymentSettled:
		return OutcomeSuccessful
	case PaymentRejected, PaymentRefused, PaymentAbandoned, PaymentCancelled:
		return OutcomeFailed
	default:
		return OutcomePending
	}
}

// Final reports whether the status never changes again whatever the bank: Settled, and every
// failure. Executed is final only at a bank that says so (a Berlin Group bank stops at ACSC; a
// UAE bank goes on to AcceptedCreditSettlementCompleted): Payment.Final is the ledger's answer.
func (s PaymentStatus) Final() bool {
	switch s {
	case PaymentSettled, PaymentRejected, PaymentRefused, PaymentAbandoned, PaymentCancelled:
		return true
	}
	return false
}

// Reserves reports whether a payment in this status counts against the limits. Anything the
// bank might still execute counts; only a payment that provably moved no money is released.
func (s PaymentStatus) Reserves() bool { return s.Outcome() != OutcomeFailed }

// bankState checks a state a provider reported and returns the ledger status it means.
func bankState(st provider.State) (PaymentStatus, error) {
	switch s := PaymentStatus(st.Status); s {
	case PaymentAwaitingBankSCA, PaymentAuthorised, PaymentProcessing, PaymentExecuted, PaymentSettled, PaymentRejected, PaymentCancelled:
	default:
		return "", fmt.Errorf("payment status %q from the provider is not a bank status", st.Status)
	}
	if st.BankStatus == "" || len(st.BankStatus) > 64 {
		return "", fmt.Errorf("payment status from the bank is empty or too long")
	}
	for i := 0; i < len(st.BankStatus); i++ {
		c := st.BankStatus[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return "", fmt.Errorf("payment status from the bank has an invalid character")
		}
	}
	return PaymentStatus(st.Status), nil
}
