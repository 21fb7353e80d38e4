package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// openLimitsEdit opens Limits › Edit with the fake's limits (5,000 per payment, 10,000 a day,
// 50,000 a month, 10 payments a day, 500,000 per consent).
func openLimitsEdit(t *testing.T) (*uitest.App, *uifake.FakeWallet) {
	t.Helper()
	app, fw, _ := start(t, 5)
	app.WaitFor("Recent payments")
	app.Press("l")
	app.WaitFor("Headroom")
	app.Press("e")
	app.WaitFor("Limits · Edit")
	return app, fw
}

// waitSentence waits for the start of a sentence the screen may wrap, then checks the whole
// sentence is on screen (lines joined).
func waitSentence(t *testing.T, app *uitest.App, sentence string) string {
	t.Helper()
	app.WaitFor(sentence[:min(len(sentence), 40)])
	v := app.View()
	if !strings.Contains(strings.Join(strings.Fields(v), " "), sentence) {
		t.Fatalf("the screen does not say %q:\n%s", sentence, v)
	}
	return v
}

// assertNoLimitCalls fails when the screen asked the core to check or save limits.
func assertNoLimitCalls(t *testing.T, fw *uifake.FakeWallet) {
	t.Helper()
	for _, c := range fw.Calls() {
		if c == "SetLimits" || c == "PlanLimits" {
			t.Fatalf("the limits screen called %s for a form that does not parse: %v", c, fw.Calls())
		}
	}
}

// limitsInForce reads the fake's limits through the screen's own service.
func limitsInForce(t *testing.T, fw *uifake.FakeWallet) ui.Limits {
	t.Helper()
	h, err := fw.Limits(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return h.Limits
}

// TestLimitsAbcInPerMonthIsAnError: issue 11 — "abc" in Per month used to be dropped key by
// key, leaving the field blank, and saving removed the monthly limit. Now the letters stay,
// the field is marked, one sentence says what to type, and nothing is saved.
func TestLimitsAbcInPerMonthIsAnError(t *testing.T) {
	app, fw := openLimitsEdit(t)
	before := limitsInForce(t, fw)
	app.Press("tab", "tab", "ctrl+u")
	app.Type("abc")
	app.WaitFor("Per month      abc▏")
	app.Press("enter")
	waitSentence(t, app, "Per month: The amount has characters that are not digits; type it in digits, like 125.50, or none for no limit.")
	v := golden(t, app)
	if !strings.Contains(v, "abc▏  not an amount") {
		t.Errorf("the field is not marked, or lost what was typed:\n%s", v)
	}
	assertNoLimitCalls(t, fw)
	if limitsInForce(t, fw) != before {
		t.Fatal("the limits changed")
	}
}

// TestLimitsEmptyFieldIsNotRemoval: a field left empty is an error, not "no limit".
func TestLimitsEmptyFieldIsNotRemoval(t *testing.T) {
	app, fw := openLimitsEdit(t)
	app.Press("tab", "tab", "ctrl+u", "enter")
	app.WaitFor("Per month: the field is empty; type an amount, or none for no limit.")
	app.Press("tab", "ctrl+u", "enter") // the count too: the first bad field speaks, both are marked
	// The sentence is already on screen from the first enter: wait for the second one's marks.
	deadline := time.Now().Add(uitest.DefaultTimeout)
	for strings.Count(app.View(), "not a") != 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if v := app.View(); strings.Count(v, "not a") != 2 || !strings.Contains(v, "Per month: the field is empty") {
		t.Errorf("want both empty fields marked:\n%s", v)
	}
	assertNoLimitCalls(t, fw)
}

// TestLimitsZeroIsNotALimit: 0 would refuse every payment; the sentence says to type none.
func TestLimitsZeroIsNotALimit(t *testing.T) {
	app, fw := openLimitsEdit(t)
	app.Press("ctrl+u")
	app.Type("0")
	app.Press("enter")
	waitSentence(t, app, "Per payment: a limit of 0.00 would refuse every payment; type an amount, or none for no limit.")
	app.Press("ctrl+u") // the focus is on the field the sentence is about
	app.Type("5000.00")
	app.Press("tab", "tab", "tab", "ctrl+u")
	app.Type("0")
	app.Press("enter")
	waitSentence(t, app, "Payments/day: a limit of 0 would refuse every payment; type a whole number from 1 to 10000, or none for no limit.")
	app.Press("ctrl+u")
	app.Type("1e3")
	app.Press("enter")
	app.WaitFor("Payments/day: a count is a whole number, in digits only")
	assertNoLimitCalls(t, fw)
}

// TestLimitsRaiseAsksForPINAndCode: raising a limit shows what changes and asks for the PIN
// and code; a wrong code costs one of the payments' five attempts and saves nothing; the
// right ones save it.
func TestLimitsRaiseAsksForPINAndCode(t *testing.T) {
	app, fw := openLimitsEdit(t)
	before := limitsInForce(t, fw)
	app.Press("ctrl+u")
	app.Type("7,500")
	app.Press("enter")
	app.WaitFor("Limits · Authenticate")
	app.WaitFor("Per payment    5,000.00 AED → 7,500.00 AED  (raised)")
	app.Type(fw.PIN)
	app.Press("tab")
	app.Type("000000")
	app.Press("enter")
	app.WaitFor("PIN or code not accepted. 4 attempts left")
	if limitsInForce(t, fw) != before {
		t.Fatal("a wrong code saved the raise")
	}
	golden(t, app)
}

// TestLimitsWrongCodeCostsAPaymentAttempt: the attempt a wrong code for a limit costs is the
// payments' own: a wrong code at payment afterwards leaves 3.
func TestLimitsWrongCodeCostsAPaymentAttempt(t *testing.T) {
	app, fw := openLimitsEdit(t)
	app.Press("ctrl+u")
	app.Type("7500")
	app.Press("enter")
	app.WaitFor("Limits · Authenticate")
	app.Type(fw.PIN)
	app.Press("tab")
	app.Type("000000")
	app.Press("enter")
	app.WaitFor("PIN or code not accepted. 4 attempts left")
	app.Press("esc")
	app.WaitFor("Limits · Edit")
	app.WaitFor("Per payment    7500▏") // back to the edit as typed
	app.Press("esc")
	app.WaitFor("Headroom")
	app.Press("esc")
	app.WaitFor("Recent payments")
	toSCA(t, app)
	app.Type(fw.PIN)
	app.Press("tab")
	app.Type("000000")
	app.Press("enter")
	app.WaitFor("PIN or code not accepted. 3 attempts left")
}

// TestLimitsRaiseSavedWithTheRightCode: the right PIN and code save the raise.
func TestLimitsRaiseSavedWithTheRightCode(t *testing.T) {
	app, fw := openLimitsEdit(t)
	app.Press("tab", "tab", "ctrl+u")
	app.Type("none") // remove the monthly limit
	app.Press("tab", "tab", "ctrl+u")
	app.Type("400,000") // and lower the consent total
	app.Press("enter")
	app.WaitFor("Limits · Authenticate")
	v := app.View()
	for _, want := range []string{"Per month      50,000.00 AED → no limit  (removed)", "Consent total  500,000.00 AED → 400,000.00 AED  (lowered)"} {
		if !strings.Contains(v, want) {
			t.Errorf("the SCA screen does not list %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "Per payment") {
		t.Errorf("an unchanged limit is listed:\n%s", v)
	}
	app.Type(fw.PIN)
	app.Press("enter") // enter on the PIN moves to the code
	app.Type(fw.Code)
	app.Press("enter")
	app.WaitFor("Limits saved")
	app.WaitFor("Per month        no limit")
	if l := limitsInForce(t, fw); !l.PerMonth.IsZero() || l.ConsentTotal.Display() != "400,000.00" {
		t.Fatalf("limits after the raise: %+v", l)
	}
}

// TestLimitsLowerDoesNotAsk: lowering a limit goes straight to saved (no PIN is typed here,
// so an SCA step would never reach "Limits saved").
func TestLimitsLowerDoesNotAsk(t *testing.T) {
	app, fw := openLimitsEdit(t)
	app.Press("tab", "ctrl+u")
	app.Type("٩٠٠٠") // Arabic-Indic digits: 9000, lower than 10,000
	app.Press("enter")
	app.WaitFor("Limits saved")
	app.WaitFor("Per day          9,000.00 AED")
	if l := limitsInForce(t, fw); l.PerDay.Display() != "9,000.00" {
		t.Fatalf("per day = %s", l.PerDay.Display())
	}
}

// TestLimitsEscFromSCAKeepsTheEdit: esc on the PIN step returns to the form as typed, unsaved.
func TestLimitsEscFromSCAKeepsTheEdit(t *testing.T) {
	app, fw := openLimitsEdit(t)
	app.Press("tab", "tab", "tab", "ctrl+u")
	app.Type("none")
	app.Press("enter")
	app.WaitFor("Payments/day   10 → no limit  (removed)")
	app.Press("esc")
	app.WaitFor("Limits · Edit")
	app.WaitFor("Payments/day   none▏")
	if l := limitsInForce(t, fw); l.PerDayCount != 10 {
		t.Fatalf("count = %d after esc", l.PerDayCount)
	}
}

// TestLimitsContradictionRefused: a per-payment limit above the daily one is refused with the
// reason, before any PIN is asked.
func TestLimitsContradictionRefused(t *testing.T) {
	app, fw := openLimitsEdit(t)
	before := limitsInForce(t, fw)
	app.Press("ctrl+u")
	app.Type("20000")
	app.Press("enter")
	waitSentence(t, app, "The per-payment limit (20,000.00 AED) is above the daily limit (10,000.00 AED), so it could never be reached. Lower the per-payment limit or raise the daily one.")
	golden(t, app)
	if limitsInForce(t, fw) != before {
		t.Fatal("contradictory limits saved")
	}
}
