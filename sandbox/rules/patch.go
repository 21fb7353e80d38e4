package rules

import "slices"

type patchMessage struct {
	Data         *patchData         `json:"Data"`
	Subscription *EventSubscription `json:"Subscription,omitempty"`
}

type patchData struct {
	Status    *string `json:"Status"`
	RevokedBy *string `json:"RevokedBy,omitempty"`
}

// ConsentPatch is a validated AEPatchPaymentConsent message.
type ConsentPatch struct {
	RevokedBy    string // "TPP" or "TPP.InitiatedByUser"; "" when absent
	Subscription *EventSubscription
}

// PatchConsent validates the message of a PATCH /payment-consents/{id}
// body (rule 37): Data.Status == "Revoked", RevokedBy ∈ {TPP,
// TPP.InitiatedByUser} when present, nothing else. Verify the body first
// with VerifyJWS + PaymentJWTClaims (relabelled with WithRule(err, 37)).
// Code Body.InvalidFormat.
func PatchConsent(message []byte) (*ConsentPatch, error) {
	var m patchMessage
	if err := DecodeStrict(message, &m, ""); err != nil {
		return nil, decodeViolation(err, 37, CodeBodyInvalidFormat)
	}
	ck := newChecker(37, CodeBodyInvalidFormat)
	if m.Data == nil {
		ck.fail("Data", "is required")
		return nil, ck.result()
	}
	if m.Data.Status == nil || *m.Data.Status != "Revoked" {
		ck.fail("Data.Status", "must be Revoked")
	}
	ck.optEnum("Data.RevokedBy", m.Data.RevokedBy, "TPP", "TPP.InitiatedByUser")
	if m.Subscription != nil {
		checkSubscription(ck, "Subscription", m.Subscription)
	}
	if !ck.ok() {
		return nil, ck.result()
	}
	out := &ConsentPatch{Subscription: m.Subscription}
	if m.Data.RevokedBy != nil {
		out.RevokedBy = *m.Data.RevokedBy
	}
	return out, nil
}

// CanRevoke applies rule 37's state rule: revocation is allowed only from
// AwaitingAuthorization, Authorized or Suspended. Code
// Consent.BusinessRuleViolation (the request is well formed; the consent's
// state forbids it).
func CanRevoke(status string) error {
	if !slices.Contains([]string{"AwaitingAuthorization", "Authorized", "Suspended"}, status) {
		return violation(37, CodeConsentBusinessRule, "Data.Status", "a %s consent cannot be revoked", status)
	}
	return nil
}
