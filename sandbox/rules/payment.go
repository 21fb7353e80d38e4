package rules

import (
	"encoding/json"
	"regexp"
	"strings"
)

type paymentRequestMessage struct {
	Data *paymentRequestData `json:"Data"`
}

type paymentRequestData struct {
	ConsentId                       *string             `json:"ConsentId"`
	Instruction                     *paymentInstruction `json:"Instruction"`
	CurrencyRequest                 json.RawMessage     `json:"CurrencyRequest,omitempty"`
	PersonalIdentifiableInformation *string             `json:"PersonalIdentifiableInformation"`
	PaymentPurposeCode              *string             `json:"PaymentPurposeCode"`
	DebtorReference                 *string             `json:"DebtorReference,omitempty"`
	CreditorReference               *string             `json:"CreditorReference,omitempty"`
	OpenFinanceBilling              *paymentBilling     `json:"OpenFinanceBilling"`
}

type paymentInstruction struct {
	Amount *paymentAmount `json:"Amount"`
}

type paymentAmount struct {
	Amount   *string `json:"Amount"`
	Currency *string `json:"Currency"`
}

type paymentBilling struct {
	Type       *string `json:"Type"`
	MerchantId *string `json:"MerchantId,omitempty"`
}

// PaymentInstruction is a validated AEPaymentRequest message.
type PaymentInstruction struct {
	ConsentID          string
	Amount             string // ^\d{1,16}\.\d{2}$, > 0
	Currency           string // AED
	PIIJWE             string // open with OpenPII, validate with PaymentPII
	PaymentPurposeCode string
	DebtorReference    string
	CreditorReference  string
	BillingType        string
	MerchantID         string
}

var (
	amountPattern   = regexp.MustCompile(`^\d{1,16}\.\d{2}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// PaymentRequest validates the message of a POST /payments body: exactly
// AEPaymentRequest (rule 27, Body.InvalidFormat, Path like
// Data.Instruction.Amount.Currency), the amount and billing rules (rule 30),
// the AANI purpose code (rule 15) and the presence of the PII (rule 31).
// Rule 29 (ConsentId equals the token's consent, consent Authorized) needs
// the server's state and is the caller's check.
func PaymentRequest(message []byte, opts Options) (*PaymentInstruction, error) {
	var m paymentRequestMessage
	if err := DecodeStrict(message, &m, ""); err != nil {
		return nil, decodeViolation(err, 27, CodeBodyInvalidFormat)
	}
	ck := newChecker(27, CodeBodyInvalidFormat)
	d := m.Data
	if d == nil {
		ck.fail("Data", "is required")
		return nil, ck.result()
	}
	ck.require("Data.ConsentId", d.ConsentId != nil)
	ck.require("Data.Instruction", d.Instruction != nil)
	ck.require("Data.PaymentPurposeCode", d.PaymentPurposeCode != nil)
	ck.require("Data.OpenFinanceBilling", d.OpenFinanceBilling != nil)
	if ck.ok() {
		ck.require("Data.Instruction.Amount", d.Instruction.Amount != nil)
	}
	if ck.ok() {
		ck.require("Data.Instruction.Amount.Amount", d.Instruction.Amount.Amount != nil)
		ck.require("Data.Instruction.Amount.Currency", d.Instruction.Amount.Currency != nil)
		ck.require("Data.OpenFinanceBilling.Type", d.OpenFinanceBilling.Type != nil)
	}
	if !ck.ok() {
		return nil, ck.result()
	}
	ck.length("Data.ConsentId", *d.ConsentId, 1, 128)
	ck.optLength("Data.DebtorReference", d.DebtorReference, 1, 35)
	ck.optLength("Data.CreditorReference", d.CreditorReference, 1, 35)

	// Rule 30.
	ck.rule = 30
	amt, cur := *d.Instruction.Amount.Amount, *d.Instruction.Amount.Currency
	switch {
	case !amountPattern.MatchString(amt):
		ck.fail("Data.Instruction.Amount.Amount", "must match ^\\d{1,16}\\.\\d{2}$")
	case strings.Trim(amt, "0.") == "":
		ck.fail("Data.Instruction.Amount.Amount", "must be greater than zero")
	}
	switch {
	case !currencyPattern.MatchString(cur):
		ck.fail("Data.Instruction.Amount.Currency", "must be three uppercase letters")
	case cur != "AED":
		ck.fail("Data.Instruction.Amount.Currency", "must be AED for a domestic payment")
	}
	if d.CurrencyRequest != nil {
		ck.fail("Data.CurrencyRequest", "must not be present: domestic payments are AED only")
	}
	ck.enum("Data.OpenFinanceBilling.Type", *d.OpenFinanceBilling.Type, "Collection", "LargeValueCollection", "PushP2P", "PullP2P", "Me2Me")
	ck.optLength("Data.OpenFinanceBilling.MerchantId", d.OpenFinanceBilling.MerchantId, 8, 20)

	// Rule 15 (at every POST /payments).
	ck.rule = 15
	checkPurpose(ck, *d.PaymentPurposeCode, "Data.PaymentPurposeCode")

	// Rule 31: the payment PII must be there (a compact JWE string).
	ck.rule = 31
	if d.PersonalIdentifiableInformation == nil || *d.PersonalIdentifiableInformation == "" {
		ck.fail("Data.PersonalIdentifiableInformation", "is required: the creditor travels in the encrypted PII")
	}
	if !ck.ok() {
		return nil, ck.result()
	}
	out := &PaymentInstruction{
		ConsentID:          *d.ConsentId,
		Amount:             amt,
		Currency:           cur,
		PIIJWE:             *d.PersonalIdentifiableInformation,
		PaymentPurposeCode: *d.PaymentPurposeCode,
		BillingType:        *d.OpenFinanceBilling.Type,
	}
	if d.DebtorReference != nil {
		out.DebtorReference = *d.DebtorReference
	}
	if d.CreditorReference != nil {
		out.CreditorReference = *d.CreditorReference
	}
	if d.OpenFinanceBilling.MerchantId != nil {
		out.MerchantID = *d.OpenFinanceBilling.MerchantId
	}
	return out, nil
}
