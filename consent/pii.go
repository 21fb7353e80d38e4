package consent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
)

// BeneficiaryModel says who the consent lets the wallet pay.
type BeneficiaryModel int

const (
	// OpenBeneficiary: no creditor in the consent; the wallet picks the payee at payment time.
	OpenBeneficiary BeneficiaryModel = iota + 1
	// SingleBeneficiary: exactly one creditor; every payment must match it.
	SingleBeneficiary
	// MultipleBeneficiaries: 2–10 creditors; every payment must match one of them.
	MultipleBeneficiaries
)

// MaxCreditors is the standard's limit on consent creditors (DSCA PAR rule 7).
const MaxCreditors = 10

func (m BeneficiaryModel) String() string {
	switch m {
	case OpenBeneficiary:
		return "open"
	case SingleBeneficiary:
		return "single"
	case MultipleBeneficiaries:
		return "multiple"
	}
	return fmt.Sprintf("BeneficiaryModel(%d)", int(m))
}

// CreditorAccountType is the standard's AECreditorAccountTypeCodes.
type CreditorAccountType string

// Creditor account types the standard allows.
const (
	CreditorIndividual     CreditorAccountType = "Individual"
	CreditorMerchant       CreditorAccountType = "Merchant"
	CreditorBusiness       CreditorAccountType = "Business"
	CreditorCharity        CreditorAccountType = "Charity"
	CreditorGovernmentBody CreditorAccountType = "GovernmentBody"
	CreditorOther          CreditorAccountType = "Other"
)

func (t CreditorAccountType) valid() bool {
	switch t {
	case CreditorIndividual, CreditorMerchant, CreditorBusiness, CreditorCharity, CreditorGovernmentBody, CreditorOther:
		return true
	}
	return false
}

// CreditorAgentInput identifies the creditor's bank. Optional: the LFI derives it from the IBAN.
type CreditorAgentInput struct {
	SchemeName     string // "BICFI" or "Other"
	Identification string // an 8- or 11-character BIC for BICFI
	Name           string // optional, 1–140
}

// CreditorInput is one payee as the user or the address book gives it. IBAN is raw user input;
// the builder canonicalises it.
type CreditorInput struct {
	IBAN                string
	AccountName         Name                // required: en and/or ar, 1–70 each
	TradingName         *Name               // optional
	AccountType         CreditorAccountType // optional
	PartyName           string              // optional Creditor.Name, 1–140
	Agent               *CreditorAgentInput // optional
	ConfirmationOfPayee string              // optional raw CoP JWS
}

// DebtorAccountInput pre-selects the account to pay from. Optional; absent, the user picks it at the LFI.
// Name is the account holder's name and is required with the IBAN: the schema marks it optional,
// but the LFI refuses a DebtorAccount without one (uae-spec.md §11 rule 18).
type DebtorAccountInput struct {
	IBAN string
	Name *Name
}

// ConsentPIIInput is everything that goes into the consent-time PII.
type ConsentPIIInput struct {
	Model     BeneficiaryModel
	Debtor    *DebtorAccountInput
	Creditors []CreditorInput
	// Risk is the consent-time Risk block built by risk/. Required: the LFI expects everything
	// the TPP knows. It must be a JSON object; it is embedded verbatim.
	Risk json.RawMessage
}

// Wire shapes of AEDomesticPaymentPII. Field names and omitempty follow the OpenAPI schema,
// which is closed (additionalProperties:false) at every level.
type (
	consentPII struct {
		Initiation *piiInitiation  `json:"Initiation,omitempty"`
		Risk       json.RawMessage `json:"Risk,omitempty"`
	}
	piiInitiation struct {
		DebtorAccount *debtorAccount     `json:"DebtorAccount,omitempty"`
		Creditor      []DomesticCreditor `json:"Creditor,omitempty"`
	}
	debtorAccount struct {
		SchemeName     string `json:"SchemeName"`
		Identification IBAN   `json:"Identification"`
		Name           *Name  `json:"Name,omitempty"`
	}
)

// DomesticCreditor is one validated AEDomesticCreditor as it goes on the wire. The wallet keeps
// these to build payment-time PII that matches the consent byte for byte.
type DomesticCreditor struct {
	CreditorAgent               *CreditorAgent  `json:"CreditorAgent,omitempty"`
	Creditor                    *CreditorParty  `json:"Creditor,omitempty"`
	CreditorAccount             CreditorAccount `json:"CreditorAccount"`
	ConfirmationOfPayeeResponse string          `json:"ConfirmationOfPayeeResponse,omitempty"`
}

// CreditorAgent is AECreditorAgentProperties (PostalAddress is not supported).
type CreditorAgent struct {
	SchemeName     string `json:"SchemeName"`
	Identification string `json:"Identification"`
	Name           string `json:"Name,omitempty"`
}

// CreditorParty is AECreditorProperties (PostalAddress is not supported).
type CreditorParty struct {
	Name string `json:"Name,omitempty"`
}

// CreditorAccount is AEDomesticCreditorAccountProperties.
type CreditorAccount struct {
	SchemeName     string              `json:"SchemeName"`
	Identification IBAN                `json:"Identification"`
	Name           Name                `json:"Name"`
	TradingName    *Name               `json:"TradingName,omitempty"`
	Type           CreditorAccountType `json:"Type,omitempty"`
}

// ConsentPII is the validated consent PII: the JSON to sign and seal, plus the canonical
// creditors for later matching.
type ConsentPII struct {
	Model     BeneficiaryModel
	Creditors []DomesticCreditor
	JSON      []byte // AEDomesticPaymentPII; PII — never log it
}

// String redacts.
func (p ConsentPII) String() string {
	return fmt.Sprintf("ConsentPII(model=%s, creditors=%d, redacted)", p.Model, len(p.Creditors))
}

var (
	bicPattern = regexp.MustCompile(`^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$`)
	jwsPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$`)
)

// BuildConsentPII validates the input and returns the AEDomesticPaymentPII JSON. Nothing is sent.
func BuildConsentPII(in ConsentPIIInput) (ConsentPII, error) {
	if err := checkCreditorCount(in.Model, len(in.Creditors)); err != nil {
		return ConsentPII{}, err
	}
	var init piiInitiation
	if in.Debtor != nil {
		da, err := buildDebtor(*in.Debtor)
		if err != nil {
			return ConsentPII{}, prefixField("Initiation.DebtorAccount", err)
		}
		init.DebtorAccount = da
	}
	seen := make(map[string]int, len(in.Creditors))
	for i, c := range in.Creditors {
		path := fmt.Sprintf("Initiation.Creditor[%d]", i)
		dc, err := BuildCreditor(c)
		if err != nil {
			return ConsentPII{}, prefixField(path, err)
		}
		if j, dup := seen[dc.CreditorAccount.Identification.Canonical()]; dup {
			return ConsentPII{}, fieldErr(path+".CreditorAccount.Identification", "repeats the IBAN of Initiation.Creditor[%d]", j)
		}
		seen[dc.CreditorAccount.Identification.Canonical()] = i
		init.Creditor = append(init.Creditor, dc)
	}
	risk, err := checkRisk(in.Risk)
	if err != nil {
		return ConsentPII{}, err
	}
	doc := consentPII{Risk: risk}
	if init.DebtorAccount != nil || len(init.Creditor) > 0 {
		doc.Initiation = &init
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return ConsentPII{}, fmt.Errorf("encode consent PII: %w", err)
	}
	return ConsentPII{Model: in.Model, Creditors: init.Creditor, JSON: raw}, nil
}

func checkCreditorCount(m BeneficiaryModel, n int) error {
	const field = "Initiation.Creditor"
	switch m {
	case OpenBeneficiary:
		if n != 0 {
			return fieldErr(field, "must be absent for an open-beneficiary consent, got %d", n)
		}
	case SingleBeneficiary:
		if n != 1 {
			return fieldErr(field, "must have exactly 1 creditor for a single-beneficiary consent, got %d", n)
		}
	case MultipleBeneficiaries:
		if n < 2 || n > MaxCreditors {
			return fieldErr(field, "must have 2–%d creditors for a multiple-beneficiary consent, got %d", MaxCreditors, n)
		}
	default:
		return fieldErr("BeneficiaryModel", "must be open, single or multiple")
	}
	return nil
}

// ValidateDebtor checks a debtor account the way BuildConsentPII will (IBAN and the holder's
// name), so a wallet can refuse it while the user is still on the form.
func ValidateDebtor(in DebtorAccountInput) error {
	_, err := buildDebtor(in)
	return err
}

func buildDebtor(in DebtorAccountInput) (*debtorAccount, error) {
	iban, err := ParseIBAN(in.IBAN)
	if err != nil {
		return nil, &FieldError{Field: "Identification", Reason: err.Error()}
	}
	if in.Name == nil {
		return nil, fieldErr("Name", "is required with the account: the bank refuses a DebtorAccount without its holder's name")
	}
	if err := validateName("Name", *in.Name); err != nil {
		return nil, err
	}
	name := *in.Name
	return &debtorAccount{SchemeName: "IBAN", Identification: iban, Name: &name}, nil
}

// BuildCreditor validates one creditor and returns its canonical wire form. The wallet uses it
// for payment-time PII too, so a payee is spelled identically at consent and payment time.
func BuildCreditor(in CreditorInput) (DomesticCreditor, error) {
	iban, err := ParseIBAN(in.IBAN)
	if err != nil {
		return DomesticCreditor{}, &FieldError{Field: "CreditorAccount.Identification", Reason: err.Error()}
	}
	if err := validateName("CreditorAccount.Name", in.AccountName); err != nil {
		return DomesticCreditor{}, err
	}
	acct := CreditorAccount{SchemeName: "IBAN", Identification: iban, Name: in.AccountName}
	if in.TradingName != nil {
		if err := validateName("CreditorAccount.TradingName", *in.TradingName); err != nil {
			return DomesticCreditor{}, err
		}
		tn := *in.TradingName
		acct.TradingName = &tn
	}
	if in.AccountType != "" {
		if !in.AccountType.valid() {
			return DomesticCreditor{}, fieldErr("CreditorAccount.Type", "must be one of Individual, Merchant, Business, Charity, GovernmentBody, Other")
		}
		acct.Type = in.AccountType
	}
	out := DomesticCreditor{CreditorAccount: acct}
	if in.PartyName != "" {
		if err := validateText("Creditor.Name", in.PartyName, 140, false); err != nil {
			return DomesticCreditor{}, err
		}
		out.Creditor = &CreditorParty{Name: in.PartyName}
	}
	if in.Agent != nil {
		agent, err := buildAgent(*in.Agent)
		if err != nil {
			return DomesticCreditor{}, prefixField("CreditorAgent", err)
		}
		out.CreditorAgent = agent
	}
	if in.ConfirmationOfPayee != "" {
		if !jwsPattern.MatchString(in.ConfirmationOfPayee) {
			return DomesticCreditor{}, fieldErr("ConfirmationOfPayeeResponse", "must be the compact JWS returned by Confirmation of Payee")
		}
		out.ConfirmationOfPayeeResponse = in.ConfirmationOfPayee
	}
	return out, nil
}

func buildAgent(in CreditorAgentInput) (*CreditorAgent, error) {
	switch in.SchemeName {
	case "BICFI":
		// 8 and 11 characters are both valid; never reject on length alone (creditor.md).
		if !bicPattern.MatchString(in.Identification) {
			return nil, fieldErr("Identification", "must be an 8- or 11-character BIC")
		}
	case "Other":
		if err := validateText("Identification", in.Identification, 140, false); err != nil {
			return nil, err
		}
	default:
		return nil, fieldErr("SchemeName", "must be BICFI or Other")
	}
	if err := validateText("Name", in.Name, 140, true); err != nil {
		return nil, err
	}
	return &CreditorAgent{SchemeName: in.SchemeName, Identification: in.Identification, Name: in.Name}, nil
}

// checkRisk requires a JSON object and returns it compacted (the bytes are signed, so they
// should not carry the caller's indentation).
func checkRisk(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fieldErr("Risk", "is required (the consent-time Risk block)")
	}
	if !json.Valid(raw) {
		return nil, fieldErr("Risk", "is not valid JSON")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fieldErr("Risk", "is not valid JSON")
	}
	if buf.Len() == 0 || buf.Bytes()[0] != '{' {
		return nil, fieldErr("Risk", "must be a JSON object")
	}
	return buf.Bytes(), nil
}
