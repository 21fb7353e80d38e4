package op

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider/wire"
)

// Size limits of what OP may send: far above any real answer, low enough that a hostile or
// broken peer cannot make the wallet read without end.
const (
	maxBody     = 64 << 10
	maxIDLen    = 128
	maxTokenLen = 4096
	maxJWTLen   = 16 << 10
	maxTextLen  = 500
)

// SepaPaymentRequest is the body of POST /payments-psd2/v1/sepa-payments (the OP v1.1
// OpenAPI's SepaPaymentRequest). Field order is the wire order; the detached JWS covers
// exactly the bytes encodeJSON makes of it.
type SepaPaymentRequest struct {
	AmountEUR       string `json:"amountEUR"`
	Payee           Payee  `json:"payee"`
	Payer           *Payer `json:"payer,omitempty"`
	Message         string `json:"message,omitempty"`
	Reference       string `json:"reference,omitempty"`
	AuthorizationID string `json:"authorizationId,omitempty"`
	Count           int    `json:"count,omitempty"`
}

// Payee is the creditor: IBAN without spaces and a name.
type Payee struct {
	IBAN string `json:"iban"`
	Name string `json:"name"`
}

// Payer is the debtor account; absent, the payer picks it at OP.
type Payer struct {
	IBAN string `json:"iban"`
}

// The strict-decoding pieces are provider/wire's (the same for every European provider).
var (
	encodeJSON  = wire.EncodeJSON
	decodeErr   = wire.DecodeErr
	strictJSON  = wire.StrictJSON
	printableID = wire.PrintableID
)

// DecodeError is an answer the wallet refuses to read (wire.DecodeError).
type DecodeError = wire.DecodeError

// readBounded reads at most maxBody bytes; a longer body is an error, not truncated.
func readBounded(r io.Reader) ([]byte, error) { return wire.ReadBounded(r, maxBody) }

func printableToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// Token is an answer of POST /oauth/token. RefreshToken and IDToken are empty for the
// client-credentials grant.
type Token struct {
	AccessToken  string
	RefreshToken string
	IDToken      string
	Scope        string
	ExpiresIn    int
}

// DecodeToken reads a token answer. expires_in may be a number or a string of digits (the
// seed shows "86399"); it must be 1 s .. 1 day.
func DecodeToken(b []byte) (Token, error) {
	var w struct {
		AccessToken  *string         `json:"access_token"`
		RefreshToken *string         `json:"refresh_token"`
		IDToken      *string         `json:"id_token"`
		TokenType    string          `json:"token_type"`
		Scope        string          `json:"scope"`
		ExpiresIn    json.RawMessage `json:"expires_in"`
	}
	if err := strictJSON("token answer", b, &w); err != nil {
		return Token{}, err
	}
	if w.AccessToken == nil || !printableToken(*w.AccessToken, maxTokenLen) {
		return Token{}, decodeErr("token answer", "access_token missing or not printable ASCII of at most %d characters", maxTokenLen)
	}
	if w.TokenType != "bearer" && w.TokenType != "Bearer" {
		return Token{}, decodeErr("token answer", "token_type is not bearer")
	}
	exp, ok := seconds(w.ExpiresIn)
	if !ok || exp < 1 || exp > 86400 {
		return Token{}, decodeErr("token answer", "expires_in missing or outside 1..86400")
	}
	if len(w.Scope) > 200 || !safetext.Clean(w.Scope) {
		return Token{}, decodeErr("token answer", "scope is not plain text")
	}
	t := Token{AccessToken: *w.AccessToken, Scope: w.Scope, ExpiresIn: exp}
	if w.RefreshToken != nil {
		if !printableToken(*w.RefreshToken, maxTokenLen) {
			return Token{}, decodeErr("token answer", "refresh_token not printable ASCII of at most %d characters", maxTokenLen)
		}
		t.RefreshToken = *w.RefreshToken
	}
	if w.IDToken != nil {
		if !printableToken(*w.IDToken, maxJWTLen) {
			return Token{}, decodeErr("token answer", "id_token not printable ASCII of at most %d characters", maxJWTLen)
		}
		t.IDToken = *w.IDToken
	}
	return t, nil
}

// seconds reads a JSON number or a string of 1..9 digits.
func seconds(raw json.RawMessage) (int, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	s := string(raw)
	if s[0] == '"' {
		if len(s) < 3 || s[len(s)-1] != '"' {
			return 0, false
		}
		s = s[1 : len(s)-1]
	}
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// Payment is what OP says of a created payment (SepaPaymentDetails), the fields payterm reads.
type Payment struct {
	PaymentID       string
	AuthorizationID string
	Status          string // an AuthorizationStatus word
	// AmountEUR is the amount: in euros for a SEPA payment, in Currency for a foreign one.
	AmountEUR    money.Amount
	Currency     string // a foreign payment's currency; "" for SEPA (EUR)
	PayeeIBAN    string
	Count        int
	PaymentOrder string
}

// DecodePayment reads SepaPaymentDetails: ids printable, status a documented word, amountEUR
// in the wire form with 0 or 2 decimals, count 1..999.
func DecodePayment(b []byte) (Payment, error) {
	var w struct {
		PaymentID       *string `json:"paymentId"`
		AuthorizationID *string `json:"authorizationId"`
		Status          *string `json:"status"`
		AmountEUR       *string `json:"amountEUR"`
		Count           *int    `json:"count"`
		PaymentOrder    string  `json:"paymentOrder"`
		Payee           *struct {
			IBAN string `json:"iban"`
		} `json:"payee"`
	}
	if err := strictJSON("payment", b, &w); err != nil {
		return Payment{}, err
	}
	switch {
	case w.PaymentID == nil || !printableID(*w.PaymentID, maxIDLen):
		return Payment{}, decodeErr("payment", "paymentId missing or not 1..%d printable characters", maxIDLen)
	case w.AuthorizationID == nil || !printableID(*w.AuthorizationID, maxIDLen):
		return Payment{}, decodeErr("payment", "authorizationId missing or not 1..%d printable characters", maxIDLen)
	case w.Status == nil:
		return Payment{}, decodeErr("payment", "status missing")
	case w.AmountEUR == nil:
		return Payment{}, decodeErr("payment", "amountEUR missing")
	}
	if _, ok := authStatuses[*w.Status]; !ok {
		return Payment{}, decodeErr("payment", "status is not one OP documents")
	}
	amt, err := ParseEuro(*w.AmountEUR)
	if err != nil {
		return Payment{}, decodeErr("payment", "amountEUR is not a euro amount with 0 or 2 decimals")
	}
	p := Payment{PaymentID: *w.PaymentID, AuthorizationID: *w.AuthorizationID, Status: *w.Status, AmountEUR: amt, Count: 1}
	if w.Count != nil {
		if *w.Count < 1 || *w.Count > 999 {
			return Payment{}, decodeErr("payment", "count outside 1..999")
		}
		p.Count = *w.Count
	}
	switch w.PaymentOrder {
	case "", "SEPA", "SEPA_INST":
		p.PaymentOrder = w.PaymentOrder
	default:
		return Payment{}, decodeErr("payment", "paymentOrder is not SEPA or SEPA_INST")
	}
	if w.Payee != nil {
		if w.Payee.IBAN != "" && !printableID(w.Payee.IBAN, 34) {
			return Payment{}, decodeErr("payment", "payee.iban is not an IBAN")
		}
		p.PayeeIBAN = w.Payee.IBAN
	}
	return p, nil
}

// ParseEuro reads OP's amountEUR: digits, then nothing or a point and exactly two digits
// (OP's EuroCents rule), positive.
func ParseEuro(s string) (money.Amount, error) {
	if len(s) == 0 || len(s) > 15 {
		return money.Amount{}, errors.New("not an amount")
	}
	w := s
	dot := bytes.IndexByte([]byte(s), '.')
	if dot < 0 {
		w = s + ".00"
	} else if len(s)-dot != 3 {
		return money.Amount{}, errors.New("not 0 or 2 decimals")
	}
	if w[0] == '0' && w[1] != '.' {
		return money.Amount{}, errors.New("leading zero")
	}
	for i := 0; i < len(w); i++ {
		if (w[i] < '0' || w[i] > '9') && i != len(w)-3 {
			return money.Amount{}, errors.New("not digits")
		}
	}
	a, err := money.ParseWire(w)
	if err != nil || !a.IsPositive() {
		return money.Amount{}, errors.New("not a positive amount")
	}
	return a, nil
}

// Submission is what OP says of one submission (Submission {submissionId, archiveId,
// created, modified, status}).
type Submission struct {
	SubmissionID string
	ArchiveID    string
	Status       string // a SubmissionStatusEnum word
	Created      time.Time
}

// DecodeSubmission reads a Submission: the id printable, the status a documented word, the
// archive id (when given) printable, created an RFC 3339 time when given.
func DecodeSubmission(b []byte) (Submission, error) {
	var w struct {
		SubmissionID *string `json:"submissionId"`
		ArchiveID    string  `json:"archiveId"`
		Status       *string `json:"status"`
		Created      string  `json:"created"`
	}
	if err := strictJSON("submission", b, &w); err != nil {
		return Submission{}, err
	}
	if w.SubmissionID == nil || !printableID(*w.SubmissionID, maxIDLen) {
		return Submission{}, decodeErr("submission", "submissionId missing or not 1..%d printable characters", maxIDLen)
	}
	if w.Status == nil {
		return Submission{}, decodeErr("submission", "status missing")
	}
	if _, ok := submissionStatuses[*w.Status]; !ok {
		return Submission{}, decodeErr("submission", "status is not one OP documents")
	}
	if w.ArchiveID != "" && !printableID(w.ArchiveID, maxIDLen) {
		return Submission{}, decodeErr("submission", "archiveId not printable")
	}
	s := Submission{SubmissionID: *w.SubmissionID, ArchiveID: w.ArchiveID, Status: *w.Status}
	if w.Created != "" {
		t, err := time.Parse(time.RFC3339Nano, w.Created)
		if err != nil {
			return Submission{}, decodeErr("submission", "created is not an RFC 3339 time")
		}
		s.Created = t
	}
	return s, nil
}
