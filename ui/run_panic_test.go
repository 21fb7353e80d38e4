package ui

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// panickingWallet is a wallet with a bug: loading Home panics (in a command's goroutine).
type panickingWallet struct{ Wallet }

func (panickingWallet) Overview(context.Context) (Overview, error) { panic("a bug in the wallet") }

// TestRunSaysABugStoppedIt: when a bug panics while the screens run, Run ends with a Problem
// that says it is payterm's bug and what the ledger keeps, not Bubble Tea's bare "program
// experienced a panic"; errors.Is still finds the panic.
func TestRunSaysABugStoppedIt(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Renderer: lipgloss.NewRenderer(io.Discard), Clock: func() time.Time { return fakeBase }, disableIdleTicker: true, disableChangeFeed: true, CrashDir: dir}
	inR, inW := io.Pipe()
	defer inW.Close()
	done := make(chan error, 1)
	go func() {
		done <- run(t.Context(), panickingWallet{newFakeWallet(opts.Clock, 3)}, opts, func(string) (string, bool) { return "", false },
			inR, io.Discard, &tea.WindowSizeMsg{Width: 100, Height: 40})
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("run did not end after the panic")
	}
	var p *Problem
	if !errors.As(err, &p) || !strings.Contains(p.What, "a bug in payterm") || !strings.Contains(p.Next, "ledger") {
		t.Fatalf("run ended with %v", err)
	}
	if !errors.Is(err, tea.ErrProgramPanic) {
		t.Fatalf("the panic is not the Problem's cause: %v", err)
	}
	// The report is kept, named in the Problem, and says where: the stack of the Cmd that
	// panicked, without the panic's own words or argument values.
	report := onlyReport(t, dir)
	if !strings.Contains(p.Next, report) {
		t.Errorf("the Problem does not name the report %s: %q", report, p.Next)
	}
	text := readReport(t, report)
	for _, want := range []string{"panickingWallet.Overview(…)", "a panic with a value of type string", runtime.Version()} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "a bug in the wallet") {
		t.Errorf("the report quotes the panic's value, which may be a payee's or a bank's words:\n%s", text)
	}
}

// onlyReport is the one crash report in dir.
func onlyReport(t *testing.T, dir string) string {
	t.Helper()
	reports, _ := filepath.Glob(filepath.Join(dir, "crash-*.txt"))
	if len(reports) != 1 {
		t.Fatalf("crash reports in the data dir: %v", reports)
	}
	return reports[0]
}

// readReport reads a report and checks only its owner can read it.
func readReport(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the report is %v, not owner-only", fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// panicScreen is a screen with a bug: in Update on any key, or in View once told to.
type panicScreen struct {
	inView bool
	value  any
}

func (s *panicScreen) Init() tea.Cmd { return nil }
func (s *panicScreen) Update(tea.Msg) (tea.Model, tea.Cmd) {
	panic(s.value)
}
func (s *panicScreen) View() string {
	if s.inView {
		panic(s.value)
	}
	return "a screen with a bug"
}
func (s *panicScreen) ShortHelp() []key.Binding  { return nil }
func (s *panicScreen) FullHelp() [][]key.Binding { return nil }
func (s *panicScreen) SetSize(int, int)          {}
func (s *panicScreen) Title() string             { return "Bug" }
func (s *panicScreen) Typing() bool              { return false }
func (s *panicScreen) Busy() bool                { return false }

// evilPanic is a panic value that quotes outside text: a terminal title escape and a name.
var evilPanic = errors.New("payee \x1b]0;pwned\x07Ivan England")

// TestAPanicInUpdateEndsTheProgramWithItsReport: a screen's Update that panics quits the
// program (the terminal is restored as after q) and keeps the report, which names the screen's
// method and carries neither the panic's text nor its escape sequence.
func TestAPanicInUpdateEndsTheProgramWithItsReport(t *testing.T) {
	a := newDriven(3).(*app)
	a.push(&panicScreen{value: evilPanic})
	_, cmd := a.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")})
	if cmd == nil {
		t.Fatal("no command after the panic")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("the program does not quit after a panic in Update")
	}
	if a.crash == nil || !strings.Contains(string(a.crash.stack), "panicScreen).Update(…)") {
		t.Fatalf("the report does not say where: %+v", a.crash)
	}
	dir := t.TempDir()
	p := crashProblem(a.crash, dir)
	text := readReport(t, onlyReport(t, dir))
	if strings.Contains(text, "Ivan England") || strings.Contains(text, "\x1b") || strings.Contains(p.Error(), "\x1b") {
		t.Fatalf("the report or the Problem carries the panic's text:\n%s\n%s", text, p.Error())
	}
	if !strings.Contains(text, "a panic with a value of type *errors.errorString") {
		t.Errorf("the report does not name the panic's type:\n%s", text)
	}
}

// TestAPanicInViewEndsTheProgramWithItsReport: View cannot return a command, so a panic in it
// shows a one-line notice, tells the event loop (send), and the next message quits.
func TestAPanicInViewEndsTheProgramWithItsReport(t *testing.T) {
	a := newDriven(3).(*app)
	sent := make(chan tea.Msg, 1)
	a.send = func(m tea.Msg) { sent <- m }
	a.push(&panicScreen{inView: true, value: evilPanic})
	if v := a.View(); v != stoppedOnABug {
		t.Fatalf("the view after a panic is %q", v)
	}
	var msg tea.Msg
	select {
	case msg = <-sent:
	case <-time.After(10 * time.Second):
		t.Fatal("the event loop was not told about the panic in View")
	}
	_, cmd := a.Update(msg)
	if cmd == nil {
		t.Fatal("no command after the panic")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("the program does not quit after a panic in View")
	}
	if a.crash == nil || !strings.Contains(string(a.crash.stack), "panicScreen).View(…)") {
		t.Fatalf("the report does not say where: %+v", a.crash)
	}
}

// TestAPanicInABatchedCmdIsCaught: the Cmds of a batch run on goroutines of their own, each
// guarded: a panic in one becomes a crashMsg instead of Bubble Tea's raw print.
func TestAPanicInABatchedCmdIsCaught(t *testing.T) {
	quiet := func() tea.Msg { return nil }
	bad := func() tea.Msg { panic(evilPanic) }
	batch, ok := guardCmd(tea.Batch(quiet, bad))().(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("the batch did not come back as one: %#v", batch)
	}
	c, ok := batch[1]().(crashMsg)
	if !ok || c.report == nil || !strings.Contains(string(c.report.stack), "TestAPanicInABatchedCmdIsCaught") {
		t.Fatalf("the batched Cmd's panic was not caught: %#v", c)
	}
}

// TestWithoutArgs: argument words are dropped from a stack's function lines, whatever the
// receiver's parentheses; file lines are kept.
func TestWithoutArgs(t *testing.T) {
	in := "goroutine 7 [running]:\n" +
		"github.com/payterm/payterm/ui.(*app).Update(0xc000123400, {0x1a2b, 0x3e8})\n" +
		"\t/src/ui/app.go:290 +0x1d\n" +
		"main.main()\n" +
		"\t/src/main.go:53 +0x25\n" +
		"created by net/http.(*Server).Serve in goroutine 1\n"
	want := "goroutine 7 [running]:\n" +
		"github.com/payterm/payterm/ui.(*app).Update(…)\n" +
		"\t/src/ui/app.go:290 +0x1d\n" +
		"main.main(…)\n" +
		"\t/src/main.go:53 +0x25\n" +
		"created by net/http.(*Server).Serve in goroutine 1\n"
	if got := string(withoutArgs([]byte(in))); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
