package tmuxterm

import (
	"bytes"
	"context"
	"fmt"
	"os"
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

// statusWait bounds how long Exited waits for the exit of a program whose pane is dead.
const statusWait = 10 * time.Second

// Exited reports whether the program has exited, and its status (128+signal when a signal
// ended it, as a shell reports it).
func (tm *Term) Exited() (dead bool, status int, err error) {
	deadline := time.Now().Add(statusWait)
	for {
		p, err := tm.paneStatus()
		if err != nil || !p.dead || p.known {
			return p.dead, p.status, err
		}
		// tmux marks a pane dead when its terminal reaches EOF, which can come before the
		// program has exited (a slow exit, a program that closed its terminal and runs on), and
		// tmux 3.3 sometimes never reaps the program at all: its status stays blank for good,
		// whatever it was. The zombie still holds the status, so it is read from there.
		if st, ok := zombieStatus(p.pid); ok {
			return true, st, nil
		}
		if time.Now().After(deadline) {
			return true, 0, fmt.Errorf("tmux marked the pane dead but reported no exit status of the program (pid %d) within %s", p.pid, statusWait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// zombieStatus reads the exit status of pid from /proc when it is a zombie (exited, not reaped
// yet, so the pid cannot belong to another process): field 52 of /proc/pid/stat (Linux 3.5+)
// is the status as waitpid reports it.
func zombieStatus(pid int) (int, bool) {
	if pid <= 1 {
		return 0, false
	}
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// "pid (comm) state ...": comm may hold spaces and parentheses, so count after the last ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 50 || f[0] != "Z" {
		return 0, false
	}
	ws, err := strconv.Atoi(f[49]) // field 52; f[0] is field 3
	if err != nil {
		return 0, false
	}
	w := syscall.WaitStatus(ws)
	switch {
	case w.Exited():
		return w.ExitStatus(), true
	case w.Signaled():
		return 128 + int(w.Signal()), true
	}
	return 0, false
}

// pane is what tmux says of the pane's program.
type pane struct {
	dead   bool
	pid    int
	known  bool // status holds its exit status (or 128+signal)
	status int
}

func (tm *Term) paneStatus() (pane, error) {
	s, err := tm.paneInfo("#{pane_dead} p#{pane_pid} s#{pane_dead_status} g#{pane_dead_signal}")
	if err != nil {
		return pane{}, err
	}
	var p pane
	for i, v := range strings.Fields(s) {
		if i == 0 {
			p.dead = v == "1"
			continue
		}
		n, err := strconv.Atoi(v[1:])
		if err != nil {
			continue // blank
		}
		switch v[0] {
		case 'p':
			p.pid = n
		case 's':
			p.status, p.known = n, true
		case 'g':
			p.status, p.known = 128+n, true
		}
	}
	if !p.dead {
		p.known, p.status = false, 0
	}
	return p, nil
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
