package realapp_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/ui/uitest/realapp"
)

// waitNewAddress waits until the bank step shows an address other than old, and returns it.
func waitNewAddress(t *testing.T, app *realapp.App, old string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if a := realapp.AddressOnScreen(app.View()); a != "" && a != old {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bank step still shows the spent address:\n%s", app.View())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestJourneyBankRetryStagesAFreshRequest: on the strict sandbox (each address accepted once),
// the user denies at the bank; enter shows a new address, never the spent one (which the bank
// refuses). A link preview then opens the new address first, so the user's own browser gets
// "already used"; n gets another, and approving there sets the wallet up.
func TestJourneyBankRetryStagesAFreshRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("sandbox journey: skipped in -short")
	}
	app := realapp.Start(t, realapp.Options{Configure: func(cfg *config.Config) { cfg.Sandbox.AutoApprove = false }})
	app.OnboardToBank(t, twoPayees...)
	first := realapp.AddressOnScreen(app.View())
	app.Press("w")
	app.WaitFor("Waiting for your bank")
	if err := app.DecideAtBank(first, false); err != nil {
		t.Fatal(err)
	}
	app.WaitFor("You declined the consent at the bank")
	app.Press("enter")
	second := waitNewAddress(t, app, first)
	if err := app.DecideAtBank(first, true); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("the spent address: %v (the bank should refuse it)", err)
	}

	if err := app.PreviewAtBank(second); err != nil { // a chat app's link preview
		t.Fatal(err)
	}
	if err := app.DecideAtBank(second, true); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("the previewed address: %v (the bank should say it was used)", err)
	}
	app.Press("n")
	third := waitNewAddress(t, app, second)
	app.Press("w")
	app.WaitFor("Waiting for your bank")
	if err := app.DecideAtBank(third, true); err != nil {
		t.Fatal(err)
	}
	app.WaitFor("You are set up.")
}

// TestJourneyRenewalRetryStagesAFreshRequest: a renewal the user denies is renewed again on
// enter (a new consent request carrying the same base), not retried on the spent address.
func TestJourneyRenewalRetryStagesAFreshRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("sandbox journey: skipped in -short")
	}
	app := realapp.Start(t, realapp.Options{Configure: func(cfg *config.Config) { cfg.Sandbox.AutoApprove = false }})
	app.OnboardToBank(t, twoPayees...)
	app.Press("w")
	app.WaitFor("Waiting for your bank")
	if err := app.DecideAtBank(realapp.AddressOnScreen(app.View()), true); err != nil {
		t.Fatal(err)
	}
	app.WaitFor("You are set up.")
	app.Press("enter")
	app.WaitFor("Recent payments")
	app.Press("c")
	app.WaitFor("[Current]")
	app.WaitFor("Active") // the list has loaded: enter opens its first row
	app.Press("enter")
	app.WaitFor("Payment Rules")
	app.Press("R")
	app.Press("y")
	app.WaitFor("Approve the consent at")
	first := realapp.AddressOnScreen(app.View())
	app.Press("w")
	app.WaitFor("Waiting for your bank")
	if err := app.DecideAtBank(first, false); err != nil {
		t.Fatal(err)
	}
	app.WaitFor("You declined the consent at the bank")
	app.Press("enter")
	second := waitNewAddress(t, app, first)
	app.Press("w")
	app.WaitFor("Waiting for your bank")
	if err := app.DecideAtBank(second, true); err != nil {
		t.Fatal(err)
	}
	app.WaitFor("Your bank authorised the consent.")
}

// TestJourneyDebtorAccountWithHolder: the optional account to pay from is typed with its
// holder's name; the strict sandbox accepts the consent request (it refuses the account alone)
// and Home shows the account the consent pays from.
func TestJourneyDebtorAccountWithHolder(t *testing.T) {
	app := start(t, "")
	app.ToPayees(t)
	app.Press("left", "left") // two to ten → one → open
	app.WaitFor("open: choose any payee")
	app.Press("tab")
	app.Type("AE07 0331 2345 6789 0123 456")
	app.Press("enter")
	app.WaitFor("Your bank needs the account holder's name with the IBAN")
	app.Press("tab")
	app.Type("Test Holder")
	app.Press("enter")
	app.WaitFor("Your consent")
	app.Press("enter")
	app.WaitFor("Approve the consent at ")
	authURL := realapp.AddressOnScreen(app.View())
	app.Press("w")
	app.WaitFor("Waiting for your bank")
	if err := app.ApproveAtBank(authURL); err != nil {
		t.Fatal(err)
	}
	app.WaitFor("You are set up.")
	app.Press("enter")
	app.WaitFor("From account  AE07 •••• 3456")
}

// TestJourneyHTTPSLoopbackPasteBack: an https loopback redirect_uri without a certificate
// (issue 11: the bank step failed with "needs a TLS certificate") is a paste-back step: the
// screen says so, and pasting the address the browser lands on sets the wallet up.
func TestJourneyHTTPSLoopbackPasteBack(t *testing.T) {
	if testing.Short() {
		t.Skip("sandbox journey: skipped in -short")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	app := realapp.Start(t, realapp.Options{Configure: func(cfg *config.Config) {
		cfg.Bank.RedirectURI = fmt.Sprintf("https://127.0.0.1:%d/callback", port)
	}})
	app.OnboardToBank(t, twoPayees...)
	app.WaitFor("your browser goes to a page payterm does not receive here")
	cb, err := app.CallbackFromBank(realapp.AddressOnScreen(app.View()))
	if err != nil {
		t.Fatal(err)
	}
	app.Press("v")
	app.WaitFor("Callback URL")
	app.Type(cb)
	app.Press("enter")
	app.WaitFor("You are set up.")
}
