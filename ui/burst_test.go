package ui_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
)

// TestKeyBurstEveryKeyApplies: letters that arrive in one read (tmux send-keys j j, a script
// typing fast) come as one key message of several runes ("jj"), which matches no key binding.
// Every rune of a burst acts, in order, on every screen: two moves in History and in the
// inspector, a screen change in the middle of a burst ("ii": open and close the inspector,
// "hq"-style mixes), and text typed into fields (the idle lock's PIN, the pay form).
func TestKeyBurstEveryKeyApplies(t *testing.T) {
	app, _, clock := start(t, 20)
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("1 of 20")
	app.Burst("jj")
	app.WaitFor("3 of 20")
	if v := app.View(); !strings.Contains(v, "> 2030-01-15 06:30") {
		t.Fatalf("the burst jj did not select the third row:\n%s", v)
	}
	app.Burst("k")
	app.WaitFor("2 of 20")

	// The inspector opens on the lit step (POST /payments); kk selects two steps up, and a
	// burst that opens and closes it ("ii") ends where it started.
	app.Press("esc")
	app.WaitFor("Recent payments")
	app.Burst("ii")
	app.WaitFor("Recent payments")
	app.Burst("i")
	app.WaitFor("POST /open-finance/payment/v2.1/payments HTTP/1.1")
	app.Burst("kk")
	app.WaitFor("POST /token HTTP/1.1")

	// Fields take a burst as text: the idle lock's PIN typed in one read unlocks.
	app.Press("esc")
	app.WaitFor("Recent payments")
	clock.Advance(ui.DefaultIdleTimeout)
	app.Send(ui.IdleCheckMsg{})
	app.WaitFor("The session locked")
	app.Burst("123456")
	app.WaitFor("••••••")
	app.Press("enter")
	app.WaitFor("Recent payments")

	// A burst that opens the pay form and types into it: "p" then the amount's digits.
	app.Press("p")
	app.WaitFor("Purpose")
	app.Press("tab")
	app.Burst("12.5")
	app.WaitFor("12.5▏")
	app.FinalView()
}
