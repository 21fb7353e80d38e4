package ui_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// boxAndAnimation are glyphs a screen reader reads aloud or that only make sense visually.
const boxAndAnimation = "│─╭╮╰╯┌┐└┘█░▀▄▖◉○●✓✗⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

func assertPlain(t *testing.T, where, v string) {
	t.Helper()
	if i := strings.IndexAny(v, boxAndAnimation); i >= 0 {
		r := []rune(v[i:])[0]
		t.Errorf("%s: accessible frame contains %q:\n%s", where, r, v)
	}
}

// TestAccessibleModeEveryScreen walks every screen in accessible mode and checks no frame
// uses box drawing, block graphics, spinners or glyph-only status marks.
func TestAccessibleModeEveryScreen(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 30)
	fw.Sandbox = true
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithAccessible())
	step := func(where, waitFor string, keys ...string) {
		t.Helper()
		app.Press(keys...)
		app.WaitFor(waitFor)
		assertPlain(t, where, app.View())
	}
	app.WaitFor("Recent payments")
	assertPlain(t, "home", app.View())
	step("help", "Everywhere", "?")
	step("home again", "Recent payments", "esc")
	step("history", "1 of 30", "h")
	step("history detail", "Timeline", "enter")
	step("history filter", "Filter history", "esc", "/")
	step("consents", "paid 9,617.55 AED", "esc", "esc", "c")
	step("consent detail", "Payment Rules", "enter")
	step("confirmation", "Cancel permission?", "X")
	step("limits", "Headroom", "n", "esc", "esc", "l")
	step("limits edit", "Limits · Edit", "e")
	step("inspector", "(current step)", "esc", "esc", "i")
	step("pay form", "Purpose", "esc", "p")
	app.Press("tab")
	app.Type("20")
	step("review", "Amount: 20.00 AED", "enter")
	step("sca", "Authorise 20.00 AED", "enter")
	app.Type(fw.PIN)
	app.Press("tab")
	app.Type(fw.Code)
	step("receipt", "Payment Settled", "enter")
	_ = app.FinalView()

	first := uifake.FakeNotOnboarded(clock.Now)
	ob := uitest.Start(t, first, uitest.WithClock(clock), uitest.WithAccessible())
	ob.WaitFor("Welcome to payterm")
	assertPlain(t, "intro", ob.View())
	ob.Press("enter")
	ob.Type("123456")
	ob.Press("enter")
	ob.Type("123456")
	ob.Press("enter")
	ob.WaitFor("Key ")
	assertPlain(t, "enrolment", ob.View())
	ob.Type(first.Code)
	ob.Press("enter")
	ob.WaitFor("Write down this recovery code")
	ob.Press("enter")
	ob.WaitFor("Who will you pay?")
	ob.Press("left", "left")
	ob.Press("enter")
	ob.WaitFor("Your consent")
	assertPlain(t, "consent page", ob.View())
	ob.Press("enter")
	ob.WaitFor("Approve the consent at your bank")
	assertPlain(t, "bank step", ob.View())
	_ = ob.FinalView()
}
