package realapp_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/internal/hostilebank"
	"github.com/payterm/payterm/ui/uitest"
	"github.com/payterm/payterm/ui/uitest/realapp"
)

// TestJourneyHostileCertificate (issue 11): a second bank's server presents a certificate whose
// DNS name carries OSC 52 (clipboard) and OSC 2 (window title) escape sequences. Go's hostname
// error quotes it verbatim. On the production composition, onboarding at that bank fails at
// discovery and the screen says so: the certificate's name is shown as text, and no frame ever
// carries an escape, a BEL, a C1 control or a bidi override.
func TestJourneyHostileCertificate(t *testing.T) {
	hostile := hostilebank.Start(t)
	hostile.RequireRawInGoError(t)
	app := realapp.Start(t, realapp.Options{
		Configure: func(cfg *config.Config) {
			cfg.Banks = append(cfg.Banks, hostile.Bank(t, "hostile", "Hostile Test Bank"))
		},
		UI: []uitest.Option{uitest.WithEveryFrame()},
	})
	app.WaitFor("Welcome to payterm")
	app.Press("enter")
	app.WaitFor("Choose a PIN")
	app.Type(realapp.PIN)
	app.Press("enter")
	app.Type(realapp.PIN)
	app.Press("enter")
	app.WaitFor("Add payterm to your authenticator app")
	app.TOTPKey = uitest.TOTPKeyFromView(app.View())
	app.Type(app.NextCode(t))
	app.Press("enter")
	app.WaitFor("Write down this recovery code")
	app.Press("enter")
	app.WaitFor("Which bank?")
	app.Press("2", "enter")
	app.WaitFor("Who will you pay?")
	app.Press("left", "left") // open: no payees
	app.WaitFor("open: choose any payee")
	app.Press("enter")
	app.WaitFor("Your consent")
	app.Press("enter")
	app.WaitFor("Staging the consent at the bank failed")
	v := app.FinalView()
	if !strings.Contains(v, hostilebank.Visible) {
		t.Errorf("the screen does not quote the server's certificate (as text):\n%s", v)
	}
	frames := append(app.Frames(), v)
	for i, f := range frames {
		if bad := hostilebank.Injected(f); bad != "" {
			t.Fatalf("frame %d carries %s:\n%q", i, bad, f)
		}
	}
}
