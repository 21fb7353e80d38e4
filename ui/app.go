package ui

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Minimum terminal size; below it the app shows only the "terminal too small" view.
const (
	MinWidth  = 60
	MinHeight = 18
	// headerHeight is the title line and the blank line under it.
	headerHeight = 2
	// maxStatusLines and maxKeyLines bound the footer: a long status (a file path) or a long key
	// list wraps onto extra lines instead of being cut at the terminal edge.
	maxStatusLines = 3
	maxKeyLines    = 3
)

// DefaultIdleTimeout locks the session after five minutes without a key (RTS Art. 4(3)(d)).
const DefaultIdleTimeout = 5 * time.Minute

// idleCheckEvery is how often the running program asks whether the session went idle.
const idleCheckEvery = 5 * time.Second

// app is the root model: a router over a stack of screens plus the global overlays (help,
// lock, quit confirmation, too-small) and the footer status line.
type app struct {
	c      *common
	cancel context.CancelFunc
	idle   time.Duration
	ticker bool
	feed   bool // read Wallet.Changes

	width, height int
	stack         []Screen
	loading       bool
	loadErr       error
	onboarded     bool

	status      string
	statusIsErr bool
	// footerH is the footer's current height in lines (status + keys); screens get the rest.
	footerH int
	// scroll is how far a screen taller than the terminal is scrolled (pgdn/pgup), for the
	// screen scrollFor names; another screen or step starts at the top again.
	scroll      int
	scrollFor   string
	showHelp    bool
	confirmQuit bool

	lastKey time.Time
	locked  bool
	lockPIN *field
	lockErr string
	unlockN int

	// unlock is the Unlock screen while the secrets file has not opened with a passphrase typed
	// on it (nil without one, or once it opened); fatal is what payterm ends with when it
	// never opens (Run returns it).
	unlock *unlockScreen
	fatal  error

	// crash is the first bug caught in Update, View or a Cmd (crash.go); send, when set (Run),
	// tells the event loop about one caught in View, which cannot return a Cmd.
	crash *crashReport
	send  func(tea.Msg)
}

// New builds the production root model. main.go passes the real wallet; tests pass a fake.
func New(w Wallet, opts Options) tea.Model {
	w = withCleanText(w) // every string from the core is cleaned before a screen holds it
	now := opts.Clock
	if now == nil {
		now = time.Now
	}
	parent := opts.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	r := opts.Renderer
	if r == nil {
		r = lipgloss.DefaultRenderer()
		if opts.NoColor {
			r = lipgloss.NewRenderer(io.Discard)
			r.SetColorProfile(termenv.Ascii)
		}
	}
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	idle := opts.IdleTimeout
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	c := &common{
		w:          w,
		st:         newStyles(r, DefaultTheme(), opts.Accessible),
		now:        now,
		loc:        loc,
		ctx:        ctx,
		accessible: opts.Accessible,
		openURL:    opts.OpenURL,
		hyperlinks: opts.Hyperlinks,
		altScreen:  opts.altScreen,
	}
	pin := newField("PIN")
	pin.masked = true
	pin.accept = digitsOnly
	pin.limit = 12
	a := &app{
		c: c, cancel: cancel, idle: idle, ticker: !opts.disableIdleTicker, feed: !opts.disableChangeFeed,
		loading: true, lastKey: now(), lockPIN: pin,
	}
	if opts.UnlockSecrets != nil {
		a.unlock = newUnlockScreen(c, opts.UnlockSecrets)
	}
	return a
}

// unlocking reports whether the Unlock screen is up (asking, not waiting for an answer).
func (a *app) unlocking() bool { return a.unlock != nil && !a.unlock.waiting }

func (a *app) Init() tea.Cmd {
	cmds := []tea.Cmd{firstLoad(a.c, a.feed)}
	if a.ticker {
		cmds = append(cmds, idleTick())
	}
	return guardCmd(tea.Batch(cmds...))
}

// firstLoad subscribes to the core's change feed (Wallet.Changes) and then reads the overview:
// in that order, so nothing recorded in between (the start-up reconciliation runs meanwhile)
// is missed. waitChange then reads the feed one change per message, re-armed by the router.
func firstLoad(c *common, feed bool) tea.Cmd {
	ctx, w := c.ctx, c.w
	return func() tea.Msg {
		var ch <-chan Change
		if feed {
			ch = w.Changes(ctx)
		}
		ov, err := w.Overview(ctx)
		return overviewMsg{ov: ov, err: err, feed: ch}
	}
}

func waitChange(ch <-chan Change) tea.Cmd {
	return func() tea.Msg {
		c, ok := <-ch
		return changeMsg{c: c, ch: ch, closed: !ok}
	}
}

type (
	// changeMsg is one change read from the feed (closed: the feed ended with the program).
	changeMsg struct {
		c      Change
		ch     <-chan Change
		closed bool
	}
	// changedMsg tells the screen on top that the core recorded c: it reloads what c touches
	// (screens underneath reload when they are uncovered, see applyNav).
	changedMsg struct{ Change }
)

func idleTick() tea.Cmd {
	return tea.Tick(idleCheckEvery, func(time.Time) tea.Msg { return idleTickMsg{} })
}

type idleTickMsg struct{}

func loadOverview(c *common) tea.Cmd {
	ctx, w := c.ctx, c.w
	return func() tea.Msg {
		ov, err := w.Overview(ctx)
		return overviewMsg{ov: ov, err: err}
	}
}

func (a *app) top() Screen {
	if len(a.stack) == 0 {
		return nil
	}
	return a.stack[len(a.stack)-1]
}

func (a *app) busy() bool {
	for _, s := range a.stack {
		if s.Busy() {
			return true
		}
	}
	return false
}

func (a *app) contentSize() (int, int) {
	fh := a.footerH
	if fh == 0 {
		fh = 2
	}
	return max(0, a.width), max(0, a.height-headerHeight-fh)
}

// relayout gives the screens the height the footer leaves them. The footer grows when the status
// line or the key list needs a second line, so it is measured after every update.
func (a *app) relayout() {
	if top := a.top(); top != nil {
		if owner := fmt.Sprintf("%p %s", top, top.Title()); owner != a.scrollFor {
			a.scroll, a.scrollFor = 0, owner
		}
	}
	status, keys := a.footerLines()
	h := len(status) + len(keys)
	a.c.termW, a.c.termH = a.width, a.height
	if h == a.footerH {
		return
	}
	a.footerH = h
	w, ch := a.contentSize()
	for _, s := range a.stack {
		s.SetSize(w, ch)
	}
}

func (a *app) push(s Screen) tea.Cmd {
	s.SetSize(a.contentSize())
	a.stack = append(a.stack, s)
	return s.Init()
}

func (a *app) quit() tea.Cmd {
	a.cancel()
	return tea.Quit
}

// Update routes msg; a panic in it, or in a Cmd it returned (crashMsg), or in View before it
// (a.crash), ends the program with its report (crash.go).
func (a *app) Update(msg tea.Msg) (m tea.Model, cmd tea.Cmd) {
	if c, ok := msg.(crashMsg); ok && a.crash == nil {
		a.crash = c.report
	}
	if a.crash != nil {
		return a, a.quit()
	}
	defer func() {
		if r := recover(); r != nil {
			a.crash = catch(r)
			m, cmd = a, a.quit()
		}
	}()
	m, cmd = a.update(msg)
	a.relayout()
	return m, guardCmd(cmd)
}

func (a *app) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.width, a.height = msg.Width, msg.Height
		a.c.termW, a.c.termH = a.width, a.height
		w, h := a.contentSize()
		for _, s := range a.stack {
			s.SetSize(w, h)
		}
		return a, nil
	case tea.KeyMsg:
		return a, a.handleKey(msg)
	case overviewMsg:
		a.loading = false
		var feed tea.Cmd
		if msg.feed != nil {
			feed = waitChange(msg.feed)
		}
		m, cmd := a.overview(msg)
		return m, tea.Batch(feed, cmd)
	case statusMsg:
		a.status, a.statusIsErr = msg.text, msg.isErr
		return a, nil
	case changeMsg:
		if msg.closed {
			return a, nil
		}
		next := waitChange(msg.ch)
		top := a.top()
		if top == nil {
			return a, next
		}
		m, cmd := top.Update(changedMsg{msg.c})
		if ns, ok := m.(Screen); ok {
			a.stack[len(a.stack)-1] = ns
		}
		return a, tea.Batch(next, cmd, a.applyNav())
	case idleTickMsg:
		return a, tea.Batch(a.checkIdle(), idleTick())
	case IdleCheckMsg:
		return a, a.checkIdle()
	case unlockedMsg:
		return a, a.unlocked(msg.err)
	case unlockMsg:
		if msg.err != nil {
			a.lockErr = explain(msg.err)
			a.lockPIN.Reset()
			return a, nil
		}
		a.locked, a.lockErr = false, ""
		a.lockPIN.Reset()
		a.lastKey = a.c.now()
		return a, nil
	}
	// Everything else is an async result or a tick: every screen on the stack sees it and keeps
	// only its own (typed messages + request ids), so a result for a screen underneath lands.
	var cmds []tea.Cmd
	for i, s := range a.stack {
		m, cmd := s.Update(msg)
		if ns, ok := m.(Screen); ok {
			a.stack[i] = ns
		}
		cmds = append(cmds, cmd)
	}
	return a, tea.Batch(append(cmds, a.applyNav())...)
}

// overview applies the wallet's overview: the first screen (onboarding or Home), or the error.
func (a *app) overview(msg overviewMsg) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		a.loadErr = msg.err
		return a, nil
	}
	a.loadErr = nil
	a.onboarded = msg.ov.Onboarded
	a.stack = nil
	if !msg.ov.Onboarded {
		return a, a.push(newOnboarding(a.c))
	}
	return a, a.push(newHome(a.c, &msg.ov))
}

// applyNav performs the navigation screens asked for during this Update, in order.
func (a *app) applyNav() tea.Cmd {
	if st := a.c.status; st != nil {
		a.status, a.statusIsErr = st.text, st.isErr
		a.c.status = nil
	}
	ops := a.c.nav
	a.c.nav = nil
	var cmds []tea.Cmd
	for _, op := range ops {
		switch op.kind {
		case navPush:
			cmds = append(cmds, a.push(op.to))
		case navReplace:
			a.stack = nil
			if _, ok := op.to.(*homeScreen); ok {
				a.onboarded = true
			}
			cmds = append(cmds, a.push(op.to))
		case navBack:
			if len(a.stack) > 1 {
				a.stack = a.stack[:len(a.stack)-1]
				// The screen underneath may show stale data (a consent was revoked): refresh it.
				if r, ok := a.top().(interface{ refresh() tea.Cmd }); ok {
					cmds = append(cmds, r.refresh())
				}
			}
		}
	}
	return tea.Batch(cmds...)
}

func (a *app) checkIdle() tea.Cmd {
	if a.locked || !a.onboarded || a.unlocking() {
		return nil
	}
	if a.c.now().Sub(a.lastKey) >= a.idle {
		a.locked = true
		a.showHelp = false
		a.lockErr = ""
		a.lockPIN.Reset()
	}
	return nil
}

func (a *app) handleKey(msg tea.KeyMsg) tea.Cmd {
	// Bubble Tea reports letters that arrive in one read (a fast typist, a script's
	// `tmux send-keys j j`, a key held down) as one KeyRunes of several runes, whose String()
	// "jj" matches no binding: every screen would drop the burst. Each rune is applied as its
	// own key, in order, each to the screen the one before left on top (a burst "hj" opens
	// History and then moves in it). A bracketed paste stays one message: it is text for a field.
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
		cmds := make([]tea.Cmd, 0, len(msg.Runes))
		for _, r := range msg.Runes {
			one := msg
			one.Runes = []rune{r}
			cmds = append(cmds, a.handleKey(one))
			a.relayout()
		}
		return tea.Batch(cmds...)
	}
	a.lastKey = a.c.now()
	// The footer line lives until the next key.
	a.status, a.statusIsErr = "", false

	if a.confirmQuit {
		switch msg.String() {
		case "y", "Y":
			return a.quit()
		default:
			a.confirmQuit = false
			return nil
		}
	}
	if msg.String() == "ctrl+c" {
		if a.busy() {
			a.confirmQuit = true
			return nil
		}
		return a.quit()
	}
	if a.unlocking() {
		return a.unlockKey(msg)
	}
	if a.locked {
		return a.lockKey(msg)
	}
	if a.showHelp {
		a.showHelp = false
		return nil
	}
	if a.width < MinWidth || a.height < MinHeight {
		if msg.String() == "q" {
			if a.busy() {
				a.confirmQuit = true
				return nil
			}
			return a.quit()
		}
		return nil
	}
	if a.loading || a.loadErr != nil {
		switch msg.String() {
		case "q", "esc":
			return a.quit()
		case "r":
			a.loading, a.loadErr = true, nil
			return loadOverview(a.c)
		}
		return nil
	}
	top := a.top()
	typing := top != nil && top.Typing()
	s := msg.String()
	switch {
	case s == "ctrl+t" || (!typing && key.Matches(msg, keyInspector)):
		if _, ok := top.(*inspectorScreen); ok {
			a.c.back()
			return a.applyNav()
		}
		return a.push(newInspector(a.c))
	case s == "f1" || (!typing && key.Matches(msg, keyHelp)):
		a.showHelp = true
		return nil
	case !typing && key.Matches(msg, keyQuit):
		if a.busy() {
			a.c.info("A payment is in flight; wait for it to finish, or press ctrl+c to quit anyway.")
			return a.applyNav()
		}
		return a.quit()
	}
	if top == nil {
		return nil
	}
	// A screen taller than the terminal (the consent page at 60×18) scrolls with pgdn/pgup; the
	// screens that page themselves (history, inspector) always fit, so they keep these keys.
	if s == "pgdown" || s == "pgup" {
		if _, h := a.contentSize(); a.bodyLines(top) > h {
			step := max(1, h/2)
			if s == "pgup" {
				step = -step
			}
			a.scroll = max(0, min(a.scroll+step, a.bodyLines(top)-h))
			return nil
		}
	}
	m, cmd := top.Update(msg)
	if ns, ok := m.(Screen); ok {
		a.stack[len(a.stack)-1] = ns
	}
	return tea.Batch(cmd, a.applyNav())
}

var (
	keyLockUnlock = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "unlock"))
	keyLockClear  = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear"))
	keyLockQuit   = key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit (with the field empty)"))
	keyLockCtrlC  = key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit"))
)

// lockKeys are the idle lock's keys for its footer: q quits only while no payment is in flight
// (ctrl+c then asks first).
func lockKeys(busy bool) []key.Binding {
	if busy {
		return []key.Binding{keyLockUnlock, keyLockClear, keyLockCtrlC}
	}
	return []key.Binding{keyLockUnlock, keyLockClear, keyLockQuit, keyLockCtrlC}
}

func (a *app) lockKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEnter:
		if len(a.lockPIN.value) == 0 {
			a.lockErr = "Type your PIN, then enter."
			return nil
		}
		pin := NewSecret(a.lockPIN.Value())
		a.lockPIN.Reset()
		ctx, w := a.c.ctx, a.c.w
		return func() tea.Msg { return unlockMsg{err: w.Unlock(ctx, pin)} }
	case tea.KeyEsc:
		a.lockPIN.Reset()
		return nil
	}
	if msg.String() == "q" && len(a.lockPIN.value) == 0 && !a.busy() {
		return a.quit()
	}
	a.lockPIN.Update(msg)
	return nil
}

// unlockKey gives a key to the Unlock screen: esc quits (ctrl+c was handled before), every
// other key is the passphrase's, q and ? included. In a terminal too small to show the field
// nothing is typed blind, and q quits as that view says.
func (a *app) unlockKey(msg tea.KeyMsg) tea.Cmd {
	if msg.Type == tea.KeyEsc {
		if a.busy() {
			a.confirmQuit = true
			return nil
		}
		return a.quit()
	}
	if a.width < MinWidth || a.height < MinHeight {
		if msg.String() == "q" && !a.busy() {
			return a.quit()
		}
		return nil
	}
	_, cmd := a.unlock.Update(msg)
	if a.unlock.waiting { // handed over: Home now, while the core derives the key
		a.showHelp = false
		a.status, a.statusIsErr = "Unlocking secrets…", false
	}
	return cmd
}

// unlocked applies the core's answer to a passphrase: the screen goes away for good, comes back
// saying the refusal, or payterm ends with the Problem (a quit in between cancels the call: its
// context error is not a reason to report).
func (a *app) unlocked(err error) tea.Cmd {
	if a.unlock == nil {
		return nil
	}
	done, fatal := a.unlock.answered(err)
	switch {
	case done:
		a.unlock = nil
		if a.status == "Unlocking secrets…" {
			a.status = ""
		}
		return nil
	case fatal != nil:
		if a.c.ctx.Err() != nil {
			return nil
		}
		a.fatal = fatal
		a.unlock.said = explain(fatal)
		return a.quit()
	}
	a.status = ""
	a.showHelp, a.confirmQuit = false, false
	return nil
}
