package lfi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// PaymentStatus is AEPaymentStatus. Unknown values are kept as they are (the docs use
// statuses the OpenAPI lacks), so check Known before mapping one to an outcome.
type PaymentStatus string

// The five v2.1 OpenAPI payment statuses.
const (
	PaymentPending                           PaymentStatus = "Pending"
	PaymentAcceptedSettlementCompleted       PaymentStatus = "AcceptedSettlementCompleted"
	PaymentAcceptedCreditSettlementCompleted PaymentStatus = "AcceptedCreditSettlementCompleted"
	PaymentAcceptedWithoutPosting            PaymentStatus = "AcceptedWithoutPosting"
	PaymentRejected                          PaymentStatus = "Rejected"
)

// Known reports whether s is one of the five OpenAPI statuses.
func (s PaymentStatus) Known() bool {
	switch s {
	case PaymentPending, PaymentAcceptedSettlementCompleted, PaymentAcceptedCreditSettlementCompleted,
		PaymentAcceptedWithoutPosting, PaymentRejected:
		return true
	}
	return false
}

// Terminal reports whether polling can stop (fully settled or rejected).
func (s PaymentStatus) Terminal() bool {
	return s == PaymentAcceptedCreditSettlementCompleted || s == PaymentRejected
}

// Successful reports whether the status counts as a successful payment for the user
// (every Accepted* status, per the UAE consent-management requirements).
func (s PaymentStatus) Successful() bool {
	return s == PaymentAcceptedSettlementCompleted || s == PaymentAcceptedCreditSettlementCompleted || s == PaymentAcceptedWithoutPosting
}

// ConsentStatus is AEConsentStatusCodes; unknown values are kept.
type ConsentStatus string

// The consent statuses of v2.1.
const (
	ConsentAwaitingAuthorization ConsentStatus = "AwaitingAuthorization"
	ConsentAuthorized            ConsentStatus = "Authorized"
	ConsentRejected              ConsentStatus = "Rejected"
	ConsentRevoked               ConsentStatus = "Revoked"
	ConsentExpired               ConsentStatus = "Expired"
	ConsentConsumed              ConsentStatus = "Consumed"
	ConsentSuspended             ConsentStatus = "Suspended"
)

// Amount is a decimal string amount with its currency.
type Amount struct {
	Amount   string `json:"Amount"`
	Currency string `json:"Currency"`
}

// RejectReason is one AERejectReason.
type RejectReason struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

// Payment is a verified payment resource (AEPaymentIdResponse).
type Payment struct {
	PaymentID            string
	ConsentID            string
	Status               PaymentStatus
	StatusUpdateDateTime time.Time
	CreationDateTime     time.Time
	PaymentTransactionID string
	RejectReasons        []RejectReason
	Amount               Amount
	PaymentPurposeCode   string
	DebtorReference      string
	BillingType          string // OpenFinanceBilling.Type
	Self                 string // Links.Self, the payment URL
	ConsentURL           string // Links.Related
	InteractionID        string // of the call that returned this
	Location             string // Location header on 201
}

// Consent is a verified payment consent (GET /payment-consents, or the token response).
type Consent struct {
	ConsentID                       string
	BaseConsentID                   string
	Status                          ConsentStatus
	RevokedBy                       string
	CreationDateTime                time.Time
	StatusUpdateDateTime            time.Time
	ExpirationDateTime              time.Time
	AuthorizationExpirationDateTime time.Time // zero when absent
	IsDelegatedAuthentication       bool
	ConsentScheduleEmpty            bool // ControlParameters.ConsentSchedule is {} (DSCA)
	IsSingleAuthorization           *bool
	PaymentPurposeCode              string
	Permissions                     []string
	CumulativeNumberOfPayments      *int
	CumulativeValueOfPayments       *Amount
	Self                            string
	PaymentURLs                     []string // Links.Related
	InteractionID                   string
}

var (
	amountRe    = regexp.MustCompile(`^\d{1,16}\.\d{2}$`)
	currencyRe  = regexp.MustCompile(`^[A-Z]{3}$`)
	purposeRe   = regexp.MustCompile(`^[A-Z]{3}$`)
	errorCodeRe = regexp.MustCompile(`^[A-Za-z]{1,64}\.[A-Za-z0-9]{1,64}$`) // AERejectReason.Code, bounded
)

// decodeObject decodes a JSON object (unknown members tolerated) with no trailing data.
func decodeObject(raw []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := jsonErr(dec.Decode(into)); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

func parseDateTime(name, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not an RFC 3339 date-time with offset", name)
	}
	return t, nil
}

func checkAmount(a Amount) error {
	if !amountRe.MatchString(a.Amount) {
		return errors.New("Instruction.Amount.Amount is not a decimal with 2 places")
	}
	if !currencyRe.MatchString(a.Currency) {
		return errors.New("Instruction.Amount.Currency is not a 3-letter code")
	}
	return nil
}

// decodePayment reads a verified payment `message` ({Data, Links, Meta}).
func decodePayment(msg []byte) (*Payment, error) {
	var w struct {
		Data *struct {
			PaymentID            string         `json:"PaymentId"`
			ConsentID            string         `json:"ConsentId"`
			PaymentTransactionID string         `json:"PaymentTransactionId"`
			Status               string         `json:"Status"`
			StatusUpdateDateTime string         `json:"StatusUpdateDateTime"`
			CreationDateTime     string         `json:"CreationDateTime"`
			RejectReasonCode     []RejectReason `json:"RejectReasonCode"`
			Instruction          *struct {
				Amount *Amount `json:"Amount"`
			} `json:"Instruction"`
			PaymentPurposeCode string `json:"PaymentPurposeCode"`
			DebtorReference    string `json:"DebtorReference"`
			OpenFinanceBilling *struct {
				Type string `json:"Type"`
			} `json:"OpenFinanceBilling"`
		} `json:"Data"`
		Links *struct {
			Self    string `json:"Self"`
			Related string `json:"Related"`
		} `json:"Links"`
	}
	if err := decodeObject(msg, &w); err != nil {
		return nil, fmt.Errorf("payment: %w", err)
	}
	if w.Data == nil {
		return nil, errors.New("payment: Data missing")
	}
	d := w.Data
	p := &Payment{PaymentID: d.PaymentID, ConsentID: d.ConsentID, Status: PaymentStatus(d.Status),
		PaymentTransactionID: d.PaymentTransactionID, RejectReasons: d.RejectReasonCode,
		PaymentPurposeCode: d.PaymentPurposeCode, DebtorReference: d.DebtorReference}
	if err := checkID("payment: Data.PaymentId", d.PaymentID, 40); err != nil {
		return nil, err
	}
	if err := checkID("payment: Data.ConsentId", d.ConsentID, 128); err != nil {
		return nil, err
	}
	if err := checkEnum("payment: Data.Status", d.Status, statusRe); err != nil {
		return nil, err
	}
	if err := checkToken("payment: Data.PaymentTransactionId", d.PaymentTransactionID, 128); err != nil {
		return nil, err
	}
	if err := checkBankText("payment: Data.DebtorReference", d.DebtorReference, 35); err != nil {
		return nil, err
	}
	var err error
	if p.StatusUpdateDateTime, err = parseDateTime("payment: Data.StatusUpdateDateTime", d.StatusUpdateDateTime); err != nil {
		return nil, err
	}
	if p.CreationDateTime, err = parseDateTime("payment: Data.CreationDateTime", d.CreationDateTime); err != nil {
		return nil, err
	}
	if d.Instruction == nil || d.Instruction.Amount == nil {
		return nil, errors.New("payment: Data.Instruction.Amount missing")
	}
	if err := checkAmount(*d.Instruction.Amount); err != nil {
		return nil, fmt.Errorf("payment: Data.%w", err)
	}
	p.Amount = *d.Instruction.Amount
	if !purposeRe.MatchString(d.PaymentPurposeCode) {
		return nil, errors.New("payment: Data.PaymentPurposeCode is not 3 capital letters")
	}
	if d.OpenFinanceBilling == nil || d.OpenFinanceBilling.Type == "" {
		return nil, errors.New("payment: Data.OpenFinanceBilling.Type missing")
	}
	if err := checkEnum("payment: Data.OpenFinanceBilling.Type", d.OpenFinanceBilling.Type, enumTokenRe); err != nil {
		return nil, err
	}
	p.BillingType = d.OpenFinanceBilling.Type
	if p.Status == PaymentRejected && len(d.RejectReasonCode) == 0 {
		return nil, errors.New("payment: Rejected without RejectReasonCode")
	}
	for i, rr := range d.RejectReasonCode {
		if !errorCodeRe.MatchString(rr.Code) {
			return nil, fmt.Errorf("payment: RejectReasonCode[%d].Code is malformed", i)
		}
		// The bank's reason is free text, kept bounded like its other words (errors.go).
		p.RejectReasons[i].Message = boundText(rr.Message)
	}
	if w.Links == nil || w.Links.Self == "" || w.Links.Related == "" {
		return nil, errors.New("payment: Links.Self and Links.Related are required")
	}
	if err := errors.Join(checkLink("payment: Links.Self", w.Links.Self), checkLink("payment: Links.Related", w.Links.Related)); err != nil {
		return nil, err
	}
	p.Self, p.ConsentURL = w.Links.Self, w.Links.Related
	return p, nil
}

// decodeConsent reads a consent message ({Data, Links, …}).
func decodeConsent(msg []byte) (*Consent, error) {
	var w struct {
		Data *struct {
			ConsentID                       string   `json:"ConsentId"`
			BaseConsentID                   string   `json:"BaseConsentId"`
			Status                          string   `json:"Status"`
			RevokedBy                       string   `json:"RevokedBy"`
			CreationDateTime                string   `json:"CreationDateTime"`
			StatusUpdateDateTime            string   `json:"StatusUpdateDateTime"`
			ExpirationDateTime              string   `json:"ExpirationDateTime"`
			AuthorizationExpirationDateTime string   `json:"AuthorizationExpirationDateTime"`
			IsSingleAuthorization           *bool    `json:"IsSingleAuthorization"`
			PaymentPurposeCode              string   `json:"PaymentPurposeCode"`
			Permissions                     []string `json:"Permissions"`
			ControlParameters               *struct {
				IsDelegatedAuthentication *bool           `json:"IsDelegatedAuthentication"`
				ConsentSchedule           json.RawMessage `json:"ConsentSchedule"`
			} `json:"ControlParameters"`
			PaymentConsumption *struct {
				CumulativeNumberOfPayments *int    `json:"CumulativeNumberOfPayments"`
				CumulativeValueOfPayments  *Amount `json:"CumulativeValueOfPayments"`
			} `json:"PaymentConsumption"`
		} `json:"Data"`
		Links *struct {
			Self    string   `json:"Self"`
			Related []string `json:"Related"`
		} `json:"Links"`
	}
	if err := decodeObject(msg, &w); err != nil {
		return nil, fmt.Errorf("consent: %w", err)
	}
	if w.Data == nil {
		return nil, errors.New("consent: Data missing")
	}
	d := w.Data
	c := &Consent{ConsentID: d.ConsentID, BaseConsentID: d.BaseConsentID, Status: ConsentStatus(d.Status),
		RevokedBy: d.RevokedBy, IsSingleAuthorization: d.IsSingleAuthorization, PaymentPurposeCode: d.PaymentPurposeCode,
		Permissions: d.Permissions}
	if err := checkID("consent: Data.ConsentId", d.ConsentID, 128); err != nil {
		return nil, err
	}
	if err := checkEnum("consent: Data.Status", d.Status, statusRe); err != nil {
		return nil, err
	}
	if err := checkOptionalID("consent: Data.BaseConsentId", d.BaseConsentID, 128); err != nil {
		return nil, err
	}
	if d.RevokedBy != "" {
		if err := checkEnum("consent: Data.RevokedBy", d.RevokedBy, enumTokenRe); err != nil {
			return nil, err
		}
	}
	for i, p := range d.Permissions {
		if err := checkEnum(fmt.Sprintf("consent: Data.Permissions[%d]", i), p, enumTokenRe); err != nil {
			return nil, err
		}
	}
	var err error
	if c.ExpirationDateTime, err = parseDateTime("consent: Data.ExpirationDateTime", d.ExpirationDateTime); err != nil {
		return nil, err
	}
	if c.CreationDateTime, err = parseDateTime("consent: Data.CreationDateTime", d.CreationDateTime); err != nil {
		return nil, err
	}
	if c.StatusUpdateDateTime, err = parseDateTime("consent: Data.StatusUpdateDateTime", d.StatusUpdateDateTime); err != nil {
		return nil, err
	}
	if d.AuthorizationExpirationDateTime != "" {
		if c.AuthorizationExpirationDateTime, err = parseDateTime("consent: Data.AuthorizationExpirationDateTime", d.AuthorizationExpirationDateTime); err != nil {
			return nil, err
		}
	}
	if d.ControlParameters == nil {
		return nil, errors.New("consent: Data.ControlParameters missing")
	}
	if cp := d.ControlParameters; cp.IsDelegatedAuthentication != nil {
		c.IsDelegatedAuthentication = *cp.IsDelegatedAuthentication
	}
	if cs := bytes.TrimSpace(d.ControlParameters.ConsentSchedule); len(cs) > 0 {
		var m map[string]json.RawMessage
		c.ConsentScheduleEmpty = unmarshal(cs, &m) == nil && m != nil && len(m) == 0
	}
	if !purposeRe.MatchString(d.PaymentPurposeCode) {
		return nil, errors.New("consent: Data.PaymentPurposeCode is not 3 capital letters")
	}
	if pc := d.PaymentConsumption; pc != nil {
		c.CumulativeNumberOfPayments = pc.CumulativeNumberOfPayments
		if pc.CumulativeValueOfPayments != nil {
			if err := checkAmount(*pc.CumulativeValueOfPayments); err != nil {
				return nil, fmt.Errorf("consent: PaymentConsumption: %w", err)
			}
			c.CumulativeValueOfPayments = pc.CumulativeValueOfPayments
		}
	}
	if w.Links == nil || w.Links.Self == "" {
		return nil, errors.New("consent: Links.Self is required")
	}
	if err := checkLink("consent: Links.Self", w.Links.Self); err != nil {
		return nil, err
	}
	for i, l := range w.Links.Related {
		if err := checkLink(fmt.Sprintf("consent: Links.Related[%d]", i), l); err != nil {
			return nil, err
		}
	}
	c.Self, c.PaymentURLs = w.Links.Self, w.Links.Related
	return c, nil
}

// decodeErrors reads a verified error message ({Errors:[…]}).
func decodeErrors(msg []byte) ([]ErrorItem, error) {
	var w struct {
		Errors []ErrorItem `json:"Errors"`
	}
	if err := decodeObject(msg, &w); err != nil {
		return nil, fmt.Errorf("error body: %w", err)
	}
	if len(w.Errors) == 0 {
		return nil, errors.New("error body: Errors is empty")
	}
	if len(w.Errors) > 100 {
		w.Errors = w.Errors[:100]
	}
	for i, it := range w.Errors {
		if err := checkErrorItem(i, it); err != nil {
			return nil, err
		}
		w.Errors[i].Message, w.Errors[i].Path, w.Errors[i].URL = boundText(it.Message), boundText(it.Path), boundText(it.URL)
	}
	return w.Errors, nil
}

// decodeIdempotencyLookup reads the GET /payments answer: {Data:{}, Links:{Self}} either
// as the `message` member or at the top level of the payload (the OpenAPI does not wrap it).
func decodeIdempotencyLookup(v *Verified) (string, error) {
	raw := []byte(v.Message)
	if raw == nil {
		raw = v.Payload
	}
	var w struct {
		Links *struct {
			Self string `json:"Self"`
		} `json:"Links"`
	}
	if err := decodeObject(raw, &w); err != nil {
		return "", fmt.Errorf("idempotency lookup: %w", err)
	}
	if w.Links == nil || w.Links.Self == "" {
		return "", errors.New("idempotency lookup: Links.Self missing")
	}
	return w.Links.Self, nil
}
