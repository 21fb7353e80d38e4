package ui

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// lockedBuffer is a bytes.Buffer the program writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// sgrColour matches an SGR sequence that sets a colour (16, 256 or true colour, fore or back).
var sgrColour = regexp.MustCompile(`\x1b\[[0-9;]*(?:3[0-7]|4[0-7]|9[0-7]|10[0-7]|38;|48;)[0-9;]*m`)

// runFrames runs the wallet through run (Run's body) on a true-colour renderer with env as the
// environment until Home is drawn, and returns what it wrote.
func runFrames(t *testing.T, env map[string]string, opts Options) string {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	opts.Renderer, opts.Clock, opts.disableIdleTicker, opts.disableChangeFeed = r, func() time.Time { return fakeBase }, true, true
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	inR, inW := io.Pipe()
	defer inW.Close()
	var out lockedBuffer
	done := make(chan error, 1)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	go func() {
		done <- run(ctx, newFakeWallet(opts.Clock, 3), opts, lookup, inR, &out, &tea.WindowSizeMsg{Width: 100, Height: 40})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "Recent payments") {
		if time.Now().After(deadline) {
			t.Fatalf("Home was never drawn; output %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}
	return out.String()
}

// TestRunHonoursNoColor: NO_COLOR in the environment (any value, even empty) and
// Options.NoColor (the --no-color flag, no_color in the config) make Run draw without a single
// colour sequence even on a true-colour renderer; without either, the same frames have colours.
func TestRunHonoursNoColor(t *testing.T) {
	if got := runFrames(t, map[string]string{}, Options{}); !sgrColour.MatchString(got) {
		t.Fatal("control: without NO_COLOR the true-colour renderer should draw colours")
	}
	for name, tc := range map[string]struct {
		env  map[string]string
		opts Options
	}{
		"NO_COLOR=1":      {map[string]string{"NO_COLOR": "1"}, Options{}},
		"NO_COLOR empty":  {map[string]string{"NO_COLOR": ""}, Options{}},
		"Options.NoColor": {map[string]string{}, Options{NoColor: true}},
	} {
		if m := sgrColour.FindString(runFrames(t, tc.env, tc.opts)); m != "" {
			t.Errorf("%s: a colour sequence was drawn: %q", name, m)
		}
	}
}
