package ui

// How the router draws a frame: the top screen in its window, the footer's status and keys, the
// help, the lock and the fitting of lines to the terminal.

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/x/ansi"
)

// stoppedOnABug is all the screen shows once a bug was caught, until the program has ended.
const stoppedOnABug = "payterm stopped on a bug. Closing…"

func (a *app) View() (view string) {
	if a.crash != nil {
		return stoppedOnABug
	}
	defer func() {
		if r := recover(); r != nil {
			a.crash, view = catch(r), stoppedOnABug
			if a.send != nil {
				go a.send(crashMsg{report: a.crash}) // the event loop is drawing this view: not now
			}
		}
	}()
	return a.view()
}

func (a *app) view() string {
	st := a.c.st
	if a.width < MinWidth || a.height < MinHeight {
		small := fmt.Sprintf("Terminal too small: payterm needs %d×%d, this one is %d×%d.\n", MinWidth, MinHeight, a.width, a.height)
		if a.confirmQuit {
			// The footer that asks is not drawn here: the question must still be seen.
			return wrapLines(small+quitQuestion, a.width)
		}
		return wrapLines(small+"Enlarge the window, or press q to quit.", a.width)
	}
	if f, ok := a.top().(inliner); ok && f.Inline() && !a.unlocking() && !a.locked && !a.showHelp && !a.loading && a.loadErr == nil {
		// The screen printed something on the normal screen (the bank's address, whole) and
		// stands under it: a few lines, no header or footer, nothing padded.
		return wrapLines(a.top().View(), a.width)
	}
	var body string
	title := ""
	switch {
	case a.unlocking():
		title = a.unlock.Title()
		body = a.unlock.View()
	case a.loading:
		body = st.Muted.Render("Loading the wallet…")
	case a.loadErr != nil:
		body = st.Error.Render("Could not open the wallet.") + "\n" + explain(a.loadErr) + "\n\n" +
			st.Muted.Render("r: retry   q: quit")
	case a.locked:
		title = "Locked"
		body = a.lockView()
	case a.showHelp:
		title = "Help"
		body = a.helpView()
	case a.top() != nil:
		title = a.top().Title()
		body = a.top().View()
	}
	header := st.Title.Render("payterm")
	if title != "" {
		header += st.Muted.Render(" · ") + st.Text.Render(title)
	}
	w, h := a.contentSize()
	body = a.window(strings.Split(wrapLines(strings.TrimRight(body, "\n"), w), "\n"), h)
	return header + "\n\n" + body + "\n" + a.footer()
}

// inliner is a screen that sometimes leaves the alternate screen: it printed a line the
// renderer must not cut (the bank's address) and its view is a few lines under it.
type inliner interface{ Inline() bool }

func (a *app) footer() string {
	status, keys := a.footerLines()
	st := a.c.st
	for i := range keys {
		keys[i] = st.Footer.Render(keys[i])
	}
	return strings.Join(append(status, keys...), "\n")
}

// quitQuestion is asked before quitting while a payment is in flight.
const quitQuestion = "A payment is in flight. Quit anyway? It resumes on the next start. (y/N)"

// footerLines is the status line (wrapped, at least one line, possibly empty) and the keys of
// the current screen, wrapped between keys so none is cut in the middle.
func (a *app) footerLines() (status, keys []string) {
	st := a.c.st
	var line1 string
	switch {
	case a.confirmQuit:
		line1 = st.Warning.Render(quitQuestion)
	case a.status != "" && a.statusIsErr:
		line1 = st.Error.Render(a.status)
	case a.status != "":
		line1 = st.Accent.Render(a.status)
	}
	status = []string{line1}
	if line1 != "" && a.width > 0 {
		status = capLines(strings.Split(wrapLines(line1, a.width), "\n"), maxStatusLines, a.width)
	}
	var ks []key.Binding
	switch {
	case a.unlocking():
		ks = a.unlock.ShortHelp()
	case a.locked:
		ks = lockKeys(a.busy())
	case !a.showHelp && a.top() != nil:
		ks = a.top().ShortHelp()
	}
	parts := make([]string, 0, len(ks)+1)
	for _, k := range ks {
		if !k.Enabled() {
			continue
		}
		parts = append(parts, k.Help().Key+" "+k.Help().Desc)
	}
	if a.top() != nil && !a.loading && a.loadErr == nil && !a.locked && !a.showHelp && !a.unlocking() {
		// While a field takes the keys, ? is typed into it: only f1 opens the help.
		if a.top().Typing() {
			parts = append(parts, "f1 help")
		} else {
			parts = append(parts, "? help")
		}
	}
	return status, capLines(joinWrapped(parts, " · ", a.width), maxKeyLines, a.width)
}

// joinWrapped joins items with sep into lines of at most w cells, breaking only between items
// (an item wider than a line gets a line of its own and is cut later).
func joinWrapped(items []string, sep string, w int) []string {
	lines := []string{""}
	for _, it := range items {
		cur := lines[len(lines)-1]
		switch {
		case cur == "":
			lines[len(lines)-1] = it
		case w <= 0 || displayWidth(cur)+displayWidth(sep)+displayWidth(it) <= w:
			lines[len(lines)-1] = cur + sep + it
		default:
			lines = append(lines, it)
		}
	}
	return lines
}

// capLines keeps at most n lines, each cut to w cells; a dropped remainder shows as "…".
func capLines(lines []string, n, w int) []string {
	if len(lines) > n {
		lines = lines[:n]
		lines[n-1] = truncate(lines[n-1]+" …", w)
	}
	for i := range lines {
		lines[i] = truncate(lines[i], w)
	}
	return lines
}

func (a *app) lockView() string {
	st := a.c.st
	lines := []string{
		st.Warning.Render("The session locked after " + idleWords(a.idle) + " without activity."),
		"Type your PIN and press enter to continue.",
		"",
		a.lockPIN.View(st, true, 4),
	}
	if a.lockErr != "" {
		lines = append(lines, "", st.Error.Render(a.lockErr))
	}
	return strings.Join(lines, "\n")
}

func (a *app) helpView() string {
	st := a.c.st
	type row struct{ key, desc string }
	var mine []row
	title := ""
	if top := a.top(); top != nil {
		title = top.Title()
		seen := map[string]bool{}
		for _, group := range top.FullHelp() {
			for _, k := range group {
				h := k.Help()
				if seen[h.Key] || !k.Enabled() {
					continue
				}
				seen[h.Key] = true
				mine = append(mine, row{h.Key, h.Desc})
			}
		}
	}
	var global []row
	for _, k := range globalKeys() {
		global = append(global, row{k.Help().Key, k.Help().Desc})
	}
	list := func(rs []row) string {
		var b strings.Builder
		for _, r := range rs {
			fmt.Fprintf(&b, "  %-14s %s\n", r.key, r.desc)
		}
		return b.String()
	}
	var b strings.Builder
	if title != "" {
		b.WriteString(st.Title.Render(title) + "\n" + list(mine))
	}
	b.WriteString("\n" + st.Title.Render("Everywhere") + "\n" + list(global))
	b.WriteString("\n" + st.Muted.Render("Press any key to close help."))
	_, h := a.contentSize()
	if full := b.String(); h <= 0 || strings.Count(wrapLines(full, a.width), "\n") < h {
		return full
	}
	// Too tall for the terminal (60×18): the keys run on as "key desc · key desc" lines.
	flow := func(rs []row) string {
		parts := make([]string, len(rs))
		for i, r := range rs {
			parts[i] = r.key + " " + r.desc
		}
		return "  " + strings.Join(joinWrapped(parts, " · ", a.width-2), "\n  ") + "\n"
	}
	b.Reset()
	if title != "" {
		b.WriteString(st.Title.Render(title) + "\n" + flow(mine))
	}
	b.WriteString(st.Title.Render("Everywhere") + "\n" + flow(global))
	b.WriteString(st.Muted.Render("Press any key to close help."))
	return b.String()
}

// idleWords says the idle lock's timeout as people say it: "5 minutes", "90 seconds",
// "1 minute 30 seconds" (config allows 30 s to 5 min, in any unit Go parses).
func idleWords(d time.Duration) string {
	d = d.Round(time.Second)
	m, s := int(d/time.Minute), int((d%time.Minute)/time.Second)
	switch {
	case m == 0:
		return count(s, "second", "seconds")
	case s == 0:
		return count(m, "minute", "minutes")
	case m == 1:
		// 90 s reads better as seconds than as "1 minute 30 seconds".
		return count(int(d/time.Second), "second", "seconds")
	default:
		return count(m, "minute", "minutes") + " " + count(s, "second", "seconds")
	}
}

// bodyLines is how many lines the screen's view takes once wrapped to the terminal.
func (a *app) bodyLines(s Screen) int {
	w, _ := a.contentSize()
	return strings.Count(wrapLines(strings.TrimRight(s.View(), "\n"), w), "\n") + 1
}

// window fits the body to h lines: as is when it fits, else the part at the scroll position
// with a first/last line saying what is above or below and which key shows it.
func (a *app) window(lines []string, h int) string {
	if len(lines) <= h || h < 3 {
		return fitHeight(strings.Join(lines, "\n"), h)
	}
	st := a.c.st
	top := min(a.scroll, len(lines)-h)
	out := append([]string(nil), lines[top:top+h]...)
	if top > 0 {
		out[0] = st.Muted.Render(fmt.Sprintf("↑ %s above: pgup", count(top+1, "line", "lines")))
	}
	if below := len(lines) - (top + h); below > 0 {
		out[h-1] = st.Muted.Render(fmt.Sprintf("↓ %s more: pgdn, or enlarge the terminal", count(below+1, "line", "lines")))
	}
	return strings.Join(out, "\n")
}

// fitHeight pads or cuts s to exactly h lines so the footer stays at the bottom.
func fitHeight(s string, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// truncate cuts a line to w display cells, keeping ANSI sequences intact.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, "…")
}
