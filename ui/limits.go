package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/payterm/payterm/money"
)

var keySave = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save"))

// limitsScreen shows the TPP-side limits with their headroom and edits them.
type limitsScreen struct {
	c       *common
	w, h    int
	hr      *Headroom
	req     int
	err     string
	editing bool
	fields  []*field
	focus   int
	saving  bool
}

type (
	limitsLoadedMsg struct {
		req int
		hr  Headroom
		err error
	}
	limitsSavedMsg struct {
		req int
		err error
	}
)

func newLimitsScreen(c *common) *limitsScreen {
	s := &limitsScreen{c: c}
	for _, l := range []string{"Per payment", "Per day", "Per month", "Payments/day", "Consent total"} {
		f := newField(l)
		f.limit = 24
		f.hint = "blank = no limit"
		s.fields = append(s.fields, f)
	}
	s.fields[3].accept = digitsOnly
	for i, f := range s.fields {
		if i != 3 {
			f.accept = func(r rune) bool { return digitsOnly(r) || r == '.' || r == ',' }
		}
	}
	return s
}

func (s *limitsScreen) Init() tea.Cmd { return s.refresh() }

func (s *limitsScreen) refresh() tea.Cmd {
	s.req = s.c.nextReq()
	req, ctx, w := s.req, s.c.ctx, s.c.w
	return func() tea.Msg {
		hr, err := w.Limits(ctx)
		return limitsLoadedMsg{req: req, hr: hr, err: err}
	}
}

func (s *limitsScreen) SetSize(w, h int) { s.w, s.h = w, h }
func (s *limitsScreen) Title() string {
	if s.editing {
		return "Limits · Edit"
	}
	return "Limits"
}
func (s *limitsScreen) Typing() bool { return s.editing }
func (s *limitsScreen) Busy() bool   { return false }

func (s *limitsScreen) ShortHelp() []key.Binding {
	if s.editing {
		return []key.Binding{keyNextFld, keySave, keyBack}
	}
	return []key.Binding{keyEdit, keyRefresh, keyBack}
}

func (s *limitsScreen) FullHelp() [][]key.Binding {
	if s.editing {
		return [][]key.Binding{{keyNextFld, keyPrevFld, keyClear, keySave, keyBack}}
	}
	return [][]key.Binding{{keyEdit, keyRefresh, keyBack}}
}

func amountText(a money.Amount) string {
	if a.IsZero() {
		return ""
	}
	return a.Display()
}

func (s *limitsScreen) startEdit() {
	if s.hr == nil {
		return
	}
	l := s.hr.Limits
	s.fields[0].SetValue(amountText(l.PerPayment))
	s.fields[1].SetValue(amountText(l.PerDay))
	s.fields[2].SetValue(amountText(l.PerMonth))
	if l.PerDayCount > 0 {
		s.fields[3].SetValue(strconv.Itoa(l.PerDayCount))
	} else {
		s.fields[3].SetValue("")
	}
	s.fields[4].SetValue(amountText(l.ConsentTotal))
	for _, f := range s.fields {
		f.problem = ""
	}
	s.editing, s.focus, s.err = true, 0, ""
}

// parse reads the form; blank means no limit. Each bad field gets its own message.
func (s *limitsScreen) parse() (Limits, bool) {
	var l Limits
	ok := true
	dst := []*money.Amount{&l.PerPayment, &l.PerDay, &l.PerMonth, nil, &l.ConsentTotal}
	for i, f := range s.fields {
		f.problem = ""
		v := strings.TrimSpace(f.Value())
		if v == "" {
			continue
		}
		if i == 3 {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 10000 {
				f.problem = "a whole number of payments, 0 to 10000"
				ok = false
				continue
			}
			l.PerDayCount = n
			continue
		}
		a, err := money.ParseInput(v)
		if err != nil {
			f.problem = "not an amount (e.g. 5000 or 5,000.00)"
			ok = false
			continue
		}
		*dst[i] = a
	}
	return l, ok
}

func (s *limitsScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case limitsLoadedMsg:
		if msg.req != s.req {
			return s, nil
		}
		if msg.err != nil {
			s.err = explain(msg.err)
			return s, nil
		}
		hr := msg.hr
		s.hr, s.err = &hr, ""
	case limitsSavedMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.saving = false
		if msg.err != nil {
			s.err = explain(msg.err)
			return s, nil
		}
		s.editing = false
		s.c.info("Limits saved. They apply to the next payment.")
		return s, s.refresh()
	case tea.KeyMsg:
		if s.editing {
			return s, s.editKey(msg)
		}
		switch {
		case key.Matches(msg, keyBack):
			return s, s.c.back()
		case key.Matches(msg, keyEdit):
			s.startEdit()
		case key.Matches(msg, keyRefresh):
			return s, s.refresh()
		}
	}
	return s, nil
}

func (s *limitsScreen) editKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEsc:
		s.editing = false
	case tea.KeyTab, tea.KeyDown:
		s.focus = (s.focus + 1) % len(s.fields)
	case tea.KeyShiftTab, tea.KeyUp:
		s.focus = (s.focus + len(s.fields) - 1) % len(s.fields)
	case tea.KeyEnter:
		if s.saving {
			return nil
		}
		l, ok := s.parse()
		if !ok {
			s.err = "Fix the marked fields."
			return nil
		}
		s.saving, s.err = true, ""
		s.req = s.c.nextReq()
		req, ctx, w := s.req, s.c.ctx, s.c.w
		return func() tea.Msg { return limitsSavedMsg{req: req, err: w.SetLimits(ctx, l)} }
	default:
		s.fields[s.focus].Update(msg)
	}
	return nil
}

func (s *limitsScreen) View() string {
	st := s.c.st
	var b strings.Builder
	b.WriteString(st.Muted.Render("Your bank checks no amounts under delegated SCA: these limits are payterm's own.") + "\n\n")
	if s.editing {
		for i, f := range s.fields {
			b.WriteString(f.View(st, i == s.focus, 14) + "\n")
		}
		b.WriteString("\n" + st.Muted.Render("Amounts in AED. Leave a field blank for no limit."))
		if s.err != "" {
			b.WriteString("\n\n" + st.Error.Render(s.err))
		}
		return b.String()
	}
	if s.hr == nil {
		if s.err != "" {
			return b.String() + st.Error.Render(s.err)
		}
		return b.String() + st.Muted.Render("Loading…")
	}
	l := s.hr.Limits
	show := func(a money.Amount) string {
		if a.IsZero() {
			return "no limit"
		}
		return formatAmount(a)
	}
	fmt.Fprintf(&b, "  %-16s %s\n", "Per payment", show(l.PerPayment))
	fmt.Fprintf(&b, "  %-16s %s\n", "Per day", show(l.PerDay))
	fmt.Fprintf(&b, "  %-16s %s\n", "Per month", show(l.PerMonth))
	if l.PerDayCount > 0 {
		fmt.Fprintf(&b, "  %-16s %d\n", "Payments/day", l.PerDayCount)
	} else {
		fmt.Fprintf(&b, "  %-16s %s\n", "Payments/day", "no limit")
	}
	fmt.Fprintf(&b, "  %-16s %s\n", "Consent total", show(l.ConsentTotal))
	b.WriteString("\n" + st.Title.Render("Headroom") + "\n")
	b.WriteString(headroomLines(st, *s.hr, s.w))
	if s.err != "" {
		b.WriteString("\n" + st.Error.Render(s.err))
	}
	return b.String()
}
