package ui

import (
	"strings"

	"github.com/payterm/payterm/internal/iban"
)

// A payee's account is written the way the chosen product's scheme says (Product.Account): an
// IBAN (of one country, or of any), or a Norwegian domestic account number. The pay form's
// label, hint, as-you-type feedback and refusal follow it; the UAE IBAN keeps ibanFeedback.

// scheme is the product's account scheme, "" read as the UAE IBAN (the zero value).
func (p Product) scheme() AccountScheme {
	if p.Account == "" {
		return AccountUAEIBAN
	}
	return p.Account
}

// ibanCountry is the country an "IBAN:XX" scheme restricts IBANs to ("" for any, or not an IBAN).
func (a AccountScheme) ibanCountry() string {
	if c, ok := strings.CutPrefix(string(a), "IBAN:"); ok {
		return c
	}
	return ""
}

// isIBAN reports whether the scheme is an IBAN one; anything unknown is treated as one (the
// core checks it), never as a national number.
func (a AccountScheme) isIBAN() bool { return a != AccountNorwegianBBAN }

// accountLabel is the form's label for the account field.
func accountLabel(a AccountScheme) string {
	if a.isIBAN() {
		return "IBAN"
	}
	return "Account no."
}

// accountHint is an example account, shown muted while the field is empty.
func accountHint(a AccountScheme) string {
	switch a {
	case AccountUAEIBAN:
		// "like": without colour (no_color, a screen reader) a bare example reads as typed.
		return "like AE07 0331 2345 6789 0123 456" // the standard's public example
	case AccountNorwegianBBAN:
		return "11 digits, like 1234 56 78903"
	}
	if c := a.ibanCountry(); c != "" {
		if n, ok := iban.Length(c); ok {
			return c + " followed by " + count(n-2, "character", "characters")
		}
	}
	return "like DE89 3704 0044 0532 0130 00" // the ISO 13616 example German IBAN
}

// accountFeedback checks an account while it is typed: "" while it is a valid beginning or a
// complete valid account, else one short reason. The core checks again; this is only instant.
func accountFeedback(a AccountScheme, raw string) string {
	switch {
	case a == AccountUAEIBAN:
		return ibanFeedback(raw)
	case a == AccountNorwegianBBAN:
		return bbanNOFeedback(raw)
	}
	return anyIBANFeedback(raw, a.ibanCountry())
}

// accountProblem is the form's sentence when the new payee's account is not valid.
func accountProblem(a AccountScheme) string {
	switch c := a.ibanCountry(); {
	case a == AccountUAEIBAN:
		return "Enter a valid UAE IBAN for the new payee."
	case a == AccountNorwegianBBAN:
		return "Enter a valid Norwegian account number (11 digits) for the new payee."
	case c != "":
		return "Enter a valid " + c + " IBAN for the new payee (it starts with " + c + ")."
	}
	return "Enter a valid IBAN for the new payee, starting with its country code."
}

// accountValid reports a complete, valid account.
func accountValid(a AccountScheme, raw string) bool {
	if strings.TrimSpace(raw) == "" || accountFeedback(a, raw) != "" {
		return false
	}
	if a == AccountNorwegianBBAN {
		_, err := iban.ParseNorwegianBBAN(raw)
		return err == nil
	}
	v, err := iban.Parse(normalIBAN(raw))
	return err == nil && (a.ibanCountry() == "" || v.Country() == a.ibanCountry())
}

// normalAccount is the account as the core gets it: an IBAN in capitals without spaces, a
// Norwegian number without spaces (the same account, as banks store it).
func normalAccount(a AccountScheme, raw string) string {
	if a == AccountNorwegianBBAN {
		return strings.Join(strings.Fields(raw), "")
	}
	return normalIBAN(raw)
}

// groupAccount prints an account the way banks print it: an IBAN in groups of four, a
// Norwegian number as 1234 56 78903.
func groupAccount(a AccountScheme, s string) string {
	if a == AccountNorwegianBBAN {
		d := strings.Join(strings.Fields(s), "")
		if len(d) == 11 {
			return d[:4] + " " + d[4:6] + " " + d[6:]
		}
		return d
	}
	return groupIBAN(s)
}

// anyIBANFeedback is ibanFeedback for an IBAN of any registry country, or of country when set.
func anyIBANFeedback(raw, country string) string {
	s := normalIBAN(raw)
	if s == "" {
		return ""
	}
	cc := s[:min(2, len(s))]
	if country != "" {
		if !strings.HasPrefix(country, cc) {
			return "starts with " + country
		}
	} else {
		for _, r := range cc {
			if r < 'A' || r > 'Z' {
				return "starts with a country code, like DE"
			}
		}
	}
	if len(s) < 2 {
		return ""
	}
	want, ok := iban.Length(cc)
	if !ok {
		return "no country's IBAN starts with " + cc
	}
	for i, r := range s[2:] {
		switch {
		case i < 2 && (r < '0' || r > '9'):
			return "2 check digits after " + cc
		case !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z'):
			return "letters and digits only"
		}
	}
	switch {
	case len(s) > want:
		return "an IBAN from " + cc + " has " + count(want, "character", "characters")
	case len(s) < want:
		return ""
	case !iban.ChecksumOK(s):
		return "check digits do not match"
	}
	return ""
}

// bbanNOFeedback checks a Norwegian account number (kontonummer) while it is typed.
func bbanNOFeedback(raw string) string {
	d := strings.Join(strings.Fields(raw), "")
	for _, r := range d {
		if r < '0' || r > '9' {
			return "digits only"
		}
	}
	switch {
	case len(d) > 11:
		return "a Norwegian account number has 11 digits"
	case len(d) < 11:
		return ""
	}
	if _, err := iban.ParseNorwegianBBAN(d); err != nil {
		return "check digit does not match"
	}
	return ""
}
