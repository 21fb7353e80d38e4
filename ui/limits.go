package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/payterm/payterm/money"
)

var (
	keySave     = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save"))
	keyAuthSave = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "authenticate and save"))
)

// noLimit is what a limit field holds for "no limit": removing a limit is typed, never a
// field left empty by accident.
const noLimit = "none"

// limitStage is where the limits screen is: showing, editing, or asking for the SCA that
// raising or removing a limit needs.
type limitStage int

const (
	limitsShow limitStage = iota
	limitsEdit
	limitsSCA
)

// limitsScreen shows the TPP-side limits with their headroom and edits them.
type limitsScreen struct {
	c       *common
	w, h    int
	hr      *Headroom
	req     int
	err     string
	stage   limitStage
	fields  []*field
	focus   int
	saving  bool
	plan    *LimitPlan // the edit waiting for its SCA
	pin     *field
	totp    *field
	pinStep bool // focus on the PIN (true) or the code
}

type (
	limitsLoadedMsg struct {
		req int
		hr  Headroom
		err error
	}
	limitsPlannedMsg struct {
		req  int
		plan LimitPlan
		err  error
	}
	limitsSavedMsg struct {
		req int
		err error
	}
)

// limitRows are the editable limits in screen order, with their labels.
var limitRows = [...]struct {
	name  LimitName
	label string
}{
	{LimitPerPayment, "Per payment"}, {LimitPerDay, "Per day"}, {LimitPerMonth, "Per month"},
	{LimitPerDayCount, "Payments/day"}, {LimitConsentTotal, "Consent total"},
}

const countRow = 3 // Payments/day: a whole number, not an amount

// maxDayCount is the largest daily number of payments a limit may allow (wallet.MaxPerDayCount).
const maxDayCount = 10000

func newLimitsScreen(c *common) *limitsScreen {
	s := &limitsScreen{c: c}
	for _, r := range limitRows {
		f := newField(r.label)
		// Any character is kept as typed; the limit is above money.MaxInputRunes, so a paste
		// cut at the limit is still refused as too long, never read as a shorter amount.
		f.limit = 2 * money.MaxInputRunes
		s.fields = append(s.fields, f)
	}
	s.pin = newField("PIN")
	s.pin.masked, s.pin.accept, s.pin.limit = true, digitsOnly, 12
	s.totp = newField("Code")
	s.totp.masked, s.totp.accept, s.totp.limit = true, digitsOnly, 8
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
	switch s.stage {
	case limitsEdit:
		return "Limits · Edit"
	case limitsSCA:
		return "Limits · Authenticate"
	}
	return "Limits"
}
func (s *limitsScreen) Typing() bool { return s.stage != limitsShow }
func (s *limitsScreen) Busy() bool   { return false }

func (s *limitsScreen) ShortHelp() []key.Binding {
	switch s.stage {
	case limitsEdit:
		return []key.Binding{keyNextFld, keySave, keyBack}
	case limitsSCA:
		return []key.Binding{keyNextFld, keyAuthSave, keyBack}
	}
	return []key.Binding{keyEdit, keyRefresh, keyBack}
}

func (s *limitsScreen) FullHelp() [][]key.Binding {
	switch s.stage {
	case limitsEdit:
		return [][]key.Binding{{keyNextFld, keyPrevFld, keyClear, keySave, keyBack}}
	case limitsSCA:
		return [][]key.Binding{{keyNextFld, keyPrevFld, keyClear, keyAuthSave, keyBack}}
	}
	return [][]key.Binding{{keyEdit, keyRefresh, keyBack}}
}

// amountText is a limit as the edit form shows it: the amount, or "none".
func amountText(a money.Amount) string {
	if a.IsZero() {
		return noLimit
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
		s.fields[countRow].SetValue(strconv.Itoa(l.PerDayCount))
	} else {
		s.fields[countRow].SetValue(noLimit)
	}
	s.fields[4].SetValue(amountText(l.ConsentTotal))
	for _, f := range s.fields {
		f.problem = ""
	}
	s.stage, s.focus, s.err = limitsEdit, 0, ""
}

// parse reads the form. A field is an amount (a whole number for Payments/day) or "none";
// anything else — empty included — marks the field and, for the first such field, says in
// one sentence what is wrong and what to type. Nothing is guessed.
func (s *limitsScreen) parse() (Limits, bool) {
	var l Limits
	dst := []*money.Amount{&l.PerPayment, &l.PerDay, &l.PerMonth, nil, &l.ConsentTotal}
	first := ""
	for i, f := range s.fields {
		f.problem = ""
		v := strings.TrimSpace(f.Value())
		if strings.EqualFold(v, noLimit) {
			continue
		}
		var sentence string
		if i == countRow {
			n, why := parseCount(v)
			if why == "" {
				l.PerDayCount = n
				continue
			}
			f.problem, sentence = "not a count", f.label+": "+why+"; type a whole number from 1 to "+strconv.Itoa(maxDayCount)+", or none for no limit."
		} else {
			a, err := money.ParseInput(v)
			if err == nil {
				*dst[i] = a
				continue
			}
			f.problem, sentence = "not an amount", f.label+": "+limitAmountProblem(v, err)
		}
		if first == "" {
			first, s.focus = sentence, i
		}
	}
	s.err = first
	return l, first == ""
}

// limitAmountProblem is the sentence for a limit amount money refused.
func limitAmountProblem(v string, err error) string {
	var ie *money.InputError
	switch {
	case v == "":
		return "the field is empty; type an amount, or none for no limit."
	case errors.Is(err, money.ErrZero):
		return "a limit of 0.00 would refuse every payment; type an amount, or none for no limit."
	case errors.As(err, &ie):
		return ie.Problem + "; " + ie.Hint + ", or none for no limit."
	}
	return "not an amount; type one like 5,000.00, or none for no limit."
}

// parseCount reads a whole number of payments in ASCII or Arabic-Indic digits (one script),
// from 1 to maxDayCount; why says what is wrong otherwise.
func parseCount(v string) (n int, why string) {
	if v == "" {
		return 0, "the field is empty"
	}
	if len(v) > 16 {
		return 0, "the number is too long"
	}
	var digits strings.Builder
	script := rune(0)
	for _, r := range v {
		zero := rune(0)
		switch {
		case r >= '0' && r <= '9':
			zero = '0'
		case r >= '٠' && r <= '٩':
			zero = '٠'
		case r >= '۰' && r <= '۹':
			zero = '۰'
		default:
			return 0, "a count is a whole number, in digits only"
		}
		if script != 0 && script != zero {
			return 0, "the number mixes different kinds of digits"
		}
		script = zero
		digits.WriteRune('0' + r - zero)
	}
	n, err := strconv.Atoi(digits.String())
	switch {
	case err != nil || n > maxDayCount:
		return 0, "at most " + strconv.Itoa(maxDayCount) + " payments a day can be allowed"
	case n == 0:
		return 0, "a limit of 0 would refuse every payment"
	}
	return n, ""
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
	case limitsPlannedMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.saving = false
		if msg.err != nil {
			s.err = explain(msg.err)
			return s, nil
		}
		if msg.plan.From == msg.plan.To {
			s.stage = limitsShow
			return s, s.c.info("No limit changed.")
		}
		if !msg.plan.NeedsSCA() {
			return s, s.save(msg.plan.To, SCAInput{})
		}
		plan := msg.plan
		s.plan, s.stage, s.pinStep, s.err = &plan, limitsSCA, true, ""
		s.pin.Reset()
		s.totp.Reset()
	case limitsSavedMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.saving = false
		if msg.err != nil {
			s.err = explain(msg.err)
			return s, nil
		}
		s.stage, s.plan = limitsShow, nil
		s.c.info("Limits saved. They apply to the next payment.")
		return s, s.refresh()
	case changedMsg:
		// A payment changes what is used; limits being edited or authorised stay as they are.
		if s.stage == limitsShow && !s.saving {
			return s, s.refresh()
		}
	case tea.KeyMsg:
		switch s.stage {
		case limitsEdit:
			return s, s.editKey(msg)
		case limitsSCA:
			return s, s.scaKey(msg)
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
		s.stage, s.err = limitsShow, ""
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
			return nil
		}
		// The core says whether the edit contradicts itself and whether it raises a limit.
		s.saving, s.err = true, ""
		s.req = s.c.nextReq()
		req, ctx, w := s.req, s.c.ctx, s.c.w
		return func() tea.Msg {
			plan, err := w.PlanLimits(ctx, l)
			return limitsPlannedMsg{req: req, plan: plan, err: err}
		}
	default:
		if s.fields[s.focus].Update(msg) {
			s.fields[s.focus].problem = ""
		}
	}
	return nil
}

func (s *limitsScreen) save(l Limits, in SCAInput) tea.Cmd {
	s.saving = true
	s.req = s.c.nextReq()
	req, ctx, w := s.req, s.c.ctx, s.c.w
	return func() tea.Msg { return limitsSavedMsg{req: req, err: w.SetLimits(ctx, l, in)} }
}

func (s *limitsScreen) scaKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEsc:
		// Back to the edit, as typed.
		s.pin.Reset()
		s.totp.Reset()
		s.stage, s.plan, s.err = limitsEdit, nil, ""
		return nil
	case tea.KeyTab, tea.KeyDown, tea.KeyShiftTab, tea.KeyUp:
		s.pinStep = !s.pinStep
		return nil
	case tea.KeyEnter:
		if s.saving || s.plan == nil {
			return nil
		}
		if s.pinStep && s.totp.Value() == "" {
			s.pinStep = false
			return nil
		}
		if s.pin.Value() == "" || s.totp.Value() == "" {
			s.err = "Type your PIN and the code from your authenticator app."
			return nil
		}
		in := SCAInput{PIN: NewSecret(s.pin.Value()), TOTP: NewSecret(s.totp.Value())}
		s.pin.Reset()
		s.totp.Reset()
		s.pinStep, s.err = true, ""
		return s.save(s.plan.To, in)
	}
	if s.pinStep {
		s.pin.Update(msg)
	} else {
		s.totp.Update(msg)
	}
	return nil
}

// limitValue is one limit for people: an amount in the limits' currency or a count, or "no
// limit".
func limitValue(l Limits, name LimitName, cur string) string {
	show := func(a money.Amount) string {
		if a.IsZero() {
			return "no limit"
		}
		return formatMoney(a, cur)
	}
	switch name {
	case LimitPerPayment:
		return show(l.PerPayment)
	case LimitPerDay:
		return show(l.PerDay)
	case LimitPerMonth:
		return show(l.PerMonth)
	case LimitPerDayCount:
		if l.PerDayCount > 0 {
			return strconv.Itoa(l.PerDayCount)
		}
		return "no limit"
	}
	return show(l.ConsentTotal)
}

func (s *limitsScreen) View() string {
	st := s.c.st
	var b strings.Builder
	b.WriteString(st.Muted.Render("Your bank checks no amounts under delegated SCA: these limits are payterm's own.") + "\n\n")
	switch s.stage {
	case limitsEdit:
		for i, f := range s.fields {
			b.WriteString(f.View(st, i == s.focus, 14) + "\n")
		}
		b.WriteString("\n" + st.Muted.Render("Amounts in "+s.currency()+". Type none for no limit. Raising or removing a limit asks for your PIN and code."))
		if s.saving {
			b.WriteString("\n\n" + st.Muted.Render("Checking the limits…"))
		}
		if s.err != "" {
			b.WriteString("\n\n" + st.Error.Render(s.err))
		}
		return b.String()
	case limitsSCA:
		return b.String() + s.scaView()
	}
	if s.hr == nil {
		if s.err != "" {
			return b.String() + st.Error.Render(s.err)
		}
		return b.String() + st.Muted.Render("Loading…")
	}
	for _, r := range limitRows {
		fmt.Fprintf(&b, "  %-16s %s\n", r.label, limitValue(s.hr.Limits, r.name, s.hr.Currency))
	}
	b.WriteString("\n" + st.Title.Render("Headroom") + "\n")
	b.WriteString(headroomLines(st, *s.hr, s.w))
	if s.err != "" {
		b.WriteString("\n" + st.Error.Render(s.err))
	}
	return b.String()
}

// currency is the ISO 4217 code of the limits shown.
func (s *limitsScreen) currency() string {
	if s.hr == nil {
		return currency
	}
	return currencyCode(s.hr.Currency)
}

// scaView lists what changes, marks what is raised or removed, and asks for the PIN and code.
func (s *limitsScreen) scaView() string {
	st := s.c.st
	var b strings.Builder
	p := s.plan
	if p == nil {
		return ""
	}
	raised := map[LimitName]bool{}
	for _, n := range p.Raised {
		raised[n] = true
	}
	b.WriteString("Confirm the new limits\n\n")
	for _, r := range limitRows {
		from, to := limitValue(p.From, r.name, s.currency()), limitValue(p.To, r.name, s.currency())
		if from == to {
			continue
		}
		mark := "lowered"
		switch {
		case raised[r.name] && to == "no limit":
			mark = "removed"
		case raised[r.name]:
			mark = "raised"
		case from == "no limit":
			mark = "added"
		}
		fmt.Fprintf(&b, "  %-14s %s → %s  %s\n", r.label, from, to, st.Muted.Render("("+mark+")"))
	}
	b.WriteString("\nRaising or removing a limit needs your PIN and the 6-digit code from your authenticator app, as a payment does. A wrong one counts toward the same 5 attempts.\n\n")
	b.WriteString(s.pin.View(st, s.pinStep, 5) + "\n")
	b.WriteString(s.totp.View(st, !s.pinStep, 5) + "\n")
	if s.saving {
		b.WriteString("\n" + st.Muted.Render("Checking…") + "\n")
	}
	if s.err != "" {
		b.WriteString("\n" + st.Error.Render(s.err) + "\n")
	}
	return b.String()
}
