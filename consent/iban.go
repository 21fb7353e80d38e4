package consent

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strings"

	"github.com/payterm/payterm/internal/iban"
)

// UAE IBANs are "AE", 2 check digits, a 3-digit bank code and a 16-digit account number.
const uaeIBANLength = 23

// IBAN is a validated UAE IBAN in canonical form (upper case, no spaces). It is PII: String and
// LogValue redact it; use Canonical only where the standard needs the value (PII payloads).
type IBAN struct{ canonical string }

// Errors returned by ParseIBAN. They never include the input.
var (
	ErrIBANEmpty    = errors.New("IBAN is empty")
	ErrIBANCountry  = errors.New("IBAN is not a UAE IBAN (must start with AE)")
	ErrIBANLength   = errors.New("IBAN must be 23 characters: AE followed by 21 digits")
	ErrIBANChars    = errors.New("IBAN must be AE followed by digits only")
	ErrIBANChecksum = errors.New("IBAN check digits are wrong (mod-97)")
)

// ParseIBAN accepts what a user types (spaces, tabs, lower case) and returns the canonical UAE
// IBAN, or an error saying which rule failed: ^AE\d{21}$ then ISO 13616 mod-97 == 1.
func ParseIBAN(input string) (IBAN, error) {
	var b strings.Builder
	b.Grow(uaeIBANLength)
	for _, r := range input {
		switch {
		case r == ' ' || r == '\t' || r == '\u00a0':
			continue // users copy IBANs grouped in fours
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		if b.Len() > 2*uaeIBANLength { // stop copying absurd inputs; length error follows
			break
		}
		b.WriteRune(r)
	}
	s := b.String()
	if s == "" {
		return IBAN{}, ErrIBANEmpty
	}
	if !strings.HasPrefix(s, "AE") {
		return IBAN{}, ErrIBANCountry
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return IBAN{}, ErrIBANChars
		}
	}
	if len(s) != uaeIBANLength {
		return IBAN{}, ErrIBANLength
	}
	if !iban.ChecksumOK(s) {
		return IBAN{}, ErrIBANChecksum
	}
	return IBAN{canonical: s}, nil
}

// Canonical returns the IBAN as the standard wants it on the wire. It is PII.
func (i IBAN) Canonical() string { return i.canonical }

// IsZero reports whether i was never parsed.
func (i IBAN) IsZero() bool { return i.canonical == "" }

// BankCode returns the 3-digit bank code (characters 5–7).
func (i IBAN) BankCode() string {
	if i.IsZero() {
		return ""
	}
	return i.canonical[4:7]
}

// String redacts the IBAN so it cannot reach a log or an error by accident.
func (i IBAN) String() string {
	if i.IsZero() {
		return "IBAN(empty)"
	}
	return "IBAN(redacted)"
}

// GoString redacts (%#v would otherwise print the canonical field).
func (i IBAN) GoString() string { return i.String() }

// LogValue redacts the IBAN in slog output.
func (i IBAN) LogValue() slog.Value { return slog.StringValue(i.String()) }

// MarshalJSON emits the canonical IBAN (used only inside PII payloads, which are sealed).
func (i IBAN) MarshalJSON() ([]byte, error) { return json.Marshal(i.canonical) }
