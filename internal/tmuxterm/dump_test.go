package tmuxterm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQuitDump: a Go program that hangs on the alternate screen is asked where it is; the dump
// names the function it waits in, as plain text, and the program has exited.
func TestQuitDump(t *testing.T) {
	log := filepath.Join(t.TempDir(), "pty.log")
	env := append([]string{"TMUXTERM_HANG=1"}, shellEnv...)
	tm := start(t, Options{Env: env, OutputLog: log}, os.Args[0], "-test.run=^TestQuitDumpHelper$")
	if _, err := tm.WaitFor(context.Background(), "waiting", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	dump, err := tm.QuitDump(context.Background(), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dump, "goroutine ") || !strings.Contains(dump, "waitForeverInHelper") {
		t.Fatalf("the dump does not show where the program waits:\n%s", dump)
	}
	if strings.ContainsAny(dump, "\x1b\r") {
		t.Fatalf("the dump kept terminal controls: %q", dump[:min(len(dump), 300)])
	}
	if dead, _, err := tm.Exited(); err != nil || !dead {
		t.Fatalf("the program still runs after its dump (%v)", err)
	}
}

// TestQuitDumpHelper is TestQuitDump's program: it enters the alternate screen, as payterm
// does, and waits.
func TestQuitDumpHelper(t *testing.T) {
	if os.Getenv("TMUXTERM_HANG") != "1" {
		t.Skip("only runs as the program of TestQuitDump")
	}
	fmt.Print("\x1b[?1049h\x1b[31mwaiting\x1b[0m")
	waitForeverInHelper()
}

//go:noinline
func waitForeverInHelper() { time.Sleep(time.Hour) }

// TestQuitDumpNeedsItsLog: without an OutputLog there is nothing to read a dump from, and a log
// path that cannot be quoted for tmux's shell is refused at the start.
func TestQuitDumpNeedsItsLog(t *testing.T) {
	tm := start(t, Options{Env: shellEnv}, "sleep", "30")
	if _, err := tm.QuitDump(context.Background(), time.Second); err == nil || !strings.Contains(err.Error(), "no OutputLog") {
		t.Fatalf("QuitDump without a log: %v", err)
	}
	if _, err := Start(context.Background(), Options{OutputLog: "/tmp/it's.log"}, "true"); err == nil {
		t.Fatal("Start took a log path with a quote")
	}
}

// TestPlainText: escape sequences go, line ends become newlines, and the remaining controls are
// marked rather than passed to the terminal that shows a test's log.
func TestPlainText(t *testing.T) {
	raw := "\x1b[?1049h\x1b[2J\x1b[31mred\x1b[0m\r\nline\rnext\x1b]8;;http://x\x07link\x1b]8;;\x1b\\\x1bMup\x07bell\u009bc1"
	want := "red\nline\nnextlinkup\ufffdbell\ufffdc1"
	if got := plainText([]byte(raw)); got != want {
		t.Fatalf("plainText = %q, want %q", got, want)
	}
}
