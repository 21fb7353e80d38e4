package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/payterm/payterm/money"
)

type payStage int

const (
	payForm payStage = iota
	payReview
	paySCA
	payProgress
	payReceipt
	payCheck // the bank's answer to a payee check, waiting for the payer's choice (paycheck.go)
)

// payScreen is the whole pay flow: form → review (large type) → SCA → live progress (with the
// bank's own approval step when the bank asks for one) → receipt. What differs between
// standards (currency, products, account scheme, purpose code, reference, what the wallet's
// check means, the progress rows, the bank's questions) comes from the consent's PayTerms and
// the prepared payment; UAE delegated SCA draws exactly what it always drew.
type payScreen struct {
	c       *common
	w, h    int
	consent Consent
	terms   PayTerms // consent.Terms, resolved (the UAE's when the core gave none)
	product int      // index into terms.Products
	stage   payStage
	req     int
	loading bool

	payees []Payee

	// Confirmation of Payee (paycheck.go): the answer shown, for which payee, and the payee the
	// payer cleared for this form.
	check      *PayeeCheck
	checkDraft PayeeDraft
	checkErr   string
	cleared    string
	payeeIdx   int // index into payees; len(payees) = "new payee" (open consent only)
	codes      []PurposeCode

	newName, newIBAN *field
	// The payee's bank and address, for a product that asks for them (Product.PayeeBank).
	newBIC, newAddr1, newAddr2, newCountry *field
	// payeeBankShown is the new payee's bank and address as prepared, for the review.
	payeeBankShown        PayeeDraft
	newType               PayeeType
	amount, ref, purposeQ *field
	purposeSel            int
	focus                 int
	formErr               string
	typedAmount           string // the amount as typed for the prepared payment (ParseInput accepted it)
	prepared              *PreparedPayment
	pin, totp             *field
	scaFocus              int
	scaErr                string
	submitting            bool
	steps                 []string       // the progress rows (PreparedPayment.Steps, or the UAE pipeline)
	events                []stepProgress // one per row
	started               time.Time      // when the payment was submitted (or its first event, if earlier)
	lastAt                time.Time
	inFlight              bool
	receipt               *Receipt
	failure               string
	announcements         []string
	// cancelRun stops the submission's context: esc while the bank's wait is shown, or while the
	// bank waits for the payer's approval. runCtx is that context (answers to the bank use it).
	cancelRun context.CancelFunc
	runCtx    context.Context
	// approval is the bank's own approval step while it lasts (PaymentEvent.Action).
	approval approval
	// wait is the bank's Retry-After the core is sitting out now (zero until when none).
	wait struct {
		until time.Time
		note  string
	}
	stopped bool // esc stopped the wait; the final event follows
	// Cancelling a queued payment from the receipt: confirm, then the call.
	confirmCancel, cancelling bool
	cancelErr                 string
	// again is the payment whose bank approval this screen asks for again (ApproveAgain), ""
	// for a new payment.
	again string
	// againBundle is how many payments the bank's page approves with it when again is a
	// payment of a bundle (PaymentDetail.Bundle.Awaiting); 0 otherwise.
	againBundle int
	// typedAhead are keys typed before the form could take them: on Home after p, before
	// payterm knew which consent pays, and here while the payees load (until then the form does
	// not know its rows: a tab would reach a field that is not there). They go into the form, in
	// order, once it is loaded.
	typedAhead []tea.KeyMsg
}

type stepProgress struct {
	seen          bool
	state         StepState
	start, finish time.Time
	note          string
}

type (
	payLoadedMsg struct {
		req    int
		payees []Payee
		codes  []PurposeCode
		err    error
	}
	preparedMsg struct {
		req int
		p   PreparedPayment
		err error
	}
	submitStartedMsg struct {
		req int
		ch  <-chan PaymentEvent
		err error
		// again is the payment as ApproveAgain describes it (nil after SubmitPayment).
		again *PreparedPayment
	}
	paymentEventMsg struct {
		req    int
		ev     PaymentEvent
		ch     <-chan PaymentEvent
		closed bool
	}
	progressTickMsg   struct{ req int }
	receiptRefreshMsg struct {
		req int
		d   PaymentDetail
		err error
	}
	paymentCancelledMsg struct {
		req int
		d   PaymentDetail
		err error
	}
)

func newPay(c *common, consent Consent) *payScreen {
	s := &payScreen{c: c, consent: consent, terms: consent.Terms.resolved(), newType: PayeeRetail}
	if !s.terms.PayeeType {
		s.newType = ""
	}
	s.newName = newField("Payee name")
	s.newName.limit = 70
	s.newIBAN = newField("IBAN")
	s.newIBAN.limit = 34
	s.newBIC = newField("Payee's BIC")
	s.newBIC.limit, s.newBIC.hint = 11, "e.g. DEUTDEFF"
	s.newAddr1 = newField("Address")
	s.newAddr1.limit = 35
	s.newAddr2 = newField("Address 2")
	s.newAddr2.limit, s.newAddr2.hint = 35, "optional"
	s.newCountry = newField("Country")
	s.newCountry.limit, s.newCountry.hint = 2, "ISO code, e.g. US"
	s.amount = newField("Amount (AED)")
	// Every character is kept as typed: money.ParseInput reads it exactly or refuses it with
	// a sentence. The limit is above money.MaxInputRunes, so a paste cut at the limit is still
	// refused as too long, never read as a shorter amount.
	s.amount.limit = 2 * money.MaxInputRunes
	s.ref = newField(s.terms.Reference.Label)
	s.ref.limit = s.terms.Reference.Max
	if s.terms.Reference.Required {
		s.ref.hint = "required"
	}
	s.applyProduct()
	s.approval = newApproval()
	s.purposeQ = newField("Purpose")
	s.purposeQ.limit = 40
	s.purposeQ.hint = "type to search"
	s.pin = newField("PIN")
	s.pin.masked, s.pin.accept, s.pin.limit = true, digitsOnly, 12
	s.totp = newField("Code")
	s.totp.masked, s.totp.accept, s.totp.limit = true, digitsOnly, 8
	return s
}

// applyProduct fits the form to the product chosen: the amount's currency, and the payee
// account's label, example and feedback.
func (s *payScreen) applyProduct() {
	p := s.terms.Products[s.product]
	s.amount.label = "Amount (" + currencyCode(p.Currency) + ")"
	sch := p.scheme()
	s.newIBAN.label, s.newIBAN.hint = accountLabel(sch), accountHint(sch)
	if s.newIBAN.Value() != "" {
		s.newIBAN.problem = accountFeedback(sch, s.newIBAN.Value())
	}
}

// chosen is the product the form pays as.
func (s *payScreen) chosen() Product { return s.terms.Products[s.product] }

func (s *payScreen) Init() tea.Cmd {
	if s.again != "" {
		return s.startAgain()
	}
	s.req = s.c.nextReq()
	s.loading = true
	req, ctx, w, id, purpose := s.req, s.c.ctx, s.c.w, s.consent.ID, s.terms.Purpose
	return func() tea.Msg {
		payees, err := w.Payees(ctx, id)
		if err != nil {
			return payLoadedMsg{req: req, err: fmt.Errorf("load payees: %w", err)}
		}
		if !purpose {
			return payLoadedMsg{req: req, payees: payees}
		}
		codes, err := w.PurposeCodes(ctx)
		if err != nil {
			return payLoadedMsg{req: req, err: fmt.Errorf("load purpose codes: %w", err)}
		}
		return payLoadedMsg{req: req, payees: payees, codes: codes}
	}
}

func (s *payScreen) SetSize(w, h int) {
	s.w, s.h = w, h
	if s.approval.flow != nil {
		s.approval.flow.SetSize(w, h)
	}
}

func (s *payScreen) Title() string {
	switch s.stage {
	case payReview:
		return "Pay · Review"
	case paySCA:
		return "Pay · Authenticate"
	case payProgress:
		if s.approval.action != nil {
			return "Pay · Approve at your bank"
		}
		return "Pay · Sending"
	case payReceipt:
		return "Pay · Receipt"
	case payCheck:
		return "Pay · Check payee"
	default:
		return "Pay"
	}
}

func (s *payScreen) Typing() bool {
	return s.stage == payForm || s.stage == paySCA || (s.stage == payProgress && s.approvalTyping())
}
func (s *payScreen) Busy() bool { return s.inFlight }

// Inline: the bank's address stands alone on the normal screen (u on the approval step).
func (s *payScreen) Inline() bool {
	return s.stage == payProgress && s.approval.flow != nil && s.approval.action != nil && s.approval.flow.Inline()
}

func (s *payScreen) openConsent() bool { return s.consent.Model == BeneficiaryOpen }

// newPayee reports whether the form asks for a new payee instead of a consent payee.
func (s *payScreen) newPayee() bool { return s.payeeIdx >= len(s.payees) }

// formItems lists the focusable form rows in order: the product first when the bank offers
// several (it decides the currency and how the account is written), the payee type and the
// purpose code only where the standard has them.
func (s *payScreen) formItems() []string {
	var items []string
	if len(s.terms.Products) > 1 {
		items = append(items, "product")
	}
	items = append(items, "payee")
	if s.newPayee() {
		items = append(items, "name", "iban")
		if s.chosen().PayeeBank {
			items = append(items, "bic", "addr1", "addr2", "country")
		}
		if s.terms.PayeeType {
			items = append(items, "type")
		}
	}
	items = append(items, "amount", "ref")
	if s.terms.Purpose {
		items = append(items, "purpose")
	}
	return items
}

// cycleKey is ←/→ with what it chooses on this form.
func (s *payScreen) cycleKey() key.Binding {
	if s.terms.delegated() {
		return keyCycle
	}
	what := []string{"payee"}
	if len(s.terms.Products) > 1 {
		what = append([]string{"product"}, what...)
	}
	if s.terms.PayeeType {
		what = append(what, "type")
	}
	if s.terms.Purpose {
		what = append(what, "purpose")
	}
	desc := "choose " + what[0]
	if n := len(what); n > 1 {
		desc = "choose " + strings.Join(what[:n-1], ", ") + " or " + what[n-1]
	}
	return key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", desc))
}

var (
	keyCycle   = key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "choose payee, type or purpose"))
	keyClear   = key.NewBinding(key.WithKeys("ctrl+u"), key.WithHelp("ctrl+u", "clear field"))
	keyToHome  = key.NewBinding(key.WithKeys("enter", "esc"), key.WithHelp("enter/esc", "done"))
	keyRecheck = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "check status again"))
	// keyStopWait stops sitting out the bank's Retry-After; the payment stays tracked.
	keyStopWait = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "stop waiting (the payment stays tracked)"))
	// keyCancelPay cancels a queued payment (the bank has not got it), after y.
	keyCancelPay = key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "cancel this queued payment"))
	// keyCancelAtBank asks the bank to cancel a payment awaiting its approval, after y.
	keyCancelAtBank = key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "ask the bank to cancel this payment"))
)

func (s *payScreen) ShortHelp() []key.Binding {
	switch s.stage {
	case payCheck:
		return s.checkHelp()
	case payForm:
		return []key.Binding{keyNextFld, s.cycleKey(), keySubmit, keyBack}
	case payReview:
		return []key.Binding{keySubmit, keyBack}
	case paySCA:
		return []key.Binding{keyNextFld, keySubmit, keyBack}
	case payProgress:
		if ks := s.approvalKeys(); ks != nil {
			return ks
		}
		if s.waiting() {
			return []key.Binding{keyStopWait, keyInspector}
		}
		return []key.Binding{keyInspector}
	default:
		if s.confirmCancel {
			return []key.Binding{keyYes, keyNo}
		}
		if s.receipt != nil && s.receipt.ID != "" && canCancel(s.receipt.Status) {
			return []key.Binding{keyToHome, keyRecheck, cancelKey(s.receipt.Status)}
		}
		if s.receipt != nil && s.receipt.ID != "" {
			return []key.Binding{keyToHome, keyRecheck}
		}
		// Nothing reached the bank: there is no status to check again.
		return []key.Binding{keyToHome}
	}
}

func (s *payScreen) FullHelp() [][]key.Binding {
	switch s.stage {
	case payForm:
		return [][]key.Binding{{keyNextFld, keyPrevFld, s.cycleKey(), keyClear, keySubmit, keyBack, keyInspector}}
	case paySCA:
		return [][]key.Binding{{keyNextFld, keyPrevFld, keyClear, keySubmit, keyBack, keyInspector}}
	default:
		return [][]key.Binding{s.ShortHelp()}
	}
}

func (s *payScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case payLoadedMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.loading = false
		if msg.err != nil {
			s.formErr = explain(msg.err)
			s.typedAhead = nil // typed for a form that could not load
			return s, nil
		}
		s.payees, s.codes = msg.payees, msg.codes
		// Start on the consent's own purpose code: the usual choice, one key less.
		for i, c := range s.codes {
			if c.Code == s.consent.PurposeCode {
				s.purposeSel = i
			}
		}
		typed := s.typedAhead
		s.typedAhead = nil
		cmds := make([]tea.Cmd, 0, len(typed))
		for _, k := range typed {
			cmds = append(cmds, s.onKey(k))
		}
		return s, tea.Batch(cmds...)
	case payeeCheckedMsg:
		return s, s.onChecked(msg)
	case payeeAcceptedMsg:
		return s, s.onAccepted(msg)
	case preparedMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.submitting = false
		if msg.err != nil {
			s.formErr = explain(msg.err)
			return s, nil
		}
		p := msg.p
		s.prepared = &p
		s.formErr = ""
		s.stage = payReview
		return s, nil
	case submitStartedMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.submitting = false
		if msg.err != nil && s.again != "" {
			// Nothing was asked: back to the payment's detail with the reason.
			s.inFlight = false
			return s, tea.Batch(s.c.back(), func() tea.Msg { return statusMsg{text: explain(msg.err), isErr: true} })
		}
		if msg.err != nil {
			s.inFlight = false
			s.stage = paySCA
			s.scaErr = explain(msg.err)
			return s, nil
		}
		if msg.again != nil {
			s.prepared = msg.again
			s.steps = msg.again.Steps
			if len(s.steps) == 0 {
				s.steps = uaeSteps()
			}
			started := s.started
			s.resetProgress()
			s.started = started
		}
		return s, waitPaymentEvent(msg.req, msg.ch)
	case paymentEventMsg:
		if msg.req != s.req {
			return s, nil
		}
		return s, s.onEvent(msg)
	case progressTickMsg:
		if msg.req != s.req || !s.inFlight || s.c.accessible {
			return s, nil
		}
		return s, progressTick(s.req)
	case continuedMsg:
		if msg.req != s.req {
			return s, nil
		}
		return s, s.onContinued(msg)
	case openedMsg:
		// The browser the approval step's o asked for could not be opened.
		if f := s.approval.flow; f != nil && s.approval.action != nil {
			_, cmd := f.Update(msg)
			return s, cmd
		}
	case receiptRefreshMsg:
		if msg.req != s.req {
			return s, nil
		}
		if msg.err != nil {
			return s, s.c.fail(msg.err)
		}
		s.applyDetail(msg.d)
		return s, nil
	case paymentCancelledMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.cancelling = false
		if msg.err != nil {
			s.cancelErr = explain(msg.err)
			return s, nil
		}
		s.applyDetail(msg.d)
		s.failure = "" // the queue's warning no longer applies
		return s, nil
	case changedMsg:
		// The core recorded a new status for this receipt's payment (the background resume):
		// read it again, so the receipt never shows a status the ledger has left.
		if s.stage == payReceipt && s.receipt != nil && s.receipt.ID != "" && msg.Touches(PaymentChanged, s.receipt.ID) {
			return s, s.recheck()
		}
	case tea.KeyMsg:
		return s, s.onKey(msg)
	}
	return s, nil
}

// applyDetail updates the receipt from a fresh read of the payment.
func (s *payScreen) applyDetail(d PaymentDetail) {
	if s.receipt == nil {
		return
	}
	if d.Row.Status != s.receipt.Status {
		s.failure = "" // how the attempt ended is news no more: the status moved on
	}
	s.receipt.Status, s.receipt.BankStatus = d.Row.Status, d.Row.BankStatus
	if d.Reason != "" {
		s.receipt.Reason = d.Reason
	}
	if d.Row.PaymentID != "" { // learnt by reconciliation after an unknown outcome
		s.receipt.PaymentID = d.Row.PaymentID
	}
}

// waiting reports whether the bank's Retry-After is being sat out now (esc can stop it).
func (s *payScreen) waiting() bool {
	return s.inFlight && !s.wait.until.IsZero() && !s.stopped && s.cancelRun != nil
}

// recheck reads the receipt's payment again.
func (s *payScreen) recheck() tea.Cmd {
	req, ctx, w, id := s.req, s.c.ctx, s.c.w, s.receipt.ID
	return func() tea.Msg {
		d, err := w.Payment(ctx, id)
		return receiptRefreshMsg{req: req, d: d, err: err}
	}
}

func waitPaymentEvent(req int, ch <-chan PaymentEvent) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		return paymentEventMsg{req: req, ev: ev, ch: ch, closed: !ok}
	}
}

func progressTick(req int) tea.Cmd {
	return tea.Tick(100*time.Millisecond, func(time.Time) tea.Msg { return progressTickMsg{req: req} })
}

func (s *payScreen) onEvent(msg paymentEventMsg) tea.Cmd {
	if msg.closed {
		// The core closed the stream without a final event: show what we know.
		if s.stage == payProgress && s.receipt == nil {
			s.inFlight = false
			s.failure = "The wallet stopped reporting progress. The payment resumes on the next start; check History."
			s.stage = payReceipt
		}
		return nil
	}
	ev := msg.ev
	// A wait the bank asked for lasts until the next event: the core reports what follows it.
	s.wait.until, s.wait.note = ev.Until, ""
	if !ev.Until.IsZero() {
		s.wait.note = ev.Note
	}
	if ev.Step >= 0 && int(ev.Step) < len(s.events) {
		p := &s.events[ev.Step]
		if !p.seen {
			p.seen, p.start = true, ev.At
		}
		p.state, p.note = ev.State, ev.Note
		if ev.State != StepRunning {
			p.finish = ev.At
		}
		if s.started.IsZero() || ev.At.Before(s.started) {
			s.started = ev.At
		}
		s.lastAt = ev.At
		s.announce(ev)
	}
	// The bank's approval step lasts until an event without it: the core moved on.
	cmd := s.onAction(ev)
	if ev.State == StepFailed && ev.Step == 0 {
		// The wallet's own check failed (row 0 in every standard): nothing was sent; back to
		// the SCA form with the generic message.
		s.inFlight = false
		s.stage = paySCA
		s.scaErr = explain(ev.Err)
		s.resetProgress()
		return nil
	}
	if ev.Final {
		s.inFlight = false
		if s.cancelRun != nil {
			s.cancelRun()
		}
		s.receipt = ev.Receipt
		// A final receipt already says why (status and reason); the error is only news when
		// there is no receipt or the outcome is still open.
		if ev.State == StepFailed && (ev.Receipt == nil || !paymentFinal(ev.Receipt.Status)) {
			s.failure = explain(ev.Err)
		}
		s.stage = payReceipt
		return nil
	}
	return tea.Batch(cmd, waitPaymentEvent(msg.req, msg.ch))
}

// resetProgress forgets the rows' progress (the wallet's check failed: the next attempt starts
// afresh).
func (s *payScreen) resetProgress() {
	s.events = make([]stepProgress, len(s.steps))
	s.announcements = nil
	s.started, s.lastAt = time.Time{}, time.Time{}
}

func (s *payScreen) announce(ev PaymentEvent) {
	word := "started"
	switch ev.State {
	case StepDone:
		word = "done"
	case StepFailed:
		word = "failed"
	}
	line := fmt.Sprintf("Step %d of %d: %s %s.", int(ev.Step)+1, len(s.steps), s.steps[ev.Step], word)
	if ev.Note != "" {
		line += " " + ev.Note + "."
	}
	if n := len(s.announcements); n > 0 && s.announcements[n-1] == line {
		return // the bank asking again (its next question) is not news for this row
	}
	s.announcements = append(s.announcements, line)
}

func (s *payScreen) onKey(msg tea.KeyMsg) tea.Cmd {
	switch s.stage {
	case payCheck:
		return s.checkKey(msg)
	case payForm:
		return s.formKey(msg)
	case payReview:
		switch {
		case key.Matches(msg, keySubmit):
			s.stage = paySCA
			s.scaFocus = 0
			s.scaErr = ""
		case key.Matches(msg, keyBack):
			s.stage = payForm
		}
	case paySCA:
		return s.scaKey(msg)
	case payProgress:
		if s.approval.action != nil || s.approval.answering {
			return s.approvalKey(msg)
		}
		if key.Matches(msg, keyStopWait) && s.waiting() {
			s.stopped = true
			s.cancelRun()
		}
	case payReceipt:
		if s.confirmCancel {
			s.confirmCancel = false
			if key.Matches(msg, keyYes) && s.receipt != nil {
				s.cancelling, s.cancelErr = true, ""
				req, ctx, w, id := s.req, s.c.ctx, s.c.w, s.receipt.ID
				return func() tea.Msg {
					d, err := w.CancelPayment(ctx, id)
					return paymentCancelledMsg{req: req, d: d, err: err}
				}
			}
			return nil
		}
		switch {
		case key.Matches(msg, keyCancelPay) && s.receipt != nil && s.receipt.ID != "" && canCancel(s.receipt.Status) && !s.cancelling:
			s.confirmCancel, s.cancelErr = true, ""
		case key.Matches(msg, keyToHome):
			return s.c.replace(newHome(s.c, nil))
		case key.Matches(msg, keyRecheck) && s.receipt != nil && s.receipt.ID != "":
			return s.recheck()
		}
	}
	return nil
}

func (s *payScreen) formKey(msg tea.KeyMsg) tea.Cmd {
	items := s.formItems()
	if s.focus >= len(items) {
		s.focus = len(items) - 1
	}
	cur := items[s.focus]
	switch {
	case key.Matches(msg, keyBack):
		return s.c.back()
	case s.loading:
		if len(s.typedAhead) < maxQueuedKeys {
			s.typedAhead = append(s.typedAhead, msg)
		}
		return nil
	case msg.Type == tea.KeyEnter:
		return s.prepare()
	case msg.Type == tea.KeyTab || msg.Type == tea.KeyDown:
		s.focus = (s.focus + 1) % len(items)
		return nil
	case msg.Type == tea.KeyShiftTab || msg.Type == tea.KeyUp:
		s.focus = (s.focus + len(items) - 1) % len(items)
		return nil
	case msg.Type == tea.KeyLeft || msg.Type == tea.KeyRight:
		d := 1
		if msg.Type == tea.KeyLeft {
			d = -1
		}
		switch cur {
		case "product":
			n := len(s.terms.Products)
			s.product = (s.product + d + n) % n
			s.applyProduct()
		case "payee":
			n := len(s.payees)
			if s.openConsent() {
				n++ // the "new payee" choice
			}
			if n > 0 {
				s.payeeIdx = (s.payeeIdx + d + n) % n
			}
		case "type":
			if s.newType == PayeeRetail {
				s.newType = PayeeCorporate
			} else {
				s.newType = PayeeRetail
			}
		case "purpose":
			if m := s.matches(); len(m) > 0 {
				s.purposeSel = (s.purposeSel + d + len(m)) % len(m)
			}
		}
		return nil
	}
	switch cur {
	case "name":
		s.newName.Update(msg)
	case "bic":
		s.newBIC.Update(msg)
	case "addr1":
		s.newAddr1.Update(msg)
	case "addr2":
		s.newAddr2.Update(msg)
	case "country":
		s.newCountry.Update(msg)
	case "iban":
		if s.newIBAN.Update(msg) {
			s.newIBAN.problem = accountFeedback(s.chosen().scheme(), s.newIBAN.Value())
		}
	case "amount":
		s.amount.Update(msg)
	case "ref":
		s.ref.Update(msg)
	case "purpose":
		if s.purposeQ.Update(msg) {
			s.purposeSel = 0
		}
	}
	return nil
}

// focusOn moves the form's focus to the named row.
func (s *payScreen) focusOn(item string) {
	for i, it := range s.formItems() {
		if it == item {
			s.focus = i
		}
	}
}

// amountSentence is the one sentence for an AED amount money refused: what is wrong, what to
// type (amountSentenceIn for any currency).
func amountSentence(err error) string { return amountSentenceIn(err, currency) }

// typedOtherDigits reports an amount typed with digits other than 0-9 (Arabic-Indic), which
// the review restates as payterm read it.
func typedOtherDigits(typed string) bool {
	for _, r := range typed {
		if r >= '٠' && r <= '٩' || r >= '۰' && r <= '۹' {
			return true
		}
	}
	return false
}

// matches filters purpose codes by code prefix or description substring.
func (s *payScreen) matches() []PurposeCode {
	q := strings.ToLower(strings.TrimSpace(s.purposeQ.Value()))
	if q == "" {
		return s.codes
	}
	var out []PurposeCode
	for _, c := range s.codes {
		if strings.HasPrefix(strings.ToLower(c.Code), q) || strings.Contains(strings.ToLower(c.Description), q) {
			out = append(out, c)
		}
	}
	return out
}

func (s *payScreen) prepare() tea.Cmd {
	if s.loading || s.submitting {
		return nil
	}
	prod := s.chosen()
	d := PaymentDraft{
		ConsentID: s.consent.ID,
		Amount:    strings.TrimSpace(s.amount.Value()),
		Reference: strings.TrimSpace(s.ref.Value()),
		Product:   prod.ID,
	}
	if s.newPayee() {
		if !s.openConsent() {
			s.formErr = "Choose a payee (←/→)."
			return nil
		}
		sch := prod.scheme()
		if p := accountFeedback(sch, s.newIBAN.Value()); p != "" || s.newIBAN.Value() == "" ||
			(sch != AccountUAEIBAN && !accountValid(sch, s.newIBAN.Value())) {
			s.formErr = accountProblem(sch)
			return nil
		}
		if p := typedTextProblem("The payee name", s.newName.Value()); p != "" {
			s.formErr = p
			return nil
		}
		d.NewPayee = PayeeDraft{Name: strings.TrimSpace(s.newName.Value()), IBAN: normalAccount(sch, s.newIBAN.Value()), Type: s.newType}
		if prod.PayeeBank {
			if p := s.payeeBank(&d.NewPayee); p != "" {
				s.formErr = p
				return nil
			}
		}
		s.payeeBankShown = d.NewPayee
	} else {
		d.PayeeID = s.payees[s.payeeIdx].ID
		s.payeeBankShown = PayeeDraft{}
	}
	if _, err := parseAmountIn(d.Amount, prod.Currency); err != nil {
		// Refused here, as typed, with the sentence the core would give: nothing is sent.
		s.formErr = amountSentenceIn(err, prod.Currency)
		s.focusOn("amount")
		return nil
	}
	if p := typedTextProblem("The "+strings.ToLower(s.terms.Reference.Label), d.Reference); p != "" {
		s.formErr = p
		return nil
	}
	if s.terms.Reference.Required && d.Reference == "" {
		// Asked for here, before anything is prepared: the bank would refuse the payment.
		s.formErr = "Type a " + strings.ToLower(s.terms.Reference.Label) + ": " + consentBank(s.consent) + " does not take a payment without one."
		s.focusOn("ref")
		return nil
	}
	if s.terms.Purpose {
		m := s.matches()
		if len(m) == 0 {
			s.formErr = "Choose a purpose code (type to search, ←/→ to pick)."
			return nil
		}
		d.Purpose = m[min(s.purposeSel, len(m)-1)].Code
	}
	if pc, ok := s.needsCheck(d); ok {
		return s.startCheck(pc, d)
	}
	s.formErr = ""
	s.typedAmount = d.Amount
	s.submitting = true
	s.req = s.c.nextReq()
	req, ctx, w := s.req, s.c.ctx, s.c.w
	return func() tea.Msg {
		p, err := w.PreparePayment(ctx, d)
		return preparedMsg{req: req, p: p, err: err}
	}
}

// prestretch hands the PIN typed so far to a wallet that can start its slow PIN check while
// the code is typed (PINPrestretcher), off the UI's goroutine.
func (s *payScreen) prestretch() tea.Cmd {
	ps, ok := s.c.w.(PINPrestretcher)
	if !ok || s.pin.Value() == "" {
		return nil
	}
	pin := NewSecret(s.pin.Value())
	return func() tea.Msg {
		ps.PrestretchPIN(pin)
		return nil
	}
}

func (s *payScreen) scaKey(msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, keyBack):
		s.pin.Wipe()
		s.totp.Wipe()
		s.stage = payReview
		return nil
	case msg.Type == tea.KeyTab || msg.Type == tea.KeyDown || msg.Type == tea.KeyShiftTab || msg.Type == tea.KeyUp:
		s.scaFocus = 1 - s.scaFocus
		if s.scaFocus == 1 {
			return s.prestretch()
		}
		return nil
	case msg.Type == tea.KeyEnter:
		if s.scaFocus == 0 && s.totp.Value() == "" {
			s.scaFocus = 1
			return s.prestretch()
		}
		if s.pin.Value() == "" || s.totp.Value() == "" || s.submitting || s.prepared == nil {
			s.scaErr = "Type your PIN and the code from your authenticator app."
			return nil
		}
		in := SCAInput{PIN: NewSecret(s.pin.Value()), TOTP: NewSecret(s.totp.Value())}
		s.pin.Wipe()
		s.totp.Wipe()
		s.scaFocus = 0
		s.scaErr = ""
		s.submitting = true
		s.inFlight = true
		s.stage = payProgress
		s.stopped = false
		s.req = s.c.nextReq()
		s.steps = s.prepared.Steps
		if len(s.steps) == 0 {
			s.steps = uaeSteps()
		}
		s.resetProgress()
		s.started = s.c.now()
		s.approval = newApproval()
		ctx, cancel := context.WithCancel(s.c.ctx)
		s.cancelRun, s.runCtx = cancel, ctx
		req, w, id := s.req, s.c.w, s.prepared.ID
		submit := func() tea.Msg {
			ch, err := w.SubmitPayment(ctx, id, in)
			return submitStartedMsg{req: req, ch: ch, err: err}
		}
		if s.c.accessible {
			return submit
		}
		return tea.Batch(submit, progressTick(req))
	}
	if s.scaFocus == 0 {
		s.pin.Update(msg)
	} else {
		s.totp.Update(msg)
	}
	return nil
}

func (s *payScreen) View() string {
	switch s.stage {
	case payCheck:
		return s.checkView()
	case payReview:
		return s.reviewView()
	case paySCA:
		return s.scaView()
	case payProgress:
		return s.progressView()
	case payReceipt:
		return s.receiptView()
	default:
		return s.formView()
	}
}

func (s *payScreen) formView() string {
	st := s.c.st
	if s.loading {
		if !s.terms.Purpose {
			return st.Muted.Render("Loading payees…")
		}
		return st.Muted.Render("Loading payees and purpose codes…")
	}
	items := s.formItems()
	lw := 13
	// The purpose list shows up to five codes, fewer on a short terminal, so the error or the
	// "checking" line under the form stays on screen.
	below := 0
	if s.formErr != "" {
		below += 1 + strings.Count(wrapLines(s.formErr, s.w), "\n") + 1
	}
	if s.submitting {
		below += 2
	}
	// On the purpose field, what a purpose is (and Flexi Pay) in a payer's words, when the
	// terminal has room for it and three codes of the list.
	note := ""
	if s.focusedItem() == "purpose" && s.formErr == "" && !s.submitting {
		note = wrapLines(s.purposeNote(), max(20, s.w-4))
		if s.h > 0 && s.h-2-len(items)-below-(strings.Count(note, "\n")+2) < 3 {
			note = ""
		}
	}
	if note != "" {
		below += strings.Count(note, "\n") + 2
	}
	listRows := 5
	if s.h > 0 {
		listRows = max(1, min(5, s.h-2-len(items)-below))
	}
	var b strings.Builder
	// Which consent pays is chosen before this form (Home's p: the one that can pay, or the one
	// picked on "Pay from which consent?"; Consents → detail → p: that one), so the form says
	// which bank it is, on one line, and under which standard when it is not the UAE's.
	paying, flexi := "Paying from ", " (Flexi Pay)."
	if !s.terms.delegated() {
		flexi = " (" + s.terms.Standard + ")."
	}
	b.WriteString(st.Muted.Render(paying+truncate(consentBank(s.consent), max(8, s.w-len(paying)-displayWidth(flexi)))+flexi) + "\n\n")
	for i, it := range items {
		focused := i == s.focus
		switch it {
		case "product":
			p := s.chosen()
			b.WriteString(choiceLine(st, "Product", p.Label+"  "+st.Muted.Render(currencyCode(p.Currency)), focused, lw) + "\n")
		case "payee":
			choice := "New payee…"
			if !s.newPayee() {
				p := s.payees[s.payeeIdx]
				choice = p.Name + "  " + st.Muted.Render(MaskIBAN(p.IBAN))
			} else if !s.openConsent() {
				choice = st.Muted.Render("no payees on this consent")
			}
			b.WriteString(choiceLine(st, "Payee", choice, focused, lw) + "\n")
		case "name":
			b.WriteString(s.newName.View(st, focused, lw) + "\n")
		case "iban":
			b.WriteString(s.newIBAN.View(st, focused, lw) + "\n")
		case "bic":
			b.WriteString(s.newBIC.View(st, focused, lw) + "\n")
		case "addr1":
			b.WriteString(s.newAddr1.View(st, focused, lw) + "\n")
		case "addr2":
			b.WriteString(s.newAddr2.View(st, focused, lw) + "\n")
		case "country":
			b.WriteString(s.newCountry.View(st, focused, lw) + "\n")
		case "type":
			b.WriteString(choiceLine(st, "Payee type", string(s.newType), focused, lw) + "\n")
		case "amount":
			b.WriteString(s.amount.View(st, focused, lw) + "\n")
		case "ref":
			b.WriteString(s.ref.View(st, focused, lw) + "\n")
		case "purpose":
			b.WriteString(s.purposeQ.View(st, focused, lw) + "\n")
			m := s.matches()
			if len(m) == 0 {
				b.WriteString("    " + st.Muted.Render("no purpose code matches") + "\n")
			}
			start := max(0, min(s.purposeSel-listRows/2, len(m)-listRows))
			for j := start; j < len(m) && j < start+listRows; j++ {
				line := m[j].Code + "  " + m[j].Description
				if j == s.purposeSel {
					if st.accessible {
						line = "* " + line + " (selected)"
					} else {
						line = st.Selected.Render(line)
					}
				} else {
					line = "  " + st.Muted.Render(line)
				}
				b.WriteString("    " + truncate(line, max(10, s.w-6)) + "\n")
			}
		}
	}
	if note != "" {
		b.WriteString("\n")
		for _, l := range strings.Split(note, "\n") {
			b.WriteString("  " + st.Muted.Render(l) + "\n")
		}
	}
	if s.formErr != "" {
		b.WriteString("\n" + st.Error.Render(s.formErr) + "\n")
	}
	if s.submitting {
		b.WriteString("\n" + st.Muted.Render("Checking the payment against the consent and limits…") + "\n")
	}
	return b.String()
}

// focusedItem is the form item with the focus ("" when none).
func (s *payScreen) focusedItem() string {
	if items := s.formItems(); s.focus >= 0 && s.focus < len(items) {
		return items[s.focus]
	}
	return ""
}

// purposeNote says what the purpose code is, and what Flexi Pay means, in a payer's words: the
// purpose is chosen per payment (the consent's is only where the list starts), and with Flexi
// Pay the PIN and code typed here are the bank's approval.
func (s *payScreen) purposeNote() string {
	note := "The purpose tells your bank what this payment is for (rent, salary, a transfer to a person…): you choose it for each payment"
	if c := s.consent.PurposeCode; c != "" {
		note += "; the list starts at your consent's, " + c
	}
	note += "."
	if s.terms.delegated() {
		note += " Flexi Pay: you approve each payment here with your PIN and code, within your limits; your bank does not ask again."
	}
	return note
}

func choiceLine(st Styles, label, value string, focused bool, lw int) string {
	prefix := "  "
	if focused {
		prefix = st.Accent.Render("› ")
		if st.accessible {
			prefix = "> "
		}
	}
	arrows := ""
	if focused {
		arrows = st.Muted.Render("  ←/→")
	}
	return prefix + st.Muted.Render(padRight(label, lw)) + " " + value + arrows
}

// productOf is the product a prepared payment is made as (the form's choice when the core did
// not say).
func (s *payScreen) productOf(p *PreparedPayment) Product {
	for _, x := range s.terms.Products {
		if p.Product != "" && x.ID == p.Product {
			return x
		}
	}
	return s.chosen()
}

// walletOnlyNote is the review's honest sentence where the wallet's check is not the bank's:
// the PIN and code protect this wallet, and the bank asks the payer itself.
func (s *payScreen) walletOnlyNote() string {
	bank := consentBank(s.consent)
	return "Your PIN and code confirm this payment to payterm only: they protect this wallet and do not replace " +
		bank + "'s own check. " + bank + " then asks you to approve the payment itself."
}

func (s *payScreen) reviewView() string {
	st := s.c.st
	p := s.prepared
	if p == nil {
		return ""
	}
	cur := currencyCode(p.Currency)
	var b strings.Builder
	b.WriteString("You are about to pay\n\n")
	// Typed in Arabic-Indic digits, the amount is restated as read, next to what was typed.
	// The typed text passed parseAmountIn: digits, separators and the currency only.
	readAs := ""
	if typedOtherDigits(s.typedAmount) {
		readAs = "You typed " + s.typedAmount + ", read as " + formatMoney(p.Amount, cur) + ".\n"
	}
	if st.accessible {
		b.WriteString("Amount: " + formatMoney(p.Amount, cur) + "\n" + readAs)
		b.WriteString("To: " + p.Payee.Name + "\n")
	} else {
		b.WriteString(st.Big.Render(bigText(p.Amount.Display()+" "+cur)) + "\n")
		if readAs != "" {
			b.WriteString(st.Muted.Render(readAs))
		}
		b.WriteString("\n")
		b.WriteString("to  " + st.Big.Underline(true).Render(p.Payee.Name) + "\n")
	}
	b.WriteString("\n")
	prod := s.productOf(p)
	type row struct{ label, value string }
	account := groupAccount(prod.scheme(), p.Payee.IBAN)
	if p.Payee.Type != "" {
		account += " (" + string(p.Payee.Type) + ")"
	}
	// The bank the money leaves: with consents at several banks, what the user authorises must
	// say which account pays.
	rows := []row{{"Account", account}, {"From", consentBank(s.consent)}}
	if len(s.terms.Products) > 1 {
		rows = append(rows, row{"Product", prod.Label})
	}
	if pb, ok := s.payeeBankOf(*p); prod.PayeeBank && ok {
		// What the bank is told of the payee abroad: as typed on this form, or as the wallet
		// keeps it with a saved payee.
		rows = append(rows, row{"Payee's bank", pb.BIC}, row{"Address", strings.Join(append(append([]string(nil), pb.Address...), pb.Country), ", ")})
	}
	if p.Reference != "" {
		rows = append(rows, row{s.terms.Reference.Label, p.Reference})
	}
	if s.terms.Purpose {
		rows = append(rows, row{"Purpose", p.Purpose.Code + " " + p.Purpose.Description})
	}
	walletOnly := !s.terms.delegated()
	if walletOnly {
		rows = append(rows, row{"Standard", s.terms.Standard})
		if s.terms.Signing != "" {
			rows = append(rows, row{"Signed with", s.terms.Signing})
		}
	}
	if p.BankApproval != "" {
		// The bank's own rules may spare the payer its approval; the wallet only guesses.
		rows = append(rows, row{"Bank approval", p.BankApproval})
	}
	lw := 9
	for _, r := range rows {
		lw = max(lw, displayWidth(r.label))
	}
	var f strings.Builder
	for _, r := range rows {
		f.WriteString(padRight(r.label, lw+2) + r.value + "\n")
	}
	b.WriteString(wrapUnder(f.String(), s.w, lw+2))
	note := ""
	next := "\nPress enter to authenticate, esc to change."
	if walletOnly {
		words := s.walletOnlyNote()
		if p.BankApproval != "" {
			words = strings.TrimSuffix(words, ".") + ", unless it waives that (Bank approval above)."
		}
		note = "\n" + st.Warning.Render(words) + "\n"
		next = "\nPress enter to confirm with your PIN and code, esc to change."
	}
	b.WriteString(note)
	after := "\n" + st.Muted.Render("After this payment:") + "\n" + headroomLines(st, p.Headroom, s.w)
	// On a short terminal the headroom is left out rather than the line saying what to do (or,
	// at a bank that asks the payer itself, the sentence saying so, which wraps).
	all := b.String() + after + next
	if walletOnly {
		all = wrapLines(all, s.w)
	}
	if s.h <= 0 || strings.Count(all, "\n")+1 <= s.h {
		b.WriteString(after)
	}
	b.WriteString(next)
	return b.String()
}

func (s *payScreen) scaView() string {
	st := s.c.st
	var b strings.Builder
	delegated := s.terms.delegated()
	if p := s.prepared; p != nil {
		verb := "Authorise"
		if !delegated {
			verb = "Confirm"
		}
		b.WriteString(fmt.Sprintf("%s %s to %s\n\n", verb, formatMoney(p.Amount, p.Currency), p.Payee.Name))
	}
	if delegated {
		b.WriteString("Your PIN and the 6-digit code from your authenticator app approve this one payment.\n\n")
	} else {
		bank := consentBank(s.consent)
		b.WriteString("Your PIN and the 6-digit code from your authenticator app confirm this payment to payterm; they do not replace " +
			bank + "'s check. " + bank + " asks you to approve it next.\n\n")
	}
	b.WriteString(s.pin.View(st, s.scaFocus == 0, 5) + "\n")
	b.WriteString(s.totp.View(st, s.scaFocus == 1, 5) + "\n")
	if s.scaErr != "" {
		b.WriteString("\n" + st.Error.Render(s.scaErr) + "\n")
	}
	return b.String()
}

// uaeSteps are the UAE pipeline's rows (PaymentStep's names), for a prepared payment without
// Steps.
func uaeSteps() []string {
	out := make([]string, stepCount)
	for i := range stepCount {
		out[i] = PaymentStep(i).String()
	}
	return out
}

// currentStep is the row the payment is at: the one running, or, while the core is between two
// reports (it may report a step only once it is done), the first row after the last one seen.
// -1 when no row is ahead.
func (s *payScreen) currentStep() int {
	last := -1
	for i, p := range s.events {
		if p.seen && p.state == StepRunning {
			return i
		}
		if p.seen {
			last = i
		}
	}
	if !s.inFlight || s.stopped || last+1 >= len(s.events) {
		return -1
	}
	if last >= 0 && s.events[last].state == StepFailed {
		return -1
	}
	return last + 1
}

func (s *payScreen) progressView() string {
	st := s.c.st
	var b strings.Builder
	if p := s.prepared; p != nil {
		b.WriteString(fmt.Sprintf("Paying %s to %s\n\n", formatMoney(p.Amount, p.Currency), p.Payee.Name))
	}
	redirect := s.approval.action != nil && s.approval.action.Kind == ActionRedirect && s.approval.flow != nil
	if st.accessible {
		for _, a := range s.announcements {
			b.WriteString(a + "\n")
		}
		if len(s.announcements) == 0 {
			b.WriteString("Starting.\n")
		}
		if s.approval.action != nil || s.approval.answering {
			b.WriteString("\n" + s.approvalView() + "\n")
		}
		return b.String()
	}
	now := s.c.now()
	cur := s.currentStep()
	gap := "\n"
	if s.h > 0 && s.h < 16 {
		gap = "" // 60×18: no blank lines, so the warning below stays on screen
	}
	approving := s.approval.action != nil || s.approval.answering
	var rows strings.Builder
	for i := range s.events {
		rows.WriteString(stepLine(st, s.steps[i], s.events[i], i == cur, now) + "\n")
	}
	if !approving {
		b.WriteString(rows.String())
	} else {
		// The bank's step is what the payer acts on: the rows give way to one line when they
		// would push it off the screen, and always for the bank's page (its address and QR code
		// need the room).
		av := s.approvalView()
		tall := strings.Count(wrapLines(b.String()+rows.String()+"\n"+av, s.w), "\n") + 1 + 4
		if redirect || (s.h > 0 && tall > s.h) {
			b.WriteString(s.stepSummary(cur, now) + "\n")
		} else {
			b.WriteString(rows.String())
		}
		if s.approval.flow != nil {
			s.approval.flow.extraRows = strings.Count(b.String(), "\n") + 1
		}
		b.WriteString(gap + av + "\n")
		if s.h > 0 && strings.Count(wrapLines(b.String(), s.w), "\n")+4 > s.h {
			return b.String() // no room for the time and the reminder: the bank's step comes first
		}
	}
	if !s.started.IsZero() && !redirect {
		// Live: the time since the payment was submitted, from the injected clock, never less
		// than what the core reported last.
		end := now
		if s.lastAt.After(end) {
			end = s.lastAt
		}
		b.WriteString(gap + st.Muted.Render("Elapsed "+elapsed(end.Sub(s.started))) + "\n")
	}
	if line := s.waitLine(now); line != "" {
		b.WriteString(gap + st.Warning.Render(line) + "\n")
	}
	if !redirect {
		b.WriteString(gap + st.Muted.Render("Do not close the wallet; ctrl+c asks first. A payment that was sent is never sent twice.") + "\n")
	}
	return b.String()
}

// stepSummary is the progress rows on one line: "⠋ Step 5 of 7: Approve at your bank · 4
// steps done".
func (s *payScreen) stepSummary(cur int, now time.Time) string {
	st := s.c.st
	done := 0
	for _, p := range s.events {
		if p.seen && p.state == StepDone {
			done++
		}
	}
	if cur < 0 {
		return st.Muted.Render(count(done, "step", "steps") + " of " + fmt.Sprint(len(s.steps)) + " done")
	}
	mark := spinnerFrame(st, now) + " "
	if st.accessible {
		mark = ""
	}
	return mark + fmt.Sprintf("Step %d of %d: %s", cur+1, len(s.steps), s.steps[cur]) + st.Muted.Render(" · "+count(done, "step", "steps")+" done")
}

// waitLine is the bank's wait with a live countdown: "Bank asked to wait 59 s · 42 s left ·
// esc stops waiting". The countdown uses the injected clock, so a frozen clock shows a frozen
// count.
func (s *payScreen) waitLine(now time.Time) string {
	if s.wait.until.IsZero() {
		return ""
	}
	if s.stopped {
		return s.wait.note + " · stopping; the payment stays tracked"
	}
	left := s.wait.until.Sub(now)
	if left < 0 {
		left = 0
	}
	secs := int((left + time.Second - 1) / time.Second)
	return fmt.Sprintf("%s · %d s left · esc stops waiting (the payment stays tracked)", s.wait.note, secs)
}

// spinnerFrames animate whatever the wallet is waiting on.
var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// spinnerFrame is the frame for now, from the injected clock (a frozen clock renders a frozen
// frame, so golden files are stable).
func spinnerFrame(st Styles, now time.Time) string {
	return st.Accent.Render(spinnerFrames[(now.UnixMilli()/100)%int64(len(spinnerFrames))])
}

// stepLine renders "✓ PII sealed   0.1s  note". The current step (running, or next while the
// core is between reports) gets a frame of the spinner.
func stepLine(st Styles, name string, p stepProgress, current bool, now time.Time) string {
	mark := st.Muted.Render("·")
	dur := ""
	switch {
	case p.seen && p.state == StepDone:
		mark = st.Success.Render("✓")
		dur = elapsed(p.finish.Sub(p.start))
	case p.seen && p.state == StepFailed:
		mark = st.Error.Render("✗")
		dur = elapsed(p.finish.Sub(p.start))
	case current:
		mark = spinnerFrame(st, now)
	}
	line := fmt.Sprintf("%s %-18s %6s", mark, name, dur)
	if p.note != "" {
		line += "  " + st.Muted.Render(p.note)
	}
	return line
}

// receiptView is the receipt; on a terminal too short for it (60×18) the blank lines go first,
// so the ids stay on screen without scrolling.
func (s *payScreen) receiptView() string {
	v := s.receiptBody()
	if s.h <= 0 || s.w <= 0 || strings.Count(wrapLines(strings.TrimRight(v, "\n"), s.w), "\n")+1 <= s.h {
		return v
	}
	lines := strings.Split(v, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if l != "" {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

func (s *payScreen) receiptBody() string {
	st := s.c.st
	var b strings.Builder
	r := s.receipt
	if r == nil {
		b.WriteString(st.Error.Render("The payment was not made.") + "\n")
		if s.failure != "" {
			b.WriteString(s.failure + "\n")
		}
		return b.String()
	}
	shown := shownStatus(r.Status, r.BankStatus)
	words := paymentWords(r.Status, r.BankStatus)
	switch {
	case paymentOK(shown):
		b.WriteString(st.Success.Render("Payment "+words) + "\n\n")
	case shown == PaymentRejected && !s.terms.delegated():
		// The bank refused it, or the payer declined its approval: nothing left the account.
		b.WriteString(st.Error.Render("Rejected at your bank, nothing was paid") + "\n\n")
	case shown == PaymentRejected:
		b.WriteString(st.Error.Render("The bank rejected the payment") + "\n\n")
	case shown == PaymentPrepared:
		b.WriteString(st.Warning.Render("Payment queued — not sent") + "\n\n")
	case paymentFinal(shown):
		b.WriteString(st.Error.Render("Payment "+words) + "\n\n")
	default:
		b.WriteString(st.Warning.Render("Payment "+words+": the wallet keeps checking") + "\n\n")
	}
	var f strings.Builder
	fmt.Fprintf(&f, "Amount          %s\n", formatMoney(r.Amount, r.Currency))
	fmt.Fprintf(&f, "To              %s\n", r.Payee.Name)
	// The reference the payee sees on their statement: what the user quotes if asked.
	if p := s.prepared; p != nil && p.Reference != "" {
		fmt.Fprintf(&f, "Reference       %s\n", p.Reference)
	}
	// The bank the consent is at: with consents at several banks, the account that paid.
	fmt.Fprintf(&f, "From            %s\n", truncate(consentBank(s.consent), max(8, s.w-16)))
	fmt.Fprintf(&f, "Status          %s\n", statusWithCode(r.Status, r.BankStatus))
	if r.Reason != "" {
		reason := r.Reason
		if r.ReasonCode != "" && !strings.Contains(reason, r.ReasonCode) {
			reason += " [" + r.ReasonCode + "]"
		}
		fmt.Fprintf(&f, "Reason          %s\n", reason)
	}
	fmt.Fprintf(&f, "When            %s\n", zoned(r.At, s.c.loc))
	b.WriteString(wrapUnder(f.String(), s.w, 16) + "\n")
	// Ids on lines of their own, undecorated, so a terminal selection copies exactly the id.
	b.WriteString(st.Muted.Render("PaymentId") + "\n" + r.PaymentID + "\n")
	b.WriteString(st.Muted.Render("Interaction id (quote it to the bank)") + "\n" + r.InteractionID + "\n")
	if s.failure != "" {
		b.WriteString("\n" + st.Error.Render(s.failure) + "\n")
	}
	switch {
	case s.confirmCancel:
		b.WriteString("\n" + st.Warning.Render(cancelQuestion(s.receipt.Status)) + "\n")
	case s.cancelling:
		b.WriteString("\n" + st.Muted.Render("Cancelling…") + "\n")
	case s.cancelErr != "":
		b.WriteString("\n" + st.Error.Render(s.cancelErr) + "\n")
	}
	return b.String()
}
