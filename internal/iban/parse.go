package iban

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// lengths is the IBAN length of every country in the SWIFT IBAN Registry, Release 100 (the
// ISO 13616 registry; 89 entries, its "IBAN prefix country code" and "IBAN length" rows).
// Territories the registry lists under a parent (AX under FI; GF, GP, MQ, RE, PF, TF, YT, NC,
// BL, MF, PM, WF under FR; IM, JE, GG under GB) use the parent's prefix, so they are not keys.
var lengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
	"BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
	"DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
	"FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
	"GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
	"LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
	"MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
	"PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
	"SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
	"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
	"YE": 30,
}

// Length returns the IBAN length of a registry country and whether the country is in it.
func Length(country string) (int, bool) {
	n, ok := lengths[country]
	return n, ok
}

// IBAN is a validated IBAN in electronic form (upper case, no spaces). It is personal data:
// its log form is masked.
type IBAN string

// Country is the ISO 3166 prefix.
func (i IBAN) Country() string { return string(i[:2]) }

// BBAN is the national part after the check digits.
func (i IBAN) BBAN() string { return string(i[4:]) }

// Print is the paper form: groups of four separated by a space.
func (i IBAN) Print() string {
	var b strings.Builder
	for k := 0; k < len(i); k += 4 {
		if k > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(i[k:min(k+4, len(i))]))
	}
	return b.String()
}

// LogValue masks all but the country and the last four characters.
func (i IBAN) LogValue() slog.Value {
	if len(i) < 8 {
		return slog.StringValue("[IBAN]")
	}
	return slog.StringValue(string(i[:2]) + strings.Repeat("*", len(i)-6) + string(i[len(i)-4:]))
}

// Reason says which rule an input broke.
type Reason int

const (
	Empty     Reason = iota + 1
	BadChar          // not an upper-case letter or digit (after removing spaces)
	NoCountry        // the first two characters are not a registry country
	BadLength        // not the country's length
	BadCheck         // mod-97 fails (or the check digits are not digits)
)

// ErrInvalid is matched by every *Error (errors.Is).
var ErrInvalid = errors.New("invalid IBAN")

// Error explains a refused input in one sentence with the next step. It never quotes the
// input (an IBAN is personal data); it names the country, lengths and position only.
type Error struct {
	Reason  Reason
	Country string // when known
	Want    int    // BadLength: the country's length
	Got     int    // BadLength: the length without spaces
	Pos     int    // BadChar: 1-based position in the input
}

func (e *Error) Error() string {
	switch e.Reason {
	case Empty:
		return "the IBAN is empty: type the account's IBAN, starting with its two-letter country code"
	case BadChar:
		return fmt.Sprintf("the IBAN has a character other than A-Z or 0-9 at position %d: type it in capitals, with spaces at most", e.Pos)
	case NoCountry:
		return "the IBAN does not start with the code of a country that uses IBANs: check its first two letters"
	case BadLength:
		return fmt.Sprintf("the IBAN has %d characters but an IBAN from %s has %d: check for a missing or extra character", e.Got, e.Country, e.Want)
	case BadCheck:
		return "the IBAN's check digits do not match the rest: check each character against your statement"
	}
	return "invalid IBAN"
}

func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Parse validates s as an IBAN: it removes ASCII spaces (the paper form) and nothing else —
// lower case, dashes or dots are refused, not rewritten —, then checks the characters, the
// country, the country's length and the ISO 7064 mod-97 check digits. The error is an *Error.
func Parse(s string) (IBAN, error) {
	if strings.TrimSpace(s) == "" {
		return "", &Error{Reason: Empty}
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			continue
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b = append(b, c)
		default:
			return "", &Error{Reason: BadChar, Pos: i + 1}
		}
	}
	v := string(b)
	if len(v) < 2 {
		return "", &Error{Reason: NoCountry}
	}
	want, ok := lengths[v[:2]]
	if !ok {
		return "", &Error{Reason: NoCountry}
	}
	if len(v) != want {
		return "", &Error{Reason: BadLength, Country: v[:2], Want: want, Got: len(v)}
	}
	if v[2] < '0' || v[2] > '9' || v[3] < '0' || v[3] > '9' || !ChecksumOK(v) {
		return "", &Error{Reason: BadCheck, Country: v[:2]}
	}
	return IBAN(v), nil
}

// ErrNorwegianAccount is matched by every error of ParseNorwegianBBAN.
var ErrNorwegianAccount = errors.New("invalid Norwegian account number")

type norErr string

func (e norErr) Error() string        { return string(e) }
func (e norErr) Is(target error) bool { return target == ErrNorwegianAccount }

// ParseNorwegianBBAN validates a Norwegian domestic account number (kontonummer): 11 digits,
// the last a MOD-11 check digit over the first ten with the weights 5,4,3,2,7,6,5,4,3,2 (a
// remainder of 1 has no valid check digit; 0 gives 0). Only ASCII spaces are removed: the
// dotted paper form (1234.56.78903) is refused, not rewritten.
func ParseNorwegianBBAN(s string) (string, error) {
	b := make([]byte, 0, 11)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
		case c >= '0' && c <= '9':
			b = append(b, c)
		default:
			return "", norErr(fmt.Sprintf("the account number has a character other than a digit at position %d: type the 11 digits, with spaces at most", i+1))
		}
	}
	if len(b) != 11 {
		return "", norErr(fmt.Sprintf("the account number has %d digits but a Norwegian account number has 11: check for a missing or extra digit", len(b)))
	}
	weights := [10]int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i, w := range weights {
		sum += int(b[i]-'0') * w
	}
	check := (11 - sum%11) % 11
	if check == 10 || int(b[10]-'0') != check {
		return "", norErr("the account number's check digit does not match the rest: check each digit against your statement")
	}
	return string(b), nil
}

// NorwegianIBAN is the IBAN of a Norwegian domestic account number (NOkk + the 11 digits, the
// check digits kk computed by ISO 7064 MOD 97-10), for products that name the same account by
// IBAN. The account number is checked first (ParseNorwegianBBAN).
func NorwegianIBAN(bban string) (IBAN, error) {
	b, err := ParseNorwegianBBAN(bban)
	if err != nil {
		return "", err
	}
	rem := 0
	for _, c := range b + "2324" + "00" { // the BBAN, then N=23 O=24 and 00 moved to the end
		rem = (rem*10 + int(c-'0')) % 97
	}
	return Parse(fmt.Sprintf("NO%02d%s", 98-rem, b))
}
