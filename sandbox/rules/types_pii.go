package rules

// Strict Go types for the PII shapes (uae-spec §5). Optional fields are
// pointers so "absent" and "empty" differ; every struct is closed by
// DecodeStrict. JSON names follow the OpenAPI exactly.

// LocalizedName is AEName / AETradingName: {en?, ar?}, each ≤70.
type LocalizedName struct {
	En *string `json:"en,omitempty"`
	Ar *string `json:"ar,omitempty"`
}

// Address is one AEAddress item.
type Address struct {
	AddressType        string   `json:"AddressType"`
	AddressLine        []string `json:"AddressLine"`
	BuildingNumber     *string  `json:"BuildingNumber,omitempty"`
	BuildingName       *string  `json:"BuildingName,omitempty"`
	Floor              *string  `json:"Floor,omitempty"`
	StreetName         *string  `json:"StreetName,omitempty"`
	DistrictName       *string  `json:"DistrictName,omitempty"`
	PostBox            *string  `json:"PostBox,omitempty"`
	TownName           *string  `json:"TownName,omitempty"`
	CountrySubDivision *string  `json:"CountrySubDivision,omitempty"`
	Country            string   `json:"Country"`
}

// DebtorAccount is the consent-time Initiation.DebtorAccount.
type DebtorAccount struct {
	SchemeName     string         `json:"SchemeName"`
	Identification string         `json:"Identification"`
	Name           *LocalizedName `json:"Name,omitempty"`
}

// CreditorAccount is AEDomesticCreditorAccountProperties.
type CreditorAccount struct {
	SchemeName     string         `json:"SchemeName"`
	Identification string         `json:"Identification"`
	Name           *LocalizedName `json:"Name"`
	TradingName    *LocalizedName `json:"TradingName,omitempty"`
	Type           *string        `json:"Type,omitempty"`
}

// CreditorAgent is AECreditorAgentProperties.
type CreditorAgent struct {
	SchemeName     string    `json:"SchemeName"`
	Identification string    `json:"Identification"`
	Name           *string   `json:"Name,omitempty"`
	PostalAddress  []Address `json:"PostalAddress,omitempty"`
}

// CreditorParty is AECreditorProperties: the party, not the account.
type CreditorParty struct {
	Name          *string   `json:"Name,omitempty"`
	PostalAddress []Address `json:"PostalAddress,omitempty"`
}

// DomesticCreditor is AEDomesticCreditor: one consent-time creditor entry,
// and the whole (flat) Initiation at payment time.
type DomesticCreditor struct {
	CreditorAgent               *CreditorAgent   `json:"CreditorAgent,omitempty"`
	Creditor                    *CreditorParty   `json:"Creditor,omitempty"`
	CreditorAccount             *CreditorAccount `json:"CreditorAccount"`
	ConfirmationOfPayeeResponse *string          `json:"ConfirmationOfPayeeResponse,omitempty"`
}

// ConsentInitiation is the consent-time Initiation (AEDomesticPaymentPII).
type ConsentInitiation struct {
	DebtorAccount *DebtorAccount     `json:"DebtorAccount,omitempty"`
	Creditor      []DomesticCreditor `json:"Creditor,omitempty"`
}

// piiClaims are the registered JWT claims a client may put in the PII JWS
// payload; they are stripped and their times never enforced (§5.5).
type piiClaims struct {
	Iss *string  `json:"iss,omitempty"`
	Sub *string  `json:"sub,omitempty"`
	Aud any      `json:"aud,omitempty"`
	Iat *float64 `json:"iat,omitempty"`
	Jti *string  `json:"jti,omitempty"`
	Exp *float64 `json:"exp,omitempty"`
	Nbf *float64 `json:"nbf,omitempty"`
}

// ConsentPIIData is the decrypted consent-time PII after validation.
type ConsentPIIData struct {
	Initiation *ConsentInitiation `json:"Initiation,omitempty"`
	Risk       *Risk              `json:"Risk,omitempty"`
}

// BeneficiaryModel is how the consent fixes the payee (§5.1).
type BeneficiaryModel int

const (
	BeneficiaryOpen     BeneficiaryModel = iota // no Creditor: TPP picks at payment time
	BeneficiarySingle                           // exactly one Creditor
	BeneficiaryMultiple                         // 2–10 Creditors
)

func (m BeneficiaryModel) String() string {
	switch m {
	case BeneficiarySingle:
		return "single"
	case BeneficiaryMultiple:
		return "multiple"
	}
	return "open"
}

// Creditors returns the consent's creditor entries (nil for open).
func (p *ConsentPIIData) Creditors() []DomesticCreditor {
	if p == nil || p.Initiation == nil {
		return nil
	}
	return p.Initiation.Creditor
}

// Beneficiary classifies the consent's creditor list.
func (p *ConsentPIIData) Beneficiary() BeneficiaryModel {
	switch n := len(p.Creditors()); {
	case n == 0:
		return BeneficiaryOpen
	case n == 1:
		return BeneficiarySingle
	}
	return BeneficiaryMultiple
}

// PaymentPIIData is the decrypted payment-time PII (AEDomesticPaymentPIIProperties):
// a flat Initiation holding one creditor, and the Risk block.
type PaymentPIIData struct {
	Initiation *DomesticCreditor `json:"Initiation,omitempty"`
	Risk       *Risk             `json:"Risk,omitempty"`
}
