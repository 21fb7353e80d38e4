package app

import (
	"context"
	"slices"
	"testing"

	"github.com/payterm/payterm/ui"
)

// TestOPForeignSavedPayeeCarriesItsBank: a foreign payee typed once is saved with its bank and
// address (OP's stored form); a payment to it as a saved payee carries them to the review
// (PreparedPayment.PayeeBank), as the typed one did; a SEPA transfer names no payee bank.
func TestOPForeignSavedPayeeCarriesItsBank(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	a := openApp(t, opConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	onboard(t, w, clock, twoPayees()[:1])
	link := opLink(t, w)
	typed := ui.PayeeDraft{Name: "Acme Ltd", IBAN: "GB29 NWBK 6016 1331 9268 19", BIC: "NWBKGB2L", Address: []string{"1 High Street", "London"}, Country: "GB"}
	want := ui.PayeeBank{BIC: "NWBKGB2L", Address: []string{"1 High Street", "London"}, Country: "GB"}
	same := func(got ui.PayeeBank) bool {
		return got.BIC == want.BIC && slices.Equal(got.Address, want.Address) && got.Country == want.Country
	}
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: link.ID, Product: "foreign-payments", Amount: "250.00", Reference: "Invoice 7", NewPayee: typed})
	if err != nil {
		t.Fatal(err)
	}
	if !same(pp.PayeeBank) {
		t.Fatalf("the typed payee's bank on the review: %+v", pp.PayeeBank)
	}
	payees, err := w.Payees(ctx, link.ID)
	if err != nil {
		t.Fatal(err)
	}
	id := ""
	for _, p := range payees {
		if p.Name == "Acme Ltd" {
			id = p.ID
		}
	}
	if id == "" {
		t.Fatalf("the typed payee was not saved: %+v", payees)
	}
	saved, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: link.ID, Product: "foreign-payments", Amount: "99.00", Reference: "Invoice 8", PayeeID: id})
	if err != nil {
		t.Fatal(err)
	}
	if !same(saved.PayeeBank) {
		t.Fatalf("the saved payee's bank on the review: %+v", saved.PayeeBank)
	}
	sepa, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: link.ID, Product: "sepa-payments", Amount: "5.00",
		NewPayee: ui.PayeeDraft{Name: "Kahvila Oy", IBAN: "FI21 1234 5600 0007 85"}})
	if err != nil {
		t.Fatal(err)
	}
	if sepa.PayeeBank.BIC != "" || len(sepa.PayeeBank.Address) > 0 || sepa.PayeeBank.Country != "" {
		t.Fatalf("a SEPA transfer names a payee bank: %+v", sepa.PayeeBank)
	}
}
