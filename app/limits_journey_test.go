package app

import (
	"testing"
	"time"

	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui/uitest"
)

// TestLimitsJourneyOnRealWallet runs Limits › Edit of the production UI over the real App and
// authenticator: text that is not an amount stays and is refused; lowering saves at once;
// removing a limit asks for the PIN and code, a wrong code costs one of the same five
// attempts payments use, and the right ones save it; a contradiction is refused with its reason.
func TestLimitsJourneyOnRealWallet(t *testing.T) {
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	t.Cleanup(func() { _ = a.Close() })
	_, js := onboard(t, a.UIWallet(), clock, twoPayees())
	app := uitest.Start(t, a.UIWallet(), uitest.WithTimeout(30*time.Second), uitest.WithSize(110, 40))
	app.WaitFor("Recent payments")
	app.Press("l")
	app.WaitFor("Headroom")
	app.Press("e")
	app.WaitFor("Limits · Edit")

	// The defaults: 5,000 per payment, 10,000 a day, 50,000 a month, 20 a day, no consent total.
	app.Press("tab", "tab", "ctrl+u")
	app.Type("abc")
	app.Press("enter")
	app.WaitFor("Per month: The amount has characters that are not digits")
	app.WaitFor("abc▏  not an amount")

	app.Press("ctrl+u")
	app.Type("40,000") // lower: saved without a PIN
	app.Press("enter")
	app.WaitFor("Limits saved")
	app.WaitFor("Per month        40,000.00 AED")

	app.Press("e")
	app.WaitFor("Limits · Edit")
	app.Press("tab", "tab", "ctrl+u")
	app.Type("none")
	app.Press("enter")
	app.WaitFor("Per month      40,000.00 AED → no limit  (removed)")
	app.Type(testPIN)
	app.Press("tab")
	app.Type(wrongCode(t, clock, js.totpSecret))
	app.Press("enter")
	app.WaitFor("PIN or code not accepted. 4 attempts left")
	if st := a.auth.Status(); st.RemainingAttempts != sca.MaxFailures-1 {
		t.Fatalf("the wrong code left %d attempts, want %d", st.RemainingAttempts, sca.MaxFailures-1)
	}
	app.Type(testPIN)
	app.Press("tab")
	app.Type(clock.nextCode(t, js.totpSecret))
	app.Press("enter")
	app.WaitFor("Limits saved")
	app.WaitFor("Per month        no limit")
	if st := a.auth.Status(); st.RemainingAttempts != sca.MaxFailures {
		t.Fatalf("after the SCA %d attempts left", st.RemainingAttempts)
	}

	app.Press("e")
	app.WaitFor("Limits · Edit")
	app.Press("tab", "ctrl+u")
	app.Type("1000") // per payment 5,000 above a daily 1,000
	app.Press("enter")
	app.WaitFor("The per-payment limit (5,000.00 AED) is above the daily limit (1,000.00 AED)")
	h, err := a.UIWallet().Limits(t.Context())
	if err != nil || h.Limits.PerDay.Display() != "10,000.00" || !h.Limits.PerMonth.IsZero() {
		t.Fatalf("limits = %+v, %v", h.Limits, err)
	}
}
