package money

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSyntax reports text that is not an amount. Errors never quote the input: it is untrusted
// and may be anything the user pasted.
var ErrSyntax = errors.New("invalid amount")

// maxIntDigits is the number of integer digits the wire format allows.
const maxIntDigits = 16

// maxWireLen is the longest wire amount: 16 digits, a point and 2 decimals.
const maxWireLen = maxIntDigits + 3

// ParseWire parses an amount in the wire format of the standard, `^\d{1,16}\.\d{2}$`:
// ASCII digits only, exactly two decimal places, no sign, no separators, no spaces.
// It accepts 0.00 (a cumulative total can be zero); payment amounts must also pass IsPositive.
func ParseWire(s string) (Amount, error) {
	if len(s) < 4 || len(s) > maxWireLen {
		return Amount{}, fmt.Errorf("%w: wire amounts have 1 to %d digits, a point and 2 decimals", ErrSyntax, maxIntDigits)
	}
	point := len(s) - 3
	if s[point] != '.' {
		return Amount{}, fmt.Errorf("%w: wire amounts need exactly 2 decimal places", ErrSyntax)
	}
	intPart, fracPart := s[:point], s[point+1:]
	if !allDigits(intPart) || !allDigits(fracPart) {
		return Amount{}, fmt.Errorf("%w: wire amounts contain only digits and one point", ErrSyntax)
	}
	return fromDigits(intPart, fracPart)
}

// ParseInput parses an amount typed by a person and normalises it: "10", "10.5", "10.50",
// "1,000.50", " 1000 " and "AED 25" are accepted. Rejected with a clear reason: a sign,
// zero, more than two decimals (never rounded: the user approves the exact amount), more
// than 16 integer digits, misplaced thousands separators, exponents, and any other character.
func ParseInput(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	s = trimCurrency(s)
	if s == "" {
		return Amount{}, fmt.Errorf("%w: enter an amount such as 25 or 1,000.50", ErrSyntax)
	}
	if s[0] == '-' {
		return Amount{}, fmt.Errorf("%w: the amount cannot be negative", ErrSyntax)
	}
	if s[0] == '+' {
		return Amount{}, fmt.Errorf("%w: write the amount without a sign", ErrSyntax)
	}
	intPart, fracPart, hasPoint := strings.Cut(s, ".")
	if hasPoint {
		if strings.Contains(fracPart, ".") {
			return Amount{}, fmt.Errorf("%w: the amount has more than one decimal point", ErrSyntax)
		}
		if fracPart == "" {
			return Amount{}, fmt.Errorf("%w: digits are missing after the decimal point", ErrSyntax)
		}
		if !allDigits(fracPart) {
			return Amount{}, fmt.Errorf("%w: use only digits after the decimal point", ErrSyntax)
		}
		if len(fracPart) > 2 {
			return Amount{}, fmt.Errorf("%w: at most 2 decimal places are allowed", ErrSyntax)
		}
	}
	if intPart == "" {
		return Amount{}, fmt.Errorf("%w: digits are missing before the decimal point", ErrSyntax)
	}
	digits, err := stripGrouping(intPart)
	if err != nil {
		return Amount{}, err
	}
	for len(fracPart) < 2 {
		fracPart += "0"
	}
	// Leading zeros do not count towards the 16-digit limit; "0" itself must stay.
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		digits = "0"
	}
	a, err := fromDigits(digits, fracPart)
	if err != nil {
		return Amount{}, err
	}
	if !a.IsPositive() {
		return Amount{}, fmt.Errorf("%w: the amount must be more than 0.00", ErrSyntax)
	}
	return a, nil
}

// trimCurrency drops an "AED" prefix or suffix (any case), which people often type.
func trimCurrency(s string) string {
	const code = "AED"
	if len(s) >= len(code) && strings.EqualFold(s[:len(code)], code) {
		return strings.TrimSpace(s[len(code):])
	}
	if len(s) >= len(code) && strings.EqualFold(s[len(s)-len(code):], code) {
		return strings.TrimSpace(s[:len(s)-len(code)])
	}
	return s
}

// stripGrouping validates optional thousands separators ("1,234,567") and returns the bare
// digits. Without commas it only checks that every character is a digit.
func stripGrouping(s string) (string, error) {
	if !strings.Contains(s, ",") {
		if !allDigits(s) {
			return "", fmt.Errorf("%w: use only digits, an optional decimal point and thousands commas", ErrSyntax)
		}
		return s, nil
	}
	groups := strings.Split(s, ",")
	for i, g := range groups {
		if g != "" && !allDigits(g) {
			return "", fmt.Errorf("%w: use only digits, an optional decimal point and thousands commas", ErrSyntax)
		}
		if (i == 0 && (len(g) < 1 || len(g) > 3)) || (i > 0 && len(g) != 3) {
			return "", fmt.Errorf("%w: thousands commas must separate groups of 3 digits", ErrSyntax)
		}
	}
	return strings.Join(groups, ""), nil
}

// fromDigits builds an amount from validated ASCII digit strings: intPart non-empty,
// fracPart exactly 2 digits.
func fromDigits(intPart, fracPart string) (Amount, error) {
	if len(intPart) > maxIntDigits {
		return Amount{}, fmt.Errorf("%w: at most %d digits before the decimal point", ErrOutOfRange, maxIntDigits)
	}
	var minor int64
	for i := 0; i < len(intPart); i++ {
		minor = minor*10 + int64(intPart[i]-'0')
	}
	// 16 digits are below 1e16, so *100 + 99 stays below 1e18 < MaxInt64.
	minor = minor*minorPerUnit + int64(fracPart[0]-'0')*10 + int64(fracPart[1]-'0')
	return Amount{minor: minor}, nil
}

// allDigits reports whether s is non-empty and only ASCII digits (no Unicode digits).
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
