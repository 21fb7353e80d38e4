package consent

import (
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/safetext"
)

// maxNameLen is the schema's maxLength for AEName/AETradingName values (counted in characters).
const maxNameLen = 70

// Name is an account holder or trading name in English and/or Arabic (the standard's AEName).
// The LFI compares creditor names byte for byte at payment time, so Name is validated, never
// rewritten: leading/trailing spaces are rejected rather than trimmed.
type Name struct {
	EN string `json:"en,omitempty"`
	AR string `json:"ar,omitempty"`
}

// String redacts: names are PII.
func (n Name) String() string { return "Name(redacted)" }

// GoString redacts (%#v, also when the Name sits inside another struct).
func (n Name) GoString() string { return n.String() }

// LogValue redacts in slog output (a JSON handler would otherwise marshal the fields).
func (n Name) LogValue() slog.Value { return slog.StringValue(n.String()) }

// IsZero reports whether neither language is set.
func (n Name) IsZero() bool { return n.EN == "" && n.AR == "" }

// validateName checks an AEName: at least one of en/ar, each 1–70 characters of printable text.
func validateName(field string, n Name) error {
	if n.IsZero() {
		return fieldErr(field, "needs an English (en) or Arabic (ar) name")
	}
	if err := validateText(field+".en", n.EN, maxNameLen, true); err != nil {
		return err
	}
	return validateText(field+".ar", n.AR, maxNameLen, true)
}

// validateText checks one free-text value: valid UTF-8, no control characters and no bidi
// embeddings, overrides or isolates (safetext.IsBidiControl; the marks U+200E/U+200F stay), no surrounding
// whitespace, at most maxLen characters. Empty is allowed only when optional.
func validateText(field, s string, maxLen int, optional bool) error {
	if s == "" {
		if optional {
			return nil
		}
		return fieldErr(field, "is required")
	}
	if !utf8.ValidString(s) {
		return fieldErr(field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > maxLen {
		return fieldErr(field, "is %d characters; the limit is %d", n, maxLen)
	}
	if strings.TrimSpace(s) != s {
		return fieldErr(field, "has leading or trailing spaces")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fieldErr(field, "contains a control character")
		}
		if safetext.IsBidiControl(r) {
			// U+202E and its kin reverse what follows on the line wherever the value is shown
			// (the bank's page, a receipt, an export): "Noor 521.00" drawn as "Noor 00.125".
			return fieldErr(field, "contains a right-to-left override or another bidi control character")
		}
	}
	return nil
}
