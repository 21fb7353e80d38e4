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

// TestUnlockTakeWipesTheField: enter hands the passphrase over as UTF-8 bytes built from the
// field's runes (no string copy is made) and zeroes every rune the field held.
func TestUnlockTakeWipesTheField(t *testing.T) {
	c := &common{st: newStyles(lipgloss.NewRenderer(io.Discard), DefaultTheme(), false), ctx: t.Context(), now: time.Now}
	got := make(chan []byte, 1)
	s := newUnlockScreen(c, func(_ context.Context, p []byte) error { got <- p; return nil })
	const pass = "pässwörd 🔑 long enough"
	for _, r := range pass {
		s.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	held := s.pass.value[:cap(s.pass.value)]
	_, cmd := s.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if cmd == nil || !s.waiting {
		t.Fatal("enter handed nothing over")
	}
	for i, r := range held {
		if r != 0 {
			t.Fatalf("rune %d of the field is still %q after enter", i, r)
		}
	}
	if msg := cmd(); msg.(unlockedMsg).err != nil {
		t.Fatal(msg)
	}
	if p := <-got; string(p) != pass {
		t.Fatalf("handed over %q, want %q", p, pass)
	}
}

// TestRunEndsWithTheLastRefusal: when the core's answer is not a refusal with tries left, Run
// returns it (main prints it and exits 1), as the terminal prompt's last refusal ended payterm.
func TestRunEndsWithTheLastRefusal(t *testing.T) {
	last := &Problem{What: "The passphrase of payterm's secrets file was not right 3 times.", Next: "Start payterm again to retry."}
	opts := Options{Clock: func() time.Time { return fakeBase }, disableIdleTicker: true, disableChangeFeed: true,
		UnlockSecrets: func(context.Context, []byte) error { return last }}
	r := lipgloss.NewRenderer(io.Discard)
	opts.Renderer = r
	inR, inW := io.Pipe()
	defer inW.Close()
	var out lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(t.Context(), newFakeWallet(opts.Clock, 3), opts, func(string) (string, bool) { return "", false },
			inR, &out, &tea.WindowSizeMsg{Width: 100, Height: 40})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "Passphrase") {
		if time.Now().After(deadline) {
			t.Fatalf("the Unlock screen was never drawn; output %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := io.WriteString(inW, "wrong passphrase\r"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var p *Problem
		if !errors.As(err, &p) || p != last {
			t.Fatalf("run returned %v, want the core's Problem", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not end after the last refusal")
	}
}
