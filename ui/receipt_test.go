package ui_test

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"

	"github.com/payterm/payterm/ui/uitest"
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

// TestTOTPQRStaysPutOnError: beside the fields (100×30), the enrolment code keeps its column
// when the wrong-code error appears under the field.
func TestTOTPQRStaysPutOnError(t *testing.T) {
	app, _ := startFirstRun(t, uitest.WithSize(100, 30))
	toTOTP(t, app)
	before := qrColumn(t, app.View())
	app.Type("000000")
	app.Press("enter")
	app.WaitFor("That code is not the one")
	if after := qrColumn(t, app.View()); after != before {
		t.Fatalf("the QR code moved from column %d to %d when the error appeared:\n%s", before, after, app.View())
	}
	app.FinalView()
}

// qrColumn is the display column where the QR code's first row starts (the row of ▄ that tops
// its quiet zone).
func qrColumn(t *testing.T, v string) int {
	t.Helper()
	for _, l := range strings.Split(v, "\n") {
		if i := strings.Index(l, "▄▄▄▄▄▄▄▄"); i >= 0 {
			return lipgloss.Width(l[:i])
		}
	}
	t.Fatalf("no QR code on screen:\n%s", v)
	return 0
}
