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
// and not at the first; Home's p then asks which consent pays, and the first bank's settles
// at the first bank.
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

	// Home's p asks which consent pays when both can; the first bank's pays to its payee.
	app.Press("enter")
	app.WaitFor("Recent payments")
	app.Press("p")
	app.WaitFor("Pay from which consent?")
	v = app.View()
	if !strings.Contains(v, "payterm Sandbox Bank") || !strings.Contains(v, "Second Sandbox Bank") {
		t.Fatalf("the chooser does not offer both banks:\n%s", v)
	}
	for _, line := range strings.Split(v, "\n") {
		row := strings.TrimLeft(line, " >")
		if num, rest, ok := strings.Cut(row, ". "); ok && len(num) == 1 && strings.HasPrefix(rest, "payterm Sandbox Bank") {
			app.Type(num)
			break
		}
	}
	app.Press("enter")
	app.WaitFor("Purpose")
	if !strings.Contains(app.View(), "payterm Sandbox Bank") {
		t.Fatalf("the pay form does not name the chosen consent's bank:\n%s", app.View())
	}
	fillPayForm(app, 0, "4")
	settle(t, app)
	first := strings.TrimSpace(realapp.LineAfter(app.View(), "PaymentId"))
	if _, err := app.Core.Sandbox().PaymentStatus(first); err != nil {
		t.Errorf("the first bank has no payment %q: %v", first, err)
	}
	_ = app.FinalView()
}
