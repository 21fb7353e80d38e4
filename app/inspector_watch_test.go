package app

import (
	"context"
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
)

// TestInspectorKeepsThePaymentAfterASyncElsewhere: after a payment at the Fintecture hub, the
// keeper's consent sync at the UAE bank (every 15 minutes in the background) is the newest
// exchange; the inspector still draws the Fintecture payment's sequence, not the UAE one,
// until the next payment runs at another bank.
func TestInspectorKeepsThePaymentAfterASyncElsewhere(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	a := openApp(t, threeBankConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	uae, js := onboard(t, w, clock, twoPayees()[:1])
	if last := payAtFT(t, w, clock, js.totpSecret, "12.50", "Invoice 42"); last.Receipt == nil || !ui.PaymentPaid(last.Receipt.Status) {
		t.Fatalf("the Fintecture payment: %+v", last)
	}
	standard := func(where string) string {
		t.Helper()
		in, err := w.Inspect(ctx)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		return in.Standard
	}
	if got := standard("after the Fintecture payment"); !strings.Contains(got, "Fintecture") {
		t.Fatalf("after the Fintecture payment the inspector shows %q", got)
	}
	if err := a.wallet.SyncConsents(ctx); err != nil {
		t.Fatal(err)
	}
	if all := a.trace.allTraced(); len(all) == 0 || all[len(all)-1].ft != nil {
		t.Fatal("the sync made no exchange at the UAE bank: the test proves nothing")
	}
	if got := standard("after a consent sync at the UAE bank"); !strings.Contains(got, "Fintecture") {
		t.Errorf("a background sync at the UAE bank displaced the Fintecture payment: the inspector shows %q", got)
	}
	if last := finalEvent(t, pay(t, w, uae.ID, uae.Creditors[0].ID, "10.00", clock.nextCode(t, js.totpSecret))); last.Receipt == nil || !ui.PaymentPaid(last.Receipt.Status) {
		t.Fatalf("the UAE payment: %+v", last)
	}
	if got := standard("after the UAE payment"); strings.Contains(got, "Fintecture") {
		t.Errorf("after a payment at the UAE bank the inspector still shows %q", got)
	}
}
