package ui

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// panickingWallet is a wallet with a bug: loading Home panics (in a command's goroutine).
type panickingWallet struct{ Wallet }

func (panickingWallet) Overview(context.Context) (Overview, error) { panic("a bug in the wallet") }

// TestRunSaysABugStoppedIt: when a bug panics while the screens run, Run ends with a Problem
// that says it is payterm's bug and what the ledger keeps, not Bubble Tea's bare "program
// experienced a panic"; errors.Is still finds the panic.
func TestRunSaysABugStoppedIt(t *testing.T) {
	opts := Options{Renderer: lipgloss.NewRenderer(io.Discard), Clock: func() time.Time { return fakeBase }, disableIdleTicker: true, disableChangeFeed: true}
	inR, inW := io.Pipe()
	defer inW.Close()
	done := make(chan error, 1)
	go func() {
		done <- run(t.Context(), panickingWallet{newFakeWallet(opts.Clock, 3)}, opts, func(string) (string, bool) { return "", false },
			inR, io.Discard, &tea.WindowSizeMsg{Width: 100, Height: 40})
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("run did not end after the panic")
	}
	var p *Problem
	if !errors.As(err, &p) || !strings.Contains(p.What, "a bug in payterm") || !strings.Contains(p.Next, "ledger") {
		t.Fatalf("run ended with %v", err)
	}
	if !errors.Is(err, tea.ErrProgramPanic) {
		t.Fatalf("the panic is not the Problem's cause: %v", err)
	}
}
