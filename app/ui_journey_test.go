package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uitest"
)

// TestUIJourneyOnRealWallet runs the production UI (ui.New through ui/uitest) over the real App
// on a fresh embedded sandbox: first-run onboarding typed key by key (the TOTP code computed
// from the key the enrolment screen shows), the bank step with a browser that follows the
// authorize URL, Home, a payment to settlement, then revocation from the consent dashboard.
func TestUIJourneyOnRealWallet(t *testing.T) {
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	// Registered before uitest.Start, so it runs after the UI has quit (cleanups run last-in first-out).
	t.Cleanup(func() { _ = a.Close() })
	app := uitest.Start(t, a.UIWallet(), uitest.WithTimeout(30*time.Second), uitest.WithSize(110, 45))

	app.WaitFor("Welcome to payterm")
	app.Press("enter")
	app.WaitFor("Choose a PIN")
	app.Type(testPIN)
	app.Press("enter")
	app.Type(testPIN)
	app.Press("enter")
	app.WaitFor("Add payterm to your authenticator app")
	key := uitest.TOTPKeyFromView(app.View())
	if len(key) < 16 {
		t.Fatalf("no TOTP key on the enrolment screen:\n%s", app.View())
	}
	app.Type(clock.nextCode(t, key))
	app.Press("enter")
	app.WaitFor("Write down this recovery code")
	app.Press("enter")
	app.WaitFor("Who will you pay?")

	payee := twoPayees()[1] // the Arabic name: typed rune by rune
	app.Press("left")       // a list of payees → one payee
	app.WaitFor("one payee")
	app.Press("tab")
	app.Type(payee.Name)
	app.Press("tab")
	app.Type(payee.IBAN)
	app.Press("enter")
	app.WaitFor("1. " + payee.Name)
	app.Press("enter")
	app.WaitFor("Your consent")
	app.Press("enter")
	app.WaitFor("Approve the consent at your bank")

	a.ob.mu.Lock()
	step := a.ob.step
	a.ob.mu.Unlock()
	if step == nil || !strings.Contains(app.View(), step.info.ConsentID[:8]) && !strings.Contains(app.View(), "request_uri") {
		t.Fatalf("the bank step is not on screen:\n%s", app.View())
	}
	app.Press("w")
	app.WaitFor("Waiting for your bank")
	browse(t, step.info.URL)
	app.WaitFor("You are set up.")
	app.Press("enter")
	app.WaitFor("Recent payments")
	if v := app.View(); !strings.Contains(v, "Flexi Pay") || !strings.Contains(v, "encrypted file") {
		t.Fatalf("Home lacks the consent card or the secret store:\n%s", v)
	}

	app.Press("p")
	app.WaitFor("Purpose")
	app.WaitFor(payee.Name)
	app.Press("tab")
	app.Type("12.50")
	app.Press("tab")
	app.Type("ui journey")
	app.Press("tab")
	app.Type("tof")
	app.WaitFor("TOF  Transfer of funds")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Authorise 12.50 AED")
	app.Type(testPIN)
	app.Press("tab")
	app.Type(clock.nextCode(t, key))
	app.Press("enter")
	app.WaitFor("Payment Settled")
	v := app.View()
	c, err := a.ledger.Consents(context.Background())
	if err != nil || len(c) != 1 {
		t.Fatal(err, c)
	}
	page, err := a.UIWallet().History(context.Background(), ui.HistoryQuery{Limit: 1})
	if err != nil || len(page.Rows) != 1 || !strings.Contains(v, page.Rows[0].PaymentID) {
		t.Fatalf("receipt does not show the bank's PaymentId %v:\n%s", err, v)
	}
	for _, secret := range []string{testPIN, key} {
		if strings.Contains(v, secret) {
			t.Fatal("a secret is on the receipt screen")
		}
	}

	app.Press("enter")
	app.WaitFor("Recent payments")
	app.Press("c")
	app.WaitFor("Current")
	app.WaitFor("Flexi Pay expires")
	app.Press("enter")
	app.WaitFor("Payment Rules")
	app.Press("X")
	app.WaitFor("Cancel permission?")
	app.Press("y")
	app.WaitFor("Permission cancelled at the bank")
	if st, _ := a.Sandbox().ConsentStatus(c[0].ID); st != "Revoked" {
		t.Fatalf("the bank's consent status after revoking in the dashboard = %q", st)
	}
}
