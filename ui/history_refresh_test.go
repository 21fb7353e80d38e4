package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// selectedLine is the history row marked "> " in the frame.
func selectedLine(v string) string {
	for _, l := range strings.Split(v, "\n") {
		if strings.HasPrefix(l, "> ") {
			return l
		}
	}
	return ""
}

func newRow(id string) ui.PaymentRow {
	return ui.PaymentRow{ID: id, PaymentID: "PAY-NEW", At: uifake.FakeBase.Add(-time.Minute), PayeeName: "Example Trading LLC",
		Status: ui.PaymentPending, Reference: "new"}
}

// TestHistoryRefreshKeepsSelection: r reloads while History is open; a payment made meanwhile
// appears at the top, the selected one shows its new status, and the selection stays on it.
func TestHistoryRefreshKeepsSelection(t *testing.T) {
	app, fw, _ := start(t, 30)
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("1 of 30")
	app.Press("j", "j")
	app.WaitFor("3 of 30")
	if l := selectedLine(app.View()); !strings.Contains(l, "2030-01-15 06:30") || !strings.Contains(l, "Pending") {
		t.Fatalf("selected row before the refresh: %q", l)
	}
	fw.AddPayment(newRow("p0000031"))
	fw.SetPaymentStatus("p0000028", ui.PaymentAcceptedCreditSettlementCompleted)
	app.Press("r")
	app.WaitFor("4 of 31")
	v := app.View()
	if l := selectedLine(v); !strings.Contains(l, "2030-01-15 06:30") || !strings.Contains(l, "Settled") {
		t.Errorf("the selection left the payment, or its status is old: %q\n%s", l, v)
	}
	if !strings.Contains(v, "2030-01-15 09:29") {
		t.Errorf("the new payment is not listed:\n%s", v)
	}
	app.Press("?")
	app.WaitFor("refresh")
}

// TestHistoryRefreshSelectionGone: under a status filter the selected payment may stop
// matching; the selection moves to the row that took its place.
func TestHistoryRefreshSelectionGone(t *testing.T) {
	app, fw, _ := start(t, 30)
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("1 of 30")
	app.Press("s", "s") // all → successful → pending
	app.WaitFor("status pending")
	app.WaitFor("1 of 6")
	if l := selectedLine(app.View()); !strings.Contains(l, "2030-01-15 06:30") {
		t.Fatalf("selection before the refresh: %q", l)
	}
	fw.SetPaymentStatus("p0000028", ui.PaymentAcceptedCreditSettlementCompleted)
	app.Press("r")
	app.WaitFor("1 of 5") // the settled one left the pending list; the next one takes its place
	if l := selectedLine(app.View()); !strings.Contains(l, "2030-01-15 01:30") {
		t.Errorf("selection after the refresh: %q", l)
	}
	app.Press("j", "j")
	app.WaitFor("3 of 5")
	fw.SetPaymentStatus("p0000013", ui.PaymentAcceptedCreditSettlementCompleted) // the selected one
	app.Press("r")
	app.WaitFor("3 of 4")
	if l := selectedLine(app.View()); !strings.Contains(l, "2030-01-14 10:30") { // the next pending one
		t.Errorf("selection after the middle row left: %q", l)
	}
}

// TestHistoryRefreshOnReturn: coming back to History (here from the inspector) reloads it.
func TestHistoryRefreshOnReturn(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 30)
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("1 of 30")
	app.Press("i")
	app.WaitFor("payterm · Inspector")
	fw.AddPayment(newRow("p0000031"))
	app.Press("esc")
	app.WaitFor("2 of 31") // still on the payment selected before, now second
}
