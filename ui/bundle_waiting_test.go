package ui_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// startOPWaiting runs the app on the fake OP wallet with a bundle of three left awaiting the
// payer's approval at OP (as after a restart: no Bundle screen holds it).
func startOPWaiting(t *testing.T, opts ...uitest.Option) (*uitest.App, *uifake.FakeWallet, []string) {
	t.Helper()
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeOPWallet(clock.Now, 3)
	ids := fw.AddWaitingBundle(3)
	app := uitest.Start(t, fw, append([]uitest.Option{uitest.WithClock(clock)}, opts...)...)
	app.WaitFor("Recent payments")
	return app, fw, ids
}

// TestBundleWaitingOnHome: Home says a bundle awaits the payer's approval at OP and the way to
// it (History, a), since no screen lists open bundles.
func TestBundleWaitingOnHome(t *testing.T) {
	app, _, _ := startOPWaiting(t)
	app.WaitFor("1 bundle awaiting your approval at OP Test Bank")
	v := golden(t, app)
	if !strings.Contains(v, "(History: open a payment of it, press a)") {
		t.Fatalf("Home does not say the way to the bundle:\n%s", v)
	}
}

// TestHomeWithoutWaitingBundleSaysNothing: no bundle waiting, no line about bundles.
func TestHomeWithoutWaitingBundleSaysNothing(t *testing.T) {
	app, _ := startOP(t)
	if v := app.View(); strings.Contains(v, "bundle") {
		t.Fatalf("Home speaks of bundles with none waiting:\n%s", v)
	}
}

// TestBundleWaitingHistoryDetail: History's detail of a payment of a waiting bundle says which
// payment of how many it is, that approving it approves them all, and a's help says the whole
// bundle; a opens the bank's page naming the 3 payments, and the bank's one approval ends every
// payment of the bundle: Home then says no bundle waits.
func TestBundleWaitingHistoryDetail(t *testing.T) {
	app, fw, ids := startOPWaiting(t)
	app.Press("h")
	app.WaitFor("1 of 9")
	app.Press("enter")
	app.WaitFor("payment 3 of a bundle of 3, approved together at OP Test Bank")
	v := app.View()
	app.RequireGolden(v)
	for _, want := range []string{"Approving it approves them all", "for the 3 payments of this bundle",
		"a approve the whole bundle at your bank now"} {
		if !strings.Contains(v, want) {
			t.Errorf("the bundled payment's detail lacks %q:\n%s", want, v)
		}
	}
	decide := make(chan bool, 1)
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionRedirect, Decide: decide})
	app.Press("a")
	app.WaitFor("Approve the 3 payments at OP Test Bank. Open this address in a browser:")
	if v := app.View(); !strings.Contains(v, "the payments wait at your bank") {
		t.Errorf("the bank step for the bundle does not say its payments wait:\n%s", v)
	}
	decide <- true
	app.WaitFor("Payment Executed")
	for _, id := range ids {
		d, err := fw.Payment(t.Context(), id)
		if err != nil || d.Row.Status != ui.PaymentExecuted {
			t.Fatalf("payment %s of the approved bundle: %+v, %v", id, d.Row, err)
		}
	}
	app.Press("esc")
	app.WaitFor("Recent payments")
	app.Press("r")
	app.WaitGone("awaiting your approval at OP Test Bank")
}

// TestBundleWaitingLastOne: when the other payments of its bundle have ended, the detail says
// approving it approves this payment alone, and a's help is the single payment's.
func TestBundleWaitingLastOne(t *testing.T) {
	app, fw, ids := startOPWaiting(t)
	fw.SetPaymentStatus(ids[0], ui.PaymentRejected)
	fw.SetPaymentStatus(ids[1], ui.PaymentRejected)
	app.Press("h")
	app.WaitFor("1 of 9")
	app.Press("enter")
	app.WaitFor("payment 3 of a bundle of 3")
	v := app.View()
	if !strings.Contains(v, "approves this payment alone") || !strings.Contains(v, "a approve at your bank now") {
		t.Fatalf("the last waiting payment of a bundle:\n%s", v)
	}
}
