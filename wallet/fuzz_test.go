package wallet

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
)

// FuzzBankState: a state a provider reports never panics, is kept only when its status is a
// normalised bank status and the bank's word a plain token, and can never name one of the
// wallet's local states. A refusal's sentence is displayable (no control character, no bidi
// control), whatever the provider reported.
func FuzzBankState(f *testing.F) {
	for _, s := range []string{"Processing", "Settled", "Rejected", "Prepared", "Abandoned", "", "Pend ing", "É"} {
		f.Add(s, "AcceptedSettlementCompleted")
		f.Add(s, strings.Repeat("A", 70))
		f.Add(s, "ACSC")
	}
	f.Add("Sett\u202eled", "AC\x1b]52;c;QUUw\x07")
	f.Add("\u009b2J", "\u202e")
	f.Fuzz(func(t *testing.T, status, word string) {
		st, err := bankState(provider.State{Status: provider.Status(status), BankStatus: word})
		if err != nil {
			if !safetext.Clean(err.Error()) {
				t.Fatalf("refusal %q is not displayable", err)
			}
			return
		}
		if string(st) != status || len(word) == 0 || len(word) > 64 {
			t.Fatalf("bankState(%q, %q) = %q", status, word, st)
		}
		for _, r := range word {
			if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
				t.Fatalf("bankState kept the bank's word %q", word)
			}
		}
		switch st {
		case PaymentPrepared, PaymentSending, PaymentUnknown, PaymentRefused, PaymentAbandoned:
			t.Fatalf("the bank set a local state %q", status)
		}
	})
}

// FuzzLimitsFromStrings: limit settings from a config file never panic and, when accepted,
// are non-negative amounts within range; a refusal's sentence is displayable (a config file
// someone hands over may carry escape sequences).
func FuzzLimitsFromStrings(f *testing.F) {
	f.Add("5000.00", "10,000", "", 20, "")
	f.Add("-1", "abc", "1e9", -3, "99999999999999999")
	f.Add("5\x1b]2;T\x07", "1\u202e00", "\u009b9", 1, "\xff")
	f.Fuzz(func(t *testing.T, a, b, c string, n int, d string) {
		l, err := LimitsFromStrings(a, b, c, n, d)
		if err != nil {
			if !safetext.Clean(err.Error()) {
				t.Fatalf("refusal %q is not displayable", err)
			}
			return
		}
		if l.PerDayCount < 0 {
			t.Fatalf("negative count accepted")
		}
		for _, v := range []string{l.PerPayment.String(), l.PerDay.String(), l.PerMonth.String(), l.ConsentTotal.String()} {
			if strings.HasPrefix(v, "-") {
				t.Fatalf("negative limit %s", v)
			}
		}
	})
}
