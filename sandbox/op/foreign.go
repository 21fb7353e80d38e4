package op

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Foreign payments (POST /payments-psd2/v1/foreign-payments, the OP v1.1 OpenAPI's
// ForeignPaymentRequest): the bank's own reading of them, written apart from the client's.

// ForeignDetails are what a foreign payment holds beyond a SEPA one.
type ForeignDetails struct {
	Amount           string `json:"amount"`
	Currency         string `json:"currency"`
	SchemeName       string `json:"scheme_name"`
	BIC              string `json:"bic,omitempty"`
	ClearingSystemID string `json:"clearing_system_id,omitempty"`
	BankName         string `json:"bank_name,omitempty"`
	AddressLine1     string `json:"address_line1,omitempty"`
	AddressLine2     string `json:"address_line2,omitempty"`
	Country          string `json:"country"`
	DetailsOfCharges string `json:"details_of_charges"`
	PaymentOrder     string `json:"payment_order"`
	ExchangeRateRef  string `json:"exchange_rate_reference,omitempty"`
}

// foreignCurrencies are the ISO 4217 codes the embedded bank sends foreign payments in.
var foreignCurrencies = []string{"EUR", "USD", "GBP", "SEK", "NOK", "DKK", "CHF", "JPY", "CAD", "AUD", "PLN"}

// eeaCountries: a payee in the EU/EEA must be named with a valid IBAN and BIC (OP's EuEtaValid).
var eeaCountries = strings.Fields(`AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO`)

// isoCountries is ISO 3166-1 alpha-2 (officially assigned codes).
var isoCountries = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN
GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV
LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT
PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US
UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW`) {
		m[c] = true
	}
	return m
}()

// foreignRequest is the body the bank takes; any other field (authorizationId among them: a
// foreign payment joins no bundle) is UnrecognizedProperty.
type foreignRequest struct {
	DetailsOfCharges *string `json:"detailsOfCharges"`
	PaymentOrder     *string `json:"paymentOrder"`
	Amount           *string `json:"amount"`
	Currency         *string `json:"currency"`
	Payee            *struct {
		BankAccount *struct {
			ID         *string `json:"id"`
			SchemeName *string `json:"schemeName"`
			Issuer     *string `json:"issuer"`
		} `json:"bankAccount"`
		Name                 *string `json:"name"`
		FinancialInstitution *struct {
			BIC                *string `json:"bic"`
			ClearingSystemID   *string `json:"clearingSystemId"`
			Name               *string `json:"name"`
			ForeignBankAddress *struct {
				Address *string `json:"address"`
				City    *string `json:"city"`
				Country *string `json:"country"`
			} `json:"foreignBankAddress"`
		} `json:"financialInstitution"`
		ForeignAddress *struct {
			AddressLine1 *string `json:"addressLine1"`
			AddressLine2 *string `json:"addressLine2"`
			Country      *string `json:"country"`
		} `json:"foreignAddress"`
	} `json:"payee"`
	Payer *struct {
		IBAN *string `json:"iban"`
	} `json:"payer"`
	Message               *string `json:"message"`
	ExchangeRateReference *string `json:"exchangeRateReference"`
	Count                 *int    `json:"count"`
}

func (b *Bank) createForeignPayment(w http.ResponseWriter, r *http.Request) { b.create(w, r, true) }

// foreignBody checks a ForeignPaymentRequest (rules 10, 27, 31–35) and gives the payment.
func (e *exchange) foreignBody(raw []byte, tok *token) (*Payment, bool) {
	var req foreignRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		typ := "TypeMismatch"
		if strings.Contains(err.Error(), "unknown field") {
			typ = "UnrecognizedProperty"
		}
		e.refuse(http.StatusBadRequest, RuleBody, typ, "the body is not a ForeignPaymentRequest")
		return nil, false
	}
	if dec.More() {
		e.refuse(http.StatusBadRequest, RuleBody, "TypeMismatch", "data after the JSON object")
		return nil, false
	}
	pe := req.Payee
	if req.Amount == nil || req.Currency == nil || req.Message == nil || pe == nil || pe.Name == nil || pe.BankAccount == nil ||
		pe.BankAccount.ID == nil || pe.FinancialInstitution == nil || pe.ForeignAddress == nil {
		e.refuse(http.StatusBadRequest, RuleBody, "Required",
			"amount, currency, message, payee.name, payee.bankAccount.id, payee.financialInstitution and payee.foreignAddress are required")
		return nil, false
	}
	e.v.pass(RuleBody)
	if tok.Kind == "user" {
		// The exemption flow is SEPA only.
		e.refuse(http.StatusBadRequest, RuleExemptCreate, "InvalidValue", "a foreign payment cannot be made in the exemption flow")
		return nil, false
	}
	// Rule 31: the amount and its currency.
	if !positiveAmount(*req.Amount) {
		e.refuse(http.StatusBadRequest, RuleForeignAmount, "Min", "amount must be a positive amount with at most two decimals")
		return nil, false
	}
	if !slices.Contains(foreignCurrencies, *req.Currency) {
		e.refuse(http.StatusBadRequest, RuleForeignAmount, "InvalidValue", "currency is not an ISO 4217 code this bank sends foreign payments in")
		return nil, false
	}
	if *req.Currency == "JPY" && strings.Contains(*req.Amount, ".") {
		e.refuse(http.StatusBadRequest, RuleForeignAmount, "InvalidValue", "JPY has no decimals")
		return nil, false
	}
	e.v.pass(RuleForeignAmount)
	// Rule 32: the payee's account (and the payer's, Finnish).
	ba := pe.BankAccount
	scheme := "IBAN"
	if ba.SchemeName != nil {
		scheme = *ba.SchemeName
	}
	switch {
	case scheme != "IBAN" && scheme != "BBAN":
		e.refuse(http.StatusBadRequest, RuleForeignAccount, "InvalidValue", "payee.bankAccount.schemeName must be IBAN or BBAN")
		return nil, false
	case scheme == "IBAN" && !validIBAN(*ba.ID):
		e.refuse(http.StatusBadRequest, RuleForeignAccount, "ValidIban", "payee.bankAccount.id is not a valid IBAN")
		return nil, false
	case scheme == "BBAN" && !bban(*ba.ID):
		e.refuse(http.StatusBadRequest, RuleForeignAccount, "InvalidValue", "payee.bankAccount.id is not a BBAN (digits only, at most 35)")
		return nil, false
	case ba.Issuer != nil && !validBIC(*ba.Issuer):
		e.refuse(http.StatusBadRequest, RuleForeignAccount, "ValidBic", "payee.bankAccount.issuer is not a BIC")
		return nil, false
	case req.Payer != nil && (req.Payer.IBAN == nil || !validIBAN(*req.Payer.IBAN) || !strings.HasPrefix(*req.Payer.IBAN, "FI")):
		e.refuse(http.StatusBadRequest, RuleForeignAccount, "FinnishIban", "payer.iban must be a valid Finnish IBAN")
		return nil, false
	}
	e.v.pass(RuleForeignAccount)
	// Rule 33: the payee's bank: a BIC, a clearing system id (not with a BIC) or the bank's address.
	fi := pe.FinancialInstitution
	switch {
	case fi.BIC != nil && !validBIC(*fi.BIC):
		e.refuse(http.StatusBadRequest, RuleForeignBank, "ValidBic", "payee.financialInstitution.bic is not a BIC")
		return nil, false
	case fi.BIC != nil && fi.ClearingSystemID != nil:
		e.refuse(http.StatusBadRequest, RuleForeignBank, "InvalidValue", "a clearing system id is not used with a BIC")
		return nil, false
	case fi.ClearingSystemID != nil && !printable(*fi.ClearingSystemID, 35):
		e.refuse(http.StatusBadRequest, RuleForeignBank, "InvalidValue", "payee.financialInstitution.clearingSystemId is not 1..35 printable characters")
		return nil, false
	case fi.BIC == nil && fi.ClearingSystemID == nil && !bankAddress(fi.ForeignBankAddress):
		e.refuse(http.StatusBadRequest, RuleForeignBank, "CreditorBicOrAddress", "must specify either bic, clearing code or creditor address")
		return nil, false
	case fi.Name != nil && !line(*fi.Name, 70):
		e.refuse(http.StatusBadRequest, RuleForeignBank, "Size", "payee.financialInstitution.name must be 1..70 plain characters")
		return nil, false
	}
	e.v.pass(RuleForeignBank)
	// Rule 34: the payee's address; in the EU/EEA an IBAN and a BIC (EuEtaValid).
	fa := pe.ForeignAddress
	switch {
	case fa.Country == nil || !isoCountries[*fa.Country]:
		e.refuse(http.StatusBadRequest, RuleForeignAddress, "ValidCountryCode", "payee.foreignAddress.country is not an ISO 3166 alpha-2 code")
		return nil, false
	case (fa.AddressLine1 != nil && !line(*fa.AddressLine1, 35)) || (fa.AddressLine2 != nil && !line(*fa.AddressLine2, 35)):
		e.refuse(http.StatusBadRequest, RuleForeignAddress, "SepaAddress", "an address line, when given, is 1..35 plain characters and not blank")
		return nil, false
	}
	eea := slices.Contains(eeaCountries, *fa.Country) || (scheme == "IBAN" && slices.Contains(eeaCountries, (*ba.ID)[:2]))
	if eea && (scheme != "IBAN" || fi.BIC == nil) {
		e.refuse(http.StatusBadRequest, RuleForeignAddress, "EuEtaValid", "EU / ETA area payments must have valid bic and iban")
		return nil, false
	}
	e.v.pass(RuleForeignAddress)
	// Rule 35: the texts and the options.
	switch {
	case !line(*pe.Name, 70):
		e.refuse(http.StatusBadRequest, RuleForeignTexts, "Size", "payee.name must be 1..70 plain characters")
		return nil, false
	case !line(*req.Message, 140):
		e.refuse(http.StatusBadRequest, RuleForeignTexts, "Size", "message must be 1..140 plain characters")
		return nil, false
	case req.DetailsOfCharges != nil && *req.DetailsOfCharges != "SHA" && *req.DetailsOfCharges != "OUR":
		e.refuse(http.StatusBadRequest, RuleForeignTexts, "ValidDetailOfCharges", "detailsOfCharges must be SHA or OUR")
		return nil, false
	case req.PaymentOrder != nil && *req.PaymentOrder != "NORM" && *req.PaymentOrder != "HIGH":
		e.refuse(http.StatusBadRequest, RuleForeignTexts, "ValidPaymentOrder", "paymentOrder must be NORM or HIGH")
		return nil, false
	case req.ExchangeRateReference != nil && !printable(*req.ExchangeRateReference, 35):
		e.refuse(http.StatusBadRequest, RuleForeignTexts, "InvalidValue", "exchangeRateReference must be 1..35 printable characters")
		return nil, false
	case req.Count != nil && *req.Count != 1:
		e.refuse(http.StatusBadRequest, RuleForeignTexts, "ValidForeignPaymentRecurrence", "a foreign payment is always single: count is 1")
		return nil, false
	}
	e.v.pass(RuleForeignTexts)
	f := &ForeignDetails{Amount: *req.Amount, Currency: *req.Currency, SchemeName: scheme, Country: *fa.Country, DetailsOfCharges: "SHA", PaymentOrder: "NORM"}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&f.BIC, fi.BIC)
	set(&f.ClearingSystemID, fi.ClearingSystemID)
	set(&f.BankName, fi.Name)
	set(&f.AddressLine1, fa.AddressLine1)
	set(&f.AddressLine2, fa.AddressLine2)
	set(&f.DetailsOfCharges, req.DetailsOfCharges)
	set(&f.PaymentOrder, req.PaymentOrder)
	set(&f.ExchangeRateRef, req.ExchangeRateReference)
	p := &Payment{PayeeIBAN: *ba.ID, PayeeName: *pe.Name, Message: *req.Message, Count: 1, Foreign: f}
	if req.Payer != nil {
		p.PayerIBAN = *req.Payer.IBAN
	}
	return p, true
}

// positiveAmount: digits without a leading zero (unless "0.x"), then nothing or a point and one
// or two digits; above zero.
func positiveAmount(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	i, f, dot := strings.Cut(s, ".")
	if i == "" || (dot && (len(f) < 1 || len(f) > 2)) || (len(i) > 1 && i[0] == '0') {
		return false
	}
	nonzero := false
	for _, c := range i + f {
		if c < '0' || c > '9' {
			return false
		}
		nonzero = nonzero || c != '0'
	}
	return nonzero
}

// validBIC: ISO 9362, 8 or 11 characters: bank (4 letters), country (2 letters, ISO 3166),
// place (2 letters or digits), branch (3, optional).
func validBIC(s string) bool {
	if len(s) != 8 && len(s) != 11 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		upper, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		if i < 6 && !upper || i >= 6 && !upper && !digit {
			return false
		}
	}
	return isoCountries[s[4:6]]
}

func bban(s string) bool {
	if s == "" || len(s) > 35 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// line: 1..max plain characters, not blank.
func line(s string, max int) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= max && strings.TrimSpace(s) != "" && plainText(s)
}

func bankAddress(a *struct {
	Address *string `json:"address"`
	City    *string `json:"city"`
	Country *string `json:"country"`
}) bool {
	return a != nil && a.Address != nil && line(*a.Address, 70) && a.City != nil && line(*a.City, 35) && a.Country != nil && isoCountries[*a.Country]
}

// holdsForeign: the bundle holds a foreign payment (the caller holds the lock). A SEPA payment
// never joins it: OP bundles foreign payments with no SEPA payment.
func (b *Bank) holdsForeign(a *Authorization) bool {
	for _, id := range a.PaymentIDs {
		if p := b.st.Payments[id]; p != nil && p.Foreign != nil {
			return true
		}
	}
	return false
}

// foreignPaymentView is ForeignPaymentDetails as answered.
type foreignPaymentView struct {
	PaymentID        string         `json:"paymentId"`
	AuthorizationID  string         `json:"authorizationId"`
	Status           string         `json:"status"`
	Created          string         `json:"created"`
	Modified         string         `json:"modified"`
	DetailsOfCharges string         `json:"detailsOfCharges"`
	PaymentOrder     string         `json:"paymentOrder"`
	Amount           string         `json:"amount"`
	Currency         string         `json:"currency"`
	Count            int            `json:"count"`
	PaymentType      string         `json:"paymentType"`
	Message          string         `json:"message"`
	Payee            map[string]any `json:"payee"`
	Payer            map[string]any `json:"payer,omitempty"`
}

func foreignView(p *Payment) foreignPaymentView {
	f := p.Foreign
	fi := map[string]any{}
	if f.BIC != "" {
		fi["bic"] = f.BIC
	}
	if f.ClearingSystemID != "" {
		fi["clearingSystemId"] = f.ClearingSystemID
	}
	addr := map[string]any{"country": f.Country}
	if f.AddressLine1 != "" {
		addr["addressLine1"] = f.AddressLine1
	}
	if f.AddressLine2 != "" {
		addr["addressLine2"] = f.AddressLine2
	}
	v := foreignPaymentView{PaymentID: p.ID, AuthorizationID: p.AuthID, Status: p.Status, Created: p.Created.Format(time.RFC3339Nano),
		Modified: p.Modified.Format(time.RFC3339Nano), DetailsOfCharges: f.DetailsOfCharges, PaymentOrder: f.PaymentOrder, Amount: f.Amount,
		Currency: f.Currency, Count: 1, PaymentType: "ForeignPayment", Message: p.Message,
		Payee: map[string]any{"name": p.PayeeName, "bankAccount": map[string]any{"id": p.PayeeIBAN, "schemeName": f.SchemeName},
			"financialInstitution": fi, "foreignAddress": addr}}
	if p.PayerIBAN != "" {
		v.Payer = map[string]any{"iban": p.PayerIBAN}
	}
	return v
}

// pathPayment is the payment the request's path names, only under its own product's path: a
// foreign payment is not read, revoked or submitted under /sepa-payments, nor a SEPA payment
// under /foreign-payments (the caller holds the lock).
func (b *Bank) pathPayment(r *http.Request) *Payment {
	p := b.st.Payments[r.PathValue("id")]
	if p == nil || (p.Foreign != nil) != strings.HasPrefix(r.URL.Path, "/payments-psd2/v1/foreign-payments/") {
		return nil
	}
	return p
}

// ForeignPayments counts the foreign payments the bank holds (the tests' proof of which product
// a payment went through).
func (b *Bank) ForeignPayments() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, p := range b.st.Payments {
		if p.Foreign != nil {
			n++
		}
	}
	return n
}
