package ui

import (
	"context"
	"time"

	"github.com/charmbracelet/lipgloss"
)

// Options configure the app. The zero value is usable: real clock, colour, 5-minute lock.
type Options struct {
	// Clock is injected so tests are deterministic; nil = time.Now.
	Clock func() time.Time
	// Location is the time zone every time on screen is shown in; nil = time.Local (TZ). Tests
	// inject it like the clock (uitest runs in UTC unless uitest.WithLocation).
	Location *time.Location
	// Accessible: no box drawing, no spinners, state changes announced as plain sentences.
	Accessible bool
	// NoColor forces the ASCII colour profile (NO_COLOR is honoured by Run).
	NoColor bool
	// Renderer overrides the lipgloss renderer (nil = lipgloss default renderer).
	Renderer *lipgloss.Renderer
	// OpenURL opens the bank page in a browser; nil hides the "open browser" choice.
	OpenURL func(url string) error
	// Hyperlinks: the terminal shows OSC 8 hyperlinks (Run sets it from the environment with
	// Hyperlinks(os.Getenv) unless it is already true): the bank's address is then a link.
	Hyperlinks bool
	// IdleTimeout overrides DefaultIdleTimeout (must be > 0 to take effect).
	IdleTimeout time.Duration
	// Context bounds every wallet call; nil = context.Background(). Quitting cancels it.
	Context context.Context
	// disableIdleTicker stops the self-rearming idle timer (tests drive IdleCheckMsg by hand).
	disableIdleTicker bool
	// altScreen: the program runs on the alternate screen (Run).
	altScreen bool
	// disableChangeFeed leaves the change feed unread (tests that run every Cmd to completion
	// in a loop, where the feed's blocking read would never return).
	disableChangeFeed bool
	// UnlockSecrets, when set, makes the first screen the Unlock screen (unlocksecrets.go): the
	// secrets file waits for its passphrase, typed there and handed over with this.
	UnlockSecrets UnlockSecrets
	// CrashDir is where Run writes the report of a bug that stopped the screens (the data
	// dir); "" writes none, and the Problem says so.
	CrashDir string
}
