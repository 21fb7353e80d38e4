package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/payterm/payterm/money"
)

// homeScreen is the dashboard: the active consent card, limit headroom, recent payments and the
// secret store in use.
type homeScreen struct {
	c    *common
	w, h int
	ov   *Overview
	req  int
	err  error

	// choosing is true from p until Consents answers: which consent pays is not known yet.
	// Keys typed meanwhile are kept in typedAhead (they were meant for the pay form) and
	// replayed into it when one consent can pay; with several they are dropped, so an enter
	// typed ahead never chooses a consent the user has not seen.
	choosing   bool
	choiceReq  int
	typedAhead []tea.KeyMsg
}

type homeLoadedMsg struct {
	req int
	ov  Overview
	err error
}

func newHome(c *common, ov *Overview) *homeScreen { return &homeScreen{c: c, ov: ov} }

func (s *homeScreen) Init() tea.Cmd {
	if s.ov != nil {
		return nil
	}
	return s.refresh()
}

func (s *homeScreen) refresh() tea.Cmd {
	s.req = s.c.nextReq()
	req, ctx, w := s.req, s.c.ctx, s.c.w
	return func() tea.Msg {
		ov, err := w.Overview(ctx)
		return homeLoadedMsg{req: req, ov: ov, err: err}
	}
}

func (s *homeScreen) SetSize(w, h int) { s.w, s.h = w, h }
func (s *homeScreen) Title() string    { return "Home" }
func (s *homeScreen) Typing() bool     { return s.choosing } // q, i, ? are typed ahead too
func (s *homeScreen) Busy() bool       { return false }

func (s *homeScreen) ShortHelp() []key.Binding {
	if s.ov != nil && s.ov.Active == nil {
		return []key.Binding{keyNewConsent, keyHistory, keyConsents, keyLimits, keyInspector}
	}
	return []key.Binding{keyPay, keyHistory, keyConsents, keyLimits, keyInspector}
}

// keyAnotherConsent is n while a consent is in place: it adds a consent (another bank, other
// payees), it does not replace or revive the current one, so help does not call it "new
// consent" then (a paused consent is reactivated on Consents, A).
var keyAnotherConsent = key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "another consent (the current one stays)"))

func (s *homeScreen) FullHelp() [][]key.Binding {
	n := keyNewConsent
	if s.ov == nil || s.ov.Active != nil {
		n = keyAnotherConsent
	}
	keys := []key.Binding{keyPay, keyHistory, keyConsents, n, keyLimits, keyInspector, keyRefresh, keyUnblock}
	if s.takesBundles() {
		keys = append(keys, keyBundle)
	}
	return [][]key.Binding{keys}
}

func (s *homeScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case homeLoadedMsg:
		if msg.req != s.req {
			return s, nil
		}
		if msg.err != nil {
			s.err = msg.err
			return s, s.c.fail(msg.err)
		}
		s.err = nil
		s.ov = &msg.ov
	case payConsentsMsg:
		return s, s.onPayConsents(msg)
	case bundleConsentsMsg:
		return s, s.onBundleConsents(msg)
	case changedMsg:
		// Home shows consents and payments: any change may alter it.
		return s, s.refresh()
	case tea.KeyMsg:
		if s.choosing {
			return s, s.typeAhead(msg)
		}
		switch {
		case key.Matches(msg, keyPay):
			if s.ov != nil && s.ov.PaymentsBlocked {
				return s, s.c.info(blockedText)
			}
			if s.ov == nil || s.ov.Active == nil {
				return s, s.c.info(noConsentText)
			}
			return s, s.choosePayer()
		case key.Matches(msg, keyHistory):
			return s, s.c.navigate(newHistory(s.c))
		case key.Matches(msg, keyConsents):
			return s, s.c.navigate(newConsents(s.c))
		case key.Matches(msg, keyNewConsent):
			return s, s.c.navigate(newConsentFlow(s.c))
		case key.Matches(msg, keyLimits):
			return s, s.c.navigate(newLimitsScreen(s.c))
		case key.Matches(msg, keyRefresh):
			return s, s.refresh()
		case key.Matches(msg, keyUnblock):
			return s, s.c.navigate(newRecovery(s.c))
		case key.Matches(msg, keyBundle) && s.takesBundles():
			return s, s.openBundle()
		}
	}
	return s, nil
}

// choosePayer asks the core for the consents: several may pay (even at several banks), and
// with more than one the user picks which (payfrom.go).
func (s *homeScreen) choosePayer() tea.Cmd {
	s.choosing, s.typedAhead = true, nil
	s.choiceReq = s.c.nextReq()
	return loadPayConsents(s.c, s.choiceReq)
}

func (s *homeScreen) typeAhead(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, keyBack) {
		// p then esc: the pay form would have opened and closed; nothing was prepared.
		s.choosing, s.typedAhead = false, nil
		return nil
	}
	if len(s.typedAhead) < maxQueuedKeys {
		s.typedAhead = append(s.typedAhead, msg)
	}
	return nil
}

func (s *homeScreen) onPayConsents(msg payConsentsMsg) tea.Cmd {
	if msg.req != s.choiceReq || !s.choosing {
		return nil
	}
	typed := s.typedAhead
	s.choosing, s.typedAhead = false, nil
	var ov Overview
	if s.ov != nil {
		ov = *s.ov
	}
	if msg.err != nil {
		return s.c.navigate(newPayFrom(s.c, ov, nil, msg.err))
	}
	choices := payChoices(msg.cs, ov.Active, s.c.now())
	switch len(choices) {
	case 0:
		return s.c.info(whyCannotPay(msg.cs, s.c.now()))
	case 1:
		p := newPay(s.c, choices[0])
		p.typedAhead = typed
		return s.c.navigate(p)
	default:
		return s.c.navigate(newPayFrom(s.c, ov, msg.cs, nil))
	}
}

func (s *homeScreen) View() string {
	st := s.c.st
	if s.ov == nil {
		if s.err != nil {
			return st.Error.Render(explain(s.err)) + "\n" + st.Muted.Render("r: retry")
		}
		return st.Muted.Render("Loading…")
	}
	ov := s.ov
	now := s.c.now()
	var b strings.Builder

	if ov.PaymentsBlocked {
		b.WriteString(st.Error.Render(blockedText) + "\n\n")
	}
	if c := ov.Active; c != nil {
		cardW := min(max(20, s.w-4), 70)
		// The card's first line names the bank that pays; a long name is cut to keep it one line
		// (the card's padding takes two cells).
		tail := "  " + statusLabel(*c) + "  " + consentProduct(*c)
		card := []string{
			st.Title.Render(truncate(consentBank(*c), max(8, cardW-2-displayWidth(tail)))) + "  " + s.consentBadge(*c) + "  " + st.Muted.Render(consentProduct(*c)),
		}
		if c.DebtorMasked != "" {
			card = append(card, "From account  "+c.DebtorMasked)
		}
		card = append(card,
			fmt.Sprintf("Paid to date  %s (%s)", paidText(*c), count(c.PaymentCount, "payment", "payments")),
			"Expires       "+cardEnd(*c, now, s.c.loc),
		)
		switch {
		case c.Paused && c.Current():
			card = append(card, st.Warning.Render("Paused: open consents (c), select it, press A to pay again."))
		case renewSoon(now, c.Expires):
			card = append(card, st.Warning.Render("Renew soon: open consents (c), select it, press R."))
		}
		b.WriteString(st.Card.Width(cardW).Render(strings.Join(card, "\n")))
	} else {
		b.WriteString(st.Warning.Render("No active consent.") + " Press n to give a new consent at your bank, or open consents (c) to renew one.")
	}
	b.WriteString("\n\n")
	// Limits are per currency: one block each, titled with its currency when there are several.
	title := "Limit headroom"
	if len(ov.OtherHeadroom) > 0 {
		title += " (" + currencyCode(ov.Headroom.Currency) + ")"
	}
	b.WriteString(st.Title.Render(title) + "\n")
	b.WriteString(headroomLines(st, ov.Headroom, s.w))
	for _, h := range ov.OtherHeadroom {
		b.WriteString(st.Title.Render("Limit headroom ("+currencyCode(h.Currency)+")") + "\n")
		b.WriteString(headroomLines(st, h, s.w))
	}
	b.WriteString("\n" + st.Title.Render("Recent payments") + "\n")
	if len(ov.Recent) == 0 {
		b.WriteString(st.Muted.Render("  No payments yet. Press p to pay.") + "\n")
	}
	recent := ov.Recent[:min(5, len(ov.Recent))]
	statusW := statusWidth(recent)
	for _, r := range recent {
		b.WriteString("  " + paymentLine(st, r, s.w-2, statusW, s.c.loc) + "\n")
	}
	for _, l := range bundlesWaitingLines(ov.BundlesAwaiting) {
		b.WriteString("  " + st.Warning.Render(l) + "\n")
	}
	// Banks under different standards, side by side (nothing with one standard).
	if v := standardsView(st, ov.Banks, s.w); v != "" {
		b.WriteString("\n" + v)
	}
	b.WriteString("\n" + st.Muted.Render("Secrets: "+ov.SecretStore))
	if ov.Sandbox {
		// A line of its own: the secret store's path can be long.
		b.WriteString("\n" + st.Muted.Render("Bank: embedded sandbox bank"))
	}
	return b.String()
}

// cardEnd is the card's "Expires" value: the countdown and the day; for a link without an end
// (no bank approval that ends) "no end date", and "…" while its end is being read back.
func cardEnd(c Consent, now time.Time, loc *time.Location) string {
	switch {
	case c.Expires.IsZero() && c.ExpiryRestoring:
		return restoringEnd
	case c.Expires.IsZero():
		return "no end date"
	}
	return fmt.Sprintf("%s (%s)", until(now, c.Expires, loc), day(c.Expires, loc))
}

// noConsentText is p's answer when the wallet has no consent in place at all.
const noConsentText = "No active consent: press n to give a new consent at your bank."

// whyCannotPay is p's answer when no consent can pay now: what stands in the way of the newest
// consent still in place (paused here, suspended or not yet approved at the bank, expired) and
// the key that gets past it; with none in place, a new consent.
func whyCannotPay(cs []Consent, now time.Time) string {
	for _, c := range cs {
		if !c.Current() {
			continue
		}
		bank := consentBank(c)
		switch {
		case c.Paused:
			return "Your consent at " + bank + " is paused: open consents (c), select it and press A to reactivate it."
		case c.Status == ConsentSuspended:
			return "Your bank suspended your consent at " + bank + "; payterm cannot pay with it until the bank restores it. Ask your bank, or press n for a new consent."
		case c.Status == ConsentAwaitingAuthorization:
			return "Your consent at " + bank + " is not approved at the bank yet. Approve it there, or press n to start again."
		case !c.Expires.IsZero() && !now.Before(c.Expires):
			return "Your consent at " + bank + " has expired. Renew it: open consents (c), select it, press R."
		}
	}
	return noConsentText
}

// blockedText is Home's warning while payments are blocked: what happened and the way out.
const blockedText = "Payments are blocked after too many wrong PINs or codes. Press u to unblock them with your recovery code."

func (s *homeScreen) consentBadge(c Consent) string {
	st := s.c.st
	label := statusLabel(c)
	switch label {
	case "Active":
		return st.Success.Render(label)
	case "Pending", "Paused", "Suspended":
		return st.Warning.Render(label)
	default:
		return st.Error.Render(label)
	}
}

// headroomLines renders one bar per limit with what is left ("no limit" when it is off).
func headroomLines(st Styles, h Headroom, width int) string {
	type row struct {
		name        string
		used, limit money.Amount
	}
	l := h.Limits
	rows := []row{
		{"Per day", h.Used.Day, l.PerDay},
		{"Per month", h.Used.Month, l.PerMonth},
		{"Consent total", h.Used.Consent, l.ConsentTotal},
	}
	barW := 20
	if width < 76 {
		barW = 10
	}
	var b strings.Builder
	for _, r := range rows {
		if r.limit.IsZero() {
			fmt.Fprintf(&b, "  %-14s no limit (%s used)\n", r.name, formatMoney(r.used, h.Currency))
			continue
		}
		left := r.limit.SubFloor(r.used)
		fmt.Fprintf(&b, "  %-14s %s %s left of %s\n", r.name, bar(st, r.used.Minor(), r.limit.Minor(), barW),
			left.Display(), formatMoney(r.limit, h.Currency))
	}
	todayN := "no limit on the number of payments"
	if l.PerDayCount > 0 {
		todayN = fmt.Sprintf("%d of %s today", h.Used.DayCount, count(l.PerDayCount, "payment", "payments"))
	}
	per := "no per-payment limit"
	if !l.PerPayment.IsZero() {
		per = formatMoney(l.PerPayment, h.Currency) + " per payment at most"
	}
	fmt.Fprintf(&b, "  %-14s %s; %s\n", "Count", todayN, per)
	// On a narrow terminal a row continues under its value, not under the names.
	return wrapHanging(b.String(), width, 15)
}

// headroomSummary is headroomLines in one sentence, for a terminal too short for the rows: what
// is left of each amount limit and the day's count, with the rows' wording.
func headroomSummary(h Headroom) string {
	l := h.Limits
	var parts []string
	for _, r := range []struct {
		when        string
		used, limit money.Amount
	}{{"today", h.Used.Day, l.PerDay}, {"this month", h.Used.Month, l.PerMonth}, {"of the consent's total", h.Used.Consent, l.ConsentTotal}} {
		if !r.limit.IsZero() {
			parts = append(parts, formatMoney(r.limit.SubFloor(r.used), h.Currency)+" left "+r.when)
		}
	}
	if l.PerDayCount > 0 {
		parts = append(parts, fmt.Sprintf("%d of %s today", h.Used.DayCount, count(l.PerDayCount, "payment", "payments")))
	}
	if len(parts) == 0 {
		return "no limits set"
	}
	return strings.Join(parts, "; ") + " (a taller terminal shows every limit)"
}

// statusWidth is the widest status label among rows: the payee column gets the rest.
func statusWidth(rows []PaymentRow) int {
	w := 0
	for _, r := range rows {
		w = max(w, displayWidth(paymentWords(r.Status, r.BankStatus)))
	}
	return w
}

// paymentLine is one compact payment: date, payee, amount, status (statusW cells at most).
func paymentLine(st Styles, r PaymentRow, width, statusW int, loc *time.Location) string {
	status := paymentWords(r.Status, r.BankStatus)
	styled := st.Muted.Render(status)
	switch shown := shownStatus(r.Status, r.BankStatus); {
	case paymentOK(shown):
		styled = st.Success.Render(status)
	case shown == PaymentRejected:
		styled = st.Error.Render(status)
	}
	// Fixed columns: date 16, amount 17, the status; the name takes the rest (max 40).
	nameW := max(8, min(40, width-16-2-1-17-2-statusW))
	return stamp(r.At, loc) + "  " + fit(r.PayeeName, nameW) + " " +
		fmt.Sprintf("%17s", formatMoney(r.Amount, r.Currency)) + "  " + styled
}
