package ui_test

import (
	"context"
	"testing"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// hostileBundles is hostileWallet with the bundle service: every string of its answers (names,
// IBANs, messages, the revoke warning, statuses' words, reasons, notes, the bank's page) ends in
// the poison.
type hostileBundles struct {
	hostileWallet
	bs ui.BundleService
}

func (h hostileBundles) PrepareBundle(ctx context.Context, consentID string, items []ui.PaymentDraft) (ui.PreparedBundle, error) {
	for i := range items {
		items[i] = mapStrings(items[i], unpoisonString)
	}
	v, err := h.bs.PrepareBundle(ctx, in(consentID), items)
	return bad(h.hostileWallet, v, err)
}

func (h hostileBundles) SubmitBundle(ctx context.Context, id string, sca ui.SCAInput) (<-chan ui.BundleEvent, error) {
	ch, err := h.bs.SubmitBundle(ctx, in(id), sca)
	if ch == nil {
		return nil, h.err(err)
	}
	out := make(chan ui.BundleEvent, cap(ch))
	go func() {
		defer close(out)
		for ev := range ch {
			ev = mapStrings(ev, h.out)
			ev.Err = h.err(ev.Err)
			out <- ev
		}
	}()
	return out, h.err(err)
}

func (h hostileBundles) RevokeBundle(ctx context.Context, id string) ([]ui.BundleItem, error) {
	v, err := h.bs.RevokeBundle(ctx, in(id))
	return bad(h.hostileWallet, v, err)
}

// TestNoInjectionBundle: the bundle screen — form, review, the bank's page, the live list, the
// revoke warning and its outcome — on a wallet whose every string is poisoned draws nothing but
// text.
func TestNoInjectionBundle(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeOPWallet(clock.Now, 3)
	app := uitest.Start(t, hostileBundles{hostileWallet{w: fw}, fw}, uitest.WithClock(clock), uitest.WithEveryFrame())
	app.WaitFor("Recent payments")
	reviewBundle(t, app)
	app.WaitFor(poisonShown)
	confirmBundle(t, app, fw.PIN, fw.Code)
	app.WaitFor("paste the address you land on")
	app.Press("x")
	app.WaitFor("revokes every payment in it")
	app.Press("y")
	app.WaitFor("Every payment of the bundle has ended")
	_ = app.FinalView()
	requireNoInjection(t, app.Frames(), 3)
}
