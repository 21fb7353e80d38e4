package ui_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// TestHomeShowsPaymentBlock: after a restart with payments blocked (five failures), Home says so
// and names the way out (u) before the user tries to pay; after recovery the warning is gone.
func TestHomeShowsPaymentBlock(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.Block() // as found on disk at start-up
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Payments are blocked after too many wrong PINs or codes. Press u")
	app.WaitFor("Flexi Pay")
	v := app.View()
	if strings.Index(v, "Payments are blocked") > strings.Index(v, "Flexi Pay") {
		t.Errorf("the block is not the first thing on Home:\n%s", v)
	}
	app.Press("p")
	app.WaitFor("Press u to unblock") // p does not open a form that cannot be authenticated
	app.Press("u")
	app.WaitFor("Unblock payments")
	app.Type(uifake.FakeRecovery)
	app.Press("tab")
	app.Type(fw.Code)
	app.Press("tab")
	app.Type("135791")
	app.Press("tab")
	app.Type("135791")
	app.Press("enter")
	app.WaitFor("Payments are unblocked")
	app.Press("enter")
	app.WaitFor("Recent payments")
	app.WaitGone("Payments are blocked")
}

// TestHomeToleratesCoreWithoutBlockFlag: a core that cannot tell leaves the field false; Home
// shows no warning and p still opens the pay form (the block then shows at authentication).
func TestHomeToleratesCoreWithoutBlockFlag(t *testing.T) {
	app, fw, _ := start(t, 3)
	fw.Block()
	fw.SetHideBlock(true)
	app.WaitFor("Recent payments")
	app.Press("r")
	app.WaitFor("Recent payments")
	v := app.View()
	if strings.Contains(v, "blocked") {
		t.Errorf("Home shows a block the core did not report:\n%s", v)
	}
	app.Press("p")
	app.WaitFor("Purpose")
}
