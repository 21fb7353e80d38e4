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
	// pollGen numbers the checks for an answer that came while the choices were shown
	// (BankStepDone, each second); a check of an older generation is dropped.
	pollGen int
	result  *Consent
	err     string
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

// bankPollMsg asks BankStepDone once more; bankPolledMsg is its answer.
type (
	bankPollMsg   struct{ gen int }
	bankPolledMsg struct {
		gen  int
		c    Consent
		done bool
		err  error
	}
)

// bankPollEvery is how often the choices ask whether the bank's answer came meanwhile.
const bankPollEvery = time.Second

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

func (b *bankFlow) Init() tea.Cmd { return b.poll() }

// poll starts checking, each second while the choices are shown, whether a consent step's
// answer reached the wallet's listener meanwhile: an approval made at the address opened by
// hand, with no w, shows at once rather than after a new address had staged another consent.
// Not for a payment (the core follows it and says so) nor for an answer that is pasted back.
func (b *bankFlow) poll() tea.Cmd {
	if b.payment != nil || b.step.PasteBack {
		return nil
	}
	b.pollGen++
	gen := b.pollGen
	return tea.Tick(bankPollEvery, func(time.Time) tea.Msg { return bankPollMsg{gen: gen} })
}

func (b *bankFlow) SetSize(w, h int) { b.w, b.h = w, h }

func (b *bankFlow) Title() string { return b.title }

// Typing: the paste field takes every key; while the address stands alone the single-letter
// global keys (q, i, ?) would draw a whole screen under it, so they wait too.
func (b *bankFlow) Typing() bool { return b.mode == bankPaste || b.mode == bankStaging || b.alone }

func (b *bankFlow) Busy() bool { return false }

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
	// After a failure the step's outcome is known (enter asks for a new address); otherwise an
	// answer may have come since the last check.
	checkFirst := b.mode != bankFailed && !b.step.PasteBack
	b.stopWaiting()
	b.mode, b.err, b.noBrowser = bankStaging, "", false
	req, ctx, stage, w, old := b.req, b.c.ctx, b.stage, b.c.w, b.step
	return func() tea.Msg {
		// An answer that came meanwhile (approved at the address just before n) is the outcome:
		// staging another consent would leave this one authorised behind the user's back.
		if checkFirst {
			if c, done, err := w.BankStepDone(ctx, old); done {
				return bankResultMsg{req: req, c: c, err: err}
			}
		}
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
			return b, b.poll()
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
		cmds := []tea.Cmd{b.c.info("A new address from your bank is ready."), b.poll()}
		for _, k := range typed {
			cmds = append(cmds, b.onKey(k))
		}
		return b, tea.Batch(cmds...)
	case bankPollMsg:
		if msg.gen != b.pollGen || b.mode != bankChoose {
			return b, nil // a new check starts when the choices show again
		}
		ctx, w, step, gen := b.c.ctx, b.c.w, b.step, msg.gen
		return b, func() tea.Msg {
			c, done, err := w.BankStepDone(ctx, step)
			return bankPolledMsg{gen: gen, c: c, done: done, err: err}
		}
	case bankPolledMsg:
		if msg.gen != b.pollGen || b.mode != bankChoose {
			return b, nil
		}
		if !msg.done {
			gen := msg.gen
			return b, tea.Tick(bankPollEvery, func(time.Time) tea.Msg { return bankPollMsg{gen: gen} })
		}
		return b.Update(bankResultMsg{req: b.req, c: msg.c, err: msg.err})
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
			return tea.Batch(b.poll(), b.c.info("Stopped waiting. w waits again; if the bank's page says the address was used or has expired, n gets a new one."))
		}
	case bankPaste:
		switch msg.Type {
		case tea.KeyEsc:
			b.mode = bankChoose
			return b.poll()
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
