package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// TestIdleLockSaysItsTimeout: the lock's message names the idle_lock in force, not always
// "5 minutes".
func TestIdleLockSaysItsTimeout(t *testing.T) {
	for _, c := range []struct {
		idle time.Duration
		says string
	}{
		{90 * time.Second, "locked after 90 seconds without activity"},
		{2 * time.Minute, "locked after 2 minutes without activity"},
		{30 * time.Second, "locked after 30 seconds without activity"},
		{ui.DefaultIdleTimeout, "locked after 5 minutes without activity"},
		{150 * time.Second, "locked after 2 minutes 30 seconds without activity"},
	} {
		t.Run(c.idle.String(), func(t *testing.T) {
			app, _ := idleLocked(t, c.idle)
			app.WaitFor(c.says)
			app.FinalView()
		})
	}
}

// TestPausedConsentSaysHowToReactivate: with the only consent paused, Home's card says it is
// paused and how to reactivate it, p says the same instead of "No active consent: press n",
// and help does not offer n as a "new consent" while a consent is in place.
func TestPausedConsentSaysHowToReactivate(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.EditConsent(0, func(c *ui.Consent) { c.Paused = true })
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Paused: open consents (c), select it, press A to pay again.")
	app.Press("p")
	app.WaitFor("Your consent at Sandbox Bank is paused: open consents (c), select it and press A")
	if v := app.View(); strings.Contains(v, "No active consent") {
		t.Fatalf("p on a paused consent says there is none:\n%s", v)
	}
	app.Press("?")
	app.WaitFor("Everywhere")
	v := app.View()
	if strings.Contains(v, "new consent") || !strings.Contains(v, "another consent (the current one stays)") {
		t.Fatalf("help offers a new consent while one is in place:\n%s", v)
	}
	// Reactivated (A on Consents), p opens the pay form.
	app.Press("esc")
	app.Press("c")
	// Home's card also says "Paused": wait for the consents list itself (enter on a list still
	// loading is dropped).
	app.WaitFor("payterm · Consents")
	app.WaitGone("Loading…")
	app.WaitFor("Paused")
	app.Press("enter")
	app.WaitFor("A reactivate")
	app.Press("A")
	app.WaitFor("Reactivate this consent?")
	app.Press("y")
	app.WaitFor("Reactivated.")
	app.Press("esc", "esc")
	app.WaitFor("Recent payments")
	app.WaitGone("Paused: open consents")
	app.Press("p")
	app.WaitFor("Purpose")
	app.FinalView()
}

// TestHelpWithoutConsentOffersNewConsent: with no consent in place, help offers n as a new one.
func TestHelpWithoutConsentOffersNewConsent(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.EditConsent(0, func(c *ui.Consent) { c.Status = ui.ConsentRevoked })
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("No active consent.")
	app.Press("p")
	app.WaitFor("No active consent: press n")
	app.Press("?")
	app.WaitFor("Everywhere")
	if v := app.View(); !strings.Contains(v, "n              new consent") {
		t.Fatalf("help lacks n new consent:\n%s", v)
	}
	app.FinalView()
}

// TestIdleLockShowsItsKeys: the idle lock's footer says how to unlock and how to quit (it had
// no keys at all), and q is offered only while no payment is in flight.
func TestIdleLockShowsItsKeys(t *testing.T) {
	app, fw := idleLocked(t, time.Minute)
	app.WaitFor("enter unlock · esc clear · q quit (with the field empty) · ctrl+c quit")
	app.Type(fw.PIN)
	app.Press("enter")
	app.WaitFor("Recent payments")
}

// idleLocked starts the wallet with idle_lock set to idle and lets that long pass without a key:
// the lock follows.
func idleLocked(t *testing.T, idle time.Duration) (*uitest.App, *uifake.FakeWallet) {
	t.Helper()
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	app := uitest.Start(t, fw, uitest.WithOptions(ui.Options{IdleTimeout: idle}), uitest.WithClock(clock))
	app.WaitFor("Recent payments")
	clock.Advance(idle)
	app.Send(ui.IdleCheckMsg{})
	return app, fw
}
