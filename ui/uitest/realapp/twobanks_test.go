package realapp_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/ui/uitest/realapp"
)

// TestJourneyTwoBanks: a wallet configured with two embedded banks. Onboarding asks which bank
// and gives the consent at the first; a new consent from Home at the second; Consents names
// both banks; paying from the second bank's consent (chosen on Consents) settles at that bank
// and not at the first.
func TestJourneyTwoBanks(t *testing.T) {
	if testing.Short() {
		t.Skip("sandbox journey: skipped in -short")
	}
	app := realapp.Start(t, realapp.Options{Configure: func(cfg *config.Config) {
		second := cfg.Bank
		second.ID, second.Name = "second", "Second Sandbox Bank"
		cfg.Banks = []config.Bank{second}
	}})
	app.OnboardAt(t, "payterm Sandbox Bank", twoPayees[0])
	app.WaitFor("payterm Sandbox Bank")

	app.NewConsentAt(t, "Second Sandbox Bank")
	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.WaitFor("Second Sandbox Bank")
	v := app.View()
	if !strings.Contains(v, "payterm Sandbox Bank") {
		t.Fatalf("Consents does not name both banks:\n%s", v)
	}
	// Newest first: the second bank's consent is the first row.
	app.Press("enter")
	app.WaitFor("Payment Rules")
	if !strings.Contains(app.View(), "Second Sandbox Bank") {
		t.Fatalf("the detail of the new consent does not name its bank:\n%s", app.View())
	}
	payNewPayee(t, app, "Second Bank Payee", "AE620260001015678901234", "9")
	v = app.View()
	if !strings.Contains(v, "Second Sandbox Bank") {
		t.Errorf("the receipt does not name the bank it was paid from:\n%s", v)
	}
	id := realapp.LineAfter(v, "PaymentId")
	if id == "" {
		t.Fatalf("no payment id on the receipt:\n%s", v)
	}
	if _, err := app.Core.SandboxOf("second").PaymentStatus(strings.TrimSpace(id)); err != nil {
		t.Errorf("the second bank has no payment %q: %v", id, err)
	}
	if _, err := app.Core.Sandbox().PaymentStatus(strings.TrimSpace(id)); err == nil {
		t.Error("the first bank has the second bank's payment")
	}
	_ = app.FinalView()
}
