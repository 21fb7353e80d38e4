package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/payterm/payterm/internal/tmuxterm"
)

// errStopped is returned when the demo was cancelled (the audience's terminal detached, or
// ctrl-c in the narrator's terminal) while it paused.
var errStopped = errors.New("demo stopped")

// stopped reports whether err only says that ctx ended (the demo was cancelled, not broken).
func stopped(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, errStopped) || errors.Is(err, ctx.Err()))
}

// narrate shows a title and a cue on the two status lines of an attached client (the
// audience's view).
func narrate(tm *tmuxterm.Term, title, cue string) error {
	// User options are shown with #{@…}: their values are not expanded again, so narration
	// shows verbatim.
	_, err := tm.Run(context.Background(), "set-option", "-t", tm.Session(), "@title", title, ";",
		"set-option", "-t", tm.Session(), "@cue", cue)
	return err
}

// showStatus turns on two status lines (title, cue) for the attached, narrated mode; the
// driver starts every session with none.
func showStatus(tm *tmuxterm.Term) error {
	s := tm.Session()
	_, err := tm.Run(context.Background(), "set-option", "-t", s, "status", "2", ";",
		"set-option", "-t", s, "status-style", "bg=blue,fg=white", ";",
		"set-option", "-t", s, "status-format[0]", "#[align=left,bold] #{@title}", ";",
		"set-option", "-t", s, "status-format[1]", "#[align=left] #{@cue}")
	return err
}

// bindStopKeys makes ctrl+c (and q) in the presenter's terminal leave the session, which stops
// the demo. A read-only client sends no key to the wallet, and the terminal is in raw mode, so
// without this ctrl+c reached nobody: tmux runs only detach-client bindings for such a client.
func bindStopKeys(tm *tmuxterm.Term) error {
	_, err := tm.Run(context.Background(), "bind-key", "-n", "C-c", "detach-client", ";",
		"bind-key", "-n", "q", "detach-client")
	return err
}

// attachCommand is the presenter's read-only client of the session, with the stop keys bound.
func attachCommand(tm *tmuxterm.Term) (*exec.Cmd, error) {
	if err := bindStopKeys(tm); err != nil {
		return nil, fmt.Errorf("bind the demo's stop keys: %w", err)
	}
	return tm.Command(context.Background(), "attach-session", "-r", "-t", tm.Session()), nil
}

// attach shows the session in this terminal (read-only: keys go nowhere, so a stray key cannot
// derail the journey; ctrl+c, q or ctrl-b d leaves it and stops the demo).
func attach(tm *tmuxterm.Term, stop context.CancelFunc) (chan error, error) {
	cmd, err := attachCommand(tm)
	if err != nil {
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Inside the presenter's own tmux, the nested client would refuse to start.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TMUX=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("attach to the demo's tmux session: %w", err)
	}
	done := make(chan error, 1)
	go func() {
		done <- cmd.Wait()
		stop()
	}()
	return done, nil
}
