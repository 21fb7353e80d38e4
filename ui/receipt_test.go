package ui_test

import (
	"strings"
	"testing"
)

// TestReceiptShowsReference: the receipt carries the reference the payee sees.
func TestReceiptShowsReference(t *testing.T) {
	app, fw, _ := start(t, 3)
	app.WaitFor("Recent payments")
	fillPayForm(app, "12")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.Type(fw.PIN)
	app.Press("tab")
	app.Type(fw.Code)
	app.Press("enter")
	app.WaitFor("Payment Settled")
	app.WaitFor("Reference       فاتورة ٧")
	app.FinalView()
}

// TestRevokedConsentHasEnded: a cancelled consent does not count down to an expiry it will
// never reach; its payments stay listed with what it paid, as in the core.
func TestRevokedConsentHasEnded(t *testing.T) {
	app, _, _ := start(t, 5)
	toConsentDetail(t, app)
	app.Press("X")
	app.WaitFor("Cancel permission?")
	app.Press("y")
	app.WaitFor("Sandbox Bank · Cancelled")
	app.WaitFor("Ended           cancelled (it was to run until 2030-11-15)")
	v := app.View()
	if strings.Contains(v, "Expires") || strings.Contains(v, "(in ") {
		t.Fatalf("a cancelled consent still counts down to its expiry:\n%s", v)
	}
	if !strings.Contains(v, "Paid to date    215.05 AED in 3 payments") || strings.Contains(v, "No payments with this consent") {
		t.Fatalf("a cancelled consent lost its payments:\n%s", v)
	}
	app.Press("esc", "right")
	app.WaitFor("[History]")
	app.WaitFor("Cancelled  Flexi Pay ended")
	app.FinalView()
}

// TestHistoryShowsTotals: the history says what the listed payments add up to and what of it
// was paid, for the filter in force.
func TestHistoryShowsTotals(t *testing.T) {
	app, _, _ := start(t, 5)
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("1 of 5 · sum 420.10 AED (215.05 AED paid)")
	app.Press("s") // successful
	app.WaitFor("status successful")
	app.WaitFor("1 of 3 · sum 215.05 AED (all paid)")
	app.Press("s", "s") // failed
	app.WaitFor("status failed")
	app.WaitFor("1 of 1 · sum 121.03 AED (none paid)")
	app.FinalView()
}

// TestPayeesStepSaysTwoToTen: the list model reads "two to ten payees" (it refuses fewer than
// two), and enter with none says what to do: add payees, or choose one payee or open.
func TestPayeesStepSaysTwoToTen(t *testing.T) {
	app, fw := startFirstRun(t)
	toPayees(t, app, fw)
	app.WaitFor("Payees       two to ten payees")
	if v := app.View(); strings.Contains(v, "up to ten") {
		t.Fatalf("the list model still reads 'up to ten':\n%s", v)
	}
	app.Press("enter")
	app.WaitFor("Add your payees: a name and an IBAN, then enter, for each of two to ten.")
	app.WaitFor(`For a single payee choose "one payee" (←); to pick the payee when you pay, "open".`)
	app.Press("tab")
	app.Type("Test Payee One")
	app.Press("tab")
	app.Type("AE070331234567890123456")
	app.Press("enter")
	app.WaitFor("1. Test Payee One")
	app.Press("enter")
	app.WaitFor(`Add one more payee: a list names two to ten. For this payee alone choose "one payee" (←).`)
	app.FinalView()
}
