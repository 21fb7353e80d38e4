package money

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrSyntax reports text that is not an amount. Errors never quote the input: it is untrusted
// and may be anything the user pasted.
var ErrSyntax = errors.New("invalid amount")

// maxIntDigits is the number of integer digits the wire format allows.
const maxIntDigits = 16

// maxWireLen is the longest wire amount: 16 digits, a point and 2 decimals.
const maxWireLen = maxIntDigits + 3

// MaxInputRunes is the longest text ParseInput reads; longer text is refused, never cut. The
// longest amount a person writes ("AED 9,999,999,999,999,999.99") has 28 characters. A text
// field that stops taking keys at a limit above this one can therefore never turn a long paste
// into a shorter, different amount: what it kept is still too long and refused.
const MaxInputRunes = 40

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

// InputError is text ParseInput refuses: Problem says what is wrong, Hint what to type
// instead. Neither quotes the input. errors.Is matches ErrSyntax, or ErrOutOfRange for an
// amount with too many digits.
type InputError struct {
	Problem string // "An amount cannot be negative"
	Hint    string // "type it without a minus sign, like 125.50"
	kind    error
}

func (e *InputError) Error() string {
	return e.kind.Error() + ": " + lowerFirst(e.Problem) + "; " + e.Hint
}

// Unwrap returns ErrSyntax or ErrOutOfRange.
func (e *InputError) Unwrap() error { return e.kind }

// Sentence is the one sentence a screen shows: what is wrong, then what to type.
func (e *InputError) Sentence() string { return e.Problem + "; " + e.Hint + "." }

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r >= 'A' && r <= 'Z' {
		return string(r+'a'-'A') + s[n:]
	}
	return s
}

// The refusals of ParseInput. Every outcome of every kind of text has one of these.
var (
	errEmpty     = syntax("No amount was typed", "type it in digits, like 125.50")
	errTooLong   = syntax("The amount is too long", "type at most 16 digits before the decimal point and 2 after, like 125.50")
	errNegative  = syntax("An amount cannot be negative", "type it without a minus sign, like 125.50")
	errPlus      = syntax("An amount takes no plus sign", "type only the digits, like 125.50")
	errExponent  = syntax("An exponent such as 1e9 is not an amount", "type every digit, like 1000000000")
	errCurrency  = syntax("payterm pays in AED only", "type the amount alone or with AED, like 125.50 or AED 125.50")
	errSpace     = syntax("The amount has a space inside it", "type it without spaces, like 10000.50 or 10,000.50")
	errNotDigits = syntax("The amount has characters that are not digits", "type it in digits, like 125.50")
	errOtherDig  = syntax("payterm reads the digits 0-9 and the Arabic-Indic digits ٠-٩ and ۰-۹ only", "type the amount with those, like 125.50")
	errMixedDig  = syntax("The amount mixes different kinds of digits", "type it with 0-9 throughout, or with ٠-٩ (or ۰-۹) throughout")
	errPoints    = syntax("The amount has more than one decimal point", "type one point, before the fils, like 1250.50")
	errComma     = syntax("A comma after the decimal point cannot be read", "type a point before the fils and commas only between thousands, like 1,250.50")
	errNoFils    = syntax("Digits are missing after the decimal point", "type the fils or leave the point out, like 125.50 or 125")
	errNoUnits   = syntax("Digits are missing before the decimal point", "type a 0 first, like 0.50")
	errDecimals  = syntax("An amount has at most 2 decimal places and payterm never rounds one", "type the fils with 2 digits, like 125.50")
	errGrouping  = syntax("Thousands commas must separate groups of 3 digits", "type it like 1,250.50, or without commas: 1250.50")
	errZero      = syntax("The amount must be more than 0.00", "type at least 0.01")
	errTooLarge  = &InputError{Problem: "The amount is too large", Hint: "type at most 16 digits before the decimal point", kind: ErrOutOfRange}
)

// ErrZero is ParseInput's refusal of an amount of 0.00 (errors.Is matches it), for screens
// that word it for their field: a limit of zero would refuse every payment.
var ErrZero error = errZero

func syntax(problem, hint string) *InputError {
	return &InputError{Problem: problem, Hint: hint, kind: ErrSyntax}
}

// ParseInput parses an amount typed by a person. What it accepts, it reads exactly: the
// amount has the digits typed, in order, and nothing is dropped, rounded or guessed.
//
// Accepted: digits with an optional point and 1 or 2 decimals ("10", "10.5", "10.50"),
// thousands commas in groups of 3 ("1,000.50"), spaces around the amount, "AED" (any case)
// or "د.إ" before or after it, and the Arabic-Indic digits ٠-٩ and the Eastern ones ۰-۹ with
// the Arabic decimal separator ٫ and thousands separator ٬ ("١٬٢٥٠٫٥" is 1250.50), each digit
// read as the same 0-9 digit. Commas are thousands separators, never decimal commas: "1,500" is
// one thousand five hundred, and "1,5" (groups of 3 only) and "1.000,50" (a comma after the
// point) are refused rather than guessed.
//
// Refused, each with its own *InputError: nothing typed, more than MaxInputRunes characters,
// a minus (any dash) or plus sign, an exponent ("1e9"), another currency or a currency
// symbol, a space inside the amount, letters or any other character, digits of other scripts,
// digits of two scripts in one amount, two points, a comma after the point, a point with no
// digits on one side, more than 2 decimals (never rounded: the user approves the exact
// amount), badly grouped commas, more than 16 integer digits (ErrOutOfRange) and zero.
func ParseInput(s string) (Amount, error) {
	return ParseInputIn(s, "AED")
}

// ParseInputIn is ParseInput for an amount in currency (ISO 4217): its code (any case) may be
// typed before or after the amount ("EUR 12.50", "12.50 eur"; for AED also "د.إ"); any other
// code is refused. Every currency payterm pays in has two decimals.
func ParseInputIn(s, currency string) (Amount, error) {
	if utf8.RuneCountInString(s) > MaxInputRunes {
		return Amount{}, errTooLong
	}
	if !utf8.ValidString(s) {
		return Amount{}, errNotDigits
	}
	s = trimCurrency(strings.TrimSpace(s), currency)
	if s == "" {
		return Amount{}, errEmpty
	}
	if foreignCurrency(s) {
		return Amount{}, errCurrency
	}
	plain, err := normalise(s)
	if err != nil {
		return Amount{}, err
	}
	return parsePlain(plain)
}

// trimCurrency drops one currency code (any case; for AED also "د.إ") before or after the
// amount.
func trimCurrency(s, currency string) string {
	codes := []string{currency}
	if strings.EqualFold(currency, "AED") {
		codes = append(codes, "د.إ")
	}
	for _, code := range codes {
		if code == "" {
			continue
		}
		if len(s) >= len(code) && strings.EqualFold(s[:len(code)], code) {
			return strings.TrimSpace(s[len(code):])
		}
		if len(s) >= len(code) && strings.EqualFold(s[len(s)-len(code):], code) {
			return strings.TrimSpace(s[:len(s)-len(code)])
		}
	}
	return s
}

// foreignCurrency reports a three-letter code ("USD 25", "25eur") before or after digits.
// Three letters alone ("abc", "NaN") are not a currency but plain text.
func foreignCurrency(s string) bool {
	lead := 0
	for lead < len(s) && isASCIILetter(s[lead]) {
		lead++
	}
	if lead == 3 && lead < len(s) && !isASCIILetter(s[lead]) {
		return true
	}
	trail := 0
	for trail < len(s) && isASCIILetter(s[len(s)-1-trail]) {
		trail++
	}
	return trail == 3 && trail < len(s)
}

func isASCIILetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// Digit scripts ParseInput reads. An amount uses one of them throughout: "1٠5" mixes the
// Arabic-Indic zero, which looks like a point, into ASCII digits.
const (
	scriptASCII = 1 << iota
	scriptArabicIndic
	scriptEasternArabicIndic
)

// normalise maps the digits and separators ParseInput reads to ASCII "0-9 . ," and refuses
// everything else, saying what it found.
func normalise(s string) (string, error) {
	runes := []rune(s)
	out := make([]byte, 0, len(runes))
	scripts := 0
	for i, r := range runes {
		switch {
		case r >= '0' && r <= '9':
			scripts |= scriptASCII
			out = append(out, byte(r))
		case r >= '٠' && r <= '٩':
			scripts |= scriptArabicIndic
			out = append(out, byte('0'+r-'٠'))
		case r >= '۰' && r <= '۹':
			scripts |= scriptEasternArabicIndic
			out = append(out, byte('0'+r-'۰'))
		case r == '.' || r == '٫':
			out = append(out, '.')
		case r == ',' || r == '٬':
			out = append(out, ',')
		default:
			return "", refusal(runes, i)
		}
	}
	if scripts&(scripts-1) != 0 {
		return "", errMixedDig
	}
	return string(out), nil
}

// refusal explains why runes[i], a character ParseInput does not read, makes the text no amount.
func refusal(runes []rune, i int) error {
	r := runes[i]
	first, last := i == 0, i == len(runes)-1
	switch {
	case r == '-' || r == '−' || r == '－' || r == '﹣' || unicode.Is(unicode.Pd, r):
		if first || last {
			return errNegative
		}
	case r == '+' || r == '＋' || r == '﹢':
		if first {
			return errPlus
		}
	case (r == 'e' || r == 'E') && !first && !last && isDigit(runes[i-1]) &&
		(isDigit(runes[i+1]) || runes[i+1] == '-' || runes[i+1] == '+'):
		return errExponent
	case unicode.Is(unicode.Sc, r):
		return errCurrency
	case unicode.IsSpace(r):
		return errSpace
	case unicode.IsDigit(r):
		return errOtherDig
	}
	return errNotDigits
}

// isDigit reports a digit of a script ParseInput reads.
func isDigit(r rune) bool {
	return r >= '0' && r <= '9' || r >= '٠' && r <= '٩' || r >= '۰' && r <= '۹'
}

// parsePlain parses normalised text: only ASCII digits, points and commas.
func parsePlain(s string) (Amount, error) {
	if strings.Count(s, ".") > 1 {
		return Amount{}, errPoints
	}
	intPart, fracPart, hasPoint := strings.Cut(s, ".")
	if hasPoint {
		switch {
		case strings.Contains(fracPart, ","):
			return Amount{}, errComma
		case intPart == "" && fracPart == "":
			return Amount{}, errNotDigits
		case fracPart == "":
			return Amount{}, errNoFils
		case intPart == "":
			return Amount{}, errNoUnits
		case len(fracPart) > 2:
			return Amount{}, errDecimals
		}
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
	if len(digits) > maxIntDigits {
		return Amount{}, errTooLarge
	}
	a, err := fromDigits(digits, fracPart)
	if err != nil {
		return Amount{}, err
	}
	if !a.IsPositive() {
		return Amount{}, errZero
	}
	return a, nil
}

// stripGrouping validates optional thousands separators ("1,234,567") and returns the bare
// digits. s holds only ASCII digits and commas.
func stripGrouping(s string) (string, error) {
	if !strings.Contains(s, ",") {
		if s == "" {
			return "", errNotDigits
		}
		return s, nil
	}
	groups := strings.Split(s, ",")
	for i, g := range groups {
		if (i == 0 && (len(g) < 1 || len(g) > 3)) || (i > 0 && len(g) != 3) {
			return "", errGrouping
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
