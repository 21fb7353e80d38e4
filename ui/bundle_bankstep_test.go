package ui_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui/uitest"
)

// toBundleBankStep adds the three payments, reviews and confirms them, and waits for OP's page.
func toBundleBankStep(t *testing.T, app *uitest.App) {
	t.Helper()
	reviewBundle(t, app)
	confirmBundle(t, app, "123456", "654321")
	app.WaitFor("Approve the 3 payments at OP Test Bank. Open this address in a browser:")
}

// TestBundleBankStepNamesTheBundle: inside the Bundle screen the shared bank step names what
// the one approval covers, "the 3 payments", in its heading and in the esc key's help, and
// never says "the payment" in the singular (the single payment's wording is kept by the
// goldens of TestBGRedirectApproveByWaiting and TestBGAccessible).
func TestBundleBankStepNamesTheBundle(t *testing.T) {
	app, _ := startOP(t)
	toBundleBankStep(t, app)
	v := app.View()
	if !strings.Contains(v, "stop watching (the payments wait at your bank)") {
		t.Errorf("the esc help does not name the bundle's payments:\n%s", v)
	}
	for _, single := range []string{"Approve the payment at", "the payment waits at your bank"} {
		if strings.Contains(v, single) {
			t.Errorf("the bundle's bank step says %q:\n%s", single, v)
		}
	}
	app.RequireGolden(v)
}

// TestBundleBankStepAccessible: the same in accessible mode (the words only, no QR code).
func TestBundleBankStepAccessible(t *testing.T) {
	app, _ := startOP(t, uitest.WithAccessible())
	toBundleBankStep(t, app)
	v := app.View()
	if strings.Contains(v, "Approve the payment at") {
		t.Errorf("the bundle's bank step says the payment in the singular:\n%s", v)
	}
	app.RequireGolden(v)
}
