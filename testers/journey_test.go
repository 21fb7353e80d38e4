// Package testers is a module of its own, as a tester's would be: it imports payterm's exported
// teatest kit only (ui/uifake, ui/uitest, ui/uitest/realapp), so the kit can never again depend
// on something unexported. CI runs it (.ci/run: cd testers && go test ./...).
package testers

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
	"github.com/payterm/payterm/ui/uitest/realapp"
)

// TestFakePayJourney pays a chosen payee on the exported fake wallet, to a settled receipt.
func TestFakePayJourney(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Recent payments")
	app.Press("p")
	app.PickPayee("Test Payee One")
	app.TypeAmount("42")
	app.FocusField("Purpose")
	app.Type("mwp")
	app.WaitFor("MWP  Mobile Wallet Payments")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.Authenticate(fw.PIN, fw.Code)
	app.WaitForPayment("Settled")
	v := app.FinalView()
	if !strings.Contains(v, "42.00 AED") || !strings.Contains(v, "Test Payee One") {
		t.Fatalf("receipt:\n%s", v)
	}
	app.RequireGolden(v)
}

// TestFakeRevokedConsentKeepsItsPayments: the fake agrees with the core: a consent cancelled
// from its detail still shows the payments made with it and what they paid.
func TestFakeRevokedConsentKeepsItsPayments(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	app := uitest.Start(t, uifake.NewFakeWallet(clock.Now, 5), uitest.WithClock(clock))
	app.WaitFor("Recent payments")
	app.Press("c")
	app.WaitFor("Flexi Pay expires") // the list itself (Home also names the bank): enter needs it
	app.Press("enter")
	app.WaitFor("Payment Rules")
	app.Press("X")
	app.WaitFor("Cancel permission?")
	app.Press("y")
	app.WaitFor("Sandbox Bank · Cancelled")
	v := app.FinalView()
	if !strings.Contains(v, "Paid to date    215.05 AED in 3 payments") || strings.Contains(v, "No payments with this consent") {
		t.Fatalf("a cancelled consent lost its payments:\n%s", v)
	}
}

// TestRealWalletPayJourney onboards the production wallet on the embedded sandbox and pays,
// authenticating with the next TOTP code; the receipt is a golden file with its ids and time
// masked.
func TestRealWalletPayJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("sandbox journey: skipped in -short")
	}
	app := realapp.Start(t, realapp.Options{})
	app.Onboard(t, realapp.Payee{Name: "Test Payee One", IBAN: "AE070331234567890123456"})
	app.Press("p")
	app.PickPayee("Test Payee One")
	app.TypeAmount("7.5")
	app.FocusField("Purpose")
	app.Type("mwp")
	app.WaitFor("MWP  Mobile Wallet Payments")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.AuthenticateWithNextCode(t)
	app.WaitForPayment("Settled")
	app.RequireGolden(uitest.MaskGolden(app.FinalView()))
}
