package rules

import (
	"errors"
	"regexp"
)

var uaeIBAN = regexp.MustCompile(`^AE\d{21}$`)

// Errors of CheckIBAN and CheckBIC. They never contain the IBAN or BIC.
var (
	ErrIBANFormat    = errors.New("IBAN must be AE followed by 21 digits, uppercase, no spaces")
	ErrIBANChecksum  = errors.New("IBAN check digits are wrong (ISO 13616 mod-97)")
	ErrBICFormat     = errors.New("BIC must be 8 or 11 uppercase letters/digits")
	ErrBICUnknown    = errors.New("no BIC is known for the IBAN's bank code")
	ErrBICMismatch   = errors.New("BIC does not belong to the IBAN's bank")
	errIBANForBICBad = errors.New("IBAN is not a valid UAE IBAN")
)

// CheckIBAN validates a UAE IBAN: ^AE\d{21}$ then ISO 13616 mod-97 == 1
// (uae-spec §5.3 [SIM-CHOICE]).
func CheckIBAN(s string) error {
	if !uaeIBAN.MatchString(s) {
		return ErrIBANFormat
	}
	// Move "AE" + check digits to the end; A=10, E=14.
	rearranged := s[4:] + "1014" + s[2:4]
	rem := 0
	for i := 0; i < len(rearranged); i++ {
		rem = (rem*10 + int(rearranged[i]-'0')) % 97
	}
	if rem != 1 {
		return ErrIBANChecksum
	}
	return nil
}

// BankCode returns the 3-digit bank code of a valid UAE IBAN (characters 5–7).
func BankCode(iban string) (string, error) {
	if err := CheckIBAN(iban); err != nil {
		return "", err
	}
	return iban[4:7], nil
}

var bicPattern = regexp.MustCompile(`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)

// DefaultBICs is the simulator's bank-code → BIC table ([SIM-CHOICE]: the
// standard publishes none). 033 → BOMLAEAD is the pairing the fixtures use;
// the spec's sample pairs 033 with ADCBAEAA, which this table rejects.
func DefaultBICs() map[string]string {
	return map[string]string{
		"023": "CBDUAEAD", // Commercial Bank of Dubai
		"024": "DUIBAEAD", // Dubai Islamic Bank
		"026": "EBILAEAD", // Emirates NBD
		"030": "ADCBAEAA", // Abu Dhabi Commercial Bank
		"033": "BOMLAEAD", // Mashreq
		"035": "NBADAEAA", // First Abu Dhabi Bank
		"040": "NRAKAEAK", // RAKBANK
		"050": "ABDIAEAD", // Abu Dhabi Islamic Bank
	}
}

// CheckBIC checks that bic (8 or 11 characters; never rejected on length
// alone) belongs to the bank of iban according to the default table.
func CheckBIC(bic, iban string) error {
	return checkBIC(bic, iban, DefaultBICs())
}

func checkBIC(bic, iban string, table map[string]string) error {
	if !bicPattern.MatchString(bic) {
		return ErrBICFormat
	}
	code, err := BankCode(iban)
	if err != nil {
		return errIBANForBICBad
	}
	want, ok := table[code]
	if !ok {
		return ErrBICUnknown
	}
	if len(want) < 8 || bic[:8] != want[:8] {
		return ErrBICMismatch
	}
	return nil
}
