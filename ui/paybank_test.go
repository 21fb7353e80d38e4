package ui_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// TestPayFormAsksForThePayeesBank: a product that asks for the payee's bank (OP's foreign
// payment) adds the BIC, two address lines and the country to a new payee; the form asks for a
// missing BIC or country before anything is prepared, and the draft carries what was typed.
// A product that does not ask shows none of them.
func TestPayFormAsksForThePayeesBank(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	op := uifake.FakeBGBank
	op.ID, op.Name = "op", "OP Test Bank"
	op.Terms.Products = []ui.Product{{ID: "sepa-payments", Label: "SEPA transfer (OP)", Currency: "EUR", Account: ui.AccountIBAN},
		{ID: "foreign-payments", Label: "Foreign payment (OP)", Currency: "EUR", Account: ui.AccountIBAN, PayeeBank: true}}
	fw.AddBGConsent(op)
	fw.EditConsent(0, func(c *ui.Consent) { c.Model, c.Creditors = ui.BeneficiaryOpen, nil })
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Recent payments")
	app.Press("p")
	app.WaitFor("Pay from which consent?")
	app.Press("enter")
	app.WaitFor("SEPA transfer (OP)")
	app.Press("tab", "left") // product → payee: the new payee (the last choice)
	app.WaitFor("New payee…")
	if v := app.View(); strings.Contains(v, "Payee's BIC") || strings.Contains(v, "Country") {
		t.Fatalf("a SEPA transfer asks for the payee's bank:\n%s", v)
	}
	app.Press("shift+tab", "right") // back to the product: the foreign payment
	app.WaitFor("Payee's BIC")
	app.Press("tab", "tab") // payee → name
	app.Type("Acme Ltd")
	app.Press("tab")
	app.Type("GB29 NWBK 6016 1331 9268 19")
	app.Press("tab")
	app.Type("NWBKGB2L")
	app.Press("tab")
	app.Type("1 High Street")
	app.Press("tab", "tab") // the second address line stays empty
	app.Press("tab")        // country → amount
	app.Type("250.00")
	app.Press("tab")
	app.Type("Invoice 7")
	app.Press("enter")
	app.WaitFor("Type the payee's country")
	if d := fw.Drafts(); len(d) != 0 {
		t.Fatalf("prepared without a country: %+v", d)
	}
	app.Type("GB") // the focus went to the country
	app.WaitFor("Country       GB")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	v := app.View()
	for _, want := range []string{"Product        Foreign payment (OP)", "Payee's bank   NWBKGB2L", "Address        1 High Street, GB"} {
		if !strings.Contains(v, want) {
			t.Errorf("the review lacks %q:\n%s", want, v)
		}
	}
	d := fw.Drafts()
	if len(d) != 1 || d[0].Product != "foreign-payments" {
		t.Fatalf("drafts %+v", d)
	}
	p := d[0].NewPayee
	if p.Name != "Acme Ltd" || p.BIC != "NWBKGB2L" || !slices.Equal(p.Address, []string{"1 High Street"}) || p.Country != "GB" {
		t.Fatalf("the payee %+v", p)
	}
}
