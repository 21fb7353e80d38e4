package ui_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
)

// The screens redraw from the core's change feed (ui.Wallet.Changes): what the core records
// while a screen is open shows on it without a key. The fake publishes every change it records,
// as the core does; no test below presses a key after the change.

// TestHomeFollowsTheCore: a payment Home lists as Pending settles, and the active consent
// expires (a sync recorded it): Home shows both.
func TestHomeFollowsTheCore(t *testing.T) {
	app, fw, _ := start(t, 3)
	app.WaitFor("Recent payments")
	if v := app.View(); !strings.Contains(v, "Pending") || !strings.Contains(v, "Active") {
		t.Fatalf("the fixture changed: want a Pending payment and an Active consent:\n%s", v)
	}
	fw.SetPaymentStatus("p0000001", ui.PaymentAcceptedCreditSettlementCompleted)
	app.WaitGone("Pending")
	fw.EditConsent(0, func(c *ui.Consent) { c.Status = ui.ConsentExpired })
	app.WaitFor("No active consent.")
}

// TestConsentsFollowTheCore: the list and an open detail show a status the core recorded.
func TestConsentsFollowTheCore(t *testing.T) {
	app, fw, _ := start(t, 3)
	app.WaitFor("Recent payments")
	app.Press("c")
	app.WaitFor("[Current]")
	app.WaitFor("Active")
	fw.EditConsent(0, func(c *ui.Consent) { c.Status = ui.ConsentSuspended })
	app.WaitFor("Suspended")
	app.Press("enter")
	app.WaitFor("Payment Rules")
	fw.EditConsent(0, func(c *ui.Consent) { c.Status = ui.ConsentAuthorized })
	app.WaitGone("Suspended")
}

// TestHistoryDetailFollowsTheCore: an open payment detail and the list behind it show the status
// the core recorded.
func TestHistoryDetailFollowsTheCore(t *testing.T) {
	app, fw, _ := start(t, 3)
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("1 of 3")
	app.Press("G") // the oldest row: the Pending one
	app.WaitFor("3 of 3")
	app.Press("enter")
	app.WaitFor("Timeline")
	if v := app.View(); !strings.Contains(v, "Status          Pending") {
		t.Fatalf("the fixture changed: want a payment not settled yet:\n%s", v)
	}
	fw.SetPaymentStatus("p0000001", ui.PaymentAcceptedCreditSettlementCompleted)
	app.WaitFor("Status          Settled (AcceptedCreditSettlementCompleted)")
	app.Press("esc")
	app.WaitFor("3 of 3")
	if v := app.View(); strings.Contains(v, "Pending") {
		t.Fatalf("the list behind the detail still shows Pending:\n%s", v)
	}
}
