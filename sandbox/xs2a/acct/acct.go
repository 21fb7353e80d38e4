// Package acct checks account identifiers the way a bank does before it accepts a payment:
// IBANs (ISO 13616: country, length from the SWIFT registry, mod-97) and Norwegian domestic
// BBANs (11 digits, mod-11). It is the XS2A sandbox bank's own code, separate from the
// client's internal/iban, so the two cannot share a mistake.
package acct

import (
	"errors"
	"fmt"
	"strings"
)

// ibanLength is the IBAN length of each country in the SWIFT IBAN registry.
var ibanLength = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
	"LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
	"NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
	"RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
	"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// sepa are the countries (by IBAN prefix) of the SEPA scheme.
var sepa = map[string]bool{}

func init() {
	for _, c := range strings.Fields("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE " +
		"IS LI NO CH MC SM VA AD GB GI AL MD ME MK RS") {
		sepa[c] = true
	}
}

// IBANLength is the registry length for a country code, 0 when the country has no IBAN.
func IBANLength(country string) int { return ibanLength[country] }

// InSEPA reports whether an IBAN's country belongs to the SEPA scheme.
func InSEPA(iban string) bool { return len(iban) >= 2 && sepa[iban[:2]] }

// CheckIBAN accepts an electronic-format IBAN (no spaces, uppercase) whose country is in the
// registry, whose length is that country's and whose check digits pass mod-97. The error
// never repeats the value (it is PII).
func CheckIBAN(s string) error {
	if len(s) < 5 {
		return errors.New("IBAN is too short")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i < 2 && (c < 'A' || c > 'Z'):
			return errors.New("IBAN must start with two uppercase letters (the country), in electronic format without spaces")
		case i >= 2 && i < 4 && (c < '0' || c > '9'):
			return errors.New("IBAN check digits (characters 3–4) must be digits")
		case i >= 4 && !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z'):
			return errors.New("IBAN may hold only uppercase letters and digits, without spaces")
		}
	}
	want := ibanLength[s[:2]]
	if want == 0 {
		return fmt.Errorf("IBAN country %s is not in the IBAN registry", s[:2])
	}
	if len(s) != want {
		return fmt.Errorf("an IBAN of country %s has %d characters, not %d", s[:2], want, len(s))
	}
	if mod97(s[4:]+s[:4]) != 1 {
		return errors.New("IBAN check digits are wrong (mod-97)")
	}
	return nil
}

func mod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		} else {
			r = (r*10 + int(c-'0')) % 97
		}
	}
	return r
}

// CheckNorwegianBBAN accepts an 11-digit Norwegian account number whose last digit is the
// mod-11 check digit over the first ten (weights 5,4,3,2,7,6,5,4,3,2). Numbers whose check
// would be 10 do not exist.
func CheckNorwegianBBAN(s string) error {
	if len(s) != 11 {
		return errors.New("a Norwegian account number (BBAN) has 11 digits, without spaces or dots")
	}
	weights := [10]int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i := 0; i < 11; i++ {
		if s[i] < '0' || s[i] > '9' {
			return errors.New("a Norwegian account number (BBAN) has only digits")
		}
		if i < 10 {
			sum += int(s[i]-'0') * weights[i]
		}
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	if check == 10 || int(s[10]-'0') != check {
		return errors.New("the Norwegian account number's check digit is wrong (mod-11)")
	}
	return nil
}
