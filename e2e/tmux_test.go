package e2e

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/tmuxterm"
)

// term is internal/tmuxterm's driver for a test: every error fails the test, and every wait
// is stretched by patience (slow -race runs). The driver itself is tested in its package.
type term struct {
	t  testing.TB
	tm *tmuxterm.Term
}

// startTerm runs argv in a fresh tmux server at 100×30 with exactly the environment env (plus
// TERM, which tmux sets), on its own socket so parallel tests never share a server. The session
// stays after the program exits so its last screen and exit status can be read; the program
// and the server are killed when the test ends.
func startTerm(t testing.TB, env []string, argv ...string) *term {
	t.Helper()
	tmux := needTool(t, "tmux", "apt-get install tmux")
	// A non-nil Env: the program never inherits the test process's environment.
	// Everything the program writes also goes to a log, so a wait that gives up can show its
	// goroutines (failWait).
	log := filepath.Join(t.TempDir(), "pty.log")
	tm, err := tmuxterm.Start(t.Context(), tmuxterm.Options{Tmux: tmux, Session: "e2e", Env: append([]string{}, env...), OutputLog: log}, argv...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tm.Close)
	return &term{t: t, tm: tm}
}

// check fails the test on err.
func (tm *term) check(err error) {
	tm.t.Helper()
	if err != nil {
		tm.t.Fatal(err)
	}
}

// Type sends text literally: every rune arrives as typed.
func (tm *term) Type(text string) {
	tm.t.Helper()
	tm.check(tm.tm.Type(text))
}

// Press sends named keys (tmux key names: Enter, Escape, Tab, BSpace, Up, Down, C-c, F1...).
func (tm *term) Press(keys ...string) {
	tm.t.Helper()
	tm.check(tm.tm.Press(keys...))
}

// Screen is the visible pane as plain text, trailing blanks trimmed per line.
func (tm *term) Screen() string {
	tm.t.Helper()
	s, err := tm.tm.Screen()
	tm.check(err)
	return s
}

// Transcript is the pane's scrollback and screen: after the program exits, what it showed
// last is here, not in Screen.
func (tm *term) Transcript() string {
	tm.t.Helper()
	s, err := tm.tm.Transcript()
	tm.check(err)
	return s
}

// WaitFor polls the screen until it contains text, or fails the test with the last screen.
func (tm *term) WaitFor(text string, timeout time.Duration) string {
	tm.t.Helper()
	s, err := tm.tm.WaitFor(tm.t.Context(), text, patience(timeout))
	tm.failWait(err)
	return s
}

// failWait fails the test on a wait's error. When the wait ran out of time with the program
// still running (a hang, or a screen that never came), it first logs the program's goroutines
// (SIGQUIT): the last screen alone cannot say where the program stopped, and it may be blank.
func (tm *term) failWait(err error) {
	tm.t.Helper()
	if err == nil {
		return
	}
	var we *tmuxterm.WaitError
	if errors.As(err, &we) && !we.Exited && we.Err == nil {
		if dump, derr := tm.tm.QuitDump(context.Background(), 10*time.Second); derr != nil {
			tm.t.Logf("no goroutine dump of the program: %v", derr)
		} else {
			tm.t.Logf("the program's goroutines when the wait gave up:\n%s", dump)
		}
	}
	tm.t.Fatal(err)
}

// WaitMatch polls the screen until re matches, or fails the test with the last screen.
func (tm *term) WaitMatch(re *regexp.Regexp, timeout time.Duration) string {
	tm.t.Helper()
	s, err := tm.tm.WaitMatch(tm.t.Context(), re, patience(timeout))
	tm.failWait(err)
	return s
}

// Exited reports whether the program has exited, and its status (128+signal when a signal
// ended it, as a shell reports it).
func (tm *term) Exited() (bool, int) {
	tm.t.Helper()
	dead, code, err := tm.tm.Exited()
	tm.check(err)
	return dead, code
}

// WaitExit waits for the program to exit and returns its status.
func (tm *term) WaitExit(timeout time.Duration) int {
	tm.t.Helper()
	code, err := tm.tm.WaitExit(tm.t.Context(), patience(timeout))
	tm.failWait(err)
	return code
}

// Signal sends sig to the program.
func (tm *term) Signal(sig syscall.Signal) {
	tm.t.Helper()
	pid, err := tm.tm.PID()
	tm.check(err)
	tm.check(syscall.Kill(pid, sig))
}

// SIGKILL kills the program outright (no deferred cleanup runs) and waits until tmux sees it dead.
func (tm *term) SIGKILL() {
	tm.t.Helper()
	_, err := tm.tm.Kill(tm.t.Context(), patience(10*time.Second))
	tm.check(err)
}
