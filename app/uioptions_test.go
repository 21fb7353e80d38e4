package app

import (
	"testing"
	"time"

	"github.com/payterm/payterm/config"
)

// TestUIOptionsCarryNoColorAndAccessible: no_color (or --no-color), accessible and idle_lock
// reach the terminal UI's options.
func TestUIOptionsCarryNoColorAndAccessible(t *testing.T) {
	cfg := config.Default()
	if o := uiOptions(t.Context(), cfg); o.NoColor || o.Accessible {
		t.Fatalf("defaults: %+v", o)
	}
	cfg.UI.NoColor, cfg.UI.Accessible = true, true
	cfg.Security.IdleLock = config.Duration{Duration: 2 * time.Minute}
	o := uiOptions(t.Context(), cfg)
	if !o.NoColor || !o.Accessible || o.IdleTimeout != 2*time.Minute || o.OpenURL == nil {
		t.Fatalf("options: NoColor %v, Accessible %v, IdleTimeout %v", o.NoColor, o.Accessible, o.IdleTimeout)
	}
}
