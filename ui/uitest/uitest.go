// Package uitest scripts payterm's terminal UI in tests: start the production root model
// (ui.New) with any ui.Wallet, type rune-safe text and key names, wait for text on screen, and
// take the final view for a golden file.
//
// It wraps x/exp/teatest but avoids two of its traps (tui-anchors §4): teatest's Type sends one
// key per byte (breaking Arabic names and "€"), and WaitFor reads a drained output stream in
// which unchanged lines are never repainted. Here, Type sends one key per rune, and WaitFor
// polls the last rendered View() of the model instead of the byte stream.
//
//	func TestPay(t *testing.T) {
//		clock := uitest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
//		app := uitest.Start(t, myWallet, uitest.WithClock(clock))
//		app.WaitFor("Home")
//		app.Press("p")
//		app.Type("1250")
//		app.Press("enter")
//		app.WaitFor("You are about to pay")
//		app.RequireGolden(app.FinalView())
//	}
//
// The wallet is whatever the test passes: a fake, or the production composition on a fresh
// embedded sandbox (package realapp, which builds it and calls Start).
package uitest

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/payterm/payterm/internal/totpkey"
	"github.com/payterm/payterm/ui"
)

// Default terminal size for journeys.
const (
	DefaultWidth  = 100
	DefaultHeight = 40
)

// DefaultTimeout bounds every wait; generous because CI machines are shared and -race is slow.
const DefaultTimeout = 20 * time.Second

// init pins the colour profile so golden files are plain text on every machine.
func init() {
	lipgloss.SetColorProfile(termenv.Ascii)
	lipgloss.SetHasDarkBackground(true)
}

// Clock is a settable clock for ui.Options.Clock; safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the current fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type config struct {
	width, height int
	opts          ui.Options
	timeout       time.Duration
	everyFrame    bool
}

// Option configures Start.
type Option func(*config)

// WithSize sets the terminal size (default 100×40).
func WithSize(w, h int) Option { return func(c *config) { c.width, c.height = w, h } }

// WithClock injects a fake clock.
func WithClock(clock *Clock) Option { return func(c *config) { c.opts.Clock = clock.Now } }

// WithLocation sets the time zone the screens show times in. Journeys run in UTC unless they
// say otherwise, so golden files do not depend on the machine's TZ.
func WithLocation(loc *time.Location) Option { return func(c *config) { c.opts.Location = loc } }

// WithOptions sets the ui.Options (a clock given with WithClock wins if set after).
func WithOptions(o ui.Options) Option { return func(c *config) { c.opts = o } }

// WithAccessible turns on the accessible mode.
func WithAccessible() Option { return func(c *config) { c.opts.Accessible = true } }

// WithEveryFrame keeps every frame the app draws, for Frames: a test can then say a screen was
// never shown, not only that it is gone now.
func WithEveryFrame() Option { return func(c *config) { c.everyFrame = true } }

// WithTimeout changes how long waits last (default 20s; a passing wait returns at once).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// App is a running payterm UI under test.
type App struct {
	tb      testing.TB
	tm      *teatest.TestModel
	view    *lastView
	timeout time.Duration
	final   string
	done    bool
	// width×height is the terminal the app runs in (Start's size, then the last Resize).
	width, height int
	out           []byte // the output stream read so far (WaitForOutput)
}

// lastView keeps the latest frame; the harness writes it after every Update. With keep, it also
// logs each frame that differs from the one before.
type lastView struct {
	mu   sync.Mutex
	s    string
	keep bool
	log  []string
	// n counts the messages handled; syncs is n when the last syncMsg was handled.
	n, syncs int
}

func (v *lastView) set(s string) {
	v.mu.Lock()
	if v.keep && (len(v.log) == 0 || v.log[len(v.log)-1] != s) {
		v.log = append(v.log, s)
	}
	v.s = s
	v.n++
	v.mu.Unlock()
}

// Frames returns every distinct frame drawn so far, oldest first (Start with WithEveryFrame).
func (a *App) Frames() []string {
	a.tb.Helper()
	a.view.mu.Lock()
	defer a.view.mu.Unlock()
	if !a.view.keep {
		a.tb.Fatal("uitest: Frames needs Start(…, uitest.WithEveryFrame())")
	}
	return append([]string(nil), a.view.log...)
}

func (v *lastView) get() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.s
}

// harness records the inner model's View after every message, so WaitFor sees whole frames.
type harness struct {
	inner tea.Model
	view  *lastView
}

func (h harness) Init() tea.Cmd { return h.inner.Init() }

func (h harness) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(syncMsg); ok { // the helpers' marker, never the app's
		h.view.mu.Lock()
		h.view.n++
		h.view.syncs = h.view.n
		h.view.mu.Unlock()
		return h, nil
	}
	m, cmd := h.inner.Update(msg)
	h.inner = m
	h.view.set(m.View())
	return h, cmd
}

func (h harness) View() string { return h.inner.View() }

// Start runs ui.New(w, opts) in a teatest program of a fixed size.
func Start(tb testing.TB, w ui.Wallet, opts ...Option) *App {
	tb.Helper()
	cfg := config{width: DefaultWidth, height: DefaultHeight, timeout: DefaultTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.opts.Location == nil {
		cfg.opts.Location = time.UTC
	}
	lv := &lastView{keep: cfg.everyFrame}
	h := harness{inner: ui.New(w, cfg.opts), view: lv}
	tm := teatest.NewTestModel(tb, h, teatest.WithInitialTermSize(cfg.width, cfg.height))
	a := &App{tb: tb, tm: tm, view: lv, timeout: cfg.timeout, width: cfg.width, height: cfg.height}
	tb.Cleanup(func() {
		if !a.done {
			_ = tm.Quit()
			tm.WaitFinished(tb, teatest.WithFinalTimeout(cfg.timeout))
		}
	})
	return a
}

// Type sends text one rune per key message (teatest's Type splits multi-byte runes).
func (a *App) Type(s string) {
	for _, r := range s {
		if r == ' ' {
			a.tm.Send(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
			continue
		}
		a.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// Burst sends text as a terminal delivers keys typed faster than the program reads them (a
// script's `tmux send-keys j j`, a key held down): the letters between spaces and control keys
// arrive as one key message of several runes. The wallet applies each rune as its own key.
func (a *App) Burst(s string) {
	var run []rune
	flush := func() {
		if len(run) > 0 {
			a.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: run})
			run = nil
		}
	}
	for _, r := range s {
		if r == ' ' {
			flush()
			a.tm.Send(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
			continue
		}
		run = append(run, r)
	}
	flush()
}

// keyTypes maps key names as Bubble Tea prints them to key types.
var keyTypes = map[string]tea.KeyType{
	"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
	"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
	"backspace": tea.KeyBackspace, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
	"home": tea.KeyHome, "end": tea.KeyEnd, "space": tea.KeySpace,
	"ctrl+c": tea.KeyCtrlC, "ctrl+d": tea.KeyCtrlD, "ctrl+s": tea.KeyCtrlS, "ctrl+t": tea.KeyCtrlT,
	"ctrl+u": tea.KeyCtrlU, "ctrl+x": tea.KeyCtrlX, "f1": tea.KeyF1,
}

// Press sends named keys ("enter", "esc", "ctrl+t", …) or single characters ("p", "?").
func (a *App) Press(keys ...string) {
	a.tb.Helper()
	for _, k := range keys {
		if t, ok := keyTypes[k]; ok {
			a.tm.Send(tea.KeyMsg{Type: t})
			continue
		}
		if r := []rune(k); len(r) == 1 {
			a.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: r})
			continue
		}
		a.tb.Fatalf("uitest: unknown key %q", k)
	}
}

// Send delivers any message (a resize, ui.IdleCheckMsg{}).
func (a *App) Send(msg tea.Msg) { a.tm.Send(msg) }

// Resize changes the terminal size.
func (a *App) Resize(w, h int) {
	a.width, a.height = w, h
	a.tm.Send(tea.WindowSizeMsg{Width: w, Height: h})
}

// WaitForOutput waits until the raw byte stream the program wrote (escape sequences included)
// contains text, and returns the stream so far: what a terminal gets outside the frames, such as
// a line printed above the view (tea.Println) that the renderer never cuts at the edge.
func (a *App) WaitForOutput(text string) string {
	a.tb.Helper()
	deadline := time.Now().Add(a.timeout)
	buf := make([]byte, 4096)
	for {
		for {
			n, err := a.tm.Output().Read(buf)
			a.out = append(a.out, buf[:n]...)
			if n == 0 || err != nil {
				break
			}
		}
		if strings.Contains(string(a.out), text) {
			return string(a.out)
		}
		if time.Now().After(deadline) {
			a.tb.Fatalf("uitest: waited %s for %q in the output stream", a.timeout, text)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// View returns the latest frame.
func (a *App) View() string { return a.view.get() }

// WaitFor waits until the current frame contains text.
func (a *App) WaitFor(text string) {
	a.tb.Helper()
	a.waitUntil(func(v string) bool { return strings.Contains(v, text) }, "text "+strconv.Quote(text))
}

// WaitGone waits until the current frame no longer contains text.
func (a *App) WaitGone(text string) {
	a.tb.Helper()
	a.waitUntil(func(v string) bool { return !strings.Contains(v, text) }, "text to disappear "+strconv.Quote(text))
}

func (a *App) waitUntil(cond func(string) bool, what string) {
	a.tb.Helper()
	deadline := time.Now().Add(a.timeout)
	for {
		v := a.view.get()
		if cond(v) {
			return
		}
		if time.Now().After(deadline) {
			a.tb.Fatalf("uitest: waited %s for %s; last frame:\n%s", a.timeout, what, v)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// FinalView quits the program and returns the model's last View(), deterministic for golden
// files (unlike the raw output stream).
func (a *App) FinalView() string {
	a.tb.Helper()
	if a.done {
		return a.final
	}
	_ = a.tm.Quit()
	return a.WaitQuit()
}

// WaitQuit waits for the app to quit by itself (q, ctrl+c) and returns its last view.
func (a *App) WaitQuit() string {
	a.tb.Helper()
	m := a.tm.FinalModel(a.tb, teatest.WithFinalTimeout(a.timeout))
	a.done = true
	if m == nil {
		a.tb.Fatal("uitest: no final model")
	}
	a.final = m.View()
	return a.final
}

// RequireGolden compares view with testdata/<TestName>.golden (go test -update rewrites it).
// It also fails when the frame is larger than the terminal: a real terminal would cut what the
// golden file shows, so the golden would not be honest.
func (a *App) RequireGolden(view string) {
	a.tb.Helper()
	a.RequireFits(view)
	teatest.RequireEqualOutput(a.tb, []byte(view))
}

// RequireFits fails when a line of view is wider than the terminal or the frame is taller.
func (a *App) RequireFits(view string) {
	a.tb.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > a.height {
		a.tb.Errorf("uitest: the frame has %d lines, the terminal %d", len(lines), a.height)
	}
	for i, l := range lines {
		if w := lipgloss.Width(l); w > a.width {
			a.tb.Errorf("uitest: line %d is %d cells, wider than the %d-column terminal (it would be cut): %q", i+1, w, a.width, l)
		}
	}
}

// TOTPKeyFromView reads the base32 key the enrolment step shows ("Key  ABCD EFGH …"), or "".
func TOTPKeyFromView(view string) string {
	key, err := totpkey.FromScreen(view)
	if err != nil {
		return ""
	}
	return key
}

// TOTPCode computes the 6-digit RFC 6238 code for key at t (30 s period, SHA-1).
func TOTPCode(tb testing.TB, key string, t time.Time) string {
	tb.Helper()
	code, err := totpkey.RFC6238(key, t)
	if err != nil {
		tb.Fatalf("uitest: totp code: %v", err)
	}
	return code
}
