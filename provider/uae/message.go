package uae

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/payterm/payterm/provider"
)

// paymentPII is the payment-time PII (AEDomesticPaymentPIIProperties): the flat creditor,
// copied byte for byte from the consent, and the Risk block.
func paymentPII(creditor json.RawMessage, riskBlock any) ([]byte, error) {
	b, err := json.Marshal(struct {
		Initiation json.RawMessage `json:"Initiation"`
		Risk       any             `json:"Risk"`
	}{creditor, riskBlock})
	if err != nil {
		return nil, fmt.Errorf("encode payment PII: %w", err)
	}
	return b, nil
}

// paymentMessage is the `message` of POST /payments (AEPaymentRequest).
func paymentMessage(in provider.Intent, sealedPII string) ([]byte, error) {
	type amount struct {
		Amount   string `json:"Amount"`
		Currency string `json:"Currency"`
	}
	type data struct {
		ConsentID   string `json:"ConsentId"`
		Instruction struct {
			Amount amount `json:"Amount"`
		} `json:"Instruction"`
		PII                string            `json:"PersonalIdentifiableInformation"`
		PaymentPurposeCode string            `json:"PaymentPurposeCode"`
		DebtorReference    string            `json:"DebtorReference,omitempty"`
		OpenFinanceBilling map[string]string `json:"OpenFinanceBilling"`
	}
	d := data{ConsentID: in.GrantID, PII: sealedPII, PaymentPurposeCode: in.Purpose, DebtorReference: in.Reference,
		OpenFinanceBilling: map[string]string{"Type": "PushP2P"}}
	d.Instruction.Amount = amount{Amount: in.Amount.Amount.String(), Currency: in.Amount.Currency}
	b, err := json.Marshal(struct {
		Data data `json:"Data"`
	}{d})
	if err != nil {
		return nil, fmt.Errorf("encode payment request: %w", err)
	}
	return b, nil
}

// jwsExpiry reads the exp claim of our own signed request (no verification needed: we made
// it). It bounds how long the exact bytes may be resent.
func jwsExpiry(compact []byte) (time.Time, error) {
	parts := strings.Split(string(compact), ".")
	if len(parts) != 3 {
		return time.Time{}, errors.New("signed request is not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, fmt.Errorf("signed request payload: %w", err)
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return time.Time{}, fmt.Errorf("signed request claims: %w", err)
	}
	if claims.Exp <= 0 {
		return time.Time{}, errors.New("signed request has no exp")
	}
	return time.Unix(claims.Exp, 0).UTC(), nil
}
