package app

import (
	"context"
	"errors"
	"testing"

	"github.com/payterm/payterm/ui"
)

// TestCoreReadsTypedAmountsExactly: the core, below any screen, refuses an amount that is not
// one with the same one sentence the pay form shows, and reads Arabic-Indic digits as digits.
func TestCoreReadsTypedAmountsExactly(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	c, _ := onboard(t, w, clock, twoPayees())
	payees, err := w.Payees(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for typed, want := range map[string]string{
		"1e9": "An exponent such as 1e9 is not an amount; type every digit, like 1000000000.",
		"-5":  "An amount cannot be negative; type it without a minus sign, like 125.50.",
		"abc": "The amount has characters that are not digits; type it in digits, like 125.50.",
	} {
		_, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: c.ID, PayeeID: payees[0].ID, Amount: typed, Purpose: "TOF"})
		var p *ui.Problem
		if !errors.As(err, &p) || p.Error() != want {
			t.Errorf("PreparePayment(%q) = %v, want the problem %q", typed, err, want)
		}
	}
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: c.ID, PayeeID: payees[0].ID, Amount: "١٢٣٫٤٥", Purpose: "TOF"})
	if err != nil || pp.Amount.Wire() != "123.45" {
		t.Fatalf("PreparePayment(١٢٣٫٤٥) = %v, %v; want 123.45", pp.Amount, err)
	}
}
