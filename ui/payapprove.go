package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/payterm/payterm/internal/safetext"
)

// The bank's own approval step inside a payment (PaymentEvent.Action), drawn on the progress
// screen under the rows: the bank's page (the consent bank step's o/w/v/u and QR code, reused),
// its app (a live wait), or its questions typed here (password, method, one-time code,
// confirmation code). Answers go back with ContinuePayment; the next event says what the bank
// made of them. esc stops watching: the submission's context ends, the payment stays at the
// bank and the core keeps following it (the receipt says so).

var (
	keySendAnswer = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send to your bank"))
	keyJumpMethod = key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1–9", "jump to that method"))
)

// maxBankMessage bounds how much of the bank's own words is shown (BG texts are ≤ 500).
const maxBankMessage = 500

// approval is the pay screen's state of the bank's approval step.
type approval struct {
	action *BankAction
	since  time.Time // when the bank began waiting for this kind of answer
	gen    int       // counts the actions shown: a late answer to an earlier one is dropped
	flow   *bankFlow // ActionRedirect: the address, QR code and o/w/v/u
	secret *field    // ActionPassword: the bank's password (wiped once sent)
	code   *field    // ActionOTP, ActionConfirmation
	pick   int       // ActionMethod: the method under the cursor
	// answering: an answer is on its way; the next event says what the bank made of it.
	answering bool
	err       string // what went wrong with the last answer
	// ahead are keys typed while an answer was on its way: they go to the next question if it is
	// typed (a one-time code after the method), never to a choice the payer has not seen.
	ahead []tea.KeyMsg
}

// continuedMsg is ContinuePayment's result for the action of generation gen.
type continuedMsg struct {
	req, gen int
	err      error
}

func newApproval() approval {
	pw := newField("Password")
	pw.masked, pw.limit = true, 256
	return approval{secret: pw, code: newField("Code")}
}

// typedKind reports a question answered by typing.
func typedKind(k BankActionKind) bool {
	return k == ActionPassword || k == ActionOTP || k == ActionConfirmation
}

// onAction takes the bank's approval step from an event: a new question, the same one again
// (with what went wrong), or none (the core moved on: what was typed is wiped).
func (s *payScreen) onAction(ev PaymentEvent) tea.Cmd {
	a := &s.approval
	if ev.Action == nil {
		if a.action != nil || a.answering {
			a.secret.Wipe()
			a.code.Wipe()
			a.action, a.flow, a.answering, a.err, a.ahead = nil, nil, false, "", nil
		}
		return nil
	}
	act := *ev.Action
	a.gen++
	if a.action == nil || a.action.Kind != act.Kind {
		a.since = ev.At
		if a.since.IsZero() {
			a.since = s.c.now()
		}
		a.pick = 0
		a.flow = nil
	}
	// A question asked (again) starts from an empty field: a refused code is typed anew.
	a.secret.Wipe()
	a.code.Wipe()
	a.action, a.answering, a.err = &act, false, ""
	if ev.Err != nil {
		a.err = explain(ev.Err)
	}
	switch act.Kind {
	case ActionRedirect:
		switch {
		case a.flow == nil:
			a.flow = newPaymentBankFlow(s.c, act, consentBank(s.consent), a.since, s.sendCallback)
			a.flow.payment.bundle = s.againBundle
			a.flow.SetSize(s.w, s.h)
		case a.flow.step.URL != act.URL && a.flow.mode == bankChoose && !a.flow.alone:
			// The bank's page asked again (OP signs a fresh request object at every poll):
			// the newest address. A payer pasting the address back keeps what they typed; a
			// new flow here wiped it every poll.
			a.flow.step.URL = act.URL
		}
		if a.err != "" {
			a.flow.err, a.flow.mode = a.err, bankChoose
			a.err = ""
		}
	case ActionOTP, ActionConfirmation:
		ch := Challenge{}
		if act.Challenge != nil {
			ch = *act.Challenge
		}
		a.code.label, a.code.masked, a.code.accept, a.code.limit = "Code", ch.Masked, nil, ch.MaxLength
		if ch.Digits {
			a.code.accept = digitsOnly
		}
		if act.Kind == ActionConfirmation {
			// The code, or the whole address it came on: long enough for an address.
			a.code.label, a.code.accept, a.code.limit = "Confirmation", nil, 4096
		}
	}
	return s.replayAhead()
}

// replayAhead applies the keys typed while an answer was on its way to the question now shown,
// when it is typed; before a choice they are dropped, and the footer says so.
func (s *payScreen) replayAhead() tea.Cmd {
	a := &s.approval
	typed := a.ahead
	a.ahead = nil
	if len(typed) == 0 || a.action == nil {
		return nil
	}
	if !typedKind(a.action.Kind) {
		return s.c.info("The keys typed before " + consentBank(s.consent) + "'s next question were not used.")
	}
	cmds := make([]tea.Cmd, 0, len(typed))
	for _, k := range typed {
		cmds = append(cmds, s.approvalKey(k))
	}
	return tea.Batch(cmds...)
}

// onContinued is ContinuePayment's answer: nothing to do when the core took it (the next event
// follows); its refusal is shown with the question, which still stands.
func (s *payScreen) onContinued(msg continuedMsg) tea.Cmd {
	a := &s.approval
	if msg.gen != a.gen || msg.err == nil || a.action == nil {
		return nil
	}
	a.answering = false
	e := explain(msg.err)
	if a.action.Kind == ActionRedirect && a.flow != nil {
		a.flow.err, a.flow.mode = e, bankChoose
	} else {
		a.err = e
	}
	return s.replayAhead()
}

// send hands an answer to the core, on the submission's context (esc ends both).
func (s *payScreen) send(in BankInput) tea.Cmd {
	a := &s.approval
	a.answering, a.err = true, ""
	req, gen, ctx, w, id := s.req, a.gen, s.runCtx, s.c.w, s.prepared.ID
	return func() tea.Msg { return continuedMsg{req: req, gen: gen, err: w.ContinuePayment(ctx, id, in)} }
}

// sendCallback sends the address the browser landed on after the bank's page (v).
func (s *payScreen) sendCallback(u string) tea.Cmd {
	return s.send(BankInput{Kind: ActionRedirect, Secret: NewSecret(u)})
}

// stopWatching leaves the bank's approval: the submission's context ends; the core keeps the
// payment at the bank and follows it, and its final event brings the receipt.
func (s *payScreen) stopWatching() tea.Cmd {
	a := &s.approval
	s.stopped = true
	a.secret.Wipe()
	a.code.Wipe()
	a.ahead = nil
	var leave tea.Cmd
	if a.flow != nil {
		a.flow.stopWaiting()
		leave = a.flow.leaveAlone()
	}
	if s.cancelRun != nil {
		s.cancelRun()
	}
	return leave
}

// approvalTyping: the question takes every key (a password may hold q or ?), and so do keys
// typed while an answer is on its way.
func (s *payScreen) approvalTyping() bool {
	a := s.approval
	switch {
	case s.stopped:
		return false
	case a.answering:
		return true
	case a.action == nil:
		return false
	case a.action.Kind == ActionRedirect:
		return a.flow != nil && a.flow.Typing()
	}
	return typedKind(a.action.Kind)
}

// approvalKeys are the footer keys of the bank's step; nil when there is none.
func (s *payScreen) approvalKeys() []key.Binding {
	a := s.approval
	switch {
	case s.stopped || (a.action == nil && !a.answering):
		return nil
	case a.answering:
		return []key.Binding{keyStopWatch}
	}
	switch a.action.Kind {
	case ActionRedirect:
		if a.flow != nil {
			return a.flow.ShortHelp()
		}
	case ActionMethod:
		return []key.Binding{keyUp, keyDown, keyJumpMethod, keySendAnswer, keyStopWatch}
	case ActionPassword, ActionOTP, ActionConfirmation:
		return []key.Binding{keySendAnswer, keyClear, keyStopWatch}
	}
	return []key.Binding{keyStopWatch, keyInspector}
}

// approvalKey handles a key while the bank waits for the payer.
func (s *payScreen) approvalKey(msg tea.KeyMsg) tea.Cmd {
	a := &s.approval
	if s.stopped {
		return nil
	}
	if a.answering {
		if key.Matches(msg, keyStopWatch) {
			return s.stopWatching()
		}
		if len(a.ahead) < maxQueuedKeys {
			a.ahead = append(a.ahead, msg)
		}
		return nil
	}
	if a.action == nil {
		return nil
	}
	switch a.action.Kind {
	case ActionRedirect:
		f := a.flow
		if f == nil {
			return nil
		}
		if !f.alone && f.mode != bankPaste && key.Matches(msg, keyStopWatch) {
			return s.stopWatching()
		}
		return f.onKey(msg)
	case ActionMethod:
		ms := a.action.Methods
		if next, moved := movePick(msg, keyJumpMethod, a.pick, len(ms)); moved {
			a.pick = next
			return nil
		}
		switch {
		case key.Matches(msg, keyStopWatch):
			return s.stopWatching()
		case key.Matches(msg, keySendAnswer) && len(ms) > 0:
			return s.send(BankInput{Kind: ActionMethod, MethodID: ms[min(a.pick, len(ms)-1)].ID})
		}
	case ActionPassword, ActionOTP, ActionConfirmation:
		f := a.code
		if a.action.Kind == ActionPassword {
			f = a.secret
		}
		switch {
		case key.Matches(msg, keyStopWatch):
			return s.stopWatching()
		case msg.Type == tea.KeyEnter:
			if strings.TrimSpace(f.Value()) == "" {
				a.err = s.emptyAnswer()
				return nil
			}
			in := BankInput{Kind: a.action.Kind, Secret: NewSecret(f.Value())}
			f.Wipe() // the only copy left is the one on its way to the bank
			return s.send(in)
		default:
			f.Update(msg)
		}
	default:
		if key.Matches(msg, keyStopWatch) {
			return s.stopWatching()
		}
	}
	return nil
}

// emptyAnswer is the sentence for enter on an empty field.
func (s *payScreen) emptyAnswer() string {
	bank := consentBank(s.consent)
	switch s.approval.action.Kind {
	case ActionPassword:
		return "Type the password of your online banking at " + bank + ", then press enter."
	case ActionConfirmation:
		return "Type the confirmation code " + bank + " showed you, or paste the address it came on, then press enter."
	}
	return "Type the code " + bank + " sent you, then press enter."
}

// bankSays is the bank's own words, quoted and marked as the bank's (already cleaned; cut).
func bankSays(bank, msg string) string {
	return bank + " says: “" + safetext.Short(strings.TrimSpace(msg), maxBankMessage) + "”"
}

// approvalView is the bank's step under the progress rows.
func (s *payScreen) approvalView() string {
	st := s.c.st
	a := s.approval
	bank := consentBank(s.consent)
	now := s.c.now()
	if s.stopped {
		return st.Warning.Render("Stopping: the payment waits for your approval at " + bank + "; payterm keeps checking it.")
	}
	if a.answering {
		if st.accessible {
			return "Sending your answer to " + bank + "."
		}
		return spinnerFrame(st, now) + " " + st.Accent.Render("Sending your answer to "+bank+"…")
	}
	act := a.action
	if act == nil {
		return ""
	}
	var b strings.Builder
	says := func() {
		if m := strings.TrimSpace(act.Message); m != "" {
			b.WriteString(st.Muted.Render(bankSays(bank, m)) + "\n")
		}
	}
	switch act.Kind {
	case ActionRedirect:
		if a.flow != nil {
			return a.flow.View()
		}
	case ActionDecoupled:
		b.WriteString("Approve the payment in " + bank + "'s app.\n")
		says()
		b.WriteString("\n")
		if st.accessible {
			b.WriteString("Waiting for your approval. Press esc to stop watching; the payment waits at your bank.")
		} else {
			b.WriteString(spinnerFrame(st, now) + " " + st.Accent.Render("Waiting for your approval") + " · " + elapsed(now.Sub(a.since)) +
				st.Muted.Render(" (esc stops watching; the payment waits at your bank)"))
		}
	case ActionPassword:
		b.WriteString(bank + " asks for your online banking password to approve this payment.\n")
		says()
		b.WriteString(st.Muted.Render("You type your bank's password into payterm: it goes once to "+bank+
			", is never stored or logged, and is cleared from payterm's memory once sent.") + "\n\n")
		b.WriteString(a.secret.View(st, true, displayWidth(a.secret.label)))
	case ActionMethod:
		b.WriteString(bank + " asks how you want to approve this payment:\n")
		says()
		b.WriteString("\n")
		numW := len(fmt.Sprint(len(act.Methods)))
		for i, m := range act.Methods {
			row := fmt.Sprintf("%*d. %s", numW, i+1, plainName(m.Label))
			switch {
			case i != a.pick:
				b.WriteString("  " + row + "\n")
			case st.accessible:
				b.WriteString("> " + row + " (selected)\n")
			default:
				b.WriteString(st.Selected.Render("> "+row) + "\n")
			}
		}
		if len(act.Methods) == 0 {
			b.WriteString(st.Muted.Render("  The bank offered no method: esc stops watching.") + "\n")
		}
	case ActionOTP, ActionConfirmation:
		ch := Challenge{}
		if act.Challenge != nil {
			ch = *act.Challenge
		}
		switch {
		case act.Kind == ActionConfirmation:
			b.WriteString("Type the confirmation code " + bank + " showed you after approving, or paste the address your browser landed on.\n")
		case strings.TrimSpace(ch.Text) != "":
			b.WriteString("Type the code " + bank + " sent you.\n" + st.Muted.Render(bankSays(bank, ch.Text)) + "\n")
		default:
			b.WriteString("Type the one-time code " + bank + " sent you.\n")
		}
		says()
		b.WriteString("\n" + a.code.View(st, true, displayWidth(a.code.label)))
		if ch.AttemptsLeft > 0 {
			b.WriteString("\n" + st.Muted.Render(count(ch.AttemptsLeft, "attempt", "attempts")+" left"))
		}
	}
	if a.err != "" {
		b.WriteString("\n\n" + st.Error.Render(a.err))
	}
	return strings.TrimRight(b.String(), "\n")
}
