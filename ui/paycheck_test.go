package ui_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// The pay form checks a new payee with the bank (Confirmation of Payee) before the review: one
// journey per answer.

const copIBAN = "AE460090000000123456789"

func startCoP(t *testing.T, checks map[string]ui.PayeeCheck) (*uitest.App, *uifake.FakeWallet) {
	t.Helper()
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.EditConsent(0, func(c *ui.Consent) { c.Model, c.Creditors = ui.BeneficiaryOpen, nil })
	fw.PayeeChecks = checks
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Recent payments")
	return app, fw
}

// payNew fills the form with a new payee and submits it.
func payNew(app *uitest.App, name string) {
	app.Press("p")
	app.WaitFor("Purpose")
	app.Press("left") // past the consent's payees: a new payee
	app.WaitFor("Payee name")
	app.Press("tab")
	app.Type(name)
	app.Press("tab")
	app.Type(copIBAN)
	app.Press("tab", "tab")
	app.Type("12.50")
	app.Press("tab", "tab")
	app.Type("mwp")
	app.Press("enter")
}

func lastDraftName(t *testing.T, fw *uifake.FakeWallet) string {
	t.Helper()
	d := fw.Drafts()
	if len(d) == 0 {
		t.Fatal("no payment was prepared")
	}
	return d[len(d)-1].NewPayee.Name
}

func TestPayeeCheckMatchGoesStraightOn(t *testing.T) {
	app, fw := startCoP(t, map[string]ui.PayeeCheck{"Fatima Al Mansoori": {Answer: ui.PayeeCheckMatch, Accepted: true}})
	payNew(app, "Fatima Al Mansoori")
	app.WaitFor("You are about to pay")
	if !slices.Contains(fw.Calls(), "CheckPayee") || lastDraftName(t, fw) != "Fatima Al Mansoori" {
		t.Errorf("calls %v", fw.Calls())
	}
}

func TestPayeeCheckCloseMatchOffersTheBanksName(t *testing.T) {
	app, fw := startCoP(t, map[string]ui.PayeeCheck{
		"Fatima Al Mansouri": {Answer: ui.PayeeCheckClose, BankName: "Fatima Al Mansoori"},
		"Fatima Al Mansoori": {Answer: ui.PayeeCheckMatch, Accepted: true},
	})
	payNew(app, "Fatima Al Mansouri")
	app.WaitFor("Close match")
	v := app.View()
	app.RequireGolden(v)
	assertNoSecrets(t, v)
	for _, want := range []string{"The bank's name for it: “Fatima Al Mansoori”", "use the bank's name", "keep “Fatima Al Mansouri”"} {
		if !strings.Contains(v, want) {
			t.Errorf("lacks %q:\n%s", want, v)
		}
	}
	if len(fw.Drafts()) != 0 {
		t.Fatal("prepared before the payer chose")
	}
	app.Press("u")
	app.WaitFor("You are about to pay")
	if got := lastDraftName(t, fw); got != "Fatima Al Mansoori" {
		t.Errorf("paid %q, want the bank's name", got)
	}
}

func TestPayeeCheckCloseMatchKeepTypedName(t *testing.T) {
	app, fw := startCoP(t, map[string]ui.PayeeCheck{"Fatima Al Mansouri": {Answer: ui.PayeeCheckClose, BankName: "Fatima Al Mansoori"}})
	payNew(app, "Fatima Al Mansouri")
	app.WaitFor("Close match")
	app.Press("k")
	app.WaitFor("You are about to pay")
	if got := fw.AcceptedPayees(); len(got) != 1 || got[0] != "Fatima Al Mansouri" || lastDraftName(t, fw) != "Fatima Al Mansouri" {
		t.Errorf("accepted %v", got)
	}
}

func TestPayeeCheckNoMatchNeedsExplicitConfirmation(t *testing.T) {
	app, fw := startCoP(t, map[string]ui.PayeeCheck{"John Smith": {Answer: ui.PayeeCheckNoMatch}})
	payNew(app, "John Smith")
	app.WaitFor("The name does not match")
	v := app.View()
	app.RequireGolden(v)
	assertNoSecrets(t, v)
	if !strings.Contains(v, "may be lost") {
		t.Errorf("the warning does not say the money may be lost:\n%s", v)
	}
	// enter alone (or any other key) never accepts it.
	app.Press("enter", "enter", "k", "c")
	app.WaitFor("The name does not match")
	if len(fw.Drafts()) != 0 || len(fw.AcceptedPayees()) != 0 {
		t.Fatalf("a no match was accepted without y: drafts %d, accepted %v", len(fw.Drafts()), fw.AcceptedPayees())
	}
	app.Press("y")
	app.WaitFor("You are about to pay")
	if got := fw.AcceptedPayees(); len(got) != 1 || got[0] != "John Smith (no match confirmed)" {
		t.Errorf("accepted %v", got)
	}
}

func TestPayeeCheckAccountNotFound(t *testing.T) {
	app, fw := startCoP(t, map[string]ui.PayeeCheck{"Nobody": {Answer: ui.PayeeCheckNotFound}})
	payNew(app, "Nobody")
	app.WaitFor("Account not found")
	app.Press("enter", "y", "c", "k")
	app.WaitFor("Check the IBAN with the payee")
	if len(fw.Drafts()) != 0 || len(fw.AcceptedPayees()) != 0 {
		t.Fatal("an unknown account went on")
	}
	app.Press("esc")
	app.WaitFor("Payee name")
}

func TestPayeeCheckOptedOutAndUnavailable(t *testing.T) {
	app, fw := startCoP(t, map[string]ui.PayeeCheck{"Omar Haddad": {Answer: ui.PayeeCheckOptedOut}})
	payNew(app, "Omar Haddad")
	app.WaitFor("opted out of name checks")
	app.Press("c")
	app.WaitFor("You are about to pay")
	if got := fw.AcceptedPayees(); len(got) != 1 {
		t.Errorf("accepted %v", got)
	}

	app2, fw2 := startCoP(t, map[string]ui.PayeeCheck{"Down": {Answer: ui.PayeeCheckUnavailable}})
	payNew(app2, "Down")
	app2.WaitFor("Payee check unavailable")
	app2.Press("enter")
	if n := fw2.CallCount("CheckPayee"); n != 1 {
		t.Fatalf("enter checked again (%d checks)", n)
	}
	app2.Press("r")
	checks := func() int { return fw2.CallCount("CheckPayee") }
	for deadline := time.Now().Add(10 * time.Second); checks() < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	app2.WaitFor("Payee check unavailable")
	if n := checks(); n < 2 || len(fw2.Drafts()) != 0 {
		t.Errorf("r did not check again (%d checks) or the payment went on", n)
	}
}

// A bank's name with an escape sequence and a bidi override is shown cleaned.
func TestPayeeCheckCleansTheBanksName(t *testing.T) {
	app, _ := startCoP(t, map[string]ui.PayeeCheck{"Fatima": {Answer: ui.PayeeCheckClose, BankName: "Fat\x1b[2Jima \u202eAl"}})
	payNew(app, "Fatima")
	app.WaitFor("Close match")
	v := app.View()
	if strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\u202e") {
		t.Errorf("the bank's name reached the screen uncleaned:\n%q", v)
	}
}
