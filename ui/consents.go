package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

type consentAction int

const (
	actNone consentAction = iota
	actPause
	actReactivate
	actRevoke
	actRenew
)

var (
	keyPause      = key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "pause"))
	keyReactivate = key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "reactivate"))
	keyRevoke     = key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "cancel permission"))
	keyRenew      = key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "renew"))
	keyPayWith    = key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pay with this consent"))
)

// consentsScreen is the consent dashboard: Current / History tabs, a detail with Payment Rules and
// Payment History, and the four user actions, each behind one confirmation.
type consentsScreen struct {
	c        *common
	w, h     int
	tab      int // 0 current, 1 history
	all      []Consent
	cursor   int
	req      int
	loading  bool
	err      string
	detail   *ConsentDetail
	detailOn bool
	confirm  consentAction
	working  bool
	// stale: the core recorded a change while a load or an action was in flight; reload once
	// it lands (a reload now would drop its answer).
	stale bool
}

type (
	consentsLoadedMsg struct {
		req int
		cs  []Consent
		err error
	}
	consentDetailMsg struct {
		req int
		d   ConsentDetail
		err error
	}
	consentActionMsg struct {
		req  int
		act  consentAction
		id   string
		step BankStep
		err  error
	}
)

func newConsents(c *common) *consentsScreen { return &consentsScreen{c: c} }

func (s *consentsScreen) Init() tea.Cmd { return s.refresh() }

func (s *consentsScreen) refresh() tea.Cmd {
	s.loading = true
	s.req = s.c.nextReq()
	req, ctx, w := s.req, s.c.ctx, s.c.w
	var detailID string
	if s.detailOn && s.detail != nil {
		detailID = s.detail.Consent.ID
	}
	load := func() tea.Msg {
		cs, err := w.Consents(ctx)
		return consentsLoadedMsg{req: req, cs: cs, err: err}
	}
	if detailID == "" {
		return load
	}
	return tea.Batch(load, s.loadDetail(detailID, req))
}

func (s *consentsScreen) loadDetail(id string, req int) tea.Cmd {
	ctx, w := s.c.ctx, s.c.w
	return func() tea.Msg {
		d, err := w.ConsentDetail(ctx, id)
		return consentDetailMsg{req: req, d: d, err: err}
	}
}

func (s *consentsScreen) SetSize(w, h int) { s.w, s.h = w, h }
func (s *consentsScreen) Title() string {
	if s.detailOn {
		return "Consents · Detail"
	}
	return "Consents"
}
func (s *consentsScreen) Typing() bool { return false }
func (s *consentsScreen) Busy() bool   { return false }

func (s *consentsScreen) ShortHelp() []key.Binding {
	switch {
	case s.confirm != actNone:
		return []key.Binding{keyYes, keyNo}
	case s.detailOn:
		return s.detailKeys()
	default:
		return []key.Binding{keyLeft, keyRight, keyUp, keyDown, keyEnter, keyNewConsent, keyBack}
	}
}

func (s *consentsScreen) FullHelp() [][]key.Binding {
	switch {
	case s.confirm != actNone:
		return [][]key.Binding{{keyYes, keyNo}}
	case s.detailOn:
		return [][]key.Binding{s.detailKeys()}
	default:
		return [][]key.Binding{{keyLeft, keyRight, keyUp, keyDown, keyEnter, keyRefresh, keyNewConsent, keyBack}}
	}
}

// detailKeys lists back/refresh plus only the actions the selected consent allows.
func (s *consentsScreen) detailKeys() []key.Binding {
	out := []key.Binding{keyBack, keyRefresh}
	if s.detail != nil && s.detail.Consent.Status == ConsentAuthorized && !s.detail.Consent.Paused {
		out = append(out, keyPayWith)
	}
	if s.detail != nil && !s.detail.Consent.Current() {
		// Revoked, rejected, expired, consumed: renewal may not apply, a new consent always does.
		out = append(out, keyNewConsent)
	}
	for _, k := range []key.Binding{keyPause, keyReactivate, keyRevoke, keyRenew} {
		if s.allowed(actionFor(k.Help().Key)) {
			out = append(out, k)
		}
	}
	return out
}

func actionFor(k string) consentAction {
	switch k {
	case "P":
		return actPause
	case "A":
		return actReactivate
	case "X":
		return actRevoke
	case "R":
		return actRenew
	}
	return actNone
}

// allowed encodes the lifecycle: pause/reactivate are local and only for a usable consent;
// revocation from AwaitingAuthorization, Authorized or Suspended; renewal of a consent in use.
func (s *consentsScreen) allowed(a consentAction) bool {
	if s.detail == nil {
		return false
	}
	c := s.detail.Consent
	switch a {
	case actPause:
		return c.Status == ConsentAuthorized && !c.Paused
	case actReactivate:
		return c.Paused && c.Current()
	case actRevoke:
		return c.Current()
	case actRenew:
		return c.Status == ConsentAuthorized || c.Status == ConsentSuspended || c.Status == ConsentExpired
	}
	return false
}

func (s *consentsScreen) list() []Consent {
	var out []Consent
	for _, c := range s.all {
		if c.Current() == (s.tab == 0) {
			out = append(out, c)
		}
	}
	return out
}

func (s *consentsScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case consentsLoadedMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.loading = false
		if msg.err != nil {
			s.err = explain(msg.err)
			return s, nil
		}
		s.err, s.all = "", msg.cs
		s.cursor = max(0, min(s.cursor, len(s.list())-1))
		return s, s.reloadIfStale()
	case consentDetailMsg:
		if msg.req != s.req {
			return s, nil
		}
		if msg.err != nil {
			s.err = explain(msg.err)
			return s, nil
		}
		d := msg.d
		s.detail = &d
		return s, s.reloadIfStale()
	case changedMsg:
		// A consent's status (a sync, a pause) or a payment (the totals) changed.
		if s.loading || s.working || (s.detailOn && s.detail == nil) {
			s.stale = true
			return s, nil
		}
		return s, s.refresh()
	case consentActionMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.working = false
		if msg.err != nil {
			s.c.fail(msg.err)
			return s, s.reloadIfStale()
		}
		if msg.act == actRenew {
			// A retry renews again: the bank accepts each address once.
			w, id := s.c.w, msg.id
			return s, s.c.navigate(newBankFlow(s.c, msg.step, "Renew consent", func(ctx context.Context) (BankStep, error) {
				return w.RenewConsent(ctx, id)
			}))
		}
		s.c.info(actionDone(msg.act))
		return s, s.refresh()
	case tea.KeyMsg:
		return s, s.onKey(msg)
	}
	return s, nil
}

// reloadIfStale reloads once after a load that a change arrived during.
func (s *consentsScreen) reloadIfStale() tea.Cmd {
	if !s.stale || s.loading || s.working || (s.detailOn && s.detail == nil) {
		return nil
	}
	s.stale = false
	return s.refresh()
}

func actionDone(a consentAction) string {
	switch a {
	case actPause:
		return "Paused. payterm will not initiate payments with this consent until you reactivate it."
	case actReactivate:
		return "Reactivated. Payments with this consent are possible again."
	case actRevoke:
		return "Permission cancelled at the bank. payterm can no longer initiate payments with it."
	}
	return ""
}

func (s *consentsScreen) onKey(msg tea.KeyMsg) tea.Cmd {
	if s.confirm != actNone {
		switch {
		case key.Matches(msg, keyYes):
			a := s.confirm
			s.confirm = actNone
			return s.run(a)
		case key.Matches(msg, keyNo):
			s.confirm = actNone
		}
		return nil
	}
	if s.detailOn {
		switch {
		case key.Matches(msg, keyBack):
			s.detailOn, s.detail = false, nil
		case key.Matches(msg, keyRefresh):
			return s.refresh()
		case key.Matches(msg, keyNewConsent) && s.detail != nil && !s.detail.Consent.Current():
			return s.c.navigate(newConsentFlow(s.c))
		case key.Matches(msg, keyPayWith) && s.detail != nil && s.detail.Consent.Status == ConsentAuthorized && !s.detail.Consent.Paused:
			// Several consents (even at several banks) may exist: the user picks which one pays.
			return s.c.navigate(newPay(s.c, s.detail.Consent))
		case s.working:
		default:
			if a := actionFor(msg.String()); a != actNone && s.allowed(a) {
				s.confirm = a
			}
		}
		return nil
	}
	l := s.list()
	switch {
	case key.Matches(msg, keyBack):
		return s.c.back()
	case key.Matches(msg, keyLeft), key.Matches(msg, keyRight):
		s.tab = 1 - s.tab
		s.cursor = 0
	case key.Matches(msg, keyUp):
		s.cursor = max(0, s.cursor-1)
	case key.Matches(msg, keyDown):
		s.cursor = max(0, min(len(l)-1, s.cursor+1))
	case key.Matches(msg, keyRefresh):
		return s.refresh()
	case key.Matches(msg, keyNewConsent):
		return s.c.navigate(newConsentFlow(s.c))
	case key.Matches(msg, keyEnter):
		if len(l) == 0 {
			return nil
		}
		s.detailOn = true
		s.detail = nil
		s.req = s.c.nextReq()
		return s.loadDetail(l[s.cursor].ID, s.req)
	}
	return nil
}

func (s *consentsScreen) run(a consentAction) tea.Cmd {
	if s.detail == nil {
		return nil
	}
	s.working = true
	s.req = s.c.nextReq()
	req, ctx, w, id := s.req, s.c.ctx, s.c.w, s.detail.Consent.ID
	return func() tea.Msg {
		m := consentActionMsg{req: req, act: a, id: id}
		switch a {
		case actPause:
			m.err = w.PauseConsent(ctx, id)
		case actReactivate:
			m.err = w.ReactivateConsent(ctx, id)
		case actRevoke:
			m.err = w.RevokeConsent(ctx, id)
		case actRenew:
			m.step, m.err = w.RenewConsent(ctx, id)
		}
		return m
	}
}

// confirmText is the single confirmation of each action, worded after the UAE consent
// management interface: what happens, whether the bank is told, whether it can be undone.
func confirmText(a consentAction, c Consent) (title, body string) {
	switch a {
	case actPause:
		return "Pause this consent?",
			"While it is paused, payterm will not initiate any payment from your " + consentBank(c) + " account with it.\n" +
				"This is a pause in payterm only: your bank is not told and the consent stays valid.\n" +
				"You can reactivate it at any time."
	case actReactivate:
		return "Reactivate this consent?",
			"payterm will again be able to initiate payments from your " + consentBank(c) + " account with it, " +
				"each one approved by you here with your PIN and code."
	case actRevoke:
		return "Cancel permission?",
			"payterm will no longer be able to initiate payments from your " + consentBank(c) + " account.\n" +
				"Your bank is told now. This cannot be undone: to pay again you will give a new consent at your bank.\n" +
				"Payments already made are not affected."
	case actRenew:
		return "Renew this consent?",
			"You will authorise a new consent at " + consentBank(c) + " with the same payees; your limits and history carry over.\n" +
				"The current consent stays in use until the new one is authorised."
	}
	return "", ""
}

func (s *consentsScreen) View() string {
	st := s.c.st
	if s.confirm != actNone && s.detail != nil {
		title, body := confirmText(s.confirm, s.detail.Consent)
		return st.Warning.Render(title) + "\n\n" + body + "\n\n" + st.Key.Render("y") + " confirm   " + st.Key.Render("n/esc") + " keep as is"
	}
	if s.detailOn {
		return s.detailView()
	}
	var b strings.Builder
	tabs := []string{"Current", "History"}
	for i, t := range tabs {
		label := t
		if i == s.tab {
			label = "[" + t + "]"
			if st.accessible {
				label = "[" + t + " (selected)]"
			} else {
				label = st.Selected.Render(label)
			}
		} else {
			label = st.Muted.Render(" " + t + " ")
		}
		b.WriteString(label + " ")
	}
	b.WriteString("\n\n")
	l := s.list()
	switch {
	case s.err != "":
		b.WriteString(st.Error.Render(s.err) + "\n")
	case s.loading && len(s.all) == 0:
		b.WriteString(st.Muted.Render("Loading…") + "\n")
	case len(l) == 0:
		b.WriteString(st.Muted.Render("No consents here.") + "\n")
	}
	now := s.c.now()
	renew := false
	for _, c := range l {
		renew = renew || (c.Current() && renewSoon(now, c.Expires))
	}
	banks := bankColumn(l, s.all)
	bankW, paidW, product := consentColumns(l, banks, s.w, renew)
	cells := bankCells(banks, bankW)
	for i, c := range l {
		line := padRight(cells[i], bankW) + "  " + fmt.Sprintf("%-10s %s%-18s  paid %*s", statusLabel(c), product,
			endCell(c, s.c.loc), paidW, paidText(c))
		if c.Current() && renewSoon(now, c.Expires) {
			line += "  renew soon"
		}
		if i == s.cursor {
			line = "> " + line
			if !st.accessible {
				line = st.Selected.Render(line)
			}
		} else {
			line = "  " + line
		}
		b.WriteString(line + "\n")
	}
	// The banks of every consent and link the wallet knows, side by side, when their standards
	// differ: what each pays in, who approves and how it is signed.
	if v := standardsView(st, consentBanks(s.all), s.w); v != "" {
		b.WriteString("\n" + v)
	}
	return b.String()
}

func (s *consentsScreen) detailView() string {
	st := s.c.st
	d := s.detail
	if d == nil {
		if s.err != "" {
			return st.Error.Render(s.err)
		}
		return st.Muted.Render("Loading…")
	}
	c := d.Consent
	now := s.c.now()
	var b strings.Builder
	// The bank first: it is what tells two consents apart. A long name is cut, the rest stays.
	rest := " · " + statusLabel(c) + " · " + consentProduct(c)
	fmt.Fprintf(&b, "%s%s\n", truncate(consentBank(c), max(8, s.w-displayWidth(rest))), rest)
	fmt.Fprintf(&b, "Consent id      %s\n", c.ID)
	if c.BaseConsentID != "" {
		fmt.Fprintf(&b, "Renews          %s\n", c.BaseConsentID)
	}
	fmt.Fprintf(&b, "Created         %s\n", day(c.Created, s.c.loc))
	fmt.Fprintf(&b, "%s\n", endLine(c, now, s.c.loc))
	if c.DebtorMasked != "" {
		fmt.Fprintf(&b, "From account    %s\n", c.DebtorMasked)
	}
	fmt.Fprintf(&b, "Paid to date    %s in %s\n", paidText(c), count(c.PaymentCount, "payment", "payments"))
	b.WriteString("\n" + st.Title.Render("Payment Rules") + "\n")
	for _, r := range d.Rules {
		// A long value wraps under itself, not under the label.
		b.WriteString(wrapHanging(fmt.Sprintf("  %-22s %s", r.Label, r.Value), s.w, 23) + "\n")
	}
	b.WriteString("\n" + st.Title.Render("Payment History") + "\n")
	if len(d.Payments) == 0 {
		b.WriteString(st.Muted.Render("  No payments with this consent.") + "\n")
	}
	// Up to five, fewer when the screen is short; what is left over is counted, not cut.
	used := strings.Count(b.String(), "\n")
	if s.working {
		used += 2
	}
	shown := min(len(d.Payments), 5)
	if s.h > 0 && used+shown > s.h {
		shown = max(0, s.h-used-1)
	}
	statusW := statusWidth(d.Payments[:shown])
	for _, p := range d.Payments[:shown] {
		b.WriteString("  " + paymentLine(st, p, s.w-2, statusW, s.c.loc) + "\n")
	}
	if more := len(d.Payments) - shown; more > 0 {
		b.WriteString(st.Muted.Render("  … "+count(more, "more payment", "more payments")+" in History (h on Home)") + "\n")
	}
	if s.working {
		b.WriteString("\n" + st.Muted.Render("Working…") + "\n")
	}
	return b.String()
}

// endLine is the detail's line on when the consent ends: a consent in place expires (with the
// countdown); an expired one expired then; a cancelled, rejected or used-up one has ended, and
// the date it would have run to is said as past intent, never as a countdown.
func endLine(c Consent, now time.Time, loc *time.Location) string {
	switch {
	case c.Current() && c.Expires.IsZero() && c.ExpiryRestoring:
		return "Expires         " + restoringEnd
	case c.Current() && c.Expires.IsZero():
		return "Expires         no end date"
	case c.Current():
		return fmt.Sprintf("Expires         %s (%s)", day(c.Expires, loc), until(now, c.Expires))
	case c.Status == ConsentExpired:
		return "Expired         " + day(c.Expires, loc)
	default:
		return fmt.Sprintf("Ended           %s (it was to run until %s)", strings.ToLower(statusLabel(c)), day(c.Expires, loc))
	}
}

// restoringEnd is said of a link whose end is still being read back (Consent.ExpiryRestoring):
// not "no end date", which would be wrong a moment later.
const restoringEnd = "… (restoring your bank approval)"

// endCell is endLine in the list's column (18 cells): "expires 2030-11-15", "expired 2029-12-15",
// or "ended" for a consent cancelled, rejected or used up (the status column says which).
func endCell(c Consent, loc *time.Location) string {
	switch {
	case c.Current() && c.Expires.IsZero() && c.ExpiryRestoring:
		return "expiry: restoring…" // 18 cells, like the dates: the column pads bytes
	case c.Current() && c.Expires.IsZero():
		return "no end date"
	case c.Current():
		return "expires " + day(c.Expires, loc)
	case c.Status == ConsentExpired:
		return "expired " + day(c.Expires, loc)
	default:
		return "ended"
	}
}

// consentColumns sizes the list from the width it has: the amount column fits the widest
// amount, and the bank name gets what the fixed columns leave (its full length when it fits).
// Below 70 columns the product column ("Flexi Pay", the same on every row) is left out, and so
// it is when a consent in the list is at a bank under another standard (no Flexi Pay there: the
// detail names its standard).
func consentColumns(l []Consent, banks []string, width int, renew bool) (bankW, paidW int, product string) {
	longest := 0
	flexi := true
	for i, c := range l {
		longest = max(longest, displayWidth(banks[i]))
		paidW = max(paidW, displayWidth(paidText(c)))
		flexi = flexi && c.Terms.delegated()
	}
	// "> " + bank + "  " + status 10 + " " + product + "expires 2006-01-02" + "  paid " +
	// amount (+ "  renew soon" when a row says it)
	product = "Flexi Pay "
	if width < 70 || !flexi {
		product = ""
	}
	fixed := 2 + 2 + 10 + 1 + len(product) + 18 + 7 + paidW
	if renew {
		fixed += 12
	}
	// At least as wide as the old fixed column, so short names keep the table aligned as before.
	return max(8, min(max(longest, 18), width-fixed)), paidW, product
}

// bankCells cuts each bank label to w cells with an ellipsis at the end. Labels that would then
// look the same (names sharing a long beginning, "Example Bank of the Northern/Southern …") drop
// the words they share instead: "…Northern…", so two banks stay apart on a narrow terminal.
func bankCells(labels []string, w int) []string {
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = truncate(l, w)
	}
	for i := range labels {
		shared := 0 // bytes of the longest beginning label i shares with a label it collides with
		for j := range labels {
			if i != j && labels[i] != labels[j] && truncate(labels[i], w) == truncate(labels[j], w) {
				shared = max(shared, commonWords(labels[i], labels[j]))
			}
		}
		if shared > 0 {
			out[i] = truncate("…"+labels[i][shared:], w)
		}
	}
	return out
}

// commonWords is the length in bytes of the whole words (each with its following space) a and b
// begin with.
func commonWords(a, b string) int {
	n := 0
	for i := 0; i < len(a) && i < len(b) && a[i] == b[i]; i++ {
		if a[i] == ' ' {
			n = i + 1
		}
	}
	return n
}

// bankColumn is the bank cell of each listed consent: its name, and its bank id in brackets
// when another consent the wallet knows has the same name at a different bank (two configured
// banks may share a display name; the rows must still tell them apart).
func bankColumn(l, all []Consent) []string {
	out := make([]string, len(l))
	for i, c := range l {
		out[i] = consentBank(c)
		for _, o := range all {
			if consentBank(o) == out[i] && o.BankID != c.BankID && plainName(c.BankID) != "" {
				out[i] += " (" + plainName(c.BankID) + ")"
				break
			}
		}
	}
	return out
}
