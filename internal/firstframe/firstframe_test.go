package firstframe

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/term"
)

// The test binary plays the program when FIRSTFRAME_CHILD says which part: it draws like a
// full-screen program (escape sequences between the words), asks the terminal for its
// background as lipgloss does, and needs the answer before it draws its loaded frame.
func TestMain(m *testing.M) {
	switch os.Getenv("FIRSTFRAME_CHILD") {
	case "":
		code := m.Run()
		if built != "" { // the benchmark's payterm binary
			_ = os.RemoveAll(filepath.Dir(built))
		}
		os.Exit(code)
	case "home":
		childHome()
	case "unlock":
		childUnlock()
	case "exit":
		fmt.Println("payterm: cannot start")
		os.Exit(1)
	case "silent":
		time.Sleep(time.Minute)
	}
	os.Exit(0)
}

func childHome() {
	if !term.IsTerminal(0) || !term.IsTerminal(1) {
		fmt.Println("not a terminal")
		os.Exit(3)
	}
	if w, h, err := term.GetSize(1); err != nil || w != Cols || h != Rows {
		fmt.Printf("size %dx%d %v\n", w, h, err)
		os.Exit(3)
	}
	old, err := term.MakeRaw(0)
	if err != nil {
		os.Exit(3)
	}
	defer term.Restore(0, old)
	fmt.Print("\x1b[?1049h\x1b[1mpayterm\x1b[0m\x1b[2m · \x1b[0mHome\r\n\x1b[2mLoading…\x1b[0m")
	fmt.Print("\x1b]11;?\x1b\\\x1b[6n")
	r := bufio.NewReader(os.Stdin)
	reply, err := r.ReadString('R') // the background answer, then the cursor position's
	if err != nil || !strings.Contains(reply, "rgb:0000/0000/0000") {
		fmt.Printf("no answer: %q %v", reply, err)
		time.Sleep(time.Minute)
	}
	fmt.Print("\x1b[2;1H\x1b[1mRecent\x1b[0m payments\r\n")
	time.Sleep(time.Minute) // until the SIGTERM
}

// childUnlock plays payterm with a passphrase on its secrets file: the Unlock screen first (its
// hint names Home's marks, which must not count before the typing), then, once the passphrase
// in FIRSTFRAME_PASSPHRASE and enter are typed, Home and its payments. Keys typed before the
// Unlock screen is drawn, or another passphrase, end it with an error.
func childUnlock() {
	old, err := term.MakeRaw(0)
	if err != nil {
		os.Exit(3)
	}
	defer term.Restore(0, old)
	keys := make(chan byte, 1024)
	go func() {
		b := make([]byte, 256)
		for {
			n, err := os.Stdin.Read(b)
			for _, c := range b[:n] {
				keys <- c
			}
			if err != nil {
				close(keys)
				return
			}
		}
	}()
	time.Sleep(200 * time.Millisecond) // room for keys typed too early to arrive
	if len(keys) > 0 {
		fmt.Printf("typed before the Unlock screen was drawn\r\n")
		os.Exit(1)
	}
	fmt.Print("\x1b[?1049h\x1b[1mpayterm\x1b[0m\x1b[2m · \x1b[0mUnlock\r\n\x1b[2mRecent payments and payterm · Home show after enter\x1b[0m\r\n")
	var typed []byte
	for c := range keys {
		typed = append(typed, c)
		if c == '\r' {
			break
		}
	}
	if string(typed) != os.Getenv("FIRSTFRAME_PASSPHRASE")+"\r" {
		fmt.Printf("wrong passphrase %q\r\n", typed)
		os.Exit(1)
	}
	fmt.Print("\x1b[1;1H\x1b[2K\x1b[1mpayterm\x1b[0m\x1b[2m · \x1b[0mHome\r\n\x1b[2KUnlocking secrets…\r\n")
	fmt.Print("\x1b[3;1H\x1b[1mRecent\x1b[0m payments\r\n")
	time.Sleep(time.Minute) // until the SIGTERM
}

func child(t *testing.T, part string) ([]string, []string) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{exe, "-test.run=^$"}, []string{"FIRSTFRAME_CHILD=" + part, "TERM=xterm-256color"}
}

// TestRunTimesBothFrames: Run sees the title through the escapes between its words, answers
// the background query (without which the child never draws its loaded frame), sees the loaded
// frame after the first, and ends the program.
func TestRunTimesBothFrames(t *testing.T) {
	argv, env := child(t, "home")
	t0 := time.Now()
	r, err := Run(context.Background(), Start{Argv: argv, Env: env, Marks: HomeMarks, Timeout: 30 * time.Second, Idle: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.First <= 0 || r.Loaded < r.First || r.Loaded > time.Since(t0) {
		t.Fatalf("times out of order: %+v", r)
	}
	if r.IdleRSSKiB < 100 || r.IdleRSSKiB > 1<<20 {
		t.Fatalf("resident memory %d KiB", r.IdleRSSKiB)
	}
	if time.Since(t0) > 20*time.Second {
		t.Fatal("Run waited for the program to end by itself instead of ending it")
	}
}

// TestRunReportsAnEarlyExit: a program that exits without Home is an error quoting what it
// printed, not a wait for the timeout.
func TestRunReportsAnEarlyExit(t *testing.T) {
	argv, env := child(t, "exit")
	t0 := time.Now()
	_, err := Run(context.Background(), Start{Argv: argv, Env: env, Marks: HomeMarks, Timeout: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "cannot start") {
		t.Fatalf("err = %v", err)
	}
	if time.Since(t0) > 30*time.Second {
		t.Fatal("waited for the timeout")
	}
}

// TestRunTypesOnTheUnlockScreen: with Type, Run waits for the Unlock screen, types the
// passphrase and enter there (not before it is drawn; with TypeAfter, not before that wait
// either), and times Home's frames drawn after the typing only, though the Unlock screen's own
// text names them.
func TestRunTypesOnTheUnlockScreen(t *testing.T) {
	for _, after := range []time.Duration{0, 100 * time.Millisecond} {
		argv, env := child(t, "unlock")
		env = append(env, "FIRSTFRAME_PASSPHRASE=correct-horse-42")
		r, err := Run(context.Background(), Start{Argv: argv, Env: env, Marks: UnlockMarks, Timeout: 30 * time.Second,
			Type: []byte("correct-horse-42\r"), Then: HomeMarks, TypeAfter: after})
		if err != nil {
			t.Fatalf("TypeAfter %s: %v", after, err)
		}
		if r.First <= 0 || r.Loaded != r.First || r.Typed < r.Loaded+after || r.ThenFirst <= r.Typed || r.ThenLoaded < r.ThenFirst {
			t.Fatalf("TypeAfter %s: times out of order: %+v", after, r)
		}
	}
}

// TestRunReportsWhatTheTypingCameTo: a passphrase the program refuses is an error quoting it,
// and a start that never shows the screen to type on is not typed into.
func TestRunReportsWhatTheTypingCameTo(t *testing.T) {
	argv, env := child(t, "unlock")
	env = append(env, "FIRSTFRAME_PASSPHRASE=correct-horse-42")
	_, err := Run(context.Background(), Start{Argv: argv, Env: env, Marks: UnlockMarks, Timeout: 30 * time.Second,
		Type: []byte("wrong\r"), Then: HomeMarks})
	if err == nil || !strings.Contains(err.Error(), `wrong passphrase "wrong\r"`) {
		t.Fatalf("err = %v", err)
	}
	argv, env = child(t, "home")
	_, err = Run(context.Background(), Start{Argv: argv, Env: env, Marks: UnlockMarks, Timeout: 500 * time.Millisecond,
		Type: []byte("x\r"), Then: HomeMarks})
	if err == nil || !strings.Contains(err.Error(), `"payterm · Unlock" not shown`) {
		t.Fatalf("err = %v", err)
	}
}

func TestRunTimesOut(t *testing.T) {
	argv, env := child(t, "silent")
	if _, err := Run(context.Background(), Start{Argv: argv, Env: env, Marks: HomeMarks, Timeout: 300 * time.Millisecond}); err == nil || !strings.Contains(err.Error(), "not shown after") {
		t.Fatalf("err = %v", err)
	}
}

func TestPlain(t *testing.T) {
	for in, want := range map[string]string{
		"\x1b[1mpayterm\x1b[0m \x1b]8;;http://x\x07link\x1b]8;;\x1b\\ done\r\n": "payterm link done\n",
		"a\x1bPq#0\x1b\\b\x1b7c":   "abc",
		"\x1b[?1049h\x1b[2;1Hhome": "home",
	} {
		if got := string(plain([]byte(in))); got != want {
			t.Errorf("plain(%q) = %q, want %q", in, got, want)
		}
	}
}
