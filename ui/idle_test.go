package ui_test

import (
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uitest"
)

// TestIdleLockSaysItsTimeout: the lock's message names the idle_lock in force, not always
// "5 minutes".
func TestIdleLockSaysItsTimeout(t *testing.T) {
	for _, c := range []struct {
		idle time.Duration
		says string
	}{
		{90 * time.Second, "locked after 90 seconds without activity"},
		{2 * time.Minute, "locked after 2 minutes without activity"},
		{30 * time.Second, "locked after 30 seconds without activity"},
		{ui.DefaultIdleTimeout, "locked after 5 minutes without activity"},
		{150 * time.Second, "locked after 2 minutes 30 seconds without activity"},
	} {
		t.Run(c.idle.String(), func(t *testing.T) {
			clock := uitest.NewClock(ui.FakeBase)
			fw := ui.NewFakeWallet(clock.Now, 3)
			app := uitest.Start(t, fw, uitest.WithOptions(ui.Options{IdleTimeout: c.idle}), uitest.WithClock(clock))
			app.WaitFor("Recent payments")
			clock.Advance(c.idle)
			app.Send(ui.IdleCheckMsg{})
			app.WaitFor(c.says)
			app.FinalView()
		})
	}
}
