package tmuxterm

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// paneInfo reads tmux format variables of the pane.
func (tm *Term) paneInfo(format string) (string, error) {
	out, err := tm.Run(context.Background(), "list-panes", "-t", tm.name, "-F", format)
	return strings.TrimSpace(out), err
}

// PID is the program's process id (env execs into the program, so the pane's pid is the
// program itself, not a wrapper).
func (tm *Term) PID() (int, error) {
	s, err := tm.paneInfo("#{pane_pid}")
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 1 {
		return 0, fmt.Errorf("tmux pane pid %q is not a process id", s)
	}
	return pid, nil
}

// Exited reports whether the program has exited, and its status (128+signal when a signal
// ended it, as a shell reports it).
func (tm *Term) Exited() (dead bool, status int, err error) {
	dead, status, known, err := tm.deadStatus()
	if err != nil || !dead || known {
		return dead, status, err
	}
	// tmux sees the pane's EOF before it reaps the child: the status arrives a moment later,
	// and tmux 3.3 leaves a zero status blank for good.
	for range 10 {
		time.Sleep(50 * time.Millisecond)
		if _, status, known, err = tm.deadStatus(); err != nil || known {
			break
		}
	}
	return true, status, err
}

func (tm *Term) deadStatus() (dead bool, status int, known bool, err error) {
	s, err := tm.paneInfo("#{pane_dead} s#{pane_dead_status} g#{pane_dead_signal}")
	if err != nil {
		return false, 0, false, err
	}
	f := strings.Fields(s)
	if len(f) == 0 || f[0] != "1" {
		return false, 0, false, nil
	}
	for _, v := range f[1:] {
		if n, err := strconv.Atoi(v[1:]); err == nil {
			if v[0] == 'g' {
				return true, 128 + n, true, nil
			}
			return true, n, true, nil
		}
	}
	return true, 0, false, nil
}

// Kill sends SIGKILL to the program (no deferred cleanup of its runs, as in a crash) and waits
// until tmux sees it dead; it returns the exit status (137).
func (tm *Term) Kill(ctx context.Context, timeout time.Duration) (int, error) {
	pid, err := tm.PID()
	if err != nil {
		return 0, err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return 0, fmt.Errorf("SIGKILL the program: %w", err)
	}
	return tm.WaitExit(ctx, timeout)
}
