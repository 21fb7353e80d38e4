package ui

import (
	"context"
	"errors"
	"fmt"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Run starts the terminal wallet on the alternate screen and returns when the user quits or ctx
// is cancelled. NO_COLOR (any value) forces the ASCII profile. main.go calls this.
func Run(ctx context.Context, w Wallet, opts Options) error {
	if w == nil {
		return errors.New("run ui: no wallet")
	}
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		opts.NoColor = true
	}
	if opts.Renderer == nil {
		r := lipgloss.NewRenderer(os.Stdout)
		if opts.NoColor {
			r.SetColorProfile(termenv.Ascii)
		}
		// Ask the terminal for its background now, before Bubble Tea owns stdin (lipgloss #73).
		r.SetHasDarkBackground(r.HasDarkBackground())
		opts.Renderer = r
	}
	opts.Context = ctx
	opts.altScreen = true
	if !opts.Hyperlinks {
		opts.Hyperlinks = Hyperlinks(os.Getenv)
	}
	p := tea.NewProgram(New(w, opts), tea.WithAltScreen(), tea.WithContext(ctx))
	if _, err := p.Run(); err != nil {
		if ctx.Err() != nil && errors.Is(err, tea.ErrProgramKilled) {
			return fmt.Errorf("run ui: %w", ctx.Err())
		}
		return fmt.Errorf("run ui: %w", err)
	}
	return nil
}
