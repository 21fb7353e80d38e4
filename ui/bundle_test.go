package ui_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// startOP runs the app on the fake wallet whose active link is at the fake OP bank.
func startOP(t *testing.T, opts ...uitest.Option) (*uitest.App, *uifake.FakeWallet) {
	t.Helper()
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeOPWallet(clock.Now, 3)
	app := uitest.Start(t, fw, append([]uitest.Option{uitest.WithClock(clock)}, opts...)...)
	app.WaitFor("Recent payments")
	return app, fw
}

var bundlePayments = []struct{ name, iban, amount, msg string }{
	{"Kahvila Oy", "FI21 1234 5600 0007 85", "12.50", "Invoice 42"},
	{"Asunto Oy", "FI91 1234 5600 0007 86", "40", "Rent share"},
	{"Kirjasto", "FI69 1234 5600 0007 94", "7.25", ""},
}

// addBundlePayments types the three payments into the bundle form, one enter each.
func addBundlePayments(t *testing.T, app *uitest.App) {
	t.Helper()
	for i, p := range bundlePayments {
		app.Type(p.name)
		app.Press("tab")
		app.Type(p.iban)
		app.Press("tab")
		app.Type(p.amount)
		app.Press("tab")
		if p.msg != "" {
			app.Type(p.msg)
		}
		app.Press("enter")
		app.WaitFor([]string{"In the bundle: 1 payment", "In the bundle: 2 payments", "In the bundle: 3 payments"}[i])
	}
}

// reviewBundle opens the bundle form from Home, adds the three payments and waits for the
// review.
func reviewBundle(t *testing.T, app *uitest.App) {
	t.Helper()
	app.Press("b")
	app.WaitFor("Add a payment")
	addBundlePayments(t, app)
	app.Press("enter")
	app.WaitFor("You are about to pay")
}

// confirmBundle goes on from the review and types the PIN and the code; the caller waits for
// what comes next.
func confirmBundle(t *testing.T, app *uitest.App, pin, code string) {
	t.Helper()
	app.Press("enter")
	app.WaitFor("Confirm the bundle")
	app.Type(pin)
	app.Press("tab")
	app.Type(code)
	app.Press("enter")
}

// TestBundleOfThreeApprovedOnce: b on Home opens the bundle form (listed in help); three
// payments are added with the pay form's checks (a bad IBAN and a bad amount are refused in
// words, nothing added), reviewed with their total, confirmed with one PIN + code, approved
// once on OP's page (the address pasted back), and each payment's status is listed live.
func TestBundleOfThreeApprovedOnce(t *testing.T) {
	app, fw := startOP(t)
	app.Press("?")
	app.WaitFor("Everywhere")
	if v := app.View(); !strings.Contains(v, "bundle: several payments, one approval at the bank") {
		t.Fatalf("help does not list b:\n%s", v)
	}
	app.Press("esc")
	app.WaitFor("Recent payments")
	app.Press("b")
	app.WaitFor("Add a payment")
	// A bad IBAN: refused, nothing added, what was typed kept.
	app.Type("Kahvila Oy")
	app.Press("tab")
	app.Type("FI21 1234 5600 0007 84")
	app.Press("tab")
	app.Type("12.50")
	app.Press("enter")
	app.WaitFor("No payment in the bundle yet.")
	if v := app.View(); !strings.Contains(v, "FI21 1234 5600 0007 84") || !strings.Contains(v, "IBAN") {
		t.Fatalf("the refused payment was not kept as typed:\n%s", v)
	}
	for range 3 {
		app.Press("tab")
	}
	app.Press("ctrl+u")
	app.Press("shift+tab", "shift+tab", "ctrl+u", "shift+tab", "ctrl+u", "shift+tab")
	// One payment alone is not a bundle.
	app.Press("enter")
	app.WaitFor("A bundle holds at least two payments")
	addBundlePayments(t, app)
	app.WaitFor("Total 59.75 EUR")
	app.Press("enter") // the form is empty: review
	app.WaitFor("You are about to pay")
	v := app.View()
	for _, want := range []string{"59.75 EUR to 3 payees from OP Test Bank", "Kahvila Oy", "Asunto Oy", "Kirjasto", "40.00 EUR",
		"OP Test Bank then asks you once, on its page, to approve them"} {
		if !strings.Contains(v, want) {
			t.Errorf("review lacks %q:\n%s", want, v)
		}
	}
	confirmBundle(t, app, "123456", "654321")
	app.WaitFor("log in once and approve the 3 payments")
	app.Press("v")
	app.WaitFor("Callback URL")
	app.Type("https://127.0.0.1:8443/op/back?code=test-code&state=s")
	app.Press("enter")
	app.WaitFor("Every payment of the bundle has ended")
	v = app.View()
	if n := strings.Count(v, "Executed (Submitted)"); n != 3 {
		t.Fatalf("%d payments shown Executed (Submitted), want 3:\n%s", n, v)
	}
	items := fw.BundleItems("b0000001-0000-4000-8000-000000000000")
	if len(items) != 3 || !ui.PaymentPaid(items[2].Status) {
		t.Fatalf("the fake bank's bundle: %+v", items)
	}
	golden(t, app)
}

// TestBundleAccessible: the review and the live list in accessible mode: no box drawing, the
// statuses in words.
func TestBundleAccessible(t *testing.T) {
	app, _ := startOP(t, uitest.WithAccessible())
	reviewBundle(t, app)
	confirmBundle(t, app, "123456", "654321")
	app.WaitFor("log in once and approve the 3 payments")
	app.Press("v")
	app.WaitFor("Callback URL")
	app.Type("https://127.0.0.1:8443/op/back?code=test-code&state=s&only=1,2")
	app.Press("enter")
	app.WaitFor("Every payment of the bundle has ended")
	v := golden(t, app)
	if strings.Count(v, "Executed (Submitted)") != 2 || !strings.Contains(v, "Rejected") || !strings.Contains(v, "You rejected the payment at OP") {
		t.Fatalf("the payer approved two of three:\n%s", v)
	}
	for _, box := range []string{"╭", "│", "⠋"} {
		if strings.Contains(v, box) {
			t.Errorf("accessible frame contains %q", box)
		}
	}
}

// TestBundleRevokeWarnsFirst: x at OP's page says the bank's warning — every payment of the
// bundle goes — before it asks; n keeps the bundle, y revokes every payment.
func TestBundleRevokeWarnsFirst(t *testing.T) {
	app, fw := startOP(t)
	reviewBundle(t, app)
	confirmBundle(t, app, "123456", "654321")
	app.WaitFor("log in once and approve the 3 payments")
	app.Press("x")
	app.WaitFor("revokes every payment in it: all 3 of them")
	v := app.View()
	if !strings.Contains(v, "y revokes, n keeps it") || strings.Contains(v, "Cancelled") {
		t.Fatalf("the revocation asked without the warning, or acted first:\n%s", v)
	}
	app.Press("y")
	app.WaitFor("The bundle was revoked")
	if n := strings.Count(app.View(), "Cancelled (Revoked)"); n != 3 {
		t.Fatalf("%d payments shown revoked:\n%s", n, app.View())
	}
	for _, it := range fw.BundleItems("b0000001-0000-4000-8000-000000000000") {
		if it.Status != ui.PaymentCancelled {
			t.Fatalf("a payment of the revoked bundle: %+v", it)
		}
	}
	golden(t, app)
}

// TestBundleReview: the review lists every payment, the total, the standard and how requests
// are signed, and says the PIN and code protect the wallet and the bank then asks once.
func TestBundleReview(t *testing.T) {
	app, _ := startOP(t)
	reviewBundle(t, app)
	golden(t, app)
}

// TestBundleWrongCodeAsksAgain: a wrong code sends nothing and comes back to the PIN and code
// with the attempts left; the right one then pays the same bundle.
func TestBundleWrongCodeAsksAgain(t *testing.T) {
	app, fw := startOP(t)
	reviewBundle(t, app)
	confirmBundle(t, app, "123456", "000000")
	app.WaitFor("attempts left")
	if v := app.View(); !strings.Contains(v, "Confirm the bundle") || strings.Contains(v, "000000") {
		t.Fatalf("after a wrong code:\n%s", v)
	}
	app.Type("123456")
	app.Press("tab")
	app.Type("654321")
	app.Press("enter")
	app.WaitFor("paste the address you land on")
	app.Press("v")
	app.WaitFor("Callback URL")
	app.Type("https://127.0.0.1:8443/op/back?error=access_denied&state=s")
	app.Press("enter")
	app.WaitFor("Every payment of the bundle has ended")
	if n := strings.Count(app.View(), "You rejected the payment at OP"); n != 3 {
		t.Fatalf("%d payments rejected at OP, want 3:\n%s", n, app.View())
	}
	if items := fw.BundleItems("b0000001-0000-4000-8000-000000000000"); len(items) != 3 || items[0].Status != ui.PaymentRejected {
		t.Fatalf("the fake bank's bundle: %+v", items)
	}
}

// TestBundleEscAsksBeforeDroppingItsPayments: esc on the bundle form with payments added asks
// first (it dropped all of them unasked); any other key stays with them kept, a second esc
// leaves. An empty form leaves at once.
func TestBundleEscAsksBeforeDroppingItsPayments(t *testing.T) {
	app, _ := startOP(t)
	app.Press("b")
	app.WaitFor("Add a payment")
	addBundlePayments(t, app)
	app.Press("esc")
	app.WaitFor("Leave the bundle? Its 3 payments are dropped.")
	app.Press("tab")
	app.WaitGone("Leave the bundle?")
	app.WaitFor("In the bundle: 3 payments")
	app.Press("esc")
	app.WaitFor("Leave the bundle?")
	app.Press("esc")
	app.WaitFor("Recent payments")
	app.Press("b")
	app.WaitFor("Add a payment")
	app.Press("esc")
	app.WaitFor("Recent payments")
}
