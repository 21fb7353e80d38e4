package ui

import (
	"context"

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
	keyEndLink    = key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "end link"))
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
	if s.detail != nil && !s.detail.Consent.Current() && !s.detail.Consent.Link {
		// Revoked, rejected, expired, consumed: renewal may not apply, a new consent always does.
		out = append(out, keyNewConsent)
	}
	for _, k := range []key.Binding{keyPause, keyReactivate, keyRevoke, keyRenew} {
		if !s.allowed(actionFor(k.Help().Key)) {
			continue
		}
		if k.Help().Key == "X" && s.detail.Consent.Link {
			k = keyEndLink
		}
		out = append(out, k)
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
// revocation from AwaitingAuthorization, Authorized or Suspended; renewal of a consent in use
// (never of a link: there is no consent at its bank).
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
		return !c.Link && (c.Status == ConsentAuthorized || c.Status == ConsentSuspended || c.Status == ConsentExpired)
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
		s.c.info(actionDone(msg.act, s.detail != nil && s.detail.Consent.ID == msg.id && s.detail.Consent.Link))
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

// actionDone is what the footer says once a is done; link: it was done to a link.
func actionDone(a consentAction, link bool) string {
	switch a {
	case actRevoke:
		if link {
			return "Link ended in payterm. It comes back at the next start while the bank is in your config."
		}
		return "Permission cancelled at the bank. payterm can no longer initiate payments with it."
	case actPause:
		return "Paused. payterm will not initiate payments with this consent until you reactivate it."
	case actReactivate:
		return "Reactivated. Payments with this consent are possible again."
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
		case key.Matches(msg, keyNewConsent) && s.detail != nil && !s.detail.Consent.Current() && !s.detail.Consent.Link:
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
