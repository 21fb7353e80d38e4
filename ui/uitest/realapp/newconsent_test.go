package realapp_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui/uitest/realapp"
)

// TestJourneyRevokeNewConsentPay: after the only consent is revoked Home has nothing to pay
// with; n gives a new consent at the sandbox bank (payees, consent page, bank; no PIN or
// authenticator again) and the next payment settles with it.
func TestJourneyRevokeNewConsentPay(t *testing.T) {
	app := start(t, "")
	app.Onboard(t, twoPayees...)

	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.WaitFor("Active")
	app.Press("enter")
	app.WaitFor("Payment Rules")
	app.Press("X")
	app.WaitFor("Cancel permission?")
	app.Press("y")
	app.WaitFor("Permission cancelled at the bank")
	app.Press("esc", "esc")
	app.WaitFor("No active consent. Press n to give a new consent")
	app.Press("p")
	app.WaitFor("No active consent: press n")

	app.NewConsent(t, realapp.Payee{Name: "Test Payee One", IBAN: "AE070331234567890123456"})
	app.WaitFor("Flexi Pay")
	if v := app.View(); strings.Contains(v, "No active consent") || !strings.Contains(v, "Active") {
		t.Fatalf("Home after the new consent:\n%s", v)
	}

	toReview(app, 0, "7.25")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Authorise 7.25 AED to Test Payee One")
	authenticate(app, app.NextCode(t))
	app.WaitFor("Payment Settled")

	app.Press("enter")
	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.WaitFor("Active")
	app.Press("right")
	app.WaitFor("Cancelled") // the revoked one, on the History tab
	_ = app.FinalView()
}
