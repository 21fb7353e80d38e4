package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/payterm/payterm/internal/safetext"
)

// A bug that panics in a screen is caught here rather than by Bubble Tea: Bubble Tea prints the
// panic value raw (it may quote a bank's text, escape sequences and all), and a panic in a Cmd's
// goroutine is printed while the alternate screen is still up, so its stack vanishes with it.
// The app recovers in Update, View and every Cmd, keeps a crashReport and quits; Run then writes
// the report to a file and ends with a Problem that names it.

// crashReport is one caught panic: what it was and the stack of the goroutine that panicked.
type crashReport struct {
	at    time.Time
	what  string
	stack []byte
}

// crashMsg carries a panic caught in a Cmd's goroutine to the event loop.
type crashMsg struct{ report *crashReport }

// catch builds the report for the value recover returned, from inside the deferred call (so
// the stack still shows where the panic happened). Only a runtime error's own words are kept:
// any other value may hold a payee's name or a bank's text, so only its type is named.
func catch(r any) *crashReport {
	what := fmt.Sprintf("a panic with a value of type %T", r)
	if e, ok := r.(runtime.Error); ok {
		what = e.Error()
	}
	return &crashReport{at: time.Now(), what: safetext.Line(what), stack: withoutArgs(debug.Stack())}
}

// withoutArgs drops the argument words a Go stack prints after each function
// ("ui.(*app).Update(0xc000123400, {0x1a2b, 0x3e8})" becomes "ui.(*app).Update(…)"): a word
// can be an amount or other data of the payment, and the report needs only where it was.
func withoutArgs(stack []byte) []byte {
	lines := strings.Split(string(stack), "\n")
	for i, l := range lines {
		if l == "" || l[0] == '\t' || !strings.HasSuffix(l, ")") {
			continue
		}
		depth := 0
		for j := len(l) - 1; j >= 0; j-- {
			switch l[j] {
			case ')':
				depth++
			case '(':
				depth--
			}
			if depth == 0 {
				lines[i] = l[:j] + "(…)"
				break
			}
		}
	}
	return []byte(strings.Join(lines, "\n"))
}

// guardCmd runs cmd so a panic in it becomes a crashMsg. A batch's Cmds run on goroutines of
// their own once it returns, so each is guarded too.
func guardCmd(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = crashMsg{report: catch(r)}
			}
		}()
		msg = cmd()
		if batch, ok := msg.(tea.BatchMsg); ok {
			for i := range batch {
				batch[i] = guardCmd(batch[i])
			}
		}
		return msg
	}
}

// text is the report as written to its file: no payee, amount or bank text is in it (catch).
func (r *crashReport) text() string {
	return fmt.Sprintf("payterm stopped on a bug at %s.\n%s\nGo %s %s/%s\n\n%s\n%s",
		r.at.UTC().Format(time.RFC3339), version(), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		r.what, safetext.Text(string(r.stack)))
}

// version is the module's version and VCS revision as the build recorded them.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "build information unavailable"
	}
	v := "payterm " + info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
			v += " " + s.Key + "=" + s.Value
		}
	}
	return safetext.Line(v)
}

// save writes the report into dir (owner-only, like everything payterm keeps) and returns its
// path; "" with the reason when it could not.
func (r *crashReport) save(dir string) (string, error) {
	if dir == "" {
		return "", fmt.Errorf("no data directory to write it to")
	}
	path := filepath.Join(dir, "crash-"+r.at.UTC().Format("20060102T150405.000000000Z")+".txt")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("write the bug report: %w", err)
	}
	if _, err := f.WriteString(r.text()); err != nil {
		f.Close()
		return "", fmt.Errorf("write the bug report: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write the bug report: %w", err)
	}
	return path, nil
}
