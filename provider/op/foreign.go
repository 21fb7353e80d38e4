package op

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/iban"
	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
)

// OP's foreign payments (POST /payments-psd2/v1/foreign-payments; the OP v1.1 OpenAPI's
// ForeignPaymentRequest): a payment outside SEPA's rules, in one of several currencies, to an
// account abroad named with its bank (BIC) and the payee's address. The same shape as a SEPA
// payment under its own path: the detached JWS, the idempotency key, the authorize page, the
// submissions. OP never bundles one with SEPA payments, and the exemption flow is SEPA only.

// ForeignProductID is the second product.
const ForeignProductID = "foreign-payments"

// ForeignCurrencies are the currencies payterm sends foreign payments in at OP (all with two
// decimals, the wallet's amount form).
var ForeignCurrencies = []string{"EUR", "USD", "GBP", "SEK", "NOK", "DKK", "CHF"}

// ForeignPaymentRequest is the body of POST /payments-psd2/v1/foreign-payments. Field order is
// the wire order; the detached JWS covers exactly the bytes encodeJSON makes of it. payterm sends
// OP's defaults explicitly (SHA: each side pays its own bank's fees; NORM: not urgent), so the
// signed body says what the payer saw.
type ForeignPaymentRequest struct {
	DetailsOfCharges string       `json:"detailsOfCharges"`
	PaymentOrder     string       `json:"paymentOrder"`
	Amount           string       `json:"amount"`
	Currency         string       `json:"currency"`
	Payee            ForeignPayee `json:"payee"`
	Payer            *Payer       `json:"payer,omitempty"`
	Message          string       `json:"message"`
}

// ForeignPayee is the payee of a foreign payment: the account, the name, the payee's bank and
// the payee's address.
type ForeignPayee struct {
	BankAccount          ForeignAccount `json:"bankAccount"`
	Name                 string         `json:"name"`
	FinancialInstitution ForeignBank    `json:"financialInstitution"`
	ForeignAddress       ForeignAddress `json:"foreignAddress"`
}

// ForeignAccount is the payee's account; payterm writes it as an IBAN.
type ForeignAccount struct {
	ID         string `json:"id"`
	SchemeName string `json:"schemeName"`
}

// ForeignBank is the payee's bank, named by its BIC.
type ForeignBank struct {
	BIC string `json:"bic"`
}

// ForeignAddress is the payee's postal address: up to two lines of 35 and an ISO 3166 country.
type ForeignAddress struct {
	AddressLine1 string `json:"addressLine1,omitempty"`
	AddressLine2 string `json:"addressLine2,omitempty"`
	Country      string `json:"country"`
}

// ForeignPayeeRecord is payterm's stored form of a checked foreign payee (provider.Party.Wire):
// what a Party's name and account do not carry.
type ForeignPayeeRecord struct {
	V       int      `json:"v"`
	BIC     string   `json:"bic"`
	Address []string `json:"address,omitempty"`
	Country string   `json:"country"`
}

// DecodeForeignPayee reads a stored foreign payee strictly (the core hands the Wire back from
// its ledger, which a damaged or edited database could change): version 1, a BIC, at most two
// address lines of 1..35 plain characters, an ISO 3166 alpha-2 country.
func DecodeForeignPayee(b []byte) (ForeignPayeeRecord, error) {
	var f ForeignPayeeRecord
	if err := strictJSON("foreign payee", b, &f); err != nil {
		return ForeignPayeeRecord{}, err
	}
	if f.V != storedVersion {
		return ForeignPayeeRecord{}, decodeErr("foreign payee", "unknown version")
	}
	if !ValidBIC(f.BIC) {
		return ForeignPayeeRecord{}, decodeErr("foreign payee", "bic is not a BIC")
	}
	if err := checkAddress(f.Address); err != nil {
		return ForeignPayeeRecord{}, decodeErr("foreign payee", "%s", err.Error())
	}
	if !countryCode(f.Country) {
		return ForeignPayeeRecord{}, decodeErr("foreign payee", "country is not two capital letters")
	}
	return f, nil
}

// ValidBIC is ISO 9362's form: 4 letters (the bank), 2 letters (the country), 2 letters or
// digits (the place), and optionally 3 letters or digits (the branch).
func ValidBIC(s string) bool {
	if len(s) != 8 && len(s) != 11 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		if (i < 6 && !letter) || (i >= 6 && !letter && !digit) {
			return false
		}
	}
	return true
}

func countryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// checkAddress: OP's foreign address has two lines of at most 35 characters, none blank.
func checkAddress(lines []string) error {
	if len(lines) > 2 {
		return errors.New("the address has more than two lines")
	}
	for _, l := range lines {
		if strings.TrimSpace(l) == "" || utf8.RuneCountInString(l) > 35 || !safetext.Clean(l) {
			return errors.New("an address line is blank, longer than 35 characters or holds a control character")
		}
	}
	return nil
}

// CheckPayee checks a payee typed at payment time for product and gives its stored form: for a
// SEPA payment a plain name and an IBAN (nothing to store beside them); for a foreign payment
// also the payee's bank (BIC), address (at most two lines of 35) and country, kept in Wire.
// The name is trimmed and the IBAN loses the spaces it was typed with; nothing else is
// rewritten. Refusals quote nothing the payer typed.
func (b *Bank) CheckPayee(p provider.Party, product string) (provider.Party, error) {
	p.Name = strings.TrimSpace(p.Name)
	if n := utf8.RuneCountInString(p.Name); n == 0 || n > 70 || safetext.Check(p.Name) != nil {
		return p, errors.New("the name must be 1 to 70 characters without control or direction characters")
	}
	acct, err := iban.Parse(p.Account)
	if err != nil {
		return p, fmt.Errorf("the account: %w", err)
	}
	p.Account, p.Scheme, p.Wire = string(acct), provider.SchemeIBAN, nil
	switch product {
	case "", ProductID:
		if p.BIC != "" || len(p.Address) > 0 || p.Country != "" {
			return p, errors.New("a SEPA payment at OP names no bank or address: leave them empty, or pick the foreign payment")
		}
		return p, nil
	case ForeignProductID:
	default:
		return p, fmt.Errorf("OP offers no payment %q", safetext.Short(product, 64))
	}
	if !ValidBIC(p.BIC) {
		return p, errors.New("a foreign payment needs the payee's bank: type its BIC (8 or 11 capital letters and digits, such as DEUTDEFF)")
	}
	if err := checkAddress(p.Address); err != nil {
		return p, fmt.Errorf("the payee's address: %v", err)
	}
	if !countryCode(p.Country) {
		return p, errors.New("a foreign payment needs the payee's country: type its two-letter code (ISO 3166, such as US)")
	}
	p.Wire, _ = json.Marshal(ForeignPayeeRecord{V: storedVersion, BIC: p.BIC, Address: p.Address, Country: p.Country})
	return p, nil
}

// foreignBody checks the intent and makes the ForeignPaymentRequest. The payee's bank and
// address come from the checked payee's stored form (Creditor.Wire), or from the Party when it
// was never stored.
func (b *Bank) foreignBody(in provider.Intent) (ForeignPaymentRequest, error) {
	if !slices.Contains(ForeignCurrencies, in.Amount.Currency) {
		return ForeignPaymentRequest{}, fmt.Errorf("payterm sends OP foreign payments in %s, not %q: change the currency",
			strings.Join(ForeignCurrencies, ", "), safetext.Short(in.Amount.Currency, 8))
	}
	if !in.Amount.Amount.IsPositive() {
		return ForeignPaymentRequest{}, errors.New("the amount must be at least 0.01: type the amount to pay")
	}
	if in.Purpose != "" {
		return ForeignPaymentRequest{}, errors.New("OP takes no purpose code: leave the purpose empty")
	}
	if in.Creditor.Scheme != "" && in.Creditor.Scheme != provider.SchemeIBAN {
		return ForeignPaymentRequest{}, errors.New("payterm pays foreign payments at OP to an IBAN: type the payee's IBAN")
	}
	var fp ForeignPayeeRecord
	if len(in.Creditor.Wire) > 0 {
		var err error
		if fp, err = DecodeForeignPayee(in.Creditor.Wire); err != nil {
			return ForeignPaymentRequest{}, errors.New("payterm's record of this payee's bank and address is unreadable: add the payee again")
		}
	} else {
		checked, err := b.CheckPayee(in.Creditor, ForeignProductID)
		if err != nil {
			return ForeignPaymentRequest{}, fmt.Errorf("the payee: %w", err)
		}
		fp, _ = DecodeForeignPayee(checked.Wire)
	}
	payee, err := iban.Parse(in.Creditor.Account)
	if err != nil {
		return ForeignPaymentRequest{}, fmt.Errorf("the payee's IBAN: %w", err)
	}
	if n := utf8.RuneCountInString(in.Creditor.Name); n == 0 || n > 70 || !safetext.Clean(in.Creditor.Name) {
		return ForeignPaymentRequest{}, fmt.Errorf("the payee's name must be 1 to 70 characters without control characters (it has %d)", n)
	}
	// OP requires a message on a foreign payment; it goes to the payee and the payer's statement.
	if n := utf8.RuneCountInString(in.Reference); n == 0 || n > 140 || !safetext.Clean(in.Reference) {
		return ForeignPaymentRequest{}, fmt.Errorf("a foreign payment at OP needs a message to the payee of 1 to 140 characters without control characters (it has %d)", n)
	}
	if !printableID(in.IdempotencyKey, maxIDLen) {
		return ForeignPaymentRequest{}, errors.New("the payment has no usable idempotency key")
	}
	req := ForeignPaymentRequest{DetailsOfCharges: "SHA", PaymentOrder: "NORM", Amount: in.Amount.Amount.Wire(), Currency: in.Amount.Currency,
		Payee: ForeignPayee{BankAccount: ForeignAccount{ID: string(payee), SchemeName: "IBAN"}, Name: in.Creditor.Name,
			FinancialInstitution: ForeignBank{BIC: fp.BIC}, ForeignAddress: ForeignAddress{Country: fp.Country}},
		Message: in.Reference}
	if len(fp.Address) > 0 {
		req.Payee.ForeignAddress.AddressLine1 = fp.Address[0]
	}
	if len(fp.Address) > 1 {
		req.Payee.ForeignAddress.AddressLine2 = fp.Address[1]
	}
	if in.Debtor != nil && in.Debtor.Account != "" {
		payer, err := iban.Parse(in.Debtor.Account)
		if err != nil {
			return ForeignPaymentRequest{}, fmt.Errorf("your IBAN: %w", err)
		}
		req.Payer = &Payer{IBAN: string(payer)}
	}
	return req, nil
}

// paymentsPath is where a payment of the product lives at OP.
func paymentsPath(foreign bool) string {
	if foreign {
		return pisPath + "/" + ForeignProductID
	}
	return pisPath + "/" + ProductID
}

// DecodeForeignPayment reads ForeignPaymentDetails: ids printable, status a documented word,
// amount positive with 0 or 2 decimals, currency three capital letters, paymentType
// ForeignPayment, count 1 (OP: a foreign payment is always single), paymentOrder NORM or HIGH.
func DecodeForeignPayment(b []byte) (Payment, error) {
	var w struct {
		PaymentID       *string `json:"paymentId"`
		AuthorizationID *string `json:"authorizationId"`
		Status          *string `json:"status"`
		Amount          *string `json:"amount"`
		Currency        *string `json:"currency"`
		PaymentType     string  `json:"paymentType"`
		Count           *int    `json:"count"`
		PaymentOrder    string  `json:"paymentOrder"`
		Payee           *struct {
			BankAccount *struct {
				ID string `json:"id"`
			} `json:"bankAccount"`
		} `json:"payee"`
	}
	if err := strictJSON("foreign payment", b, &w); err != nil {
		return Payment{}, err
	}
	switch {
	case w.PaymentID == nil || !printableID(*w.PaymentID, maxIDLen):
		return Payment{}, decodeErr("foreign payment", "paymentId missing or not 1..%d printable characters", maxIDLen)
	case w.AuthorizationID == nil || !printableID(*w.AuthorizationID, maxIDLen):
		return Payment{}, decodeErr("foreign payment", "authorizationId missing or not 1..%d printable characters", maxIDLen)
	case w.Status == nil:
		return Payment{}, decodeErr("foreign payment", "status missing")
	case w.Amount == nil || w.Currency == nil:
		return Payment{}, decodeErr("foreign payment", "amount or currency missing")
	case w.PaymentType != "ForeignPayment":
		return Payment{}, decodeErr("foreign payment", "paymentType is not ForeignPayment")
	case w.Count != nil && *w.Count != 1:
		return Payment{}, decodeErr("foreign payment", "count is not 1")
	}
	if _, ok := authStatuses[*w.Status]; !ok {
		return Payment{}, decodeErr("foreign payment", "status is not one OP documents")
	}
	if c := *w.Currency; len(c) != 3 || !countryCode(c[:2]) || c[2] < 'A' || c[2] > 'Z' {
		return Payment{}, decodeErr("foreign payment", "currency is not an ISO 4217 code")
	}
	amt, err := ParseEuro(*w.Amount) // the same written form: 0 or 2 decimals
	if err != nil {
		return Payment{}, decodeErr("foreign payment", "amount is not a positive amount with 0 or 2 decimals")
	}
	switch w.PaymentOrder {
	case "", "NORM", "HIGH":
	default:
		return Payment{}, decodeErr("foreign payment", "paymentOrder is not NORM or HIGH")
	}
	p := Payment{PaymentID: *w.PaymentID, AuthorizationID: *w.AuthorizationID, Status: *w.Status, AmountEUR: amt, Currency: *w.Currency,
		Count: 1, PaymentOrder: w.PaymentOrder}
	if w.Payee != nil && w.Payee.BankAccount != nil {
		if id := w.Payee.BankAccount.ID; id != "" && !printableID(id, 35) {
			return Payment{}, decodeErr("foreign payment", "payee.bankAccount.id is not an account number")
		}
		p.PayeeIBAN = w.Payee.BankAccount.ID
	}
	return p, nil
}

// decodePaymentOf reads a payment answer of the product.
func decodePaymentOf(foreign bool, b []byte) (Payment, error) {
	if foreign {
		return DecodeForeignPayment(b)
	}
	return DecodePayment(b)
}

// ErrBundleMix: OP bundles SEPA payments only. A foreign payment never shares a bundle with SEPA
// payments, and its request has no authorizationId to join another foreign one: it is approved on
// its own.
var ErrBundleMix = errors.New("OP bundles SEPA payments only: a foreign payment is approved on its own, not in a bundle")
