package op

import (
	"net/http/httptest"
	"slices"
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

// FuzzForeignBody: whatever a client sends as a ForeignPaymentRequest, the bank never panics,
// and a body it takes holds every foreign rule (amount, currency, account, bank, country).
func FuzzForeignBody(f *testing.F) {
	for _, s := range []string{foreignBody, `{}`, `{"amount":"1","currency":"USD","message":"m","payee":{"name":"n","bankAccount":{"id":"1"},"financialInstitution":{},"foreignAddress":{}}}`,
		strings.Replace(foreignBody, `"CHASUS33"`, `"CHASUS3"`, 1), strings.Replace(foreignBody, `"US"}`, `"DE"}`, 1), "\xff"} {
		f.Add([]byte(s))
	}
	k := newKey(f)
	b, err := New(Config{ClientID: clientID, ClientSecret: secret, APIKey: apiKey, ClientJWKS: (&ojws.Signer{Key: k, KID: "k"}).JWKS(),
		ClientCert: selfSigned(f, k, "tpp", false).Leaf, RedirectURIs: []string{redirect}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e := &exchange{b: b, w: httptest.NewRecorder(), r: httptest.NewRequest("POST", "/payments-psd2/v1/foreign-payments", nil)}
		p, ok := e.foreignBody(raw, &token{Kind: "client"})
		if !ok {
			if e.v.Failed() == nil {
				t.Fatal("refused without a failed rule")
			}
			return
		}
		fd := p.Foreign
		if !positiveAmount(fd.Amount) || !slices.Contains(foreignCurrencies, fd.Currency) || !isoCountries[fd.Country] ||
			(fd.SchemeName == "IBAN" && !validIBAN(p.PayeeIBAN)) || (fd.BIC != "" && !validBIC(fd.BIC)) ||
			(fd.BIC == "" && fd.ClearingSystemID == "" && !strings.Contains(string(raw), "foreignBankAddress")) || !line(p.PayeeName, 70) || !line(p.Message, 140) {
			t.Fatalf("accepted %s as %+v %+v", raw, p, fd)
		}
	})
}
