package app

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
)

// TestOPBundleWaitingShownAfterARestart: a bundle left at OP's page before a restart is visible
// without a bundle screen: Home's overview counts one bundle awaiting approval at OP, and
// History's detail of each of its payments says its place in a bundle of 3 with 3 still
// waiting; once approved again from History (one page for the bundle), nothing waits: the
// overview counts no bundle and the detail says 0 waiting.
func TestOPBundleWaitingShownAfterARestart(t *testing.T) {
	e := newBundleEnv(t)
	ps := e.leftAtOPsPage(t)

	a := openApp(t, e.cfg, e.clock)
	defer a.Close()
	w := a.UIWallet()
	bg := context.Background()
	ov, err := w.Overview(bg)
	if err != nil {
		t.Fatal(err)
	}
	opName := a.bankName(a.banks[1].cfg.ID)
	if len(ov.BundlesAwaiting) != 1 || ov.BundlesAwaiting[0] != (ui.BundlesWaiting{Bank: opName, Count: 1}) {
		t.Fatalf("Home's waiting bundles after the restart: %+v (want one at %q)", ov.BundlesAwaiting, opName)
	}
	for i, p := range ps {
		d, err := w.Payment(bg, strconv.FormatInt(p.ID, 10))
		if err != nil {
			t.Fatal(err)
		}
		if d.Bundle == nil || *d.Bundle != (ui.BundleMembership{Item: i + 1, Size: 3, Awaiting: 3}) {
			t.Fatalf("payment %d's detail: bundle %+v", i+1, d.Bundle)
		}
	}

	id := strconv.FormatInt(ps[1].ID, 10)
	var ch <-chan ui.PaymentEvent
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, ch, err = w.(ui.ApprovalResumer).ApproveAgain(bg, id)
		if err == nil || time.Now().After(end) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	last := drain(t, ch, func(ev ui.PaymentEvent) {
		if ev.Action == nil || pages > 0 {
			return
		}
		pages++
		back := opBrowse(t, ev.Action.URL, "approve")
		if err := w.ContinuePayment(bg, id, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(back)}); err != nil {
			t.Errorf("ContinuePayment: %v", err)
		}
	})
	if pages != 1 || last.Receipt == nil || !ui.PaymentPaid(last.Receipt.Status) {
		t.Fatalf("%d pages, final %+v", pages, last)
	}
	if ov, err = w.Overview(bg); err != nil || len(ov.BundlesAwaiting) != 0 {
		t.Fatalf("Home's waiting bundles after the approval: %+v, %v", ov.BundlesAwaiting, err)
	}
	d, err := w.Payment(bg, strconv.FormatInt(ps[0].ID, 10))
	if err != nil || d.Bundle == nil || *d.Bundle != (ui.BundleMembership{Item: 1, Size: 3, Awaiting: 0}) {
		t.Fatalf("payment 1's detail after the approval: bundle %+v, %v", d.Bundle, err)
	}
	checkVerdicts(t, a.banks[1].op.bank)
}

// TestOPBundleWaitingCountedOnlyWhereBundlesAre: Home's count of waiting bundles reads the open
// payments only when a configured bank takes bundles (Caps.Bundle). A bundle left at OP's page
// is counted with the OP bank in the config; after the OP bank leaves the config (no bank left
// takes bundles) Home counts none — the bundle cannot be approved from here — and the config
// with OP back counts it again.
func TestOPBundleWaitingCountedOnlyWhereBundlesAre(t *testing.T) {
	e := newBundleEnv(t)
	e.leftAtOPsPage(t)
	bg := context.Background()

	without := e.cfg
	without.Banks = nil
	for _, b := range e.cfg.Banks {
		if b.ID != "op" {
			without.Banks = append(without.Banks, b)
		}
	}
	a := openApp(t, without, e.clock)
	if got := a.bundlingBanks(); len(got) != 0 {
		a.Close()
		t.Fatalf("banks taking bundles without OP in the config: %v", got)
	}
	ov, err := a.UIWallet().Overview(bg)
	a.Close()
	if err != nil || len(ov.BundlesAwaiting) != 0 {
		t.Fatalf("Home's waiting bundles with no bank taking bundles: %+v, %v", ov.BundlesAwaiting, err)
	}

	a = openApp(t, e.cfg, e.clock)
	defer a.Close()
	if got := a.bundlingBanks(); len(got) != 1 || !got["op"] {
		t.Fatalf("banks taking bundles with OP in the config: %v", got)
	}
	ov, err = a.UIWallet().Overview(bg)
	if err != nil || len(ov.BundlesAwaiting) != 1 || ov.BundlesAwaiting[0] != (ui.BundlesWaiting{Bank: a.bankName("op"), Count: 1}) {
		t.Fatalf("Home's waiting bundles with OP in the config: %+v, %v", ov.BundlesAwaiting, err)
	}
}
