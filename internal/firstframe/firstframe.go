// Package firstframe times the real payterm binary from its start to the first frames it draws,
// in a pseudo-terminal of the size the README's captures use, as a user's terminal runs it.
// The terminal answers the queries a real one answers (the background colour, the cursor
// position), so nothing waits for a timeout a real terminal would never cause.
//
// Run can also type into the terminal once a screen shows (Start.Type: the passphrase of the
// Unlock screen and enter) and time the frames drawn after it (Start.Then).
//
// BenchmarkFirstFrame and BenchmarkFirstFrameWithPassphrase (bench_test.go) run it on the
// shared fixtures (internal/fixtures).
package firstframe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The terminal's size: the one the README's captures and the e2e journeys use.
const (
	Cols = 100
	Rows = 30
)

// Marks is what Run waits for on the screen, in the order the program draws them.
type Marks struct {
	// First is text of the first frame of the screen (Home's title, shown while its data loads).
	First string
	// Loaded is text the screen shows once its data is in (Home's "Recent payments"); empty:
	// the first frame is the loaded one.
	Loaded string
}

// HomeMarks are Home's.
var HomeMarks = Marks{First: "payterm · Home", Loaded: "Recent payments"}

// UnlockMarks are the Unlock screen's (ui/unlocksecrets.go), the first screen when the secrets
// file needs a passphrase: its title; it has no data to wait for.
var UnlockMarks = Marks{First: "payterm · Unlock"}

// Start says what to run and what to wait for.
type Start struct {
	Argv []string // the program and its arguments
	Env  []string // its whole environment
	// Marks are what to wait for; Timeout bounds the whole wait (until Then.Loaded with Type).
	Marks   Marks
	Timeout time.Duration
	// Type, when not empty, is written to the terminal as a user types it, once Marks.Loaded
	// shows (a screen that draws before its size is known drops keys typed earlier); Run then
	// waits for Then, looked for only in what the program draws after the write. For the
	// Unlock screen: the passphrase and "\r" (enter), then HomeMarks.
	Type []byte
	Then Marks
	// TypeAfter, when not zero, waits that long after Marks.Loaded showed before typing (a
	// user reading the screen and typing); zero types at once (a paste).
	TypeAfter time.Duration
	// Idle, when not zero, leaves the program on its loaded screen (Then's with Type) that long
	// and then reads its resident memory (Result.IdleRSSKiB): what it keeps once its start-up
	// work is done.
	Idle time.Duration
}

// Result is one start.
type Result struct {
	First  time.Duration // from exec to the first frame showing Marks.First
	Loaded time.Duration // from exec to Marks.Loaded on the screen
	// With Start.Type: Typed is from exec to just before the write of Type (Start.TypeAfter
	// after Marks.Loaded showed), ThenFirst and ThenLoaded from exec to Then's marks drawn
	// after it.
	Typed, ThenFirst, ThenLoaded time.Duration
	// IdleRSSKiB is the program's resident memory after Start.Idle on the loaded screen (0
	// without Idle).
	IdleRSSKiB int
}

// Run starts the program in a new pseudo-terminal, waits until the screen shows
// Marks.Loaded (with Type: types it and waits for Then.Loaded; at most Timeout in all) and,
// with Idle, that long more; then it ends the program with SIGTERM and waits for it to exit.
// The times are measured from just before the program is started.
func Run(ctx context.Context, st Start) (Result, error) {
	argv, env, timeout := st.Argv, st.Env, st.Timeout
	if len(argv) == 0 {
		return Result{}, errors.New("firstframe: no program")
	}
	master, slave, err := openPTY(Cols, Rows)
	if err != nil {
		return Result{}, err
	}
	defer master.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	// Its own session with the pty as its controlling terminal: it is then the foreground
	// process group, as in a terminal, and may ask the terminal what it asks a real one.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}

	s := &screen{master: master, typing: st.Type, typeAfter: st.TypeAfter, phases: []*phase{newPhase(st.Marks)}}
	if len(st.Type) > 0 {
		s.phases = append(s.phases, newPhase(st.Then))
	}
	last := s.phases[len(s.phases)-1]
	start := time.Now()
	s.start = start
	if err := cmd.Start(); err != nil {
		slave.Close()
		return Result{}, fmt.Errorf("firstframe: start %s: %w", argv[0], err)
	}
	slave.Close() // the child holds it now; the master reads EOF (EIO) when the child exits
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	readDone := make(chan struct{})
	go func() { defer close(readDone); s.read(start) }()

	var res Result
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var waitErr error
	select {
	case <-last.loaded:
		s.mu.Lock()
		p := s.phases[0]
		res = Result{First: p.firstAt, Loaded: p.loadedAt}
		if len(s.phases) > 1 {
			p = s.phases[1]
			res.Typed, res.ThenFirst, res.ThenLoaded = s.typedAt, p.firstAt, p.loadedAt
		}
		s.mu.Unlock()
		if st.Idle > 0 {
			select {
			case <-time.After(st.Idle):
				res.IdleRSSKiB, waitErr = residentKiB(cmd.Process.Pid)
			case err := <-exited:
				exited <- err
				waitErr = fmt.Errorf("firstframe: the program exited (%v) while idle", err)
			}
		}
	case err := <-exited:
		exited <- err
		// What it printed last may still be in the pty: the reader ends (EIO) once it is read.
		select {
		case <-readDone:
		case <-time.After(5 * time.Second):
		}
		waitErr = fmt.Errorf("firstframe: the program exited (%v) before showing %s; it printed:\n%s", err, s.waitingFor(), s.text())
	case <-timer.C:
		waitErr = fmt.Errorf("firstframe: %s not shown after %s; the screen so far:\n%s", s.waitingFor(), timeout, s.text())
	case <-ctx.Done():
		waitErr = ctx.Err()
	}
	// SIGTERM ends payterm at once (exit 130); SIGKILL if it does not within 10 s.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		if waitErr == nil {
			waitErr = errors.New("firstframe: the program ignored SIGTERM for 10 s")
		}
	}
	master.Close()
	<-readDone
	return res, waitErr
}

// residentKiB reads a running process's resident set size (VmRSS) from /proc.
func residentKiB(pid int) (int, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("firstframe: resident memory: %w", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				return strconv.Atoi(f[0])
			}
		}
	}
	return 0, errors.New("firstframe: no VmRSS in /proc status")
}

// screen reads the program's output, answers its terminal queries, notes when the marks
// show and types Start.Type once the first phase's are drawn.
type screen struct {
	master    *os.File
	start     time.Time
	typing    []byte // Start.Type
	typeAfter time.Duration

	mu       sync.Mutex
	raw      []byte
	answered int // raw[:answered] has been searched for queries
	phases   []*phase
	typedAt  time.Duration
}

// phase is one screen's marks, looked for in what the program drew from raw[from:] on: the
// start's first screen from the start, the one after the typing from the write on.
type phase struct {
	marks    Marks
	from     int
	firstAt  time.Duration
	loadedAt time.Duration
	loaded   chan struct{}
}

func newPhase(m Marks) *phase { return &phase{marks: m, loaded: make(chan struct{})} }

// The queries termenv (lipgloss) sends to learn the background colour, and the answers a dark
// xterm gives.
var answers = []struct{ query, answer []byte }{
	{[]byte("\x1b]11;?"), []byte("\x1b]11;rgb:0000/0000/0000\x1b\\")},
	{[]byte("\x1b]10;?"), []byte("\x1b]10;rgb:ffff/ffff/ffff\x1b\\")},
	{[]byte("\x1b[6n"), []byte("\x1b[1;1R")},
	{[]byte("\x1b[c"), []byte("\x1b[?62;22c")},
}

func (s *screen) read(start time.Time) {
	buf := make([]byte, 32*1024)
	for {
		n, err := s.master.Read(buf)
		at := time.Since(start)
		if n > 0 {
			s.took(buf[:n], at)
		}
		if err != nil {
			return // EIO once the program and every copy of the slave are gone
		}
	}
}

func (s *screen) took(p []byte, at time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw = append(s.raw, p...)
	// Answer each query once, in the order sent; a query cut across two reads is found once
	// its end arrives (the search restarts a few bytes back).
	from := max(0, s.answered-8)
	for {
		best, which := -1, -1
		for i, a := range answers {
			if j := bytes.Index(s.raw[from:], a.query); j >= 0 && (best < 0 || j < best) {
				best, which = j, i
			}
		}
		if best < 0 {
			break
		}
		end := from + best + len(answers[which].query)
		if end > s.answered {
			_, _ = s.master.Write(answers[which].answer)
		}
		from = end
		s.answered = max(s.answered, end)
	}
	s.answered = max(s.answered, len(s.raw))
	for i, p := range s.phases {
		if i > 0 && s.typedAt == 0 {
			break // not typed yet
		}
		if p.loadedAt != 0 {
			continue
		}
		text := plain(s.raw[p.from:])
		if p.firstAt == 0 && bytes.Contains(text, []byte(p.marks.First)) {
			p.firstAt = at
		}
		if p.firstAt != 0 && bytes.Contains(text, []byte(p.marks.Loaded)) {
			p.loadedAt = at
			close(p.loaded)
		}
		if p.loadedAt == 0 {
			break
		}
		if i == 0 && len(s.typing) > 0 {
			if s.typeAfter == 0 {
				s.typeNow()
			} else {
				time.AfterFunc(s.typeAfter, func() {
					s.mu.Lock()
					defer s.mu.Unlock()
					s.typeNow()
				})
			}
		}
	}
}

// typeNow types Start.Type (the screen is up) and looks for the next phase's marks only in what
// the program draws from here on. s.mu is held.
func (s *screen) typeNow() {
	s.phases[1].from = len(s.raw)
	// Timed before the write: the program may answer before Write returns, and the reader
	// times what it reads as it reads it, so a later stamp here could follow the answer's.
	s.typedAt = time.Since(s.start)
	_, _ = s.master.Write(s.typing) // after Run's end: the closed master's error, ignored
}

// waitingFor names the mark Run is still waiting for, for an error.
func (s *screen) waitingFor() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range s.phases {
		switch {
		case p.firstAt == 0 && i > 0:
			return fmt.Sprintf("%q after typing %d bytes", p.marks.First, len(s.typing))
		case p.firstAt == 0:
			return fmt.Sprintf("%q", p.marks.First)
		case p.loadedAt == 0:
			return fmt.Sprintf("%q", p.marks.Loaded)
		}
	}
	return "nothing"
}

// text is what the program printed so far without its escape sequences, for an error.
func (s *screen) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(plain(s.raw))
}

// escapes are the terminal's control sequences: CSI, OSC (ended by BEL or ST), DCS and
// the two-byte ones.
var escapes = regexp.MustCompile(`\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1bP[^\x1b]*\x1b\\|\x1b[0-~]`)

// plain is b without the terminal's control sequences and carriage returns: the text drawn,
// in the order drawn.
func plain(b []byte) []byte {
	return bytes.ReplaceAll(escapes.ReplaceAll(b, nil), []byte("\r"), nil)
}
