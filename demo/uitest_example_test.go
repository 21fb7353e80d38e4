package main

// This file is the README's uitest example ("Testing" section), kept compiling and passing.

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui/uitest/realapp"
)

// TestExamplePayAndInspect onboards on the production composition and a fresh embedded sandbox,
// pays one payee, and checks that the inspector shows the wallet's own SCA bound to the amount.
func TestExamplePayAndInspect(t *testing.T) {
	if testing.Short() {
		t.Skip("sandbox journey: skipped in -short")
	}
	app := realapp.Start(t, realapp.Options{}) // 100×40, auto-approving sandbox, file secret store
	app.Onboard(t, realapp.Payee{Name: "Noor Test", IBAN: "AE07 0331 2345 6789 0123 456"})

	app.Press("p") // Home → Pay
	app.WaitFor("Purpose")
	app.Press("tab")
	app.Type("125.50") // Type sends one key per rune: Arabic names arrive intact too
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.Type(realapp.PIN)
	app.Press("tab")
	app.Type(app.NextCode(t)) // the code the authenticator app shows now
	app.Press("enter")
	app.WaitFor("Payment Settled")

	app.Press("i") // the protocol inspector
	app.WaitFor("SCA in payterm")
	app.Press("up", "up") // from the latest step (the status poll) to the SCA step
	app.Press("pgdown")
	app.WaitFor("amount: 125.50") // the device-key JWS is bound to the amount (dynamic linking)
	if v := app.View(); !strings.Contains(v, "amr: pin otp swk") {
		t.Errorf("the SCA step does not list PIN, OTP and the device key:\n%s", v)
	}
	_ = app.FinalView()
}
