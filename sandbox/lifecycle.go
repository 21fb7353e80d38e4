package sandbox

import (
	"time"
)

// Consent statuses (AEConsentStatusCodes).
const (
	statusAwaiting   = "AwaitingAuthorization"
	statusAuthorized = "Authorized"
	statusRejected   = "Rejected"
	statusRevoked    = "Revoked"
	statusExpired    = "Expired"
	statusSuspended  = "Suspended"
)

// Payment statuses (AEPaymentStatus).
const (
	payPending  = "Pending"
	paySettled  = "AcceptedSettlementCompleted"
	payCredited = "AcceptedCreditSettlementCompleted"
	payRejected = "Rejected"
)

// refreshConsentLocked applies time-driven transitions (rule 38; [SIM-CHOICE] an authorization
// window that passes while awaiting authorization rejects the consent). Caller holds b.mu.
func (b *Bank) refreshConsentLocked(c *consentRecord, now time.Time) {
	switch c.Status {
	case statusAwaiting:
		if c.AuthExpiration != nil && !now.Before(*c.AuthExpiration) {
			c.Status, c.StatusUpdateDateTime = statusRejected, *c.AuthExpiration
			b.touchLocked(kindConsent, c.ConsentID)
			return
		}
		fallthrough
	case statusAuthorized, statusSuspended:
		if !now.Before(c.ExpirationDateTime) {
			c.Status, c.StatusUpdateDateTime = statusExpired, c.ExpirationDateTime
			b.touchLocked(kindConsent, c.ConsentID)
		}
	}
}

// paymentStatusAt is the status of p at time now: the schedule is a pure function of the
// creation time, so restarts and clock moves need no background job.
func (b *Bank) paymentStatusAt(p *paymentRecord, now time.Time) (status string, updated time.Time) {
	settle := p.CreatedAt.Add(b.cfg.SettleAfter)
	credit := p.CreatedAt.Add(b.cfg.CreditAfter)
	switch {
	case now.Before(settle):
		return payPending, p.CreatedAt
	case p.Reject != nil:
		return payRejected, settle
	case now.Before(credit):
		return paySettled, settle
	default:
		return payCredited, credit
	}
}
