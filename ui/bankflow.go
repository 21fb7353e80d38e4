package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

type bankMode int

const (
	bankChoose bankMode = iota
	bankWaiting
	bankPaste
	bankStaging // a fresh consent request (PAR) is being made
	bankDone
	bankFailed
)

var (
	keyOpen      = key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open in browser"))
	keyWait      = key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "I opened it myself: wait"))
	keyPasteIn   = key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "paste the address you land on"))
	keyCancel    = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	keyShowURL   = key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "the address alone, to copy"))
	keyFreshURL  = key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new address"))
	keyRetryBank = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "try again with a new address"))
	keyBankBack  = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))
	keyCopy      = key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy to the clipboard"))
	keyAloneBack = key.NewBinding(key.WithKeys("esc", "enter", "u"), key.WithHelp("esc", "back"))
	// keyStopWatch leaves a payment's bank approval: the payment stays at the bank, tracked.
	keyStopWatch = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "stop watching (the payment waits at your bank)"))
	// keyStopWatchAll is keyStopWatch for a bundle: every payment of it stays at the bank.
	keyStopWatchAll = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "stop watching (the payments wait at your bank)"))
	// keyStopLogin leaves the bank's login before the payment was sent (the same key).
	keyStopLogin = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "stop (the payment is not sent)"))
)

// bankFlow is the step at the bank, shared by onboarding, renewal and a payment's approval at
// its bank: show the URL (+ QR where another device can use it), let the user open a browser,
// wait live for the callback (cancellable), or paste the callback back. An address is used once
// by the bank: every retry of a consent, and n, stages a fresh consent request (stage) rather
// than showing a spent address again. For a payment (payment set) the pay screen owns the
// outcome: see bankPayment.
type bankFlow struct {
	c     *common
	w, h  int
	title string
	step  BankStep
	// stage makes a fresh consent request at the bank (BeginBankStep, or RenewConsent for a
	// renewal) for a new address.
	stage  func(ctx context.Context) (BankStep, error)
	mode   bankMode
	paste  *field
	req    int
	cancel context.CancelFunc
	result *Consent
	err    string
	// alone: the address was printed on the terminal's normal screen as one line (u), and the
	// view is a few lines under it (Inline).
	alone  bool
	copied bool // c sent the address to the clipboard while alone
	// noBrowser: o could not open a browser here; the choices say what else works.
	noBrowser bool
	// queued holds keys typed while a new address is on its way; they apply to it.
	queued []tea.KeyMsg
	// embedded is true inside onboarding, which owns what happens after the result.
	embedded bool
	// bankName names the bank to approve at when the wallet has several ("" = "your bank").
	bankName string
	// payment is set when the step approves one payment rather than a consent.
	payment *bankPayment
	// extraRows are the rows the host draws above this step (the payment's progress), counted
	// when deciding whether the QR code fits.
	extraRows int
}

// bankPayment makes a bank step approve one payment (PaymentEvent.Action of kind
// ActionRedirect): the core follows the bank itself — it polls, or its loopback listener takes
// the callback — so waiting starts no call of its own and only says so, live; an address pasted
// goes to ContinuePayment; there is no new address to ask for (n), and esc is the pay screen's
// (stop watching).
type bankPayment struct {
	send   func(callback string) tea.Cmd // ContinuePayment with the address pasted (v)
	polled bool                          // the core learns the outcome by polling: nothing to paste
	since  time.Time                     // when the bank began waiting, for the live elapsed time
	login  bool                          // the bank's login before the payment is sent (BankAction.Login)
	// bundle is the number of payments approved together (the Bundle screen); 0 for one
	// payment. The bank's page approves them all, so the step names them all.
	bundle int
}

// what names what the payer approves: "the payment", or "the 3 payments" of a bundle.
func (p *bankPayment) what() string {
	if p.bundle > 1 {
		return fmt.Sprintf("the %d payments", p.bundle)
	}
	return "the payment"
}

// waits says where what is approved stays when the payer stops watching.
func (p *bankPayment) waits() string {
	if p.bundle > 1 {
		return "the payments wait at your bank"
	}
	return "the payment waits at your bank"
}

// newPaymentBankFlow is the bank step of a payment's approval at bankName.
func newPaymentBankFlow(c *common, a BankAction, bankName string, since time.Time, send func(string) tea.Cmd) *bankFlow {
	step := BankStep{URL: a.URL, ExpiresAt: a.ExpiresAt, PasteBack: a.NeedsCallback && !a.CallbackHere,
		CallbackHere: a.NeedsCallback && a.CallbackHere}
	b := newBankFlow(c, step, "", nil)
	b.embedded, b.bankName = true, bankName
	b.payment = &bankPayment{send: send, polled: !a.NeedsCallback, since: since, login: a.Login}
	return b
}

// pastes reports whether v (paste the address landed on) is offered: not for a payment the
// core follows by polling.
func (b *bankFlow) pastes() bool { return b.payment == nil || !b.payment.polled }

type bankResultMsg struct {
	req int
	c   Consent
	err error
}

type openedMsg struct {
	req int
	err error
}

// stagedMsg is a fresh consent request's new address.
type stagedMsg struct {
	req  int
	step BankStep
	err  error
}

func newBankFlow(c *common, step BankStep, title string, stage func(ctx context.Context) (BankStep, error)) *bankFlow {
	p := newField("Callback URL")
	p.limit = 4096
	return &bankFlow{c: c, step: step, title: title, paste: p, stage: stage}
}

func (b *bankFlow) Init() tea.Cmd    { return nil }
func (b *bankFlow) SetSize(w, h int) { b.w, b.h = w, h }
func (b *bankFlow) Title() string    { return b.title }

// Typing: the paste field takes every key; while the address stands alone the single-letter
// global keys (q, i, ?) would draw a whole screen under it, so they wait too.
func (b *bankFlow) Typing() bool { return b.mode == bankPaste || b.mode == bankStaging || b.alone }
func (b *bankFlow) Busy() bool   { return false }

// Inline asks the router to draw only this screen's view, without header and footer, on the
// normal screen under the address printed there (u).
func (b *bankFlow) Inline() bool { return b.alone }

// keysFor lists the keys of mode; ShortHelp and the QR's room (the tallest footer) use it.
func (b *bankFlow) keysFor(mode bankMode) []key.Binding {
	// A payment's approval has no new address to ask for, and esc stops watching it.
	tail := []key.Binding{keyShowURL, keyFreshURL, keyCancel}
	if b.payment != nil {
		tail = []key.Binding{keyShowURL, keyStopWatch}
		if b.payment.bundle > 1 {
			tail = []key.Binding{keyShowURL, keyStopWatchAll}
		}
		if b.payment.login {
			tail = []key.Binding{keyShowURL, keyStopLogin}
		}
	}
	var paste []key.Binding
	if b.pastes() {
		paste = []key.Binding{keyPasteIn}
	}
	switch mode {
	case bankChoose:
		var ks []key.Binding
		if b.c.openURL != nil {
			ks = append(ks, keyOpen)
		}
		if !b.step.PasteBack {
			ks = append(ks, keyWait)
		}
		return append(append(ks, paste...), tail...)
	case bankWaiting:
		return append(paste, tail...)
	case bankPaste:
		return []key.Binding{keySubmit, keyCancel}
	case bankStaging:
		return nil
	case bankFailed:
		return []key.Binding{keyRetryBank, keyBankBack}
	default:
		return []key.Binding{keySubmit}
	}
}

func (b *bankFlow) ShortHelp() []key.Binding {
	if b.alone {
		return []key.Binding{keyCopy, keyAloneBack}
	}
	return b.keysFor(b.mode)
}

func (b *bankFlow) FullHelp() [][]key.Binding { return [][]key.Binding{b.ShortHelp()} }

func (b *bankFlow) await() tea.Cmd {
	if b.payment != nil {
		// The core is following the bank already: waiting is only saying so, live.
		b.mode = bankWaiting
		b.req = b.c.nextReq()
		return nil
	}
	if b.cancel != nil {
		b.cancel()
	}
	ctx, cancel := context.WithCancel(b.c.ctx)
	b.cancel = cancel
	b.mode = bankWaiting
	b.req = b.c.nextReq()
	req, w, step := b.req, b.c.w, b.step
	return func() tea.Msg {
		c, err := w.AwaitBankCallback(ctx, step)
		return bankResultMsg{req: req, c: c, err: err}
	}
}

func (b *bankFlow) stopWaiting() {
	if b.cancel != nil {
		b.cancel()
		b.cancel = nil
	}
	b.req = b.c.nextReq() // a late result of the cancelled wait is now stale
}

// restage asks the bank for a fresh consent request: the address shown so far is spent (used,
// declined, expired, or opened by something else) and is never offered again.
func (b *bankFlow) restage() tea.Cmd {
	b.stopWaiting()
	b.mode, b.err, b.noBrowser = bankStaging, "", false
	req, ctx, stage := b.req, b.c.ctx, b.stage
	return func() tea.Msg {
		st, err := stage(ctx)
		return stagedMsg{req: req, step: st, err: err}
	}
}

func (b *bankFlow) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case openedMsg:
		if msg.req != b.req || msg.err == nil {
			return b, nil
		}
		// Nothing will reach the bank's page from here: stop promising it.
		b.noBrowser = true
		if b.mode == bankWaiting {
			b.stopWaiting()
			b.mode = bankChoose
		}
	case stagedMsg:
		if msg.req != b.req {
			return b, nil
		}
		typed := b.queued
		b.queued = nil
		if msg.err != nil {
			b.mode, b.err = bankFailed, explain(msg.err)
			return b, nil // keys typed for an address that did not come are dropped
		}
		b.step, b.mode, b.err = msg.step, bankChoose, ""
		cmds := []tea.Cmd{b.c.info("A new address from your bank is ready.")}
		for _, k := range typed {
			cmds = append(cmds, b.onKey(k))
		}
		return b, tea.Batch(cmds...)
	case bankResultMsg:
		if msg.req != b.req {
			return b, nil
		}
		b.stopWaiting()
		leave := b.leaveAlone()
		if msg.err != nil {
			b.mode = bankFailed
			b.err = explain(msg.err)
			return b, leave
		}
		c := msg.c
		b.result = &c
		b.mode = bankDone
		b.err = ""
		return b, leave
	case tea.KeyMsg:
		return b, b.onKey(msg)
	}
	return b, nil
}

// showAlone prints the address as one line on the terminal's normal screen, where the terminal
// wraps it and a selection copies it whole. Bubble Tea's renderer cuts every line of a view at
// the terminal's width, so the address cannot stand unbroken inside the view: it leaves the
// alternate screen and prints the line above its (now small) view.
func (b *bankFlow) showAlone() tea.Cmd {
	b.alone, b.copied = true, false
	line := addressLine(b.step.URL, b.c.hyperlinks)
	print := tea.Println("The address of your bank's page, on one line:\n" + line)
	if !b.c.altScreen {
		return print
	}
	return tea.Sequence(tea.ExitAltScreen, print)
}

// leaveAlone ends the address-alone view and goes back to the alternate screen.
func (b *bankFlow) leaveAlone() tea.Cmd {
	if !b.alone {
		return nil
	}
	b.alone = false
	if !b.c.altScreen {
		return nil
	}
	return tea.EnterAltScreen
}

func (b *bankFlow) onKey(msg tea.KeyMsg) tea.Cmd {
	if b.alone {
		switch {
		case key.Matches(msg, keyCopy):
			// Only ever on this key: the terminal's clipboard is the user's.
			b.copied = true
			return tea.Println(copySequence(b.step.URL) + "Sent the address to your terminal's clipboard.")
		case key.Matches(msg, keyAloneBack):
			return b.leaveAlone()
		}
		return nil
	}
	if (b.mode == bankChoose || b.mode == bankWaiting) && key.Matches(msg, keyShowURL) {
		return b.showAlone()
	}
	if (b.mode == bankChoose || b.mode == bankWaiting) && key.Matches(msg, keyFreshURL) && b.stage != nil {
		return b.restage()
	}
	switch b.mode {
	case bankStaging:
		if len(b.queued) < maxQueuedKeys {
			b.queued = append(b.queued, msg)
		}
	case bankChoose:
		switch {
		case key.Matches(msg, keyOpen) && b.c.openURL != nil:
			b.noBrowser = false
			var cmd tea.Cmd
			if b.step.PasteBack {
				// Nothing to wait for: the address the browser lands on is pasted here.
				b.mode = bankPaste
				b.req = b.c.nextReq()
			} else {
				cmd = b.await()
			}
			open, url, req := b.c.openURL, b.step.URL, b.req
			return tea.Batch(cmd, func() tea.Msg { return openedMsg{req: req, err: open(url)} })
		case key.Matches(msg, keyWait) && !b.step.PasteBack:
			return b.await()
		case key.Matches(msg, keyPasteIn) && b.pastes():
			b.mode = bankPaste
		case key.Matches(msg, keyCancel):
			if !b.embedded {
				return b.c.back()
			}
		}
	case bankWaiting:
		switch {
		case key.Matches(msg, keyPasteIn) && b.pastes():
			b.stopWaiting()
			b.mode = bankPaste
		case key.Matches(msg, keyCancel):
			b.stopWaiting()
			b.mode = bankChoose
			return b.c.info("Stopped waiting. w waits again; if the bank's page says the address was used or has expired, n gets a new one.")
		}
	case bankPaste:
		switch msg.Type {
		case tea.KeyEsc:
			b.mode = bankChoose
		case tea.KeyEnter:
			u := strings.TrimSpace(b.paste.Value())
			if u == "" {
				b.err = "Paste the address your browser shows after approving at the bank."
				return nil
			}
			b.paste.Wipe()
			b.mode = bankWaiting
			b.req = b.c.nextReq()
			if b.payment != nil {
				b.err = ""
				return b.payment.send(u)
			}
			req, ctx, w, step := b.req, b.c.ctx, b.c.w, b.step
			return func() tea.Msg {
				c, err := w.CompleteBankStep(ctx, step, u)
				return bankResultMsg{req: req, c: c, err: err}
			}
		default:
			b.paste.Update(msg)
		}
	case bankFailed:
		switch {
		case key.Matches(msg, keyRetryBank):
			return b.restage()
		case key.Matches(msg, keyBankBack) && !b.embedded:
			return b.c.back()
		}
	case bankDone:
		if !b.embedded && (msg.Type == tea.KeyEnter || msg.Type == tea.KeyEsc) {
			return b.c.replace(newHome(b.c, nil))
		}
	}
	return nil
}

func (b *bankFlow) View() string {
	st := b.c.st
	var s strings.Builder
	if b.alone {
		return b.aloneView()
	}
	switch b.mode {
	case bankDone:
		if r := b.result; r != nil {
			s.WriteString(st.Success.Render("Your bank authorised the consent.") + "\n\n")
			s.WriteString(consentBank(*r) + " · " + statusLabel(*r) + " · " + consentProduct(*r) + " · expires " + day(r.Expires, b.c.loc) + "\n")
		}
		s.WriteString("\nPress enter to continue.")
		return s.String()
	case bankFailed:
		s.WriteString(st.Error.Render("The bank step did not complete.") + "\n" + b.err + "\n\n")
		s.WriteString("Press enter to try again: payterm asks your bank for a new address, since the bank accepts each one once.")
		return s.String()
	case bankStaging:
		return st.Muted.Render("Asking your bank for a new address…")
	}
	top := b.topLines(b.w)
	lower := b.lowerLines(b.mode)
	q := b.placeQR()
	s.WriteString(strings.Join(top, "\n") + "\n\n")
	switch {
	case q.Shown():
		// The caption stands right above the choices: a blank line more would cost the row
		// that lets the code show at 100×46 with a bank's usual address.
		s.WriteString(q.block + "\n" + st.Muted.Render(b.qrCaption()) + "\n")
	case q.note != "":
		s.WriteString(st.Muted.Render(q.note) + "\n\n")
	}
	s.WriteString(strings.Join(lower, "\n"))
	return s.String()
}

// topLines is everything above the QR code: what to do, the address wrapped hard at the edge
// (the lines joined are the address, nothing added), and when it stops working.
func (b *bankFlow) topLines(w int) []string {
	st := b.c.st
	at := "your bank"
	if n := plainName(b.bankName); n != "" {
		at = n
	}
	if b.payment != nil {
		lines := []string{"Approve " + b.payment.what() + " at " + at + ". Open this address in a browser:"}
		if b.payment.login {
			lines = []string{"Log in at " + at + " first: your bank has not got " + b.payment.what() + " yet. Open this address in a browser:"}
		}
		if e := b.step.ExpiresAt; !e.IsZero() {
			if b.c.now().Before(e) {
				lines = append(lines, st.Muted.Render(fmt.Sprintf("The bank accepts it until %s UTC.", e.UTC().Format("15:04:05"))))
			} else {
				nobody := "a payment nobody approved"
				if b.payment.bundle > 1 {
					nobody = "payments nobody approved"
				}
				lines = append(lines, st.Warning.Render("This address has expired: the bank rejects "+nobody+". esc stops watching."))
			}
		}
		return append(append(lines, ""), hardWrap(b.step.URL, w)...)
	}
	lines := []string{"Approve the consent at " + at + ". Open this address in a browser:"}
	if e := b.step.ExpiresAt; !e.IsZero() {
		if b.c.now().Before(e) {
			lines = append(lines, st.Muted.Render(fmt.Sprintf("The bank accepts it once, until %s; n gets a new one.", e.In(b.c.loc).Format("15:04:05"))))
		} else {
			lines = append(lines, st.Warning.Render("This address has expired: press n for a new one."))
		}
	}
	lines = append(lines, "")
	return append(lines, hardWrap(b.step.URL, w)...)
}

// lowerLines is everything under the QR code in mode: the choices, the wait, the paste field,
// and an error.
func (b *bankFlow) lowerLines(mode bankMode) []string {
	st := b.c.st
	var l []string
	done := "approving"
	if b.payment != nil && b.payment.login {
		done = "logging in"
	}
	if b.step.PasteBack && mode != bankPaste {
		l = append(l, "After "+done+", your browser goes to a page payterm does not receive here: copy the address it shows and paste it (v).", "")
	}
	if b.noBrowser && mode != bankWaiting {
		l = append(l, st.Warning.Render("No browser could be opened on this computer. Open the address on any browser yourself:"))
	}
	switch mode {
	case bankChoose:
		if b.c.openURL != nil && !b.noBrowser {
			l = append(l, "  o  open it in your browser and wait here")
		}
		if !b.step.PasteBack {
			l = append(l, "  w  wait here while you open it yourself")
		}
		if b.pastes() {
			l = append(l, "  v  paste the address you land on after "+done)
		}
		l = append(l, "  u  show the address alone, to select or copy it (c there copies it)")
		if b.stage != nil {
			l = append(l, "  n  get a new address (the bank's page says this one was used or has expired)")
		}
		if b.c.openURL != nil && b.noBrowser {
			l = append(l, "  o  try the browser again")
		}
	case bankWaiting:
		switch {
		case b.payment != nil:
			l = append(l, b.paymentWaitLine())
		case st.accessible:
			l = append(l, "Waiting for your bank. Press esc to stop waiting.")
		default:
			l = append(l, st.Accent.Render("Waiting for your bank…")+st.Muted.Render(" (esc to stop, v to paste instead, n for a new address)"))
		}
	case bankPaste:
		l = append(l, b.paste.View(st, true, 13))
	}
	if b.err != "" {
		l = append(l, "", st.Error.Render(b.err))
	}
	return l
}

// paymentWaitLine is the wait for a payment's approval: a spinner and the time since the bank
// began waiting, both from the injected clock (the pay screen redraws every 100 ms), so the
// screen never looks hung while the core polls the bank.
func (b *bankFlow) paymentWaitLine() string {
	st := b.c.st
	at := "your bank"
	if n := plainName(b.bankName); n != "" {
		at = n
	}
	if b.payment.login {
		if st.accessible {
			return "Waiting for your login at " + at + ". Press esc to stop; the payment is not sent."
		}
		now := b.c.now()
		return spinnerFrame(st, now) + " " + st.Accent.Render("Waiting for your login at "+at) + " · " + elapsed(now.Sub(b.payment.since)) +
			st.Muted.Render(" (v to paste the address instead; esc stops, nothing is sent)")
	}
	if st.accessible {
		return "Waiting for your approval at " + at + ". Press esc to stop watching; " + b.payment.waits() + "."
	}
	now := b.c.now()
	line := spinnerFrame(st, now) + " " + st.Accent.Render("Waiting for your approval at "+at) + " · " + elapsed(now.Sub(b.payment.since))
	hint := " (esc stops watching; " + b.payment.waits() + ")"
	if b.pastes() {
		hint = " (v to paste the address instead; esc stops watching)"
	}
	return line + st.Muted.Render(hint)
}

// aloneView is what stands under the address printed on the normal screen (u).
func (b *bankFlow) aloneView() string {
	st := b.c.st
	var s strings.Builder
	s.WriteString(st.Muted.Render("That is the whole address, above: select it to copy it"))
	if b.c.hyperlinks {
		s.WriteString(st.Muted.Render(", or click it to open it"))
	}
	s.WriteString(st.Muted.Render(".") + "\n")
	if b.copied {
		s.WriteString(st.Muted.Render("If your terminal does not let programs set the clipboard, nothing was copied: select it instead.") + "\n")
	}
	s.WriteString(st.Key.Render("c") + " copy it to the clipboard · " + st.Key.Render("esc") + " back")
	return s.String()
}

// placeQR decides about the QR code. It is offered only when a device other than this computer
// can open the address (qrElsewhere), and drawn only when the terminal holds the screen with it
// in every mode of the step: the room is measured for the tallest footer and the tallest lower
// part of choose and wait, so it neither flickers in and out as the step changes mode nor
// asks for a size that would not show it.
func (b *bankFlow) placeQR() qrFit {
	st := b.c.st
	if st.accessible || b.step.URL == "" {
		return qrFit{}
	}
	if ok, why := qrElsewhere(b.step.URL); !ok {
		return qrFit{note: why}
	}
	block := qrBlock(st, b.step.URL)
	if block == "" {
		return qrFit{}
	}
	lines := strings.Split(block, "\n")
	qw, qh := displayWidth(lines[0]), len(lines)
	tw, th := b.c.termW, b.c.termH
	need := b.rowsWithQR(qh, tw)
	if qw <= tw && need <= th {
		return qrFit{block: block, code: block, qw: qw, qh: qh}
	}
	needW := max(tw, qw)
	if needW > tw {
		need = b.rowsWithQR(qh, needW)
	}
	return qrFit{code: block, qw: qw, qh: qh, needW: needW, needH: need,
		note: fmt.Sprintf("The QR code (for another device) needs a terminal of at least %d×%d; this one is %d×%d.", needW, need, tw, th)}
}

// qrCaption is the sentence under the QR code: what it is for and, when the bank sends the
// browser back to this computer, what a phone cannot do.
func (b *bankFlow) qrCaption() string {
	if b.payment != nil && b.payment.polled {
		return "On a phone: scan the QR code and approve there; payterm sees your bank's answer."
	}
	if b.step.CallbackHere {
		// The bank sends the phone's browser back to this computer, which it cannot reach.
		return "On a phone: scan the QR code, approve, then paste here (v) the address the phone shows."
	}
	return "On a phone: scan the QR code to open the address there."
}

// rowsWithQR is the terminal height the step needs at width tw with a QR code of qh rows: the
// header, the footer and the body, each the tallest of the choose and wait modes.
func (b *bankFlow) rowsWithQR(qh, tw int) int {
	footer := 1 // the status line
	lower := 0
	for _, m := range []bankMode{bankChoose, bankWaiting} {
		parts := []string{}
		for _, k := range b.keysFor(m) {
			parts = append(parts, k.Help().Key+" "+k.Help().Desc)
		}
		parts = append(parts, "? help")
		footer = max(footer, 1+min(maxKeyLines, len(joinWrapped(parts, " · ", tw))))
		lower = max(lower, wrappedRows(b.lowerLines(m), tw))
	}
	body := wrappedRows(b.topLines(tw), tw) + 1 + qh + wrappedRows([]string{b.qrCaption()}, tw) + lower
	return headerHeight + b.extraRows + body + footer
}

// wrappedRows counts the rows lines take once the router wraps them to width w.
func wrappedRows(lines []string, w int) int {
	n := 0
	for _, l := range lines {
		n += strings.Count(wrapLines(l, w), "\n") + 1
	}
	return n
}
