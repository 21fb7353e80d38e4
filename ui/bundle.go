package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/payterm/payterm/money"
)

// The bundle screen (issue 14): several payments at a bank that approves them together (OP;
// PayTerms.Bundle), added one by one with the pay form's checks, reviewed with their total,
// confirmed with one PIN + code, approved once on the bank's page (bankFlow), then a live list
// of every payment's status. Revoking the bundle says the bank's warning before it asks.

type bundleStage int

const (
	bundleForm bundleStage = iota
	bundleReview
	bundleSCA
	bundleRun
	bundleRevoke
)

var (
	keyBundle        = key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "bundle: several payments, one approval at the bank"))
	keyAddPayment    = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "add the payment (empty form: review the bundle)"))
	keyDropLast      = key.NewBinding(key.WithKeys("ctrl+k"), key.WithHelp("ctrl+k", "remove the last payment"))
	keyToSCA         = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue to PIN + code"))
	keyPayBundle     = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "pay the bundle"))
	keyRevokeBundle  = key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "revoke the bundle at the bank"))
	keyBundleDone    = key.NewBinding(key.WithKeys("enter", "esc"), key.WithHelp("enter/esc", "back"))
	keyStopBundle    = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "stop watching (the payments wait at your bank)"))
	keyConfirmRevoke = key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "revoke every payment of the bundle"))
	keyKeepBundle    = key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "keep the bundle"))
)

// bundleDraft is one payment added to the bundle, as typed (checked when added).
type bundleDraft struct {
	name, iban, amount, ref string
	parsed                  money.Amount
}

type bundleScreen struct {
	c       *common
	w, h    int
	consent Consent
	terms   PayTerms
	stage   bundleStage

	drafts []bundleDraft
	// leaveAsked: esc was pressed on the form with payments added; a second esc leaves.
	leaveAsked              bool
	name, iban, amount, ref *field
	focus                   int
	formErr                 string

	prepared  *PreparedBundle
	pin, totp *field
	scaFocus  int
	scaErr    string

	req  int
	busy bool // a call to the core is on its way
	// revokeReq is the revoke call in flight. It has its own number: the run's events, the final
	// one included, still arrive under s.req while the bank revokes (a new s.req dropped them, and
	// the screen never said the bundle had ended).
	revokeReq int
	inFlight  bool // the bundle is being paid
	cancelRun context.CancelFunc
	runCtx    context.Context
	items     []BundleItem
	flow      *bankFlow
	pageSays  string // the bank's message with its page (already cleaned)
	answering bool
	runErr    string
	final     bool
	stopped   bool
	revokeErr string
}

func newBundle(c *common, consent Consent) *bundleScreen {
	t := consent.Terms.Resolved()
	s := &bundleScreen{c: c, consent: consent, terms: t,
		name: newField("Payee name"), iban: newField("IBAN"), amount: newField("Amount (" + currencyCode(t.Currency) + ")"),
		ref: newField(t.Reference.Label), pin: newField("PIN"), totp: newField("Code")}
	s.name.limit, s.iban.limit, s.amount.limit = 70, 42, money.MaxInputRunes+8
	s.ref.limit = max(t.Reference.Max, 1)
	s.pin.masked, s.totp.masked = true, true
	s.pin.accept, s.totp.accept = digitsOnly, digitsOnly
	s.pin.limit, s.totp.limit = 12, 8
	return s
}

func (s *bundleScreen) Init() tea.Cmd { return nil }

func (s *bundleScreen) SetSize(w, h int) { s.w, s.h = w, h; s.sizeFlow() }

func (s *bundleScreen) Title() string { return "Bundle" }

func (s *bundleScreen) Busy() bool { return s.inFlight }

func (s *bundleScreen) Inline() bool { return s.stage == bundleRun && s.flow != nil && s.flow.Inline() }

func (s *bundleScreen) Typing() bool {
	switch s.stage {
	case bundleForm, bundleSCA:
		return true
	case bundleRun:
		return s.answering || (s.flow != nil && s.flow.Typing())
	}
	return false
}

func (s *bundleScreen) sizeFlow() {
	if s.flow != nil {
		s.flow.SetSize(s.w, s.h)
		s.flow.extraRows = len(s.items) + 3
	}
}

func (s *bundleScreen) fields() []*field { return []*field{s.name, s.iban, s.amount, s.ref} }

func (s *bundleScreen) ShortHelp() []key.Binding {
	switch s.stage {
	case bundleForm:
		return []key.Binding{keyAddPayment, keyNextFld, keyDropLast, keyBack}
	case bundleReview:
		return []key.Binding{keyToSCA, keyBack}
	case bundleSCA:
		return []key.Binding{keyPayBundle, keyNextFld, keyBack}
	case bundleRevoke:
		return []key.Binding{keyConfirmRevoke, keyKeepBundle}
	}
	if s.final {
		if s.awaiting() > 0 {
			return []key.Binding{keyRevokeBundle, keyBundleDone}
		}
		return []key.Binding{keyBundleDone}
	}
	if s.flow != nil && !s.answering && !s.stopped {
		return append(s.flow.ShortHelp(), keyRevokeBundle)
	}
	return []key.Binding{keyStopBundle}
}

func (s *bundleScreen) FullHelp() [][]key.Binding {
	if s.stage == bundleForm {
		return [][]key.Binding{{keyAddPayment, keyNextFld, keyPrevFld, keyDropLast, keyBack}}
	}
	return [][]key.Binding{s.ShortHelp()}
}

// awaiting counts the payments still waiting for the bank's approval.
func (s *bundleScreen) awaiting() int {
	n := 0
	for _, it := range s.items {
		if it.Status == PaymentAwaitingBankSCA {
			n++
		}
	}
	return n
}

type (
	bundlePreparedMsg struct {
		req int
		b   PreparedBundle
		err error
	}
	bundleStartedMsg struct {
		req int
		ch  <-chan BundleEvent
		err error
	}
	bundleEventMsg struct {
		req int
		ev  BundleEvent
		ch  <-chan BundleEvent
		ok  bool
	}
	bundleAnsweredMsg struct {
		req int
		err error
	}
	bundleRevokedMsg struct {
		req   int
		items []BundleItem
		err   error
	}
)

func waitBundleEvent(req int, ch <-chan BundleEvent) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		return bundleEventMsg{req: req, ev: ev, ch: ch, ok: ok}
	}
}

func (s *bundleScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case bundlePreparedMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.busy = false
		if msg.err != nil {
			s.formErr = explain(msg.err)
			return s, nil
		}
		b := msg.b
		s.prepared, s.formErr, s.stage = &b, "", bundleReview
	case bundleStartedMsg:
		if msg.req != s.req {
			return s, nil
		}
		if msg.err != nil {
			s.inFlight, s.stage, s.scaErr = false, bundleSCA, explain(msg.err)
			return s, nil
		}
		return s, waitBundleEvent(msg.req, msg.ch)
	case bundleEventMsg:
		if msg.req != s.req {
			return s, nil
		}
		return s, s.onEvent(msg)
	case bundleAnsweredMsg:
		if msg.req != s.req {
			return s, nil
		}
		if msg.err != nil {
			s.answering = false
			if s.flow != nil {
				s.flow.err, s.flow.mode = explain(msg.err), bankChoose
			}
		}
	case bundleRevokedMsg:
		if msg.req != s.revokeReq {
			return s, nil
		}
		s.busy = false
		if msg.err != nil {
			s.revokeErr = explain(msg.err)
			return s, nil
		}
		s.items, s.stage, s.revokeErr = msg.items, bundleRun, ""
		return s, s.c.info("The bundle was revoked at " + consentBank(s.consent) + ": its payments not yet submitted will not be paid.")
	case openedMsg:
		if s.flow != nil {
			_, cmd := s.flow.Update(msg)
			return s, cmd
		}
	case tea.KeyMsg:
		return s, s.onKey(msg)
	}
	return s, nil
}

func (s *bundleScreen) onEvent(msg bundleEventMsg) tea.Cmd {
	if !msg.ok {
		s.inFlight, s.final = false, true
		return nil
	}
	ev := msg.ev
	if len(ev.Items) > 0 {
		s.items = ev.Items
	}
	switch {
	case ev.Action != nil && ev.Action.Kind == ActionRedirect:
		s.answering = false
		s.pageSays = ev.Action.Message
		switch {
		case s.flow == nil:
			s.flow = newPaymentBankFlow(s.c, *ev.Action, consentBank(s.consent), s.c.now(), s.sendCallback)
			s.flow.payment.bundle = len(s.prepared.Items)
			s.sizeFlow()
		case s.flow.mode == bankChoose && !s.flow.alone:
			// The bank's page asked again (each poll signs a fresh request object for the same
			// approval): the newest address, and whatever the payer is doing stays as it is.
			s.flow.step.URL = ev.Action.URL
		}
		if ev.Note != "" {
			s.flow.err, s.flow.mode = ev.Note, bankChoose
		}
	case ev.Action == nil && s.flow != nil && ev.Item > 0:
		// The bank moved on: the page is over.
		s.flow.stopWaiting()
		s.flow, s.answering = nil, false
	}
	if ev.State == StepFailed && ev.Err != nil {
		var se *SCAError
		if ev.Item == 0 && !s.anySaved() && errors.As(ev.Err, &se) {
			// Nothing was made: back to the PIN and code.
			s.inFlight, s.stage, s.scaErr = false, bundleSCA, explain(ev.Err)
			if s.cancelRun != nil {
				s.cancelRun()
			}
			return nil
		}
		s.runErr = explain(ev.Err)
	}
	if ev.Final {
		s.inFlight, s.final = false, true
		if s.flow != nil {
			s.flow.stopWaiting()
			s.flow = nil
		}
		if ev.Err != nil && !s.stopped {
			s.runErr = explain(ev.Err)
		}
		return nil
	}
	return waitBundleEvent(msg.req, msg.ch)
}

// anySaved reports whether a payment of the bundle was recorded.
func (s *bundleScreen) anySaved() bool {
	for _, it := range s.items {
		if it.PaymentID != "" {
			return true
		}
	}
	return false
}

func (s *bundleScreen) sendCallback(u string) tea.Cmd {
	s.answering = true
	req, ctx, w, id := s.req, s.runCtx, s.c.w, s.prepared.ID
	in := BankInput{Kind: ActionRedirect, Secret: NewSecret(u)}
	return func() tea.Msg { return bundleAnsweredMsg{req: req, err: w.ContinuePayment(ctx, id, in)} }
}

func (s *bundleScreen) onKey(msg tea.KeyMsg) tea.Cmd {
	switch s.stage {
	case bundleForm:
		return s.formKey(msg)
	case bundleReview:
		switch {
		case key.Matches(msg, keyBack):
			s.stage = bundleForm
		case key.Matches(msg, keyToSCA):
			s.stage, s.scaErr, s.scaFocus = bundleSCA, "", 0
		}
	case bundleSCA:
		return s.scaKey(msg)
	case bundleRevoke:
		switch {
		case s.busy:
		case key.Matches(msg, keyConfirmRevoke):
			s.busy = true
			s.revokeReq = s.c.nextReq()
			req, ctx, w, id := s.revokeReq, s.c.ctx, s.c.w, s.prepared.ID
			bs, _ := w.(BundleService)
			return func() tea.Msg {
				if bs == nil {
					return bundleRevokedMsg{req: req, err: errNoBundles}
				}
				items, err := bs.RevokeBundle(ctx, id)
				return bundleRevokedMsg{req: req, items: items, err: err}
			}
		case key.Matches(msg, keyKeepBundle):
			s.stage, s.revokeErr = bundleRun, ""
		}
	case bundleRun:
		return s.runKey(msg)
	}
	return nil
}

func (s *bundleScreen) runKey(msg tea.KeyMsg) tea.Cmd {
	if s.final {
		switch {
		case key.Matches(msg, keyRevokeBundle) && s.awaiting() > 0:
			s.stage = bundleRevoke
		case key.Matches(msg, keyBundleDone):
			return s.c.back()
		}
		return nil
	}
	if s.flow != nil && !s.answering && !s.stopped {
		if !s.flow.alone && s.flow.mode != bankPaste && key.Matches(msg, keyRevokeBundle) {
			s.stopWatching()
			s.stage = bundleRevoke
			return nil
		}
		if !s.flow.alone && s.flow.mode != bankPaste && key.Matches(msg, keyStopBundle) {
			return s.stopWatching()
		}
		return s.flow.onKey(msg)
	}
	if key.Matches(msg, keyStopBundle) && !s.stopped {
		return s.stopWatching()
	}
	return nil
}

// stopWatching ends the run's context: the payments stay at the bank and the core keeps
// following them; the final event brings their statuses.
func (s *bundleScreen) stopWatching() tea.Cmd {
	s.stopped = true
	var leave tea.Cmd
	if s.flow != nil {
		s.flow.stopWaiting()
		leave = s.flow.leaveAlone()
	}
	if s.cancelRun != nil {
		s.cancelRun()
	}
	return leave
}

func (s *bundleScreen) formKey(msg tea.KeyMsg) tea.Cmd {
	fs := s.fields()
	asked := s.leaveAsked
	s.leaveAsked = false
	if asked {
		s.formErr = "" // the question is answered by this key
	}
	switch {
	case key.Matches(msg, keyBack) && len(s.drafts) > 0 && !asked:
		// The payments added so far live only here: esc does not drop them unasked.
		s.leaveAsked = true
		s.formErr = fmt.Sprintf("Leave the bundle? Its %s are dropped. Press esc again to leave, or any other key to stay.",
			count(len(s.drafts), "payment", "payments"))
		return nil
	case key.Matches(msg, keyBack):
		return s.c.back()
	case msg.Type == tea.KeyTab || msg.Type == tea.KeyDown:
		s.focus = (s.focus + 1) % len(fs)
	case msg.Type == tea.KeyShiftTab || msg.Type == tea.KeyUp:
		s.focus = (s.focus + len(fs) - 1) % len(fs)
	case key.Matches(msg, keyDropLast):
		if len(s.drafts) > 0 {
			s.drafts = s.drafts[:len(s.drafts)-1]
			s.formErr = ""
		}
	case msg.Type == tea.KeyEnter:
		if s.busy {
			return nil
		}
		empty := true
		for _, f := range fs {
			empty = empty && strings.TrimSpace(f.Value()) == ""
		}
		if !empty {
			s.add()
			return nil
		}
		return s.review()
	default:
		fs[s.focus].Update(msg)
	}
	return nil
}

// add checks the typed payment with the pay form's checks and adds it to the bundle; what was
// typed stays in the fields when it is refused.
func (s *bundleScreen) add() {
	if len(s.drafts) >= s.terms.Bundle {
		s.formErr = fmt.Sprintf("%s approves at most %d payments at once: review this bundle, and pay the rest in another.", consentBank(s.consent), s.terms.Bundle)
		return
	}
	sch := AccountIBAN
	if len(s.terms.Products) > 0 {
		sch = s.terms.Products[0].scheme()
	}
	if p := typedTextProblem("The payee name", s.name.Value()); p != "" || strings.TrimSpace(s.name.Value()) == "" {
		if p == "" {
			p = "Type the payee's name."
		}
		s.formErr, s.focus = p, 0
		return
	}
	if p := accountFeedback(sch, s.iban.Value()); p != "" || !accountValid(sch, s.iban.Value()) {
		s.formErr, s.focus = accountProblem(sch), 1
		return
	}
	a, err := parseAmountIn(strings.TrimSpace(s.amount.Value()), s.terms.Currency)
	if err != nil {
		s.formErr, s.focus = amountSentenceIn(err, s.terms.Currency), 2
		return
	}
	if p := typedTextProblem("The "+strings.ToLower(s.terms.Reference.Label), s.ref.Value()); p != "" {
		s.formErr, s.focus = p, 3
		return
	}
	s.drafts = append(s.drafts, bundleDraft{name: strings.TrimSpace(s.name.Value()), iban: normalAccount(sch, s.iban.Value()),
		amount: strings.TrimSpace(s.amount.Value()), ref: strings.TrimSpace(s.ref.Value()), parsed: a})
	for _, f := range s.fields() {
		f.Reset()
	}
	s.focus, s.formErr = 0, ""
}

// review asks the core to check the whole bundle.
func (s *bundleScreen) review() tea.Cmd {
	if len(s.drafts) < 2 {
		s.formErr = "A bundle holds at least two payments: add another (or pay this one on its own with p on Home)."
		return nil
	}
	bs, ok := s.c.w.(BundleService)
	if !ok {
		s.formErr = explain(errNoBundles)
		return nil
	}
	items := make([]PaymentDraft, len(s.drafts))
	for i, d := range s.drafts {
		items[i] = PaymentDraft{ConsentID: s.consent.ID, Amount: d.amount, Reference: d.ref,
			NewPayee: PayeeDraft{Name: d.name, IBAN: d.iban}}
		if len(s.terms.Products) > 0 {
			items[i].Product = s.terms.Products[0].ID
		}
	}
	s.busy = true
	s.req = s.c.nextReq()
	req, ctx, id := s.req, s.c.ctx, s.consent.ID
	return func() tea.Msg {
		b, err := bs.PrepareBundle(ctx, id, items)
		return bundlePreparedMsg{req: req, b: b, err: err}
	}
}

func (s *bundleScreen) scaKey(msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, keyBack):
		s.pin.Wipe()
		s.totp.Wipe()
		s.stage = bundleReview
	case msg.Type == tea.KeyTab || msg.Type == tea.KeyDown || msg.Type == tea.KeyShiftTab || msg.Type == tea.KeyUp:
		s.scaFocus = 1 - s.scaFocus
	case msg.Type == tea.KeyEnter:
		if s.scaFocus == 0 && s.totp.Value() == "" {
			s.scaFocus = 1
			return nil
		}
		if s.pin.Value() == "" || s.totp.Value() == "" || s.prepared == nil {
			s.scaErr = "Type your PIN and the code from your authenticator app."
			return nil
		}
		bs, ok := s.c.w.(BundleService)
		if !ok {
			s.scaErr = explain(errNoBundles)
			return nil
		}
		in := SCAInput{PIN: NewSecret(s.pin.Value()), TOTP: NewSecret(s.totp.Value())}
		s.pin.Wipe()
		s.totp.Wipe()
		s.scaFocus, s.scaErr, s.runErr = 0, "", ""
		s.stage, s.inFlight, s.final, s.stopped = bundleRun, true, false, false
		s.items, s.flow, s.answering = nil, nil, false
		s.req = s.c.nextReq()
		ctx, cancel := context.WithCancel(s.c.ctx)
		s.cancelRun, s.runCtx = cancel, ctx
		req, id := s.req, s.prepared.ID
		return func() tea.Msg {
			ch, err := bs.SubmitBundle(ctx, id, in)
			return bundleStartedMsg{req: req, ch: ch, err: err}
		}
	default:
		if s.scaFocus == 0 {
			s.pin.Update(msg)
		} else {
			s.totp.Update(msg)
		}
	}
	return nil
}
