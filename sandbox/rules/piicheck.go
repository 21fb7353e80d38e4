package rules

import (
	"fmt"
	"strings"
)

// consentPIIPayload is the consent PII JWS payload: the PII members plus the
// registered claims a client may add (stripped, times never enforced).
type consentPIIPayload struct {
	Iss        *string            `json:"iss,omitempty"`
	Sub        *string            `json:"sub,omitempty"`
	Aud        any                `json:"aud,omitempty"`
	Iat        *float64           `json:"iat,omitempty"`
	Jti        *string            `json:"jti,omitempty"`
	Exp        *float64           `json:"exp,omitempty"`
	Nbf        *float64           `json:"nbf,omitempty"`
	Initiation *ConsentInitiation `json:"Initiation,omitempty"`
	Risk       *Risk              `json:"Risk,omitempty"`
}

type paymentPIIPayload struct {
	Iss        *string           `json:"iss,omitempty"`
	Sub        *string           `json:"sub,omitempty"`
	Aud        any               `json:"aud,omitempty"`
	Iat        *float64          `json:"iat,omitempty"`
	Jti        *string           `json:"jti,omitempty"`
	Exp        *float64          `json:"exp,omitempty"`
	Nbf        *float64          `json:"nbf,omitempty"`
	Initiation *DomesticCreditor `json:"Initiation,omitempty"`
	Risk       *Risk             `json:"Risk,omitempty"`
}

// MaxConsentCreditors is the DSCA limit on consent creditors (rule 18).
const MaxConsentCreditors = 10

// ConsentPII validates the plaintext from OpenPII as consent-time PII
// (rules 18–20): registered claims stripped (iss, if present, must equal
// clientID; times never enforced), then exactly AEDomesticPaymentPII.
// Creditor has 1–10 entries when present; DebtorAccount, when present, is a
// valid UAE IBAN with a Name; Risk is present and valid. Code
// Resource.InvalidFormat (JWS.InvalidClaim for a wrong iss).
func ConsentPII(plain []byte, clientID string, opts Options) (*ConsentPIIData, error) {
	var p consentPIIPayload
	if err := DecodeStrict(plain, &p, ""); err != nil {
		return nil, piiDecodeViolation(err, 18)
	}
	if err := checkPIIClaims(p.Iss, p.Sub, p.Aud, clientID); err != nil {
		return nil, err
	}
	ck := newChecker(18, CodeResourceInvalidFormat)
	if in := p.Initiation; in != nil {
		if d := in.DebtorAccount; d != nil {
			if d.SchemeName != "IBAN" {
				ck.fail("Initiation.DebtorAccount.SchemeName", "must be IBAN")
			}
			if err := CheckIBAN(d.Identification); err != nil {
				ck.fail("Initiation.DebtorAccount.Identification", "%v", err)
			}
			if d.Name == nil {
				ck.fail("Initiation.DebtorAccount.Name", "must have at least one of en, ar")
			} else {
				checkName(ck, "Initiation.DebtorAccount.Name", d.Name, true)
			}
		}
		switch n := len(in.Creditor); {
		case in.Creditor != nil && n == 0 && !opts.AllowEmptyCreditorArray:
			ck.fail("Initiation.Creditor", "must not be an empty array (omit it for an open beneficiary)")
		case n > MaxConsentCreditors:
			ck.fail("Initiation.Creditor", "must have at most %d entries", MaxConsentCreditors)
		}
		for i := range in.Creditor {
			checkCreditor(ck, fmt.Sprintf("Initiation.Creditor[%d]", i), &in.Creditor[i], opts.bics())
		}
	}
	if p.Risk == nil {
		ck.fail("Risk", "is required")
	} else {
		checkRisk(ck, "Risk", p.Risk)
	}
	if !ck.ok() {
		return nil, ck.result()
	}
	out := &ConsentPIIData{Initiation: p.Initiation, Risk: p.Risk}
	if out.Initiation != nil && len(out.Initiation.Creditor) == 0 {
		out.Initiation.Creditor = nil // empty (when allowed) means open
	}
	return out, nil
}

// PaymentPII validates the plaintext from OpenPII as payment-time PII
// (rule 31, with rule 19 for the creditor and rule 20 for Risk): exactly
// AEDomesticPaymentPIIProperties with a flat Initiation whose Creditor is an
// object, CreditorAccount required, no DebtorAccount, and Risk present.
// Nested Risk objects are closed unless opts.OpenNestedPaymentRisk.
func PaymentPII(plain []byte, clientID string, opts Options) (*PaymentPIIData, error) {
	var p paymentPIIPayload
	var open func(string) bool
	if opts.OpenNestedPaymentRisk {
		open = func(path string) bool { return strings.HasPrefix(path, "Risk.") }
	}
	if err := decodeStrict(plain, &p, "", open); err != nil {
		v := piiDecodeViolation(err, 31)
		switch v.Path {
		case "Initiation.DebtorAccount":
			v.Message = "DebtorAccount is not allowed at payment time: the consent fixes the debtor"
		case "Initiation.Creditor":
			v.Message += " (payment PII is flat: Initiation.Creditor is the party object, not the consent's array)"
		}
		return nil, v
	}
	if err := checkPIIClaims(p.Iss, p.Sub, p.Aud, clientID); err != nil {
		return nil, WithRule(err, 31)
	}
	ck := newChecker(31, CodeResourceInvalidFormat)
	switch {
	case p.Initiation == nil:
		ck.fail("Initiation", "is required")
	case p.Initiation.CreditorAccount == nil:
		ck.fail("Initiation.CreditorAccount", "is required")
	default:
		checkCreditor(ck, "Initiation", p.Initiation, opts.bics())
	}
	if p.Risk == nil {
		ck.fail("Risk", "is required")
	} else {
		checkRisk(ck, "Risk", p.Risk)
	}
	if !ck.ok() {
		return nil, ck.result()
	}
	return &PaymentPIIData{Initiation: p.Initiation, Risk: p.Risk}, nil
}

func piiDecodeViolation(err error, rule int) *Violation {
	v := decodeViolation(err, rule, CodeResourceInvalidFormat)
	if v.Path == "Risk" || strings.HasPrefix(v.Path, "Risk.") {
		v.Rule = 20
	}
	return v
}

// checkPIIClaims: iss and sub, when present, must be the client; aud must be
// a string or an array of strings. Times are never enforced (§5.5).
func checkPIIClaims(iss, sub *string, aud any, clientID string) error {
	if iss != nil && *iss != clientID {
		return violation(17, CodeJWSInvalidClaim, "iss", "iss in the PII JWS must equal the client_id")
	}
	if sub != nil && *sub != clientID {
		return violation(17, CodeJWSInvalidClaim, "sub", "sub in the PII JWS must equal the client_id")
	}
	if aud != nil && !isStringOrStrings(aud) {
		return violation(17, CodeJWSInvalidClaim, "aud", "aud must be a string or an array of strings")
	}
	return nil
}

func isStringOrStrings(v any) bool {
	switch t := v.(type) {
	case string:
		return true
	case []any:
		for _, e := range t {
			if _, ok := e.(string); !ok {
				return false
			}
		}
		return true
	}
	return false
}
