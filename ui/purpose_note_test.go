package ui_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// TestPurposeAndFlexiPayExplained: on the purpose field the form says, in a payer's words, what
// the purpose is (chosen per payment; the consent's is where the list starts) and what Flexi Pay
// means; the note goes when the focus leaves the field.
func TestPurposeAndFlexiPayExplained(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	app := uitest.Start(t, uifake.NewFakeWallet(clock.Now, 3), uitest.WithClock(clock))
	app.WaitFor("Recent payments")
	app.Press("p")
	app.WaitFor("Amount")
	if v := app.View(); strings.Contains(v, "The purpose tells your bank") {
		t.Fatalf("the note shows before the purpose field has the focus:\n%s", v)
	}
	app.FocusField("Purpose")
	app.WaitFor("The purpose tells your bank what this payment is for")
	v := strings.Join(strings.Fields(app.View()), " ")
	for _, want := range []string{
		"you choose it for each payment; the list starts at your consent's, MWP.",
		"Flexi Pay: you approve each payment here with your PIN and code, within your limits; your bank does not ask again.",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("the purpose note lacks %q:\n%s", want, app.View())
		}
	}
	app.RequireFits(app.View())
	app.Press("shift+tab")
	app.WaitGone("The purpose tells your bank")
}
