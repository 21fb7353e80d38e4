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
		id  string // the payment asked to be cancelled
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
		if s.receipt != nil && s.receipt.ID != "" && canCancel(s.receipt.Status, s.terms) {
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
					return paymentCancelledMsg{req: req, id: id, d: d, err: err}
				}
			}
			return nil
		}
		switch {
		case key.Matches(msg, keyCancelPay) && s.receipt != nil && s.receipt.ID != "" && canCancel(s.receipt.Status, s.terms) && !s.cancelling:
			s.confirmCancel, s.cancelErr = true, ""
		case key.Matches(msg, keyToHome):
			return s.c.replace(newHome(s.c, nil))
		case key.Matches(msg, keyRecheck) && s.receipt != nil && s.receipt.ID != "":
			return s.recheck()
		}
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
