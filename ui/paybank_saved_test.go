package ui_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// TestReviewShowsASavedForeignPayeesBank: a foreign payment to a saved payee (the wallet keeps
// its bank and address with it) shows on the review the payee's bank (BIC) and address, as it
// does for a payee typed on the form, and the form does not ask for them again.
func TestReviewShowsASavedForeignPayeesBank(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	op := uifake.FakeBGBank
	op.ID, op.Name = "op", "OP Test Bank"
	op.Terms.Products = []ui.Product{{ID: "sepa-payments", Label: "SEPA transfer (OP)", Currency: "EUR", Account: ui.AccountIBAN},
		{ID: "foreign-payments", Label: "Foreign payment (OP)", Currency: "EUR", Account: ui.AccountIBAN, PayeeBank: true}}
	fw.AddBGConsent(op)
	fw.EditConsent(0, func(c *ui.Consent) { c.Model, c.Creditors = ui.BeneficiaryOpen, nil })
	fw.AddSavedForeignPayee(ui.Payee{ID: "bg-payee-abroad", Name: "Acme Ltd", IBAN: "GB29NWBK60161331926819"},
		ui.PayeeBank{BIC: "NWBKGB2L", Address: []string{"1 High Street", "London"}, Country: "GB"})
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Recent payments")
	app.Press("p")
	app.WaitFor("Pay from which consent?")
	app.Press("enter")
	app.WaitFor("SEPA transfer (OP)")
	app.Press("right") // the foreign payment
	app.WaitFor("Foreign payment (OP)")
	app.PickPayee("Acme Ltd") // the payee row: the saved ones, then a new one
	if v := app.View(); strings.Contains(v, "Payee's BIC") {
		t.Fatalf("a saved payee is asked for its bank again:\n%s", v)
	}
	app.Press("tab")
	app.Type("250.00")
	app.Press("tab")
	app.Type("Invoice 7")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	v := app.View()
	for _, want := range []string{"Product        Foreign payment (OP)", "Payee's bank   NWBKGB2L", "Address        1 High Street, London, GB"} {
		if !strings.Contains(v, want) {
			t.Errorf("the review lacks %q:\n%s", want, v)
		}
	}
	d := fw.Drafts()
	if len(d) != 1 || d[0].PayeeID != "bg-payee-abroad" || d[0].NewPayee.BIC != "" {
		t.Fatalf("drafts %+v", d)
	}
	app.RequireGolden(v)
}
