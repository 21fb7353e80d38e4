// Package tmuxterm runs one program in a detached tmux session on a private server and drives
// it like a user: it types, presses keys, reads the screen, waits for text and reads the exit
// status. The demo (demo/) and the end-to-end journeys (e2e/) share it, so a fix to how the
// terminal is driven lands in both. Errors are returned, never fatal: e2e wraps them in a small
// testing adapter, the demo prints them.
package tmuxterm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The size of every session: the size the README's captures, the demo and the journeys use.
const (
	Width  = 100
	Height = 30
)

// historyLimit is the scrollback kept per pane: Transcript reads the last screen a program drew
// before it exited from there (tmux scrolls it up to print "Pane is dead").
const historyLimit = 5000

// Options says what to run and how.
type Options struct {
	// Tmux is the tmux binary; "" = "tmux" on PATH.
	Tmux string
	// Socket is the server's socket path; "" = a fresh short temporary directory, removed by
	// Close (unix socket paths are limited to about 100 bytes, so t.TempDir() names may not fit).
	Socket string
	// Session names the session; "" = "term".
	Session string
	// Env, when not nil, is the program's whole environment: it runs under `env -i Env...`, so
	// nothing of the caller's (HOME, the user's keyring, TMUX) leaks into it. tmux still sets TERM
	// unless Env does.
	Env []string
	// OutputLog, when not "", is a file that receives everything the program writes to its
	// terminal from just after it starts (tmux pipe-pane), so that QuitDump can read what no
	// screen keeps: a Go program's goroutine dump.
	OutputLog string
}

// Term is one program running in a tmux session of Width×Height on its own tmux server.
type Term struct {
	tmux    string
	socket  string
	name    string
	tempDir string // the socket's directory when Start made it
	log     string // Options.OutputLog
}

// Start runs argv in a new detached session. The session stays after the program exits
// (remain-on-exit), so its last screen and exit status can still be read; Close ends both.
func Start(ctx context.Context, o Options, argv ...string) (*Term, error) {
	if len(argv) == 0 {
		return nil, errors.New("tmuxterm: no program to run")
	}
	if strings.ContainsAny(o.OutputLog, "'\n") {
		return nil, fmt.Errorf("tmuxterm: output log path %q has a quote or a newline", o.OutputLog)
	}
	tm := &Term{tmux: o.Tmux, socket: o.Socket, name: o.Session, log: o.OutputLog}
	if tm.tmux == "" {
		p, err := exec.LookPath("tmux")
		if err != nil {
			return nil, fmt.Errorf("tmuxterm: tmux is not installed (Debian: apt-get install tmux): %w", err)
		}
		tm.tmux = p
	}
	if tm.name == "" {
		tm.name = "term"
	}
	if tm.socket == "" {
		dir, err := os.MkdirTemp("", "pt")
		if err != nil {
			return nil, fmt.Errorf("tmuxterm: socket directory: %w", err)
		}
		tm.tempDir, tm.socket = dir, filepath.Join(dir, "tmux.sock")
	}
	args := []string{"start-server",
		// Set before the pane exists: both apply to the panes created after them.
		";", "set-option", "-g", "remain-on-exit", "on", // keep the last screen and exit status
		";", "set-option", "-g", "history-limit", strconv.Itoa(historyLimit), // see Transcript
		";", "new-session", "-d", "-s", tm.name, "-x", strconv.Itoa(Width), "-y", strconv.Itoa(Height), "--"}
	if o.Env != nil {
		args = append(append(args, "env", "-i"), o.Env...)
	}
	args = append(args, argv...)
	// After new-session (tmux 3.3 refuses window-size on a server with no session yet):
	// a client that attaches (the demo's audience) must not resize the window, whatever the
	// size of its terminal, and no status line is drawn unless a caller turns one on.
	args = append(args,
		";", "set-option", "-g", "window-size", "manual",
		";", "set-option", "-g", "status", "off")
	if o.OutputLog != "" {
		args = append(args, ";", "pipe-pane", "-t", tm.name, "exec cat >> '"+o.OutputLog+"'")
	}
	if out, err := tm.Command(ctx, args...).CombinedOutput(); err != nil {
		tm.Close()
		return nil, fmt.Errorf("tmux new-session: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return tm, nil
}

// Socket is the server's socket path (for `tmux -S socket attach -r -t session`).
func (tm *Term) Socket() string { return tm.socket }

// Session is the session's name.
func (tm *Term) Session() string { return tm.name }

// Command is a tmux command on this session's server, for what the driver does not wrap
// (attach-session, set-option for a status line).
func (tm *Term) Command(ctx context.Context, args ...string) *exec.Cmd {
	// -f /dev/null: no user tmux.conf changes key handling, the status line or the size.
	return exec.CommandContext(ctx, tm.tmux, append([]string{"-f", "/dev/null", "-S", tm.socket}, args...)...)
}

// Run runs a tmux command on this session's server and returns its output.
func (tm *Term) Run(ctx context.Context, args ...string) (string, error) {
	out, err := tm.Command(ctx, args...).CombinedOutput()
	if err != nil {
		name := "command"
		if len(args) > 0 {
			name = args[0]
		}
		return "", fmt.Errorf("tmux %s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Close ends the program (SIGKILL if it is still running: it may ignore the SIGHUP tmux sends)
// and the tmux server, and removes the socket directory Start made. It is safe to call twice.
func (tm *Term) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if out, err := tm.Command(ctx, "list-panes", "-t", tm.name, "-F", "#{pane_dead} #{pane_pid}").Output(); err == nil {
		if f := strings.Fields(string(out)); len(f) == 2 && f[0] == "0" {
			if pid, err := strconv.Atoi(f[1]); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	_ = tm.Command(ctx, "kill-server").Run()
	if tm.tempDir != "" {
		_ = os.RemoveAll(tm.tempDir)
	}
}
