package ui_test

import (
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// stretchingWallet is the fake wallet with a PIN check that can start early
// (ui.PINPrestretcher): it records each PIN handed over.
type stretchingWallet struct {
	*uifake.FakeWallet
	pins chan string
}

func (w stretchingWallet) PrestretchPIN(pin ui.Secret) { w.pins <- pin.Reveal() }

// TestPayHandsThePINOverWhenFocusMovesToTheCode: tab (or enter) from the PIN field gives the
// typed PIN to a wallet that can stretch it early; nothing is handed over before, and the
// payment still goes through SubmitPayment with the PIN and the code.
func TestPayHandsThePINOverWhenFocusMovesToTheCode(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	w := stretchingWallet{FakeWallet: fw, pins: make(chan string, 4)}
	app := uitest.Start(t, w, uitest.WithClock(clock))
	toSCA(t, app)
	app.Type(fw.PIN)
	select {
	case p := <-w.pins:
		t.Fatalf("PIN %q handed over while still being typed", p)
	default:
	}
	app.Press("enter") // code field empty: enter moves focus to it
	select {
	case p := <-w.pins:
		if p != fw.PIN {
			t.Fatalf("handed over %q, want the typed PIN", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("moving to the code field did not hand the PIN over")
	}
	app.Press("shift+tab") // back to the PIN: nothing handed over
	app.Press("tab")
	select {
	case p := <-w.pins:
		if p != fw.PIN {
			t.Fatalf("handed over %q again, want the typed PIN", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("tab to the code field did not hand the PIN over")
	}
	app.Type(fw.Code)
	app.Press("enter")
	app.WaitFor("Payment Settled")
}
