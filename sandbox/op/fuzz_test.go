package op

import (
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/sandbox/op/ojws"
)

// The bank's readers take whatever a client sends: never a panic, and what they accept holds
// the rule they stand for.

func FuzzEuroCents(f *testing.F) {
	for _, s := range []string{"4.00", "4", "0.01", "0.00", "04.00", "4.0", "1e3", "-1.00", "99999999999.99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !euroCents(s) {
			return
		}
		i, frac, dot := strings.Cut(s, ".")
		if (dot && len(frac) != 2) || strings.Trim(i+frac, "0123456789") != "" || cents(s+map[bool]string{true: "", false: ".00"}[dot]) <= 0 {
			t.Fatalf("accepted %q", s)
		}
	})
}

func FuzzISODuration(f *testing.F) {
	for _, s := range []string{"PT1H", "P1DT2H3M4S", "P31D", "PT", "P", "PT0S", "P1H", "PT1D"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := isoDuration(s)
		if ok && (d <= 0 || d > 30*24*time.Hour) {
			t.Fatalf("%q read as %s", s, d)
		}
	})
}

func FuzzScenario(f *testing.F) {
	for _, s := range []string{"", "PaymentFail=LimitExceeded", "FutureSimulation=PT5M", "InsufficientFunds=1", "Nope"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, then, _, _, ok := scenario(s, time.Unix(0, 0))
		if ok && st == "" || (then != "" && st != "Accepted") {
			t.Fatalf("%q: %q then %q", s, st, then)
		}
	})
}

func FuzzVerifyDetached(f *testing.F) {
	k := newKey(f)
	s := &ojws.Signer{Key: k, KID: "k1"}
	keys, _ := ojws.ParseJWKS(s.JWKS())
	good, _ := s.Detached([]byte(payBody))
	f.Add(good, []byte(payBody))
	f.Add("eyJhbGciOiJub25lIn0..", []byte("x"))
	f.Add("a.b.c", []byte("x"))
	f.Fuzz(func(t *testing.T, sig string, body []byte) {
		// Only the key can sign: whatever the fuzzer makes of the signature, nothing but the
		// signed body ever verifies.
		if _, err := ojws.VerifyDetached(sig, body, keys); err == nil && string(body) != payBody {
			t.Fatalf("accepted %q over another body", sig)
		}
	})
}
