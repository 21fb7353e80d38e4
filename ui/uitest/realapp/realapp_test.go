package realapp_test

import (
	"testing"

	"github.com/payterm/payterm/ui/uitest/realapp"
)

// TestPayOnSandbox is the README's example, kept compiling and passing.
func TestPayOnSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("sandbox journey: skipped in -short")
	}
	app := realapp.Start(t, realapp.Options{})
	app.Onboard(t, realapp.Payee{Name: "مثال تجريبي", IBAN: "AE070331234567890123456"}) // reads the TOTP key off the screen
	app.Press("p")
	app.WaitFor("Purpose")
	app.Press("tab")
	app.Type("12.5")
	app.Press("tab", "tab")
	app.Type("mwp")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.Type(realapp.PIN)
	app.Press("tab")
	app.Type(app.NextCode(t)) // what the authenticator app would show now
	app.Press("enter")
	app.WaitFor("Payment Settled")
	_ = app.FinalView()
}

// TestBlockAfter reads back an address the screen wrapped hard at its edge.
func TestBlockAfter(t *testing.T) {
	view := "Open this address in a browser:\n\nhttp://127.0.0.1:1/authorize?client_id=a&re\nquest_uri=urn%3Ab\n\n  w  wait"
	if got := realapp.BlockAfter(view, "Open this address"); got != "http://127.0.0.1:1/authorize?client_id=a&request_uri=urn%3Ab" {
		t.Errorf("BlockAfter = %q", got)
	}
	if got := realapp.AddressOnScreen(view); got != "http://127.0.0.1:1/authorize?client_id=a&request_uri=urn%3Ab" {
		t.Errorf("AddressOnScreen = %q", got)
	}
	if got := realapp.BlockAfter(view, "absent"); got != "" {
		t.Errorf("no marker: %q", got)
	}
}
