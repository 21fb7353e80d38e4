package tmuxterm

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/payterm/payterm/internal/ctxsleep"
	"github.com/payterm/payterm/internal/totpkey"
)

// pollEvery is how often a wait reads the screen: fast enough that a passing wait returns soon
// after its text shows, slow enough not to load a shared machine with tmux calls.
const pollEvery = 100 * time.Millisecond

// WaitError is a wait that ended without what it waited for. It carries the last screen, so a
// failure says where the program stopped.
type WaitError struct {
	Want    string        // what was waited for
	Timeout time.Duration // how long
	Exited  bool          // the program exited first (Status is its exit status)
	Status  int
	Screen  string // the last screen read
	Err     error  // the context's error when the wait was cancelled
}

func (e *WaitError) Error() string {
	switch {
	case e.Err != nil:
		return fmt.Sprintf("stopped waiting for %s: %v", e.Want, e.Err)
	case e.Exited:
		return fmt.Sprintf("the program exited (status %d) while waiting for %s; last screen:\n%s", e.Status, e.Want, redactScreen(e.Screen))
	default:
		return fmt.Sprintf("waited %s for %s; last screen:\n%s", e.Timeout, e.Want, redactScreen(e.Screen))
	}
}

// redactScreen hides what an authenticator enrolment shows before a screen goes into an error
// (and so into a test log): the base32 key line, and the QR code that encodes the same key.
// Screen itself keeps everything, for a caller that reads the key on purpose.
func redactScreen(screen string) string {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		switch {
		case totpkey.KeyLine.MatchString(l):
			lines[i] = "Key  ‹redacted›"
		case isQRLine(l):
			lines[i] = "‹QR code redacted›"
		}
	}
	return strings.Join(lines, "\n")
}

// isQRLine: a row drawn mostly with the half and full blocks a terminal QR code is made of.
func isQRLine(l string) bool {
	blocks, other := 0, 0
	for _, r := range l {
		switch {
		case r == '█' || r == '▀' || r == '▄':
			blocks++
		case r != ' ':
			other++
		}
	}
	return blocks >= 8 && blocks > 3*other
}

// Unwrap gives the context's error of a cancelled wait (errors.Is(err, context.Canceled)).
func (e *WaitError) Unwrap() error { return e.Err }

// WaitFor polls the screen until it contains text and returns that screen.
func (tm *Term) WaitFor(ctx context.Context, text string, timeout time.Duration) (string, error) {
	return tm.WaitMatch(ctx, regexp.MustCompile(regexp.QuoteMeta(text)), timeout)
}

// WaitMatch polls the screen until re matches and returns that screen. It fails with a
// *WaitError after timeout, as soon as the program has exited without showing it (its screen
// will not change any more), or when ctx ends.
func (tm *Term) WaitMatch(ctx context.Context, re *regexp.Regexp, timeout time.Duration) (string, error) {
	want := fmt.Sprintf("%q on screen", re)
	deadline := time.Now().Add(timeout)
	for {
		s, err := tm.Screen()
		if err != nil {
			return "", err
		}
		if re.MatchString(s) {
			return s, nil
		}
		dead, status, err := tm.Exited()
		if err != nil {
			return s, err
		}
		if dead {
			// What it printed as it exited may have arrived since the screen was read.
			if s, err = tm.Screen(); err == nil && re.MatchString(s) {
				return s, nil
			}
			return s, &WaitError{Want: want, Timeout: timeout, Exited: true, Status: status, Screen: tm.lastScreen(s)}
		}
		if time.Now().After(deadline) {
			return s, &WaitError{Want: want, Timeout: timeout, Screen: s}
		}
		if err := ctxsleep.For(ctx, pollEvery); err != nil {
			return s, &WaitError{Want: want, Timeout: timeout, Screen: s, Err: err}
		}
	}
}

// WaitExit waits for the program to exit and returns its exit status.
func (tm *Term) WaitExit(ctx context.Context, timeout time.Duration) (int, error) {
	const want = "the program to exit"
	deadline := time.Now().Add(timeout)
	for {
		dead, status, err := tm.Exited()
		if err != nil {
			return 0, err
		}
		if dead {
			return status, nil
		}
		if time.Now().After(deadline) {
			s, _ := tm.Screen()
			return 0, &WaitError{Want: want, Timeout: timeout, Screen: s}
		}
		if err := ctxsleep.For(ctx, pollEvery); err != nil {
			return 0, &WaitError{Want: want, Timeout: timeout, Err: err}
		}
	}
}

// lastScreen is what a dead pane showed last. tmux scrolls it up, blank rows and all, to print
// "Pane is dead" at the bottom, so it is the end of the transcript above those rows (screen
// when the transcript cannot be read).
func (tm *Term) lastScreen(screen string) string {
	tr, err := tm.Transcript()
	if err != nil {
		return screen
	}
	lines := strings.Split(tr, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	var dead string
	if n := len(lines); n > 0 && strings.HasPrefix(lines[n-1], "Pane is dead") {
		dead, lines = lines[n-1], lines[:n-1]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	lines = lines[max(0, len(lines)-Height):]
	if dead != "" {
		lines = append(lines, dead)
	}
	return strings.Join(lines, "\n")
}
