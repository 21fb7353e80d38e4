package ui_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// secondConsent is an active consent at secondBank, newer than the fake's sandbox consent, so it
// is Home's active consent: the card shows it and it is the first row of Home's pay chooser.
func secondConsent(bank ui.BankOption) ui.Consent {
	return ui.Consent{ID: "c0ffee00-0000-4000-8000-000000000003", Bank: bank.Name, BankID: bank.ID,
		Status: ui.ConsentAuthorized, Created: uifake.FakeBase.AddDate(0, 0, -3), Expires: uifake.FakeBase.AddDate(1, 0, -3),
		Model: ui.BeneficiaryOne, Creditors: []ui.Payee{{ID: "payee-1", Name: "Test Payee One", IBAN: "AE070331234567890123456", Type: ui.PayeeRetail}},
		PurposeCode: "MWP"}
}

// startTwoBanks is the fake wallet with a second active consent at bank, at w×h.
func startTwoBanks(t *testing.T, bank ui.BankOption, w, h int) (*uitest.App, *uifake.FakeWallet) {
	t.Helper()
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.BankOptions = []ui.BankOption{uifake.FakeSandboxBank, bank}
	fw.AddConsent(secondConsent(bank))
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithSize(w, h))
	app.WaitFor("Limit headroom")
	return app, fw
}

// TestConsentsTwoBanks: the Current tab lists both active consents, each with its bank.
func TestConsentsTwoBanks(t *testing.T) {
	app, _ := startTwoBanks(t, secondBank, 80, 24)
	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.WaitFor("Sandbox Bank")
	v := golden(t, app)
	for _, want := range []string{"> Second Example Bank  Active", "  Sandbox Bank         Active"} {
		if !strings.Contains(v, want) {
			t.Errorf("lacks %q:\n%s", want, v)
		}
	}
}

// TestHomeTwoBanks: Home's card names the bank of the consent it pays with.
func TestHomeTwoBanks(t *testing.T) {
	app, _ := startTwoBanks(t, secondBank, 80, 24)
	app.WaitFor("Second Example Bank  Active  Flexi Pay")
	golden(t, app)
}

// TestPayWithConsentAtOtherBank: Home's p asks which consent pays, the active one first (enter
// alone pays with it); any consent can also be chosen on Consents (select it, enter, p). The pay
// form and the receipt name the bank that pays.
func TestPayWithConsentAtOtherBank(t *testing.T) {
	app, fw := startTwoBanks(t, secondBank, 80, 24)
	app.Press("p")
	app.WaitFor("Pay from which consent?")
	app.Press("enter")
	app.WaitFor("Paying from Second Example Bank (Flexi Pay).")
	app.Press("esc")
	app.WaitFor("> 1. Second Example Bank") // back on the chooser
	app.Press("esc")
	app.WaitFor("Limit headroom")
	app.Press("c")
	app.WaitFor("> Second Example Bank")
	app.Press("down")
	app.WaitFor("> Sandbox Bank")
	app.Press("enter")
	app.WaitFor("Sandbox Bank · Active · Flexi Pay")
	app.WaitFor("p pay with this consent")
	app.Press("p")
	app.WaitFor("Paying from Sandbox Bank (Flexi Pay).")
	app.WaitFor("Purpose")
	golden(t, app)
	if calls := fw.Calls(); !slices.Contains(calls, "Payees") {
		t.Errorf("the pay form did not load the consent's payees: %v", calls)
	}
}

// TestPayWithConsentAtOtherBankPays: the payment prepared from that form names the consent chosen
// on Consents, not Home's active one, and its receipt names that consent's bank.
func TestPayWithConsentAtOtherBankPays(t *testing.T) {
	app, fw := startTwoBanks(t, secondBank, 100, 40)
	app.Press("c")
	app.WaitFor("> Second Example Bank")
	app.Press("down", "enter")
	app.WaitFor("Sandbox Bank · Active · Flexi Pay")
	app.Press("p")
	app.WaitFor("Paying from Sandbox Bank (Flexi Pay).")
	app.WaitFor("Purpose")
	app.Press("tab")
	app.Type("12.5")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	authoriseAndSettle(app)
	app.WaitFor("From            Sandbox Bank\n")
	sandbox := fw.Consent(1) // after the added one: the fake's own consent at the sandbox bank
	if d := fw.Drafts(); len(d) != 1 || d[0].ConsentID != sandbox.ID || sandbox.BankID != "sandbox" {
		t.Errorf("drafts %+v, want one with consent %s", d, sandbox.ID)
	}
}

// TestReceiptNamesTheBank: the receipt says which bank paid.
func TestReceiptNamesTheBank(t *testing.T) {
	app, _ := startTwoBanks(t, secondBank, 100, 40)
	app.Press("p")
	app.WaitFor("Pay from which consent?")
	app.Press("enter")
	app.WaitFor("Purpose")
	app.Press("tab")
	app.Type("12.5")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	authoriseAndSettle(app)
	app.WaitFor("From            Second Example Bank\n")
}

// TestLongBankNameNeverOverflows: a bank name longer than any row is cut with an ellipsis on the
// home card, the pay chooser, the consent list and detail, the pay form and the receipt, at
// every size.
func TestLongBankNameNeverOverflows(t *testing.T) {
	for _, size := range [][2]int{{60, 18}, {80, 24}, {100, 40}} {
		app, _ := startTwoBanks(t, longBank, size[0], size[1])
		check := func(where string) {
			t.Helper()
			v := app.View()
			app.RequireFits(v)
			// Whole where the line has room for it (100 columns), else cut with an ellipsis.
			if !strings.Contains(v, "Example Is") || (!strings.Contains(v, longBank.Name) && !strings.Contains(v, "…")) {
				t.Errorf("%d×%d %s: the long name is neither whole nor cut with an ellipsis:\n%s", size[0], size[1], where, v)
			}
			// One line: the next words of the name never start a line of their own.
			for _, l := range strings.Split(v, "\n") {
				if l := strings.TrimSpace(l); strings.HasPrefix(l, "Banking Test Branch") || strings.HasPrefix(l, "Retail Banking") || strings.HasPrefix(l, "Northern Emirates") {
					t.Errorf("%d×%d %s: the name wrapped:\n%s", size[0], size[1], where, v)
				}
			}
		}
		app.WaitFor("Example Islamic Bank")
		check("home")
		app.Press("p")
		app.WaitFor("Pay from which consent?")
		app.WaitFor("> 1. Example Is")
		check("chooser")
		app.Press("enter")
		app.WaitFor("Paying from Example Islamic Bank")
		check("pay form")
		app.Press("tab")
		app.Type("12.5")
		app.Press("enter")
		app.WaitFor("You are about to pay")
		app.Press("enter")
		app.Type("123456")
		app.Press("tab")
		app.Type("654321")
		app.Press("enter")
		app.WaitFor("Payment Settled")
		check("receipt")
		app.Press("enter")
		app.WaitFor("Limit headroom")
		app.Press("c")
		app.WaitFor("> Example Is")
		check("consent list")
		app.Press("enter")
		app.WaitFor("Payment Rules")
		check("consent detail")
		_ = app.FinalView()
	}
}

// TestConsentsSharedPrefixAt60x18: two long names that differ only at the end stay apart on
// the narrowest list (cut in the middle), and each row stays one line.
func TestConsentsSharedPrefixAt60x18(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.EditConsent(0, func(c *ui.Consent) {
		c.Bank, c.BankID = "Example Islamic Bank of the Southern Emirates", "south"
	})
	fw.AddConsent(secondConsent(ui.BankOption{ID: "north", Name: "Example Islamic Bank of the Northern Emirates"}))
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithSize(60, 18))
	app.WaitFor("Limit headroom")
	app.Press("c")
	app.WaitFor("> …Northern")
	app.WaitFor("  …Southern")
	v := app.View()
	app.RequireFits(v)
	var rows []string
	for _, l := range strings.Split(v, "\n") {
		if bank, _, ok := strings.Cut(l, "  Active"); ok {
			rows = append(rows, bank[2:])
		}
	}
	if len(rows) != 2 || rows[0] == rows[1] {
		t.Errorf("the two banks look alike: %q\n%s", rows, v)
	}
}

// TestConsentsSameBankName: two banks with one display name are told apart by their ids.
func TestConsentsSameBankName(t *testing.T) {
	north := ui.BankOption{ID: "north", Name: "Example Bank"}
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.EditConsent(0, func(c *ui.Consent) { c.Bank, c.BankID = "Example Bank", "south" })
	fw.AddConsent(secondConsent(north))
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Limit headroom")
	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.WaitFor("> Example Bank (north)")
	app.WaitFor("  Example Bank (south)")
	app.Press("l") // the revoked sandbox consent: its name is unique, so no id
	app.WaitFor("> Sandbox Bank  ")
	if v := app.View(); strings.Contains(v, "(sandbox)") {
		t.Errorf("a unique name got its id:\n%s", v)
	}
}

// authoriseAndSettle confirms the review and authenticates with the fake's PIN and code, then
// waits for the receipt of a settled payment.
func authoriseAndSettle(app *uitest.App) {
	app.Press("enter")
	app.Type("123456")
	app.Press("tab")
	app.Type("654321")
	app.Press("enter")
	app.WaitFor("Payment Settled")
}

// TestInspectorNamesTheBank: with several banks the inspector says which bank each message went
// to (control characters dropped from the name); with one it does not (TestInspectorRedacts).
func TestInspectorNamesTheBank(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.BankOptions = []ui.BankOption{{ID: "sandbox", Name: "Sandbox\x1b[31m Bank", Sandbox: true}, secondBank}
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithSize(100, 40))
	app.WaitFor("Limit headroom")
	app.Press("ctrl+t")
	app.WaitFor("← now")
	app.WaitFor("At Sandbox\uFFFD[31m Bank")
	app.Press("k", "k", "k", "k") // up to PAR
	app.WaitFor("POST /par")
	if v := app.View(); !strings.Contains(v, "At Sandbox\uFFFD[31m Bank") || strings.Contains(v, "\x1b") {
		t.Fatalf("the PAR message does not name its bank as plain text:\n%s", v)
	}
}
