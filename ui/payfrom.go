package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/payterm/payterm/money"
)

// "Pay from which consent?": Home's p asks it when more than one consent can pay now (several
// consents, even at several banks: the user picks which one pays). With one, Home opens the pay
// form for it without drawing this screen; with none, Home says there is no active consent.

var (
	keyJumpConsent   = key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1–9", "jump to that consent"))
	keyChooseConsent = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "pay from this consent"))
	keyRetryConsents = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "try again"))
)

// payConsentsMsg answers Consents for the pay choice (Home's p, the chooser's retry/refresh).
type payConsentsMsg struct {
	req int
	cs  []Consent
	err error
}

func loadPayConsents(c *common, req int) tea.Cmd {
	ctx, w := c.ctx, c.w
	return func() tea.Msg {
		cs, err := w.Consents(ctx)
		if err != nil {
			err = fmt.Errorf("load consents: %w", err)
		}
		return payConsentsMsg{req: req, cs: cs, err: err}
	}
}

// canPayNow is the usable test of the pay choice: authorised at the bank, not paused in payterm
// and not expired by the UI's clock (a consent with no expiry never expires).
func canPayNow(c Consent, now time.Time) bool {
	return c.Status == ConsentAuthorized && !c.Paused && (c.Expires.IsZero() || now.Before(c.Expires))
}

// payChoices keeps the consents that can pay now. Home's active consent comes first, so enter
// alone pays as p always did; the others follow in the core's order (newest first). The active
// consent's row is its record in cs when cs has it: Home's copy may be older than the list (a
// reload after a change: an OP link's end read back).
func payChoices(cs []Consent, active *Consent, now time.Time) []Consent {
	var out []Consent
	seen := map[string]bool{}
	if active != nil {
		first := *active
		for _, c := range cs {
			if c.ID == first.ID {
				first = c
				break
			}
		}
		if canPayNow(first, now) {
			out = append(out, first)
			seen[first.ID] = true
		}
	}
	for _, c := range cs {
		if canPayNow(c, now) && !seen[c.ID] {
			out = append(out, c)
			seen[c.ID] = true
		}
	}
	return out
}

// payFromScreen is the chooser. Home pushes it with the consents already loaded (or the error
// loading them), so it never flashes a loading frame on the way to the pay form.
type payFromScreen struct {
	c        *common
	w, h     int
	active   *Consent   // Home's active consent: the first row
	headroom Headroom   // Home's limits and wallet-wide usage, for each row's "left"
	other    []Headroom // the limits in other currencies (Overview.OtherHeadroom)
	all      []Consent
	choices  []Consent
	pick     int
	req      int
	loading  bool
	err      string
	stale    bool // a change came in while a load was in flight: load again when it lands
}

func newPayFrom(c *common, ov Overview, cs []Consent, err error) *payFromScreen {
	s := &payFromScreen{c: c, active: ov.Active, headroom: ov.Headroom, other: ov.OtherHeadroom}
	if err != nil {
		s.err = explain(err)
		return s
	}
	s.setConsents(cs)
	return s
}

func (s *payFromScreen) setConsents(cs []Consent) {
	var keep string
	if s.pick < len(s.choices) {
		keep = s.choices[s.pick].ID
	}
	s.all, s.choices = cs, payChoices(cs, s.active, s.c.now())
	s.pick = 0
	for i, c := range s.choices {
		if c.ID == keep {
			s.pick = i
		}
	}
}

func (s *payFromScreen) Init() tea.Cmd { return nil }

// refresh reloads the list, e.g. when the user comes back from the pay form (a consent may
// have expired meanwhile); the rows stay on screen while it loads.
func (s *payFromScreen) refresh() tea.Cmd {
	s.loading = true
	s.req = s.c.nextReq()
	return loadPayConsents(s.c, s.req)
}

func (s *payFromScreen) SetSize(w, h int) { s.w, s.h = w, h }
func (s *payFromScreen) Title() string    { return "Pay · Which consent" }
func (s *payFromScreen) Typing() bool     { return false }
func (s *payFromScreen) Busy() bool       { return false }

func (s *payFromScreen) ShortHelp() []key.Binding {
	switch {
	case s.choices == nil && s.loading:
		return []key.Binding{keyBack}
	case s.choices == nil:
		return []key.Binding{keyRetryConsents, keyBack}
	case len(s.choices) == 0:
		return []key.Binding{keyRefresh, keyBack}
	}
	return []key.Binding{keyUp, keyDown, keyJumpConsent, keyChooseConsent, keyBack}
}

func (s *payFromScreen) FullHelp() [][]key.Binding {
	if len(s.choices) > 0 {
		return [][]key.Binding{{keyUp, keyDown, keyJumpConsent, keyChooseConsent, keyRefresh, keyBack}}
	}
	return [][]key.Binding{s.ShortHelp()}
}

func (s *payFromScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case payConsentsMsg:
		if msg.req != s.req || !s.loading {
			return s, nil
		}
		s.loading = false
		if msg.err != nil {
			if s.choices != nil {
				// The rows already shown stay usable; the failed reload is news in the footer.
				return s, s.c.fail(msg.err)
			}
			s.err = explain(msg.err)
			return s, nil
		}
		first := s.choices == nil // a retry after a failed load, not a reload of a list seen
		s.err = ""
		s.setConsents(msg.cs)
		if first && len(s.choices) == 1 {
			// One consent can pay: the same as p on Home with one, straight to the form.
			s.c.back()
			return s, s.c.navigate(newPay(s.c, s.choices[0]))
		}
		if s.choices == nil {
			s.choices = []Consent{} // loaded, none usable: the list is known to be empty
		}
		if s.stale {
			s.stale = false
			return s, s.refresh()
		}
	case changedMsg:
		// A consent changed, or everything did (the secret store opened: an OP link's end is
		// known now): the rows are read again and stay on screen meanwhile. A list that never
		// loaded waits for r.
		if s.choices == nil || !msg.Touches(ConsentChanged, "") {
			return s, nil
		}
		if s.loading {
			s.stale = true
			return s, nil
		}
		return s, s.refresh()
	case tea.KeyMsg:
		return s, s.onKey(msg)
	}
	return s, nil
}

func (s *payFromScreen) onKey(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, keyBack) {
		return s.c.back()
	}
	switch {
	case s.choices == nil:
		if key.Matches(msg, keyRetryConsents) && !s.loading {
			return s.refresh()
		}
	case key.Matches(msg, keyRefresh):
		return s.refresh()
	case len(s.choices) > 0 && key.Matches(msg, keyChooseConsent):
		return s.c.navigate(newPay(s.c, s.choices[s.pick]))
	default:
		s.pick, _ = movePick(msg, keyJumpConsent, s.pick, len(s.choices))
	}
	return nil
}

func (s *payFromScreen) View() string {
	st := s.c.st
	switch {
	case s.choices == nil && s.loading:
		return st.Muted.Render("Loading your consents…")
	case s.choices == nil:
		return st.Error.Render(s.err) + "\n" + st.Muted.Render("r: try again   esc: back")
	case len(s.choices) == 0:
		return st.Warning.Render("No consent can pay now.") + " They are paused, expired or no longer authorised. " +
			"Press esc, then n to give a new consent at your bank, or open consents (c) to renew or reactivate one."
	}
	var b strings.Builder
	b.WriteString(st.Title.Render("Pay from which consent?") + "\n\n")
	intro := count(len(s.choices), "consent", "consents") + " can pay now, each from your account at its bank."
	if s.totalLimited() {
		intro += " The amount on the right is what your consent total limit still allows."
	}
	b.WriteString(intro + "\n\n")
	const below = "\nPress enter to pay from the selected consent; ↑/↓ or a number move to another."
	// Two lines a consent. The list scrolls with the cursor when the screen is too short: the
	// header (wrapped), the sentence below and a line each for "above"/"more" stay on screen.
	// The consents' banks side by side when their standards differ: what each pays in, who
	// approves and how it is signed, before the payer picks one. It gives way to the list on a
	// short screen.
	table := ""
	if t := standardsView(st, consentBanks(s.choices), s.w); t != "" {
		table = "\n" + t
	}
	used := strings.Count(wrapLines(b.String(), s.w), "\n") + strings.Count(wrapLines(below, s.w), "\n") + 1
	if s.h > 0 && s.h-used-strings.Count(table, "\n") < 2*len(s.choices) {
		table = ""
	}
	used += strings.Count(table, "\n")
	first, rows := 0, len(s.choices)
	if s.h > 0 {
		first, rows = scrollWindow(len(s.choices), s.pick, s.h-used, 2)
	}
	if first > 0 {
		b.WriteString(st.Muted.Render(fmt.Sprintf("  ↑ %s above", count(first, "consent", "consents"))) + "\n")
	}
	banks := bankColumn(s.choices, s.all)
	numW := len(fmt.Sprint(len(s.choices)))
	for i := first; i < first+rows && i < len(s.choices); i++ {
		b.WriteString(s.row(i, numW, banks[i]) + "\n")
	}
	if rest := len(s.choices) - first - rows; rest > 0 {
		b.WriteString(st.Muted.Render("  ↓ "+count(rest, "more consent", "more consents")) + "\n")
	}
	b.WriteString(table)
	b.WriteString(below)
	return b.String()
}

// totalLimited reports whether a consent total limit is set: only then has each row an amount.
func (s *payFromScreen) totalLimited() bool { return !s.headroom.Limits.ConsentTotal.IsZero() }

// row is two lines: "> 1. Bank  expires 2031-01-12" and, indented under the bank, what the
// consent pays and, on the right, what its consent total limit still allows. Every part is cut
// with an ellipsis so each line stays one line.
func (s *payFromScreen) row(i, numW int, bank string) string {
	st := s.c.st
	c := s.choices[i]
	selected := i == s.pick
	prefix := "  "
	if selected {
		prefix = "> "
	}
	lead := prefix + fmt.Sprintf("%*d. ", numW, i+1)
	indent := strings.Repeat(" ", displayWidth(lead))
	width := s.w
	if width <= 0 {
		width = 1 << 10
	}
	mark := ""
	if selected && st.accessible {
		mark = " (selected)"
	}
	expires := "  " + expiryLabel(c, s.c.loc)
	bankW := max(4, width-displayWidth(lead)-displayWidth(expires)-len(mark))
	line1 := lead + padRight(truncate(bank, bankW), bankW) + expires + mark

	left := ""
	// What a consent total limit leaves is only ever worked out in the consent's own currency.
	if h, ok := s.headroomIn(c.Terms.resolved().Currency); ok && !h.Limits.ConsentTotal.IsZero() {
		left = "  " + formatMoney(consentLeft(h.Limits, c.TotalPaid), h.Currency) + " left"
	}
	whatW := max(4, width-len(indent)-displayWidth(left))
	line2 := indent + padRight(truncate(paysLabel(c), whatW), whatW) + left
	if selected && !st.accessible {
		return st.Selected.Render(line1) + "\n" + st.Selected.Render(line2)
	}
	return line1 + "\n" + line2
}

// headroomIn is the limits in currency cur, if the wallet has limits in it.
func (s *payFromScreen) headroomIn(cur string) (Headroom, bool) {
	for _, h := range append([]Headroom{s.headroom}, s.other...) {
		if sameCurrency(h.Currency, cur) {
			return h, true
		}
	}
	return Headroom{}, false
}

// consentLeft is what the consent total limit still allows a consent that has paid paid (the
// per-day and per-month windows are the wallet's, the same for every row, so Home shows them).
func consentLeft(l Limits, paid money.Amount) money.Amount { return l.ConsentTotal.SubFloor(paid) }

// expiryLabel is "expires 2031-01-12", "no expiry date" when the consent has none, or
// "expiry: restoring…" while a link's end is being read back.
func expiryLabel(c Consent, loc *time.Location) string {
	switch {
	case c.Expires.IsZero() && c.ExpiryRestoring:
		return "expiry: restoring…"
	case c.Expires.IsZero():
		return "no expiry date"
	}
	return "expires " + day(c.Expires, loc)
}

// paysLabel says whom the consent lets you pay: anyone (open), or its payees by name. Names come
// from the core and are printed without control characters.
func paysLabel(c Consent) string {
	if c.Model == BeneficiaryOpen {
		return "Any payee (open consent)"
	}
	names := make([]string, 0, len(c.Creditors))
	for _, p := range c.Creditors {
		if n := plainName(p.Name); n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "Pays the payees named in the consent"
	}
	return "Pays " + strings.Join(names, ", ")
}
