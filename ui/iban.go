package ui

import (
	"strings"

	"github.com/payterm/payterm/internal/iban"
)

// uaeIBANLength is AE + 2 check digits + 3-digit bank code + 16-digit account.
const uaeIBANLength = 23

// normalIBAN drops spaces and upper-cases, the way IBANs are printed vs stored.
func normalIBAN(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// ibanFeedback checks a UAE IBAN while it is being typed and returns "" while the input is a
// valid prefix or a complete valid IBAN, else one short reason. The wallet validates again
// authoritatively; this is only instant feedback.
func ibanFeedback(raw string) string {
	s := normalIBAN(raw)
	if s == "" {
		return ""
	}
	// The country code first: "GB29…" is a foreign IBAN, not a UAE one with a typo.
	if p := s[:min(2, len(s))]; !strings.HasPrefix("AE", p) {
		return "starts with AE"
	}
	for _, r := range s[min(2, len(s)):] {
		if r < '0' || r > '9' {
			return "digits only after AE"
		}
	}
	switch {
	case len(s) > uaeIBANLength:
		return "a UAE IBAN has 23 characters"
	case len(s) < uaeIBANLength:
		return ""
	case !iban.ChecksumOK(s):
		return "check digits do not match"
	}
	return ""
}

// MaskIBAN is how payterm shows an account number on screen: the country code and check digits,
// then the last four characters, "AE07 •••• 3456", with spaces dropped and letters upper-cased
// first. Anything shorter than eight characters shows as "••••" alone, so a mistyped fragment
// is never printed whole. It cuts between characters, never inside one, so any input gives
// valid UTF-8.
func MaskIBAN(iban string) string {
	n := []rune(normalIBAN(iban))
	if len(n) < 8 {
		return "••••"
	}
	return string(n[:4]) + " •••• " + string(n[len(n)-4:])
}

// groupIBAN prints an IBAN in groups of four, the way banks print it.
func groupIBAN(s string) string { return groupKey(normalIBAN(s)) }
