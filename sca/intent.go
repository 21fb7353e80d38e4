package sca

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/iban"
	"github.com/payterm/payterm/internal/safetext"
)

// Intent is one payment the user is asked to authenticate: exactly what is shown on the
// review screen and what the signed dynamic-linking payload covers.
type Intent struct {
	ConsentID      string
	Amount         string // canonical decimal with two places, e.g. "10.00"
	Currency       string // ISO 4217, e.g. "AED"
	CreditorIBAN   string // PII: an IBAN, or a Norwegian domestic account number (11 digits)
	CreditorName   string // PII
	IdempotencyKey string // the x-idempotency-key the payment will carry
}

// ErrInvalidIntent is wrapped by every Intent validation error. Messages name the field,
// never its value.
var ErrInvalidIntent = errors.New("sca: invalid payment intent")

var (
	amountRE   = regexp.MustCompile(`^(0|[1-9][0-9]{0,15})\.[0-9]{2}$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	consentRE  = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	ibanRE     = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$`)
	idemRE     = regexp.MustCompile(`^[!-~]{1,40}$`) // printable ASCII, no whitespace
)

// Validate checks every field; the payload is signed only for a well-formed intent.
func (in Intent) Validate() error {
	bad := func(field, why string) error { return fmt.Errorf("%w: %s %s", ErrInvalidIntent, field, why) }
	switch {
	case !consentRE.MatchString(in.ConsentID):
		return bad("consent id", "must be 1-128 letters, digits or . _ : -")
	case !amountRE.MatchString(in.Amount):
		return bad("amount", `must be a canonical decimal with two places, like "10.00"`)
	case strings.Trim(in.Amount, "0.") == "":
		return bad("amount", "must be greater than zero")
	case !currencyRE.MatchString(in.Currency):
		return bad("currency", "must be three capital letters")
	case !validIBAN(in.CreditorIBAN) && !validNorwegianBBAN(in.CreditorIBAN):
		return bad("creditor IBAN", "is not a valid IBAN (capitals, no spaces, check digits) nor a Norwegian account number")
	case !validName(in.CreditorName):
		return bad("creditor name", "must be 1-140 printable characters, without bidi overrides")
	case !idemRE.MatchString(in.IdempotencyKey):
		return bad("idempotency key", "must be 1-40 printable characters without spaces")
	}
	return nil
}

// validIBAN checks the shape and the ISO 13616 mod-97 check digits.
func validIBAN(s string) bool { return ibanRE.MatchString(s) && iban.ChecksumOK(s) }

// validNorwegianBBAN: a Norwegian domestic account number (11 digits, MOD-11), which the
// Norwegian domestic products pay to instead of an IBAN.
func validNorwegianBBAN(s string) bool {
	got, err := iban.ParseNorwegianBBAN(s)
	return err == nil && got == s
}

func validName(s string) bool {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > 140 || strings.TrimSpace(s) == "" {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || safetext.IsBidiControl(r) {
			return false // a bidi override would make the name read differently from what is signed
		}
	}
	return true
}

// String hides the payee (PII); amounts and ids are not personal data.
func (in Intent) String() string {
	return fmt.Sprintf("Intent{consent=%s amount=%s %s creditor=%s idempotency=%s}",
		in.ConsentID, in.Amount, in.Currency, redacted, in.IdempotencyKey)
}

// GoString matches String so %#v does not print the payee either.
func (in Intent) GoString() string { return in.String() }

// Format makes every fmt verb (%d, %x, %+v...) print String, never the raw fields.
func (in Intent) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, in.String()) }

// LogValue logs the intent without the payee.
func (in Intent) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("consent_id", in.ConsentID),
		slog.String("amount", in.Amount),
		slog.String("currency", in.Currency),
		slog.String("creditor", redacted),
		slog.String("idempotency_key", in.IdempotencyKey),
	)
}
