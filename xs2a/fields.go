package xs2a

// Checks of the single values the built requests carry: ids, secrets, header values and texts.

import (
	"errors"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/safetext"
)

func textField(field, s string, max int, required bool) error {
	if s == "" {
		if required {
			return inputErr(field, "it is required")
		}
		return nil
	}
	if err := safetext.Check(s); err != nil {
		return inputErr(field, "it %v: remove it", err)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return inputErr(field, "it has %d characters, at most %d are allowed: shorten it", n, max)
	}
	return nil
}

func idField(field, s string) error {
	if s == "" || len(s) > 128 {
		return inputErr(field, "it must be 1 to 128 characters")
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\' {
			return inputErr(field, "it holds a space, quote or non-ASCII character: use the id the bank listed")
		}
	}
	return nil
}

func secretField(field string, s Secret) error {
	v := s.Reveal()
	if len(v) > 256 || safetext.Check(v) != nil {
		return inputErr(field, "it is longer than 256 characters or holds a control character: type it again")
	}
	return nil
}

// headerValue refuses what cannot be a header value we sign: control characters (CR, LF),
// non-ASCII, more than 1 KiB.
func headerValue(v string) error {
	if len(v) > 1024 {
		return errors.New("is longer than 1 KiB")
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] >= 0x7f {
			return errors.New("holds a control or non-ASCII character")
		}
	}
	return nil
}
