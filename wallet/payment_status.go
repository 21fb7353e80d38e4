package wallet

import "fmt"

// PaymentStatus is a payment's AEPaymentStatus once the bank has it, or a local state before.
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
	// PaymentCancelled: the user cancelled it while it was queued (Prepared): never sent.
	PaymentCancelled PaymentStatus = "Cancelled"
)

// The bank's statuses (AEPaymentStatus).
const (
	PaymentPending                           PaymentStatus = "Pending"
	PaymentAcceptedSettlementCompleted       PaymentStatus = "AcceptedSettlementCompleted"
	PaymentAcceptedWithoutPosting            PaymentStatus = "AcceptedWithoutPosting"
	PaymentAcceptedCreditSettlementCompleted PaymentStatus = "AcceptedCreditSettlementCompleted"
	PaymentRejected                          PaymentStatus = "Rejected"
)

// Outcome is the UX grouping of statuses: the three Accepted* mean Successful, Rejected (and
// the local refusals) mean Failed, everything else is still Pending.
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
	case PaymentAcceptedSettlementCompleted, PaymentAcceptedWithoutPosting, PaymentAcceptedCreditSettlementCompleted:
		return OutcomeSuccessful
	case PaymentRejected, PaymentRefused, PaymentAbandoned, PaymentCancelled:
		return OutcomeFailed
	default:
		return OutcomePending
	}
}

// Final reports whether the status never changes again, so tracking stops.
func (s PaymentStatus) Final() bool {
	switch s {
	case PaymentAcceptedCreditSettlementCompleted, PaymentRejected, PaymentRefused, PaymentAbandoned, PaymentCancelled:
		return true
	}
	return false
}

// Reserves reports whether a payment in this status counts against the limits. Anything the
// bank might still execute counts; only a payment that provably moved no money is released.
func (s PaymentStatus) Reserves() bool { return s.Outcome() != OutcomeFailed }

// bankStatus validates a status string the bank sent. Unknown but well-formed values are kept
// (the docs mention statuses the OpenAPI lacks) and treated as pending.
func bankStatus(s string) (PaymentStatus, error) {
	if s == "" || len(s) > 64 {
		return "", fmt.Errorf("payment status from the bank is empty or too long")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return "", fmt.Errorf("payment status from the bank has an invalid character")
		}
	}
	switch p := PaymentStatus(s); p {
	case PaymentPrepared, PaymentSending, PaymentUnknown, PaymentRefused, PaymentAbandoned, PaymentCancelled:
		// A bank must not be able to put a payment into one of our local states.
		return "", fmt.Errorf("payment status %q from the bank is not an API status", s)
	default:
		return p, nil
	}
}
