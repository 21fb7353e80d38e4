package consent

import (
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/google/uuid"
)

// AuthorizationDetailsType is the RAR type of a v2.1 service-initiation (payment) consent.
const AuthorizationDetailsType = "urn:openfinanceuae:service-initiation-consent:v2.1"

// Permission is an optional data-sharing permission requested alongside the payment consent.
type Permission string

// Permissions the standard allows in a service-initiation consent.
const (
	ReadAccountsBasic  Permission = "ReadAccountsBasic"
	ReadAccountsDetail Permission = "ReadAccountsDetail"
	ReadBalances       Permission = "ReadBalances"
	ReadRefundAccount  Permission = "ReadRefundAccount"
)

// needsAccountsScope reports whether p reads account data (and so needs the accounts scope).
func (p Permission) needsAccountsScope() bool {
	return p == ReadAccountsBasic || p == ReadAccountsDetail || p == ReadBalances
}

const maxReferenceLen = 35

// ConsentParams are the user's choices for the consent, before the PII is sealed.
type ConsentParams struct {
	ConsentID             string // a fresh UUID; see NewConsentID
	BaseConsentID         string // optional: the consent this one renews
	ExpirationDateTime    time.Time
	IsSingleAuthorization bool
	PaymentPurposeCode    string // AANI code, e.g. "MWP"
	Permissions           []Permission
	DebtorReference       string // optional, 1–35
	CreditorReference     string // optional, 1–35
}

// NewConsentID returns a random (v4) UUID read from rnd.
func NewConsentID(rnd io.Reader) (string, error) {
	id, err := uuid.NewRandomFromReader(rnd)
	if err != nil {
		return "", fmt.Errorf("generate consent id: %w", err)
	}
	return id.String(), nil
}

// AuthorizationDetail is one RAR element as it goes in the request object.
type AuthorizationDetail struct {
	Type    string         `json:"type"`
	Consent ConsentDetails `json:"consent"`
}

// ConsentDetails is AEBankServiceInitiationConsentProperties for a delegated-SCA consent.
type ConsentDetails struct {
	ConsentID                       string            `json:"ConsentId"`
	BaseConsentID                   string            `json:"BaseConsentId,omitempty"`
	IsSingleAuthorization           bool              `json:"IsSingleAuthorization"`
	ExpirationDateTime              string            `json:"ExpirationDateTime"`
	Permissions                     []Permission      `json:"Permissions,omitempty"`
	ControlParameters               ControlParameters `json:"ControlParameters"`
	PersonalIdentifiableInformation string            `json:"PersonalIdentifiableInformation"`
	PaymentPurposeCode              string            `json:"PaymentPurposeCode"`
	DebtorReference                 string            `json:"DebtorReference,omitempty"`
	CreditorReference               string            `json:"CreditorReference,omitempty"`
}

// ControlParameters of a delegated-SCA consent: the TPP authenticates every payment and no
// amounts or schedule are fixed, so the schedule is the empty object.
type ControlParameters struct {
	IsDelegatedAuthentication bool          `json:"IsDelegatedAuthentication"`
	ConsentSchedule           emptySchedule `json:"ConsentSchedule"`
}

type emptySchedule struct{}

// MarshalJSON pins the schedule to exactly {}.
func (emptySchedule) MarshalJSON() ([]byte, error) { return []byte("{}"), nil }

// String redacts the sealed PII (a JWE is opaque but still the user's data).
func (d ConsentDetails) String() string {
	return fmt.Sprintf("ConsentDetails(ConsentId=%s, ExpirationDateTime=%s, PaymentPurposeCode=%s)",
		d.ConsentID, d.ExpirationDateTime, d.PaymentPurposeCode)
}

// rfc3339Offset always writes a numeric offset (+00:00, not Z), as the standard's examples do.
const rfc3339Offset = "2006-01-02T15:04:05-07:00"

// compactJWE is five base64url segments (the key segment may be empty for other algs).
var compactJWE = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)

// ValidateConsentParams checks every rule that does not need the sealed PII. Run it before
// sealing, so a bad choice never costs a network round trip.
func ValidateConsentParams(p ConsentParams, now time.Time) error {
	if err := validateUUID("consent.ConsentId", p.ConsentID); err != nil {
		return err
	}
	if p.BaseConsentID != "" {
		if err := validateUUID("consent.BaseConsentId", p.BaseConsentID); err != nil {
			return err
		}
		if p.BaseConsentID == p.ConsentID {
			return fieldErr("consent.BaseConsentId", "must differ from ConsentId")
		}
	}
	if p.ExpirationDateTime.IsZero() {
		return fieldErr("consent.ExpirationDateTime", "is required")
	}
	exp := p.ExpirationDateTime.Truncate(time.Second)
	if !exp.After(now) {
		return fieldErr("consent.ExpirationDateTime", "must be in the future")
	}
	if !exp.Before(now.AddDate(1, 0, 0)) {
		return fieldErr("consent.ExpirationDateTime", "must be less than one year ahead")
	}
	if err := validatePurposeCode("consent.PaymentPurposeCode", p.PaymentPurposeCode); err != nil {
		return err
	}
	if err := validatePermissions(p.Permissions); err != nil {
		return err
	}
	if err := validateText("consent.DebtorReference", p.DebtorReference, maxReferenceLen, true); err != nil {
		return err
	}
	return validateText("consent.CreditorReference", p.CreditorReference, maxReferenceLen, true)
}

func validateUUID(field, s string) error {
	if s == "" {
		return fieldErr(field, "is required")
	}
	u, err := uuid.Parse(s)
	// uuid.Parse also takes urn: and {} forms; the wire wants the canonical 36-character form.
	if err != nil || u.String() != s {
		return fieldErr(field, "must be a lower-case UUID like 123e4567-e89b-42d3-a456-426614174000")
	}
	return nil
}

func validatePermissions(perms []Permission) error {
	seen := map[Permission]bool{}
	for i, p := range perms {
		switch p {
		case ReadAccountsBasic, ReadAccountsDetail, ReadBalances, ReadRefundAccount:
		default:
			return fieldErr(fmt.Sprintf("consent.Permissions[%d]", i), "must be ReadAccountsBasic, ReadAccountsDetail, ReadBalances or ReadRefundAccount")
		}
		if seen[p] {
			return fieldErr(fmt.Sprintf("consent.Permissions[%d]", i), "repeats %s", p)
		}
		seen[p] = true
	}
	if seen[ReadBalances] && !seen[ReadAccountsBasic] && !seen[ReadAccountsDetail] {
		return fieldErr("consent.Permissions", "ReadBalances needs ReadAccountsBasic or ReadAccountsDetail")
	}
	return nil
}

// Scope returns the request-object scope for these permissions: "payments openid", plus
// "accounts" when any permission reads account data.
func Scope(perms []Permission) string {
	for _, p := range perms {
		if p.needsAccountsScope() {
			return "accounts payments openid"
		}
	}
	return "payments openid"
}

// BuildAuthorizationDetails validates p and wraps the sealed PII (a compact JWE from
// lfi's SealPII) into the single RAR element the request object carries.
func BuildAuthorizationDetails(p ConsentParams, sealedPII string, now time.Time) ([]AuthorizationDetail, error) {
	if err := ValidateConsentParams(p, now); err != nil {
		return nil, err
	}
	if !compactJWE.MatchString(sealedPII) {
		return nil, fieldErr("consent.PersonalIdentifiableInformation", "must be a compact JWE (five segments)")
	}
	var perms []Permission
	if len(p.Permissions) > 0 {
		perms = append(perms, p.Permissions...)
	}
	return []AuthorizationDetail{{
		Type: AuthorizationDetailsType,
		Consent: ConsentDetails{
			ConsentID:                       p.ConsentID,
			BaseConsentID:                   p.BaseConsentID,
			IsSingleAuthorization:           p.IsSingleAuthorization,
			ExpirationDateTime:              p.ExpirationDateTime.Truncate(time.Second).Format(rfc3339Offset),
			Permissions:                     perms,
			ControlParameters:               ControlParameters{IsDelegatedAuthentication: true},
			PersonalIdentifiableInformation: sealedPII,
			PaymentPurposeCode:              p.PaymentPurposeCode,
			DebtorReference:                 p.DebtorReference,
			CreditorReference:               p.CreditorReference,
		},
	}}, nil
}
