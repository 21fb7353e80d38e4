package rules

import (
	"encoding/json"
	"time"
)

// ConsentType is the only RAR type the bank accepts (rule 10).
const ConsentType = "urn:openfinanceuae:service-initiation-consent:v2.1"

// authorizationDetail is one authorization_details element, closed at every
// level (AEBankServiceInitiationAuthorizationDetailsProperties).
type authorizationDetail struct {
	Type         string             `json:"type"`
	Consent      *consentProperties `json:"consent"`
	Subscription *EventSubscription `json:"subscription,omitempty"`
}

// EventSubscription is {Webhook:{Url, IsActive}}.
type EventSubscription struct {
	Webhook *Webhook `json:"Webhook"`
}

type Webhook struct {
	Url      *string `json:"Url"`
	IsActive *bool   `json:"IsActive"`
}

type consentProperties struct {
	ConsentId                       *string                  `json:"ConsentId"`
	BaseConsentId                   *string                  `json:"BaseConsentId,omitempty"`
	IsSingleAuthorization           *bool                    `json:"IsSingleAuthorization,omitempty"`
	AuthorizationExpirationDateTime *string                  `json:"AuthorizationExpirationDateTime,omitempty"`
	ExpirationDateTime              *string                  `json:"ExpirationDateTime"`
	Permissions                     []string                 `json:"Permissions,omitempty"`
	ControlParameters               *controlParameters       `json:"ControlParameters"`
	PersonalIdentifiableInformation *string                  `json:"PersonalIdentifiableInformation"`
	PaymentPurposeCode              *string                  `json:"PaymentPurposeCode"`
	CurrencyRequest                 json.RawMessage          `json:"CurrencyRequest,omitempty"`
	DebtorReference                 *string                  `json:"DebtorReference,omitempty"`
	CreditorReference               *string                  `json:"CreditorReference,omitempty"`
	SponsoredTPPInformation         *SponsoredTPPInformation `json:"SponsoredTPPInformation,omitempty"`
}

type controlParameters struct {
	IsDelegatedAuthentication *bool           `json:"IsDelegatedAuthentication,omitempty"`
	ConsentSchedule           json.RawMessage `json:"ConsentSchedule,omitempty"`
}

// SponsoredTPPInformation is {Name 1–50, Identification 1–50}.
type SponsoredTPPInformation struct {
	Name           string `json:"Name"`
	Identification string `json:"Identification"`
}

// ConsentRequest is a validated DSCA consent from authorization_details
// (rules 10–16). The PII is still the sealed JWE: open it with OpenPII and
// validate it with ConsentPII.
type ConsentRequest struct {
	ConsentID                       string
	BaseConsentID                   string // "" when absent
	IsSingleAuthorization           *bool
	ExpirationDateTime              time.Time
	AuthorizationExpirationDateTime time.Time // zero when absent
	Permissions                     []string
	PaymentPurposeCode              string
	DebtorReference                 string
	CreditorReference               string
	SponsoredTPP                    *SponsoredTPPInformation
	Subscription                    *EventSubscription
	PIIJWE                          string // compact JWE, 5 segments
	// Raw is the exact authorization_details element as received, for the
	// token response and the inspector.
	Raw json.RawMessage
}
