package ui_test

import (
	"context"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// quietWallet reports each payment step only once it is over, never as running, as the
// production adapter does (app sends the core's events one behind): between two reports the
// screen has nothing running to animate.
type quietWallet struct{ ui.Wallet }

func (q quietWallet) SubmitPayment(ctx context.Context, id string, sca ui.SCAInput) (<-chan ui.PaymentEvent, error) {
	in, err := q.Wallet.SubmitPayment(ctx, id, sca)
	if in == nil {
		return nil, err
	}
	out := make(chan ui.PaymentEvent, cap(in))
	go func() {
		defer close(out)
		for ev := range in {
			if ev.State == ui.StepRunning && ev.Until.IsZero() && !ev.Final {
				continue
			}
			out <- ev
		}
	}()
	return out, err
}

// TestPayProgressLiveWhileQuiet (issue 12: "From Authenticate to the receipt takes about 8 s on
// the sandbox, during which "Elapsed 0.1s" never moves and nothing animates: it looks hung").
// While the core is between two reports, the step after the last one reported carries the
// spinner, and the elapsed time follows the clock: 3.1 s later the spinner has moved on a frame
// and the screen says 3.1 s.
func TestPayProgressLiveWhileQuiet(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.Hold = make(chan struct{})
	app := uitest.Start(t, quietWallet{fw}, uitest.WithClock(clock))
	pay(t, app, fw)
	app.WaitFor("✓ Saved")
	app.WaitFor("⠋ Sent")
	clock.Advance(3100 * time.Millisecond)
	app.WaitFor("⠙ Sent")
	app.WaitFor("Elapsed 3.1s")
	clock.Advance(8 * time.Second)
	app.WaitFor("Elapsed 11s")
	close(fw.Hold)
	app.WaitFor("Payment Settled")
}
