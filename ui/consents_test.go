package ui_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uitest"
)

func toConsentDetail(t *testing.T, app *uitest.App) {
	t.Helper()
	app.WaitFor("Recent payments")
	app.Press("c")
	app.WaitFor("Current")
	app.WaitFor("Sandbox Bank")
	app.Press("enter")
	app.WaitFor("Payment Rules")
}

func TestConsentsCurrent(t *testing.T) {
	app, _, _ := start(t, 5)
	app.WaitFor("Recent payments")
	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.WaitFor("Active")
	golden(t, app)
}

func TestConsentsHistoryTab(t *testing.T) {
	app, _, _ := start(t, 5)
	app.WaitFor("Recent payments")
	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.WaitFor("Active")
	app.Press("l")
	app.WaitFor("Cancelled")
	golden(t, app)
}

func TestConsentDetail(t *testing.T) {
	app, _, _ := start(t, 5)
	toConsentDetail(t, app)
	app.WaitFor("Payment History")
	v := golden(t, app)
	for _, k := range []string{"P pause", "X cancel permission", "R renew"} {
		if !strings.Contains(v, k) {
			t.Errorf("detail footer lacks %q", k)
		}
	}
	if strings.Contains(v, "A reactivate") {
		t.Error("an active consent cannot be reactivated")
	}
}

func TestConsentRevokeConfirmation(t *testing.T) {
	app, _, _ := start(t, 5)
	toConsentDetail(t, app)
	app.Press("X")
	app.WaitFor("Cancel permission?")
	golden(t, app)
}

// TestConsentRevoke: confirming sends the revocation; the consent moves to History as Cancelled.
func TestConsentRevoke(t *testing.T) {
	app, fw, _ := start(t, 5)
	toConsentDetail(t, app)
	app.Press("X")
	app.WaitFor("Cancel permission?")
	app.Press("y")
	app.WaitFor("Permission cancelled at the bank")
	app.WaitFor("Sandbox Bank · Cancelled")
	if got := fw.Consent(0).Status; got != ui.ConsentRevoked {
		t.Fatalf("status = %s, want Revoked", got)
	}
	golden(t, app)
}

func TestConsentRevokeDeclined(t *testing.T) {
	app, fw, _ := start(t, 5)
	toConsentDetail(t, app)
	app.Press("X")
	app.WaitFor("Cancel permission?")
	app.Press("n")
	app.WaitGone("Cancel permission?")
	for _, c := range fw.Calls() {
		if c == "RevokeConsent" {
			t.Fatal("declining must not revoke")
		}
	}
}

func TestConsentPauseThenReactivate(t *testing.T) {
	app, fw, _ := start(t, 5)
	toConsentDetail(t, app)
	app.Press("P")
	app.WaitFor("Pause this consent?")
	app.Press("y")
	app.WaitFor("Sandbox Bank · Paused")
	if !fw.Consent(0).Paused {
		t.Fatal("consent not paused")
	}
	app.Press("A")
	app.WaitFor("Reactivate this consent?")
	golden(t, app)
}

func TestConsentRenew(t *testing.T) {
	app, _, _ := start(t, 5)
	toConsentDetail(t, app)
	app.Press("R")
	app.WaitFor("Renew this consent?")
	app.Press("y")
	app.WaitFor("Approve the consent at your bank")
	golden(t, app)
}

// TestPayWithChosenConsent: the pay form opens for the consent picked on the dashboard.
func TestPayWithChosenConsent(t *testing.T) {
	app, _, _ := start(t, 5)
	toConsentDetail(t, app)
	app.Press("p")
	app.WaitFor("Paying from Sandbox Bank (Flexi Pay).")
}

// TestALinkIsNotRenewedAndItsEndSaysWhatItIs: a PSD2 link (here OP's) has no consent at the
// bank: its detail offers no renewal (R did nothing useful before: it sent a UAE renewal the
// bank refused as "something you typed"), and ending it says that the bank is not told and the
// link comes back from the config, not that a new consent must be given at the bank.
func TestALinkIsNotRenewedAndItsEndSaysWhatItIs(t *testing.T) {
	app, fw := startOP(t)
	app.Press("c")
	app.WaitFor("Your banks")
	app.Press("enter")
	app.WaitFor("Payment Rules")
	app.Press("?")
	app.WaitFor("Help")
	if v := app.View(); strings.Contains(v, "renew") {
		t.Fatalf("a link's help offers a renewal:\n%s", v)
	}
	app.Press("esc")
	app.WaitGone("Help")
	app.Press("R")
	app.Press("X")
	app.WaitFor("End this link?")
	if v := app.View(); strings.Contains(v, "Renew this consent?") || strings.Contains(v, "give a new consent at your bank") {
		t.Fatalf("the link's end is worded as a consent's:\n%s", v)
	}
	app.WaitFor("The link comes back at the next start")
	app.Press("y")
	app.WaitFor("Link ended in payterm")
	if n := fw.CallCount("RenewConsent"); n != 0 {
		t.Fatalf("RenewConsent called %d times for a link", n)
	}
	app.Press("?")
	app.WaitFor("Help")
	if v := app.View(); strings.Contains(v, "new consent") {
		t.Fatalf("an ended link's help offers a new consent at its bank:\n%s", v)
	}
}
