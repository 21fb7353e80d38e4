package ui

import (
	"errors"
	"strings"
	"unicode"

	"github.com/payterm/payterm/money"
)

// Every amount on every screen is drawn with its currency, and no screen adds, subtracts or
// compares two amounts of different currencies.

// currencyCode is the ISO 4217 code of an amount's Currency field: "" is AED (see wallet.go).
func currencyCode(cur string) string {
	if cur == "" {
		return currency
	}
	return cur
}

// sameCurrency reports whether two Currency fields name the same currency.
func sameCurrency(a, b string) bool { return currencyCode(a) == currencyCode(b) }

// formatMoney renders an amount with its currency: "12,345.67 EUR".
func formatMoney(a money.Amount, cur string) string { return a.Display() + " " + currencyCode(cur) }

// paidText is what a consent paid, per currency: "1,250.00 NOK · 12.50 EUR". The amounts are
// listed side by side, never added.
func paidText(c Consent) string {
	parts := []string{formatMoney(c.TotalPaid, c.Terms.resolved().Currency)}
	for _, m := range c.OtherPaid {
		parts = append(parts, formatMoney(m.Amount, m.Currency))
	}
	return strings.Join(parts, " · ")
}

// minorUnit names the hundredth of a currency in the amount sentences ("type the cents with 2
// digits").
func minorUnit(cur string) string {
	switch currencyCode(cur) {
	case "AED":
		return "fils"
	case "EUR", "USD":
		return "cents"
	case "NOK", "DKK":
		return "øre"
	case "SEK":
		return "öre"
	case "GBP":
		return "pence"
	case "GEL":
		return "tetri"
	default:
		return "decimals"
	}
}

// amountInputError is an amount typed with a currency other than the payment's.
type amountInputError struct{ cur string }

func (e *amountInputError) Error() string { return "amount in another currency" }

// Sentence is the one sentence the pay form shows.
func (e *amountInputError) Sentence() string {
	return "This payment is in " + e.cur + "; type the amount alone or with " + e.cur + ", like 125.50 or " + e.cur + " 125.50."
}

// parseAmountIn reads an amount typed for a payment in cur. In AED it is money.ParseInput,
// exactly. In any other currency the currency's own code, before or after the amount and in any
// case, is read as that currency; any other code or currency sign (AED, which ParseInput would
// take as its own, "USD", "€") is refused with a sentence naming the payment's currency, never
// read as a number in it. What remains is money.ParseInput's.
func parseAmountIn(s, cur string) (money.Amount, error) {
	cur = currencyCode(cur)
	if cur == currency {
		return money.ParseInput(s)
	}
	if len([]rune(s)) > money.MaxInputRunes {
		return money.ParseInput(s) // refused as too long, whatever it holds
	}
	t := strings.TrimSpace(s)
	if rest, ok := trimCode(t, cur); ok {
		t = strings.TrimSpace(rest)
	}
	if otherCurrency(t) {
		return money.Amount{}, &amountInputError{cur: cur}
	}
	return money.ParseInput(t)
}

// trimCode drops code (any case) before or after the amount.
func trimCode(s, code string) (string, bool) {
	n := len(code)
	switch {
	case len(s) > n && strings.EqualFold(s[:n], code) && !isLetter(rune(s[n])):
		return s[n:], true
	case len(s) > n && strings.EqualFold(s[len(s)-n:], code) && !isLetter(rune(s[len(s)-n-1])):
		return s[:len(s)-n], true
	}
	return s, false
}

// otherCurrency reports a currency sign anywhere, "د.إ", or three letters before or after the
// digits.
func otherCurrency(s string) bool {
	if strings.Contains(s, "د.إ") {
		return true
	}
	for _, r := range s {
		if unicode.Is(unicode.Sc, r) {
			return true
		}
	}
	lead := 0
	for lead < len(s) && isLetter(rune(s[lead])) {
		lead++
	}
	trail := 0
	for trail < len(s) && isLetter(rune(s[len(s)-1-trail])) {
		trail++
	}
	return (lead == 3 && lead < len(s)) || (trail == 3 && trail < len(s))
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// amountSentenceIn is the one sentence for an amount the form refused: what is wrong, what to
// type, with the hundredths named for the payment's currency.
func amountSentenceIn(err error, cur string) string {
	var ie *money.InputError
	var ce *amountInputError
	switch {
	case errors.As(err, &ce):
		return ce.Sentence()
	case errors.As(err, &ie):
		s := ie.Sentence()
		if u := minorUnit(cur); u != "fils" {
			s = strings.ReplaceAll(s, "the fils", "the "+u)
		}
		return s
	}
	return "The amount is not valid; type it in digits, like 125.50."
}
