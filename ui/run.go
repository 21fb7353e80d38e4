package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Run starts the terminal wallet on the alternate screen and returns when the user quits or ctx
// is cancelled. NO_COLOR (any value) forces the ASCII profile. main.go calls this.
func Run(ctx context.Context, w Wallet, opts Options) error {
	return run(ctx, w, opts, os.LookupEnv, nil, nil, nil)
}

// run is Run with the environment and, when not nil, the terminal's input and output and its
// size given (tests: a writer that is no terminal has no size). With NoColor (or NO_COLOR in the environment) the renderer draws in the ASCII profile
// whoever made it.
func run(ctx context.Context, w Wallet, opts Options, lookupEnv func(string) (string, bool), in io.Reader, out io.Writer, size *tea.WindowSizeMsg) error {
	if w == nil {
		return errors.New("run ui: no wallet")
	}
	if _, ok := lookupEnv("NO_COLOR"); ok {
		opts.NoColor = true
	}
	var progOpts []tea.ProgramOption
	if in != nil {
		progOpts = append(progOpts, tea.WithInput(in))
	}
	if out != nil {
		progOpts = append(progOpts, tea.WithOutput(out))
	} else {
		out = os.Stdout
	}
	if opts.Renderer == nil {
		r := lipgloss.NewRenderer(out)
		// Ask the terminal for its background now, before Bubble Tea owns stdin (lipgloss #73).
		r.SetHasDarkBackground(r.HasDarkBackground())
		opts.Renderer = r
	}
	if opts.NoColor {
		opts.Renderer.SetColorProfile(termenv.Ascii)
	}
	opts.Context = ctx
	opts.altScreen = true
	if !opts.Hyperlinks {
		opts.Hyperlinks = Hyperlinks(func(k string) string { v, _ := lookupEnv(k); return v })
	}
	// Signals are main's: they cancel ctx, and the program is then told to quit, so Bubble Tea
	// shuts down as after a key (it stops its input reader before closing it). Its own signal
	// handler is off: it sends a QuitMsg that nothing may read once the event loop has ended,
	// and Run waits for that handler, so SIGTERM could hang payterm (bubbletea#1806). ctx is not
	// the program's context either: a killed program closes its input reader while that still
	// reads (a data race in Bubble Tea v1.3.10's kill path, found by the e2e signal journeys).
	model := New(w, opts)
	p := tea.NewProgram(model, append([]tea.ProgramOption{tea.WithAltScreen(), tea.WithoutSignalHandler()}, progOpts...)...)
	if a, ok := model.(*app); ok {
		a.send = p.Send
	}
	if size != nil {
		go p.Send(*size) // returns when the program reads it or ends
	}
	ran := make(chan struct{})
	defer close(ran)
	go func() {
		select {
		case <-ctx.Done():
			p.Quit() // returns once the program takes it, or at once if it has ended
		case <-ran:
		}
	}()
	m, err := p.Run()
	if a, ok := m.(*app); ok && a.crash != nil {
		return crashProblem(a.crash, opts.CrashDir)
	}
	if errors.Is(err, tea.ErrProgramPanic) {
		// A panic outside the app's guards (in Bubble Tea itself): Bubble Tea printed it,
		// perhaps on the alternate screen it then left, so say what it means.
		return errInternal(err, "")
	}
	if err != nil {
		return fmt.Errorf("run ui: %w", err)
	}
	if a, ok := m.(*app); ok && a.fatal != nil {
		// The secrets file never opened (the last wrong passphrase): payterm ends with the
		// core's Problem, as when the passphrase was asked on the terminal.
		return a.fatal
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("run ui: %w", err)
	}
	return nil
}

// errInternal is what payterm says when a bug stopped its screens: not the bank's fault, what
// the ledger keeps, and report, how to report it ("" when there is no report file).
func errInternal(err error, report string) *Problem {
	if report == "" {
		report = "Please report the bug."
	}
	return &Problem{
		What: "An internal error stopped the wallet: a bug in payterm, not a problem with your bank.",
		Next: "Start payterm again: every payment you confirmed is in the wallet's ledger, and payterm asks the bank about any still in flight. " + report,
		Err:  err,
	}
}

// crashProblem writes a caught bug's report into dir and says where it is.
func crashProblem(r *crashReport, dir string) *Problem {
	err := fmt.Errorf("%w: %s", tea.ErrProgramPanic, r.what)
	path, saveErr := r.save(dir)
	if saveErr != nil {
		return errInternal(err, "Please report the bug (its details could not be kept: "+saveErr.Error()+").")
	}
	return errInternal(err, "Please report the bug with the file "+path+": it says where payterm stopped, with no payment or bank data in it.")
}
