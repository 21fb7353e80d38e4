package realapp_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/ui/uitest"
	"github.com/payterm/payterm/ui/uitest/realapp"
)

// TestJourneyBerlinGroupEmbedded: a wallet with the UAE sandbox and a Berlin Group bank from
// the config (the embedded XS2A bank, embedded SCA). The payer picks the Berlin Group link,
// types a new payee and a message, confirms with the PIN and code, then answers the bank's own
// questions on the real screens: its password, the SCA method, a wrong one-time code (asked
// again with one attempt fewer) and the right one, to the receipt; the inspector then shows
// the Berlin Group sequence with the initiation's HTTP signature. No frame shows the password
// or a code typed for the bank.
func TestJourneyBerlinGroupEmbedded(t *testing.T) {
	app := startBG(t)
	fillBGForm(app)
	app.WaitFor("You are about to pay")
	requireAll(t, app.View(), "Berlin Group NextGenPSD2", "HTTP signature", "Berlin Test Bank then asks you to approve the payment itself")
	app.Press("enter")
	app.AuthenticateWithNextCode(t)
	app.WaitFor("Berlin Test Bank asks for your online banking password")
	app.Type("12345")
	app.WaitFor("Password •••••")
	app.Press("enter")
	app.WaitFor("asks how you want to approve this payment")
	app.WaitFor("2. Sandbox PUSH_OTP")
	app.Press("enter")
	app.WaitFor("5 attempts left")
	app.Type("000000")
	app.Press("enter")
	app.WaitFor("4 attempts left")
	app.Type("123456")
	app.Press("enter")
	app.WaitForPayment("Settled")
	requireAll(t, app.View(), "12.50 EUR", "Max Muster", "Invoice 42", "From            Berlin Test Bank", "Settled (ACCC)")
	app.Press("ctrl+t")
	app.WaitFor("payterm · Inspector")
	app.WaitFor("GET …/status until final  ← latest")
	app.Press("up", "up", "up", "up")
	app.WaitFor("> ● Initiate: POST /payments/{product}")
	requireAll(t, app.View(), "POST /v1/payments/sepa-credit-transfers HTTP/1.1", "HTTP/1.1 201 Created", "X-Request-ID: ")
	// The fields echo bullets; no frame's field line, or any line, carries what was typed.
	for _, f := range app.Frames() {
		for _, line := range strings.Split(f, "\n") {
			for _, secret := range []string{"12345", "000000"} {
				if strings.Contains(line, secret) && !strings.Contains(line, "-") { // ids are hyphenated UUIDs
					t.Fatalf("a frame shows what was typed for the bank:\n%s", f)
				}
			}
		}
	}
}

func requireAll(t *testing.T, view string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(view, w) {
			t.Errorf("the screen lacks %q:\n%s", w, view)
		}
	}
}

// startBG is the real wallet with a Berlin Group bank from the config (the embedded XS2A bank,
// embedded SCA), onboarded at the UAE sandbox.
func startBG(t *testing.T) *realapp.App {
	t.Helper()
	app := realapp.Start(t, realapp.Options{UI: []uitest.Option{uitest.WithEveryFrame()}, Configure: func(cfg *config.Config) {
		in := "[[banks]]\nid = \"berlin\"\nname = \"Berlin Test Bank\"\nprovider = \"berlin-group\"\nprofile = \"bg\"\n" +
			"account = \"DE40 1001 0010 3307 1186 08\"\naccount_holder = \"Erika Mustermann\"\ncurrency = \"EUR\"\n" +
			"psu_id = \"PSU-1234\"\nsca_approach = \"embedded\"\n"
		if err := config.Parse([]byte(in), cfg); err != nil {
			t.Fatal(err)
		}
	}})
	app.Onboard(t, twoPayees...)
	return app
}

// fillBGForm picks the Berlin Group link and pays Max Muster 12.50 EUR with a message, up to
// the review.
func fillBGForm(app *realapp.App) {
	app.Press("p")
	app.WaitFor("Pay from which consent?")
	app.Type("2")
	app.Press("enter")
	app.WaitFor("Paying from Berlin Test Bank")
	app.Press("tab", "tab") // product → payee → payee name
	app.Type("Max Muster")
	app.Press("tab")
	app.Type("DE02 1001 0010 9307 1186 03")
	app.Press("tab")
	app.Type("12.50")
	app.Press("tab")
	app.Type("Invoice 42")
	app.Press("enter")
}

// TestJourneyBerlinGroupApproveAgain: the payer stops watching (esc) while the bank asks for
// its password; the payment waits at the bank. From its History detail, a asks the bank again:
// the same questions come back on the pay screen, are answered, and the payment is paid.
// Nothing is sent twice: the bank holds one payment.
func TestJourneyBerlinGroupApproveAgain(t *testing.T) {
	app := startBG(t)
	fillBGForm(app)
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.AuthenticateWithNextCode(t)
	app.WaitFor("Berlin Test Bank asks for your online banking password")
	app.Press("esc")
	app.WaitFor("Payment Awaiting bank approval")
	app.Press("enter")
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("payterm · History")
	app.WaitFor("Awaiting bank approval")
	app.Press("enter")
	app.WaitFor("Awaiting bank approval (RCVD)")
	app.WaitFor("a approve at your bank now")
	app.Press("a")
	app.WaitFor("Berlin Test Bank asks for your online banking password")
	app.Type("12345")
	app.Press("enter")
	app.WaitFor("asks how you want to approve this payment")
	app.Press("enter")
	app.WaitFor("5 attempts left")
	app.Type("123456")
	app.Press("enter")
	app.WaitForPayment("Settled")
	requireAll(t, app.View(), "12.50 EUR", "Max Muster", "Settled (ACCC)")
	if n := app.Core.XS2ABankOf("berlin").PaymentCount(); n != 1 {
		t.Fatalf("the bank holds %d payments, want 1", n)
	}
}
