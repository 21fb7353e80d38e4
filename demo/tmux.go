package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Terminal size of the demo: the size the README's captures and the e2e journeys use.
const (
	termWidth  = 100
	termHeight = 30
)

// errStopped is returned by a wait when the demo was cancelled (the audience's terminal
// detached, or ctrl-c in the narrator's terminal).
var errStopped = errors.New("demo stopped")

// term is payterm running in a tmux session on a private server socket, so the demo never
// touches the presenter's own tmux server.
type term struct {
	tmux   string
	socket string
	name   string
}

// startTerm runs argv (already prefixed with `env -i ...` by the caller) in a detached tmux
// session of termWidth×termHeight. The window keeps that size whoever attaches, and the
// session stays after payterm exits so its exit status can be read.
func startTerm(tmux, socket string, argv []string) (*term, error) {
	tm := &term{tmux: tmux, socket: socket, name: "demo"}
	// The options follow new-session: tmux 3.3 refuses window-size on a server with no session.
	args := []string{"new-session", "-d", "-s", tm.name, "-x", strconv.Itoa(termWidth), "-y", strconv.Itoa(termHeight), "--"}
	args = append(args, argv...)
	args = append(args, ";", "set-option", "-g", "remain-on-exit", "on",
		";", "set-option", "-g", "window-size", "manual",
		";", "set-option", "-g", "status", "off")
	if out, err := tm.cmd(args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("tmux new-session: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return tm, nil
}

func (tm *term) cmd(args ...string) *exec.Cmd {
	// -f /dev/null: the presenter's tmux.conf must not change key handling.
	return exec.Command(tm.tmux, append([]string{"-f", "/dev/null", "-S", tm.socket}, args...)...)
}

func (tm *term) run(args ...string) (string, error) {
	out, err := tm.cmd(args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("tmux %s: %w: %s", args[0], err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Type sends text literally (send-keys -l), so every rune arrives as typed.
func (tm *term) Type(text string) error {
	_, err := tm.run("send-keys", "-t", tm.name, "-l", text)
	return err
}

// Press sends tmux key names (Enter, Escape, Tab, Up, PageDown...) or single characters.
func (tm *term) Press(keys ...string) error {
	_, err := tm.run(append([]string{"send-keys", "-t", tm.name}, keys...)...)
	return err
}

// Screen is the visible pane as plain text, trailing blanks trimmed.
func (tm *term) Screen() (string, error) {
	out, err := tm.run("capture-pane", "-p", "-t", tm.name)
	if err != nil {
		return "", err
	}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n"), nil
}

// Narrate shows a title and a cue on the two status lines of an attached client (the
// audience's view).
func (tm *term) Narrate(title, cue string) error {
	// User options are shown with #{@…}: their values are not expanded again, so narration
	// shows verbatim.
	_, err := tm.run("set-option", "-t", tm.name, "@title", title, ";",
		"set-option", "-t", tm.name, "@cue", cue)
	return err
}

// ShowStatus turns on two status lines (title, cue) for the attached, narrated mode.
func (tm *term) ShowStatus() error {
	_, err := tm.run("set-option", "-t", tm.name, "status", "2", ";",
		"set-option", "-t", tm.name, "status-style", "bg=blue,fg=white", ";",
		"set-option", "-t", tm.name, "status-format[0]", "#[align=left,bold] #{@title}", ";",
		"set-option", "-t", tm.name, "status-format[1]", "#[align=left] #{@cue}")
	return err
}

// WaitMatch polls the screen until re matches and returns that screen; on timeout the error
// carries the last screen, so a failed demo says where it stopped.
func (tm *term) WaitMatch(ctx context.Context, re *regexp.Regexp, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		s, err := tm.Screen()
		if err != nil {
			return "", err
		}
		if re.MatchString(s) {
			return s, nil
		}
		if dead, code := tm.Exited(); dead {
			return s, fmt.Errorf("payterm exited (status %d) while the demo waited for %q; last screen:\n%s", code, re, s)
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("waited %s for %q; last screen:\n%s", timeout, re, s)
		}
		select {
		case <-ctx.Done():
			return s, errStopped
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// WaitFor is WaitMatch for a literal text.
func (tm *term) WaitFor(ctx context.Context, text string, timeout time.Duration) (string, error) {
	return tm.WaitMatch(ctx, regexp.MustCompile(regexp.QuoteMeta(text)), timeout)
}

// Exited reports whether payterm has exited, and its status.
func (tm *term) Exited() (bool, int) {
	out, err := tm.run("list-panes", "-t", tm.name, "-F", "#{pane_dead} #{pane_dead_status}")
	if err != nil {
		return true, -1 // the server is gone: nothing is running any more
	}
	f := strings.Fields(out)
	if len(f) == 0 || f[0] != "1" {
		return false, 0
	}
	if len(f) > 1 {
		if n, err := strconv.Atoi(f[1]); err == nil {
			return true, n
		}
	}
	return true, 0 // tmux 3.3 leaves #{pane_dead_status} empty for a zero status
}

// Close stops payterm (SIGKILL if it ignores tmux's SIGHUP) and the private tmux server.
func (tm *term) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info := exec.CommandContext(ctx, tm.tmux, "-f", "/dev/null", "-S", tm.socket, "list-panes", "-t", tm.name, "-F", "#{pane_dead} #{pane_pid}")
	if out, err := info.Output(); err == nil {
		if f := strings.Fields(string(out)); len(f) == 2 && f[0] == "0" {
			if pid, err := strconv.Atoi(f[1]); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	_ = exec.CommandContext(ctx, tm.tmux, "-f", "/dev/null", "-S", tm.socket, "kill-server").Run()
}
