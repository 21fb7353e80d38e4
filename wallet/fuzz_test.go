package wallet

import (
	"strings"
	"testing"
)

// FuzzBankStatus: a status string from the bank never panics, is kept only when it is a
// plain word, and can never name one of the wallet's local states.
func FuzzBankStatus(f *testing.F) {
	for _, s := range []string{"Pending", "AcceptedSettlementCompleted", "Rejected", "Prepared", "Abandoned", "", "Pend ing", "É", strings.Repeat("A", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := bankStatus(s)
		if err != nil {
			return
		}
		if string(st) != s || len(s) == 0 || len(s) > 64 {
			t.Fatalf("bankStatus(%q) = %q", s, st)
		}
		for _, r := range s {
			if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
				t.Fatalf("bankStatus(%q) kept a non-letter", s)
			}
		}
		switch st {
		case PaymentPrepared, PaymentSending, PaymentUnknown, PaymentRefused, PaymentAbandoned:
			t.Fatalf("the bank set a local state %q", s)
		}
	})
}

// FuzzLimitsFromStrings: limit settings from a config file never panic and, when accepted,
// are non-negative amounts within range.
func FuzzLimitsFromStrings(f *testing.F) {
	f.Add("5000.00", "10,000", "", 20, "")
	f.Add("-1", "abc", "1e9", -3, "99999999999999999")
	f.Fuzz(func(t *testing.T, a, b, c string, n int, d string) {
		l, err := LimitsFromStrings(a, b, c, n, d)
		if err != nil {
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
