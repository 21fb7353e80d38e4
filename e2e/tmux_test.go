package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Terminal size of every journey.
const (
	termWidth  = 100
	termHeight = 30
)

// term is one program running in a detached tmux session on its own server socket, so parallel
// tests never share a tmux server.
type term struct {
	t      testing.TB
	tmux   string
	socket string
	name   string
}

// startTerm runs argv in a fresh tmux server at 100×30 with exactly the environment env (plus
// TERM, which tmux sets). The session stays after the program exits (remain-on-exit) so its last
// screen and exit status can be read. The server is killed when the test ends.
func startTerm(t testing.TB, env []string, argv ...string) *term {
	t.Helper()
	tm := &term{t: t, tmux: needTool(t, "tmux", "apt-get install tmux"), name: "e2e"}
	tm.socket = filepath.Join(shortTempDir(t), "tmux.sock")
	args := []string{"start-server", ";",
		"set-option", "-g", "remain-on-exit", "on", ";",
		"set-option", "-g", "history-limit", "5000", ";",
		"new-session", "-d", "-s", tm.name, "-x", strconv.Itoa(termWidth), "-y", strconv.Itoa(termHeight), "--",
		"env", "-i"}
	args = append(args, env...)
	args = append(args, argv...)
	if out, err := tm.cmd(args...).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(tm.kill)
	return tm
}

func (tm *term) cmd(args ...string) *exec.Cmd {
	// -f /dev/null: no user tmux.conf changes key handling or the status line.
	return exec.Command(tm.tmux, append([]string{"-f", "/dev/null", "-S", tm.socket}, args...)...)
}

func (tm *term) run(args ...string) string {
	tm.t.Helper()
	out, err := tm.cmd(args...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Type sends text literally (send-keys -l): every rune arrives as typed.
func (tm *term) Type(text string) {
	tm.t.Helper()
	tm.run("send-keys", "-t", tm.name, "-l", text)
}

// Press sends named keys (tmux key names: Enter, Escape, Tab, BSpace, Up, Down, C-c, F1...).
func (tm *term) Press(keys ...string) {
	tm.t.Helper()
	tm.run(append([]string{"send-keys", "-t", tm.name}, keys...)...)
}

// Screen is the visible pane as plain text (capture-pane -p), trailing blanks trimmed per line.
func (tm *term) Screen() string {
	tm.t.Helper()
	out := tm.run("capture-pane", "-p", "-t", tm.name)
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// Transcript is the pane's scrollback and screen. After the program exits tmux scrolls its
// last screen up to print "Pane is dead", so what it showed last is here, not in Screen.
func (tm *term) Transcript() string {
	tm.t.Helper()
	return strings.TrimRight(tm.run("capture-pane", "-p", "-S", "-", "-t", tm.name), "\n")
}

// WaitFor polls the screen until it contains text, or fails the test with the last screen.
func (tm *term) WaitFor(text string, timeout time.Duration) string {
	tm.t.Helper()
	return tm.WaitMatch(regexp.MustCompile(regexp.QuoteMeta(text)), timeout)
}

// WaitMatch polls the screen until re matches, or fails the test with the last screen.
func (tm *term) WaitMatch(re *regexp.Regexp, timeout time.Duration) string {
	tm.t.Helper()
	s, ok := tm.poll(func(s string) bool { return re.MatchString(s) }, timeout)
	if !ok {
		tm.t.Fatalf("waited %s for %q on screen; last screen:\n%s%s", timeout, re, s, tm.deadNote())
	}
	return s
}

// WaitGone polls until text is no longer on screen.
func (tm *term) WaitGone(text string, timeout time.Duration) string {
	tm.t.Helper()
	s, ok := tm.poll(func(s string) bool { return !strings.Contains(s, text) }, timeout)
	if !ok {
		tm.t.Fatalf("waited %s for %q to leave the screen; last screen:\n%s", timeout, text, s)
	}
	return s
}

func (tm *term) poll(done func(string) bool, timeout time.Duration) (string, bool) {
	tm.t.Helper()
	deadline := time.Now().Add(patience(timeout))
	for {
		s := tm.Screen()
		if done(s) {
			return s, true
		}
		if time.Now().After(deadline) {
			return s, false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// paneInfo reads one tmux format variable of the pane.
func (tm *term) paneInfo(format string) string {
	tm.t.Helper()
	return strings.TrimSpace(tm.run("list-panes", "-t", tm.name, "-F", format))
}

// PID is the program's process id (env execs into it, so the pane's pid is the program).
func (tm *term) PID() int {
	tm.t.Helper()
	pid, err := strconv.Atoi(tm.paneInfo("#{pane_pid}"))
	if err != nil || pid <= 1 {
		tm.t.Fatalf("tmux pane pid: %v", err)
	}
	return pid
}

// Exited reports whether the program has exited, and its status (128+signal when a signal
// ended it, as a shell reports it).
func (tm *term) Exited() (bool, int) {
	tm.t.Helper()
	dead, code, known := tm.deadStatus()
	if dead && !known {
		// tmux sees the pane's EOF before it reaps the child: the status arrives a moment later,
		// and tmux 3.3 leaves a zero status blank for good.
		for range 10 {
			time.Sleep(50 * time.Millisecond)
			if _, code, known = tm.deadStatus(); known {
				break
			}
		}
	}
	return dead, code
}

func (tm *term) deadStatus() (dead bool, code int, known bool) {
	tm.t.Helper()
	f := strings.Fields(tm.paneInfo("#{pane_dead} s#{pane_dead_status} g#{pane_dead_signal}"))
	if len(f) == 0 || f[0] != "1" {
		return false, 0, false
	}
	for _, v := range f[1:] {
		if n, err := strconv.Atoi(v[1:]); err == nil {
			if v[0] == 'g' {
				return true, 128 + n, true
			}
			return true, n, true
		}
	}
	return true, 0, false
}

// WaitExit waits for the program to exit and returns its status.
func (tm *term) WaitExit(timeout time.Duration) int {
	tm.t.Helper()
	deadline := time.Now().Add(patience(timeout))
	for {
		if dead, code := tm.Exited(); dead {
			return code
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("program did not exit within %s; last screen:\n%s", timeout, tm.Screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// SIGKILL kills the program outright (no deferred cleanup runs) and waits until tmux sees it dead.
func (tm *term) SIGKILL() {
	tm.t.Helper()
	if err := syscall.Kill(tm.PID(), syscall.SIGKILL); err != nil {
		tm.t.Fatalf("SIGKILL payterm: %v", err)
	}
	tm.WaitExit(10 * time.Second)
}

func (tm *term) deadNote() string {
	if dead, code := tm.Exited(); dead {
		return fmt.Sprintf("\n(the program exited with status %d)", code)
	}
	return ""
}

// kill ends the program (SIGKILL if it is still running: it may ignore the SIGHUP tmux sends)
// and stops the tmux server.
func (tm *term) kill() {
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
