package tmuxterm

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// start runs argv under the real tmux, or skips (fails under PAYTERM_REQUIRE_E2E=1) without it.
func start(t *testing.T, o Options, argv ...string) *Term {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		reason := "tmux not found on PATH (Debian: apt-get install tmux)"
		if os.Getenv("PAYTERM_REQUIRE_E2E") == "1" {
			t.Fatalf("PAYTERM_REQUIRE_E2E=1 but %s", reason)
		}
		t.Skip(reason)
	}
	tm, err := Start(context.Background(), o, argv...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tm.Close)
	return tm
}

// must fails the test on err and returns v: must(tm.Screen())(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

var shellEnv = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}

// TestTypePressSizeExit: typed text arrives literally (non-ASCII, shell metacharacters), named
// keys work, the pane is Width×Height, and the exit status is read after the program ends.
func TestTypePressSizeExit(t *testing.T) {
	ctx := context.Background()
	tm := start(t, Options{Env: shellEnv}, "sh", "-c",
		`stty size; printf 'ready> '; read line; echo "got:$line"; printf 'again> '; read l2; exit 7`)
	s := must(tm.WaitFor(ctx, "ready>", 5*time.Second))(t)
	if !strings.Contains(s, "30 100") {
		t.Fatalf("pane size: want 30 rows 100 cols; screen:\n%s", s)
	}
	if err := tm.Type("héllo $HOME 'x'"); err != nil {
		t.Fatal(err)
	}
	if err := tm.Press("Enter"); err != nil {
		t.Fatal(err)
	}
	must(tm.WaitFor(ctx, "got:héllo $HOME 'x'", 5*time.Second))(t)
	must(tm.WaitFor(ctx, "again>", 5*time.Second))(t)
	if dead, _, err := tm.Exited(); err != nil || dead {
		t.Fatalf("Exited = %v, %v while the shell waits for input", dead, err)
	}
	if err := tm.Press("Enter"); err != nil {
		t.Fatal(err)
	}
	if code := must(tm.WaitExit(ctx, 5*time.Second))(t); code != 7 {
		t.Fatalf("exit status %d, want 7", code)
	}
}

// TestExitZeroAndTranscript: tmux leaves a zero status blank (read as 0), and the last screen
// survives the exit in the transcript (history-limit, remain-on-exit).
func TestExitZeroAndTranscript(t *testing.T) {
	tm := start(t, Options{Env: shellEnv}, "sh", "-c", "sleep 0.3; echo bye; sleep 0.5; exit 0")
	if code := must(tm.WaitExit(context.Background(), 5*time.Second))(t); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	if tr := must(tm.Transcript())(t); !strings.Contains(tr, "bye") {
		t.Fatalf("the last screen is lost after exit: %q", tr)
	}
}

// TestKill: SIGKILL reaches the program itself (not a wrapper): a trap on TERM/HUP/INT would
// print, SIGKILL cannot be trapped, so the status is 137 and nothing is printed.
func TestKill(t *testing.T) {
	ctx := context.Background()
	tm := start(t, Options{Env: shellEnv}, "sh", "-c", `trap 'echo trapped' TERM HUP INT; echo up; while :; do sleep 0.1; done`)
	must(tm.WaitFor(ctx, "up", 5*time.Second))(t)
	if code := must(tm.Kill(ctx, 10*time.Second))(t); code != 137 {
		t.Fatalf("exit status after SIGKILL: %d", code)
	}
	if strings.Contains(must(tm.Screen())(t), "trapped") {
		t.Fatal("the program saw a catchable signal, not SIGKILL")
	}
}

// TestEnvIsExactlyEnv: with Env the program sees only those variables (and TERM from tmux),
// never the caller's; without Env it inherits the caller's environment.
func TestEnvIsExactlyEnv(t *testing.T) {
	t.Setenv("PAYTERM_TMUXTERM_LEAK", "leaked")
	ctx := context.Background()
	tm := start(t, Options{Env: []string{"PATH=/usr/bin:/bin", "ONLY=1"}}, "sh", "-c", `env | sort | tr '\n' ' '; echo; echo done; sleep 30`)
	s := must(tm.WaitFor(ctx, "done", 5*time.Second))(t)
	if strings.Contains(s, "leaked") || !strings.Contains(s, "ONLY=1") || strings.Contains(s, "HOME=") {
		t.Fatalf("the program's environment is not exactly Env:\n%s", s)
	}
	inherit := start(t, Options{}, "sh", "-c", `echo "[$PAYTERM_TMUXTERM_LEAK]"; sleep 30`)
	must(inherit.WaitFor(ctx, "[leaked]", 5*time.Second))(t)
}

// TestSessionOptions: every option the callers rely on is set on the server.
func TestSessionOptions(t *testing.T) {
	tm := start(t, Options{Env: shellEnv, Session: "opts"}, "sh", "-c", "sleep 30")
	for opt, want := range map[string]string{
		"remain-on-exit": "on",     // last screen and status readable after exit
		"history-limit":  "5000",   // Transcript
		"window-size":    "manual", // an attached client does not resize the pane
		"status":         "off",    // no status line unless a caller turns it on
	} {
		flag := "-gv"
		if opt == "remain-on-exit" || opt == "window-size" {
			flag = "-gwv"
		}
		got := strings.TrimSpace(must(tm.Run(context.Background(), "show-options", flag, opt))(t))
		if got != want {
			t.Errorf("%s = %q, want %q", opt, got, want)
		}
	}
	if tm.Session() != "opts" {
		t.Errorf("Session() = %q", tm.Session())
	}
}

// TestWaitEndsEarlyWhenTheProgramExits: a wait does not sit out its timeout on a dead pane; the
// error says so and carries the status and the last screen.
func TestWaitEndsEarlyWhenTheProgramExits(t *testing.T) {
	tm := start(t, Options{Env: shellEnv}, "sh", "-c", "echo last words; sleep 0.5; exit 3") // the pause: tmux may drop output written just before the exit
	_, err := tm.WaitFor(context.Background(), "never shown", time.Hour)
	var we *WaitError
	if !errors.As(err, &we) || !we.Exited || we.Status != 3 || !strings.Contains(we.Screen, "last words") {
		t.Fatalf("err = %v, want an exited WaitError with status 3 and the last screen", err)
	}
}

// TestWaitTimeoutAndCancel: a wait that times out carries the last screen; one whose context
// ends stops at once and unwraps to the context's error.
func TestWaitTimeoutAndCancel(t *testing.T) {
	tm := start(t, Options{Env: shellEnv}, "sh", "-c", "echo shown; sleep 30")
	ctx := context.Background()
	must(tm.WaitFor(ctx, "shown", 5*time.Second))(t)
	_, err := tm.WaitMatch(ctx, regexp.MustCompile(`absent`), 300*time.Millisecond)
	var we *WaitError
	if !errors.As(err, &we) || we.Exited || we.Err != nil || !strings.Contains(err.Error(), "shown") {
		t.Fatalf("timeout: err = %v, want a WaitError with the last screen", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := tm.WaitFor(cctx, "absent", time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: err = %v, want context.Canceled", err)
	}
	if _, err := tm.WaitExit(cctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled WaitExit: err = %v, want context.Canceled", err)
	}
}

// TestCloseEndsEverything: Close kills a program that ignores SIGHUP, stops the server and
// removes the socket directory Start made; a second Close is harmless.
func TestCloseEndsEverything(t *testing.T) {
	tm := start(t, Options{Env: shellEnv}, "sh", "-c", `trap '' HUP TERM; echo up; while :; do sleep 0.1; done`)
	must(tm.WaitFor(context.Background(), "up", 5*time.Second))(t)
	pid := must(tm.PID())(t)
	tm.Close()
	tm.Close()
	if _, err := os.Stat(filepath.Dir(tm.Socket())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket directory still there: %v", err)
	}
	if _, err := tm.Screen(); err == nil {
		t.Error("the tmux server still answers after Close")
	}
	// The pid is gone (or a zombie being reaped): /proc/pid/stat says Z or is missing.
	deadline := time.Now().Add(5 * time.Second)
	for {
		raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil || strings.Contains(string(raw), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the program (pid %d) survived Close", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStartErrors: nothing to run, or a tmux that is not there, is an error, not a panic.
func TestStartErrors(t *testing.T) {
	if _, err := Start(context.Background(), Options{}); err == nil {
		t.Error("Start with no program succeeded")
	}
	if _, err := Start(context.Background(), Options{Tmux: filepath.Join(t.TempDir(), "no-tmux")}, "true"); err == nil {
		t.Error("Start with a missing tmux binary succeeded")
	}
}

// TestStatusOfAProgramThatOutlivesItsTerminal: tmux marks a pane dead when the terminal reaches
// EOF, which can come before the program has exited and been reaped (here it closes its
// terminal and runs on, ignoring the hang-up; a loaded machine delays the reaping likewise). The status is the
// program's own, not a guess made while it was not known yet.
func TestStatusOfAProgramThatOutlivesItsTerminal(t *testing.T) {
	tm := start(t, Options{Env: shellEnv}, "sh", "-c", `trap '' HUP; echo closing; exec </dev/null >/dev/null 2>&1; sleep 1.5; exit 5`)
	if code := must(tm.WaitExit(context.Background(), 10*time.Second))(t); code != 5 {
		t.Fatalf("exit status %d, want 5", code)
	}
}

// TestZombieStatus: the status tmux sometimes never reports is read off the unreaped program:
// an exit status, 128+signal, and nothing for a process still running or gone.
func TestZombieStatus(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc: the status of an unreaped program cannot be read here")
	}
	zombie := func(name string, arg ...string) (*exec.Cmd, int) {
		t.Helper()
		cmd := exec.Command(name, arg...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd, cmd.Process.Pid
	}
	untilZombie := func(pid int) {
		t.Helper()
		for range 400 { // os/exec reaps only in Wait, so the exited child stays a zombie
			if raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && strings.Contains(string(raw), ") Z ") {
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
		t.Fatalf("pid %d never became a zombie", pid)
	}

	_, exited := zombie("sh", "-c", "exit 3")
	untilZombie(exited)
	if st, ok := zombieStatus(exited); !ok || st != 3 {
		t.Errorf("exit 3: zombieStatus = %d, %v", st, ok)
	}

	running, pid := zombie("sleep", "30")
	if st, ok := zombieStatus(pid); ok {
		t.Errorf("a running process: zombieStatus = %d, true", st)
	}
	if err := running.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	untilZombie(pid)
	if st, ok := zombieStatus(pid); !ok || st != 137 {
		t.Errorf("SIGKILL: zombieStatus = %d, %v; want 137", st, ok)
	}
	_ = running.Wait()
	if st, ok := zombieStatus(pid); ok {
		t.Errorf("a reaped process: zombieStatus = %d, true", st)
	}
	for _, bad := range []int{0, 1, -5} {
		if _, ok := zombieStatus(bad); ok {
			t.Errorf("zombieStatus(%d) reported a status", bad)
		}
	}
}
