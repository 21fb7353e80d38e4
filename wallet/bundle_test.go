package wallet

import (
	"testing"

	"github.com/payterm/payterm/sca"
)

// TestBundleDigestBindsEveryPayment: the digest the bundle's SCA signs changes with any field
// of any payment (key, amount, currency, payee account, payee name, message), with the order
// of the payments and with the bundle and consent ids; it fits the SCA's idempotency key.
func TestBundleDigestBindsEveryPayment(t *testing.T) {
	items := func() []*Prepared {
		return []*Prepared{
			{IdempotencyKey: "k1", Amount: amt(t, "12.50"), Currency: "EUR", Payee: Payee{IBAN: "FI2112345600000785", Name: "Kahvila Oy"}, Reference: "Invoice 42"},
			{IdempotencyKey: "k2", Amount: amt(t, "40.00"), Currency: "EUR", Payee: Payee{IBAN: "FI9112345600000786", Name: "Asunto Oy"}},
		}
	}
	base := BundleDigestOf("b1", "c1", items())
	if err := (sca.Intent{ConsentID: "c1", Amount: "52.50", Currency: "EUR", CreditorIBAN: "FI2112345600000785", CreditorName: "Bundle of 2 payments",
		IdempotencyKey: base}).Validate(); err != nil {
		t.Fatalf("the digest is not a usable SCA key: %v", err)
	}
	if BundleDigestOf("b1", "c1", items()) != base {
		t.Fatal("the digest is not deterministic")
	}
	changes := map[string]func(ps []*Prepared){
		"key":       func(ps []*Prepared) { ps[1].IdempotencyKey = "k3" },
		"amount":    func(ps []*Prepared) { ps[1].Amount = amt(t, "40.01") },
		"currency":  func(ps []*Prepared) { ps[0].Currency = "SEK" },
		"iban":      func(ps []*Prepared) { ps[1].Payee.IBAN = "FI6912345600000794" },
		"name":      func(ps []*Prepared) { ps[0].Payee.Name = "Kahvila Oy " },
		"message":   func(ps []*Prepared) { ps[1].Reference = "x" },
		"order":     func(ps []*Prepared) { ps[0], ps[1] = ps[1], ps[0] },
		"boundary":  func(ps []*Prepared) { ps[0].Payee.Name, ps[0].Reference = "Kahvila OyInvoice", " 42" },
		"one fewer": nil,
	}
	for what, change := range changes {
		ps := items()
		if change == nil {
			ps = ps[:1]
		} else {
			change(ps)
		}
		if BundleDigestOf("b1", "c1", ps) == base {
			t.Errorf("changing the %s keeps the digest", what)
		}
	}
	if BundleDigestOf("b2", "c1", items()) == base || BundleDigestOf("b1", "c2", items()) == base {
		t.Error("the digest does not bind the bundle or the consent")
	}
}
