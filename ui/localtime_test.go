package ui_test

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Dubai on a machine without zoneinfo

	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// TestTimesAreLocal: with the user's zone Asia/Dubai (UTC+4) every time on screen is local:
// Home's recent payments, History (no "(UTC)" in its header), a payment's timeline and the
// receipt name the zone; the bank step's deadline is local too.
func TestTimesAreLocal(t *testing.T) {
	dubai, err := time.LoadLocation("Asia/Dubai")
	if err != nil {
		t.Fatal(err)
	}
	clock := uitest.NewClock(uifake.FakeBase) // 09:30 UTC = 13:30 in Dubai
	fw := uifake.NewFakeWallet(clock.Now, 3)
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithLocation(dubai))
	app.WaitFor("Recent payments")
	// The newest payment was made at 08:30 UTC.
	app.WaitFor("2030-01-15 12:30  Test Payee One")
	if v := app.View(); strings.Contains(v, "08:30") {
		t.Fatalf("Home shows UTC:\n%s", v)
	}
	app.Press("h")
	app.WaitFor("> 2030-01-15 12:30")
	if v := app.View(); strings.Contains(v, "UTC") {
		t.Fatalf("History says UTC while showing local time:\n%s", v)
	}
	app.Press("enter")
	app.WaitFor("Timeline")
	app.WaitFor("● 2030-01-15 12:30 +04  Prepared")
	app.Press("esc", "esc")
	app.WaitFor("Recent payments")

	fillPayForm(app, "12")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.Type(fw.PIN)
	app.Press("tab")
	app.Type(fw.Code)
	app.Press("enter")
	app.WaitFor("Payment Settled")
	app.WaitFor("When            2030-01-15 13:30 +04")
	app.FinalView()
}

// TestBankStepDeadlineIsLocal: the bank step's "accepts it once, until" is local time.
func TestBankStepDeadlineIsLocal(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithLocation(time.FixedZone("+04", 4*3600)))
	toConsentDetail(t, app)
	app.Press("R")
	app.WaitFor("Renew this consent?")
	app.Press("y")
	app.WaitFor("The bank accepts it once, until 13:31:30; n gets a new one.")
	app.FinalView()
}
