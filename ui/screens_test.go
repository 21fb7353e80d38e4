package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// start runs the production root model on a fake wallet with a frozen clock at 100×40.
func start(t *testing.T, n int, opts ...uitest.Option) (*uitest.App, *uifake.FakeWallet, *uitest.Clock) {
	t.Helper()
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, n)
	app := uitest.Start(t, fw, append([]uitest.Option{uitest.WithClock(clock)}, opts...)...)
	return app, fw, clock
}

func golden(t *testing.T, app *uitest.App) string {
	t.Helper()
	v := app.FinalView()
	app.RequireGolden(v)
	assertNoSecrets(t, v)
	return v
}

// assertNoSecrets fails when a frame shows a secret the fake knows (PIN, code, tokens).
func assertNoSecrets(t *testing.T, v string) {
	t.Helper()
	for _, s := range []string{"123456", "654321", "not-a-real-token", "eyJ.fake.jwt", "not-shown-anyway"} {
		if strings.Contains(v, s) {
			t.Errorf("frame shows secret %q:\n%s", s, v)
		}
	}
}

func TestHome(t *testing.T) {
	app, _, _ := start(t, 20)
	app.WaitFor("Recent payments")
	v := golden(t, app)
	for _, want := range []string{"Active", "Flexi Pay", "AE07 •••• 3456", "Per day", "Secrets: OS keyring"} {
		if !strings.Contains(v, want) {
			t.Errorf("home lacks %q", want)
		}
	}
}

func TestHomeAccessible(t *testing.T) {
	app, _, _ := start(t, 3, uitest.WithAccessible())
	app.WaitFor("Recent payments")
	v := golden(t, app)
	for _, box := range []string{"╭", "│", "█", "░"} {
		if strings.Contains(v, box) {
			t.Errorf("accessible frame contains %q", box)
		}
	}
}

func TestHelpOverlayListsEveryKey(t *testing.T) {
	app, _, _ := start(t, 3)
	app.WaitFor("Recent payments")
	app.Press("?")
	app.WaitFor("Everywhere")
	v := golden(t, app)
	for _, k := range []string{"p ", "h ", "c ", "l ", "i/ctrl+t", "r ", "q ", "ctrl+c"} {
		if !strings.Contains(v, k) {
			t.Errorf("help lacks key %q", k)
		}
	}
}

func TestTerminalTooSmall(t *testing.T) {
	app, _, _ := start(t, 3, uitest.WithSize(50, 12))
	app.WaitFor("Terminal too small")
	golden(t, app)
}

func TestQuitWithQ(t *testing.T) {
	app, _, _ := start(t, 3)
	app.WaitFor("Recent payments")
	app.Press("q")
	app.WaitQuit()
}

// TestIdleLock: five minutes without a key locks; a wrong PIN is refused; the right one unlocks.
func TestIdleLock(t *testing.T) {
	app, _, clock := start(t, 3)
	app.WaitFor("Recent payments")
	clock.Advance(4 * time.Minute)
	app.Send(ui.IdleCheckMsg{})
	app.Press("?") // still unlocked: help opens
	app.WaitFor("Everywhere")
	app.Press("esc")
	app.WaitGone("Everywhere")
	clock.Advance(5 * time.Minute)
	app.Send(ui.IdleCheckMsg{})
	app.WaitFor("The session locked")
	app.Type("999999")
	app.Press("enter")
	app.WaitFor("PIN or code not accepted")
	app.Type("12345")
	app.WaitFor("•••••")
	golden(t, app)
}

func TestIdleUnlock(t *testing.T) {
	app, fw, clock := start(t, 3)
	app.WaitFor("Recent payments")
	clock.Advance(6 * time.Minute)
	app.Send(ui.IdleCheckMsg{})
	app.WaitFor("The session locked")
	app.Type(fw.PIN)
	app.Press("enter")
	app.WaitFor("Recent payments")
}

// TestHomeRenewalPrompt: within 30 days of expiry the card counts down and prompts renewal.
func TestHomeRenewalPrompt(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.EditConsent(0, func(c *ui.Consent) { c.Expires = uifake.FakeBase.Add(12*24*time.Hour + time.Hour) })
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Renew soon")
	v := golden(t, app)
	if !strings.Contains(v, "in 12 days") {
		t.Errorf("countdown missing:\n%s", v)
	}
}

// TestConsentsSuspendedLabel: a consent the bank suspended reads Suspended, never Paused, and
// Home's p says the bank suspended it (as the core, Home still shows it: it is in place).
func TestConsentsSuspendedLabel(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.EditConsent(0, func(c *ui.Consent) { c.Status = ui.ConsentSuspended })
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Suspended")
	app.Press("p")
	app.WaitFor("Your bank suspended your consent at Sandbox Bank")
	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.WaitFor("Suspended")
	golden(t, app)
}

// TestStartupFailureThenRetry: a wallet that cannot open says so with what to do; r retries.
func TestStartupFailureThenRetry(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.SetOverviewErr(&ui.Problem{What: "The secure storage is locked.", Next: "Unlock your keyring and press r."})
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Could not open the wallet.")
	golden(t, app)
}

func TestStartupRetrySucceeds(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.SetOverviewErr(&ui.Problem{What: "The secure storage is locked.", Next: "Unlock your keyring and press r."})
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Could not open the wallet.")
	fw.SetOverviewErr(nil)
	app.Press("r")
	app.WaitFor("Recent payments")
}
