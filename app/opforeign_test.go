package app

import (
	"context"
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
)

// TestOPForeignPayment: the OP link offers a foreign payment beside the SEPA transfer; one to a
// payee abroad (the payee's bank BIC, address and country typed with the payee) runs the wallet's
// check, OP's page and the submission against the embedded OP bank, which takes it under
// /foreign-payments.
func TestOPForeignPayment(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	a := openApp(t, opConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	cs, err := w.Consents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var link ui.Consent
	for _, c := range cs {
		if c.BankID == "op" && c.Status == ui.ConsentAuthorized {
			link = c
		}
	}
	if link.ID == "" {
		t.Fatal("no OP link")
	}
	payee := ui.PayeeDraft{Name: "Acme Ltd", IBAN: "GB29 NWBK 6016 1331 9268 19", BIC: "NWBKGB2L", Address: []string{"1 High Street", "London"}, Country: "GB"}
	// Without the payee's bank, a foreign payment is refused before anything leaves; a SEPA
	// transfer names no bank.
	noBIC := payee
	noBIC.BIC = ""
	if _, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: link.ID, Product: "foreign-payments", Amount: "250.00", Reference: "Invoice 7", NewPayee: noBIC}); err == nil ||
		!strings.Contains(err.Error(), "BIC") {
		t.Fatalf("no BIC: %v", err)
	}
	if _, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: link.ID, Product: "sepa-payments", Amount: "250.00", Reference: "Invoice 7", NewPayee: payee}); err == nil {
		t.Fatal("a SEPA transfer naming a payee bank was prepared")
	}
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: link.ID, Product: "foreign-payments", Amount: "250.00", Reference: "Invoice 7", NewPayee: payee})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := w.SubmitPayment(ctx, pp.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, js.totpSecret))})
	if err != nil {
		t.Fatal(err)
	}
	bank := a.banks[1].op.bank
	browsed := false
	last := drain(t, ch, func(ev ui.PaymentEvent) {
		if ev.Action == nil || browsed {
			return
		}
		browsed = true
		back := opBrowse(t, ev.Action.URL, "approve")
		if err := w.ContinuePayment(ctx, pp.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(back)}); err != nil {
			t.Errorf("ContinuePayment: %v", err)
		}
	})
	if !browsed || !last.Final || last.Receipt == nil {
		t.Fatalf("final event %+v", last)
	}
	if r := last.Receipt; r.BankStatus != "Submitted" || !ui.PaymentPaid(r.Status) || r.Currency != "EUR" || r.Amount.Wire() != "250.00" {
		t.Fatalf("receipt %+v", r)
	}
	if bank.Payments() != 1 || bank.ForeignPayments() != 1 {
		t.Fatalf("the bank holds %d payments, %d foreign", bank.Payments(), bank.ForeignPayments())
	}
	sawForeign := false
	for _, v := range bank.Verdicts() {
		if f := v.Failed(); f != nil {
			t.Fatalf("the bank refused a %s request: rule %d %s", v.Endpoint, f.Rule, f.Name)
		}
		sawForeign = sawForeign || v.Endpoint == "POST /foreign-payments"
	}
	if !sawForeign {
		t.Fatal("the payment did not go to /foreign-payments")
	}
}

// The payer's own OP accounts are the link's account and own_accounts, each once, in IBAN's
// electronic form (the client compares and the embedded bank holds them that way).
func TestOPOwnAccounts(t *testing.T) {
	cfg := opConfig(t)
	b := cfg.AllBanks()[1]
	b.OwnAccounts = []string{"FI21 1234 5600 0007 85", "FI4950009420028730", "FI8679600000000012"}
	got := opOwnAccounts(b)
	want := []string{"FI4950009420028730", "FI2112345600000785", "FI8679600000000012"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%v, want %v", got, want)
	}
}
