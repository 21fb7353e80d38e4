package ui_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

func TestLimitsView(t *testing.T) {
	app, _, _ := start(t, 5)
	app.WaitFor("Recent payments")
	app.Press("l")
	app.WaitFor("Headroom")
	golden(t, app)
}

func TestLimitsEditInvalid(t *testing.T) {
	app, fw, _ := start(t, 5)
	app.WaitFor("Recent payments")
	app.Press("l")
	app.WaitFor("Headroom")
	app.Press("e")
	app.WaitFor("Limits · Edit")
	app.Press("ctrl+u")
	app.Type("1.234")
	app.Press("enter")
	app.WaitFor("Per payment: An amount has at most 2 decimal places")
	golden(t, app)
	assertNoLimitCalls(t, fw)
}

// TestLimitsEditSaved: lowering a limit needs no PIN: it is saved at once.
func TestLimitsEditSaved(t *testing.T) {
	app, fw, _ := start(t, 5)
	app.WaitFor("Recent payments")
	app.Press("l")
	app.WaitFor("Headroom")
	app.Press("e")
	app.WaitFor("Limits · Edit")
	app.Press("ctrl+u")
	app.Type("750")
	app.Press("tab", "tab", "tab", "ctrl+u") // lower the daily count too
	app.Type("3")
	app.Press("enter")
	app.WaitFor("Limits saved")
	app.WaitFor("750.00 AED")
	v := golden(t, app)
	if !strings.Contains(v, "Payments/day     3") || strings.Contains(v, "PIN") {
		t.Errorf("lowered limits should be saved without asking for the PIN:\n%s", v)
	}
	if calls := strings.Join(fw.Calls(), " "); !strings.Contains(calls, "PlanLimits SetLimits") {
		t.Fatalf("calls = %s; want PlanLimits then SetLimits", calls)
	}
}

// TestInspectorRedacts: the inspector opens from anywhere (here, the middle of the pay form,
// where "i" is text, so via ctrl+t), lights the current step, redacts secrets and hides PII
// outside the sandbox.
func TestInspectorRedacts(t *testing.T) {
	app, _, _ := start(t, 5)
	app.WaitFor("Recent payments")
	app.Press("p")
	app.WaitFor("Purpose")
	app.Press("ctrl+t")
	app.WaitFor("← now")
	app.Press("k", "k", "k", "k") // up to PAR
	app.WaitFor("JWE header")
	v := golden(t, app)
	for _, secret := range []string{"Bearer", "eyJ", "not-shown-anyway", "Test Payee One"} {
		if strings.Contains(v, secret) {
			t.Errorf("inspector shows %q", secret)
		}
	}
	if !strings.Contains(v, "‹PII hidden›") {
		t.Error("PII should be hidden outside the sandbox")
	}
}

func TestInspectorSandboxVerdicts(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 5)
	fw.Sandbox = true
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithAccessible())
	app.WaitFor("Recent payments")
	app.Press("i")
	app.WaitFor("(current step)")
	app.Press("pgdown") // the verdicts close the step's message
	app.WaitFor("Sandbox bank verdicts")
	app.Press("x")
	app.WaitFor("Support bundle written")
	v := golden(t, app)
	if strings.Contains(v, "│") || strings.Contains(v, "◉") {
		t.Errorf("accessible inspector uses box drawing:\n%s", v)
	}
	app2 := uitest.Start(t, fw, uitest.WithClock(clock))
	app2.WaitFor("Recent payments")
	app2.Press("i")
	app2.WaitFor("← now")
	app2.Press("k", "k", "k", "k")
	app2.WaitFor("Creditor.Name: Test Payee One") // sandbox: PII shown
	app2.Press("i")                               // toggles back
	app2.WaitFor("Recent payments")
}

// TestInspectorLightsLatestWhenNoCurrent: a core reporting only finished steps still gets the
// latest one lit and selected.
func TestInspectorLightsLatestWhenNoCurrent(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.AllStepsDone = true
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Recent payments")
	app.Press("i")
	app.WaitFor("← latest")
	v := app.FinalView()
	if !strings.Contains(v, "> ● GET /payments/{id} until final  ← latest") {
		t.Errorf("latest step not lit and selected:\n%s", v)
	}
}
