package realapp_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/ui/uitest"
	"github.com/payterm/payterm/ui/uitest/realapp"
)

// startSB1 is the real wallet with SpareBank 1 from the config (the embedded XS2A bank, sb1
// profile, a krone account by its account number), onboarded at the UAE sandbox.
func startSB1(t *testing.T) *realapp.App {
	t.Helper()
	app := realapp.Start(t, realapp.Options{UI: []uitest.Option{uitest.WithEveryFrame()}, Configure: func(cfg *config.Config) {
		in := "[[banks]]\nid = \"sb1\"\nname = \"SpareBank 1 Test\"\nprovider = \"berlin-group\"\nprofile = \"sb1\"\n" +
			"account = \"8601 1117 947\"\naccount_holder = \"Kari Nordmann\"\ncurrency = \"NOK\"\n"
		if err := config.Parse([]byte(in), cfg); err != nil {
			t.Fatal(err)
		}
	}})
	app.Onboard(t, twoPayees...)
	return app
}

// fillSB1Form picks the SpareBank 1 link and pays Ola Nordmann 250.00 NOK by the first product
// (a transfer in Norway) to a Norwegian account number, up to the review.
func fillSB1Form(app *realapp.App) {
	app.Press("p")
	app.WaitFor("Pay from which consent?")
	app.Type("2")
	app.Press("enter")
	app.WaitFor("Paying from SpareBank 1 Test")
	app.Press("tab", "tab")
	app.Type("Ola Nordmann")
	app.Press("tab")
	app.Type("1234 5678 903")
	app.Press("tab")
	app.Type("250.00")
	app.Press("tab")
	app.Type("Faktura 7")
	app.Press("enter")
}

// TestJourneySpareBank1Login: on the real screens, the first SpareBank 1 payment asks, after
// the PIN and code, for the login at the bank: its page is shown as a bank step with a paste
// field; the address the browser lands on is pasted; the payment is then approved on the bank's
// page and paid in NOK. A second payment goes without a login.
func TestJourneySpareBank1Login(t *testing.T) {
	app := startSB1(t)
	fillSB1Form(app)
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.AuthenticateWithNextCode(t)
	app.WaitFor("Log in at SpareBank 1 Test first: your bank has not got the payment yet.")
	requireAll(t, app.View(), "After logging in, your browser goes to a page payterm does not receive here", "esc stop (the payment is not sent)")
	login := realapp.AddressOnScreen(app.View())
	if !strings.Contains(login, "/session/") {
		t.Fatalf("the login address on screen: %q", login)
	}
	cb, err := callbackFrom(app, login)
	if err != nil {
		t.Fatal(err)
	}
	app.Press("v")
	app.WaitFor("Callback URL")
	app.Type(cb)
	app.Press("enter")
	app.WaitFor("Approve the payment at SpareBank 1 Test")
	// The bank's page approves and sends the browser to redirect_uri, which nothing serves for
	// a Berlin Group bank: payterm learns the outcome by asking the bank.
	if _, err := callbackFrom(app, realapp.AddressOnScreen(app.View())); err != nil {
		t.Fatal(err)
	}
	app.WaitForPayment("Executed")
	requireAll(t, app.View(), "250.00 NOK", "Ola Nordmann", "Executed (ACSC)")

	// A second payment to the payee now saved: no login, straight to the bank's approval.
	app.Press("enter")
	app.WaitFor("Recent payments")
	app.Press("p")
	app.WaitFor("Pay from which consent?")
	app.Type("2")
	app.Press("enter")
	app.WaitFor("Paying from SpareBank 1 Test")
	app.Press("tab", "tab")
	app.Type("10.00")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.AuthenticateWithNextCode(t)
	app.WaitFor("Approve the payment at SpareBank 1 Test")
	if _, err := callbackFrom(app, realapp.AddressOnScreen(app.View())); err != nil {
		t.Fatal(err)
	}
	app.WaitForPayment("Executed")
	requireAll(t, app.View(), "10.00 NOK", "Ola Nordmann")
	if n := app.Core.XS2ABankOf("sb1").PaymentCount(); n != 2 {
		t.Fatalf("the bank holds %d payments, want 2", n)
	}
}

// TestJourneySpareBank1LoginStopped: esc at the bank's login stops the payment before anything
// is saved or sent: the receipt says it was not made, and the bank holds no payment.
func TestJourneySpareBank1LoginStopped(t *testing.T) {
	app := startSB1(t)
	fillSB1Form(app)
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.AuthenticateWithNextCode(t)
	app.WaitFor("Log in at SpareBank 1 Test first")
	app.Press("esc")
	app.WaitFor("The payment was not made.")
	if n := app.Core.XS2ABankOf("sb1").PaymentCount(); n != 0 {
		t.Fatalf("the bank holds %d payments, want none", n)
	}
}

// callbackFrom is the payer's browser at the bank's login page (auto-approved): the address
// it lands on, which nothing on this computer receives.
func callbackFrom(app *realapp.App, page string) (string, error) {
	return app.CallbackFromBank(page)
}
