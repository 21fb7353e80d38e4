package config

import (
	"strings"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/iban"
	"github.com/payterm/payterm/internal/safetext"
)

// AccountHolder is one [[sandbox.account_holders]] entry: a UAE IBAN, its holder's name as the
// bank holds it, whether the holder is a business, and whether they opted out of name checks.
type AccountHolder struct {
	IBAN     string `toml:"iban"`
	Name     string `toml:"name"`
	Business bool   `toml:"business"`
	OptedOut bool   `toml:"opted_out"`
}

// validate checks one entry; key names it in the refusals.
func (h AccountHolder) validate(key string, bad func(k, why string)) {
	if ib, err := iban.Parse(h.IBAN); err != nil || !strings.HasPrefix(string(ib), "AE") {
		bad(key+".iban", "must be a valid UAE IBAN (AE…, the check digits right)")
	}
	if n := strings.TrimSpace(h.Name); n == "" || n != h.Name || utf8.RuneCountInString(n) > 140 || safetext.Check(n) != nil {
		bad(key+".name", "must be 1–140 characters, without spaces around it or control characters")
	}
}
