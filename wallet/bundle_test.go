package wallet

import (
	"errors"
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

// TestBundleFitsTheLimitsTogether: a bundle is refused when its payments together pass the
// day's count or a window's amount, never for its total passing the per-payment limit (each
// payment is checked on its own).
func TestBundleFitsTheLimitsTogether(t *testing.T) {
	lim := Limits{PerPayment: amt(t, "50.00"), PerDay: amt(t, "100.00"), PerMonth: amt(t, "1000.00"), PerDayCount: 5}
	h := headroom(lim, Usage{Day: amt(t, "20.00"), DayCount: 2, Month: amt(t, "20.00")})
	if err := bundleFits(h, 3, amt(t, "80.00")); err != nil {
		t.Fatalf("three payments of 80.00 in all, each under 50.00, 80.00 left today and 3 payments: %v", err)
	}
	var le *LimitError
	if err := bundleFits(h, 4, amt(t, "40.00")); !errors.As(err, &le) || le.Limit != "per_day_count" {
		t.Fatalf("four payments with three left today: %v", err)
	}
	if err := bundleFits(h, 3, amt(t, "80.01")); !errors.As(err, &le) || le.Limit != "per_day" {
		t.Fatalf("80.01 with 80.00 left today: %v", err)
	}
	if err := bundleFits(headroom(Limits{}, Usage{}), 10, amt(t, "99999.00")); err != nil {
		t.Fatalf("no limits: %v", err)
	}
}
