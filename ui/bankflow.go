package ui

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

type bankMode int

const (
	bankChoose bankMode = iota
	bankWaiting
	bankPaste
	bankDone
	bankFailed
)

var (
	keyOpen      = key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open in browser"))
	keyWait      = key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "I opened it myself: wait"))
	keyPasteIn   = key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "paste the callback URL"))
	keyCancel    = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	keyShowURL   = key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "show the address alone, to copy it"))
	keyRetryBank = key.NewBinding(key.WithKeys("enter", "esc"), key.WithHelp("enter/esc", "try again"))
	keyAnyBack   = key.NewBinding(key.WithKeys("esc", "enter", "u"), key.WithHelp("esc", "back"))
)

// bankFlow is the step at the bank, shared by onboarding and renewal: show the URL (+ QR), let
// the user open a browser, wait live for the callback (cancellable), or paste the callback back.
type bankFlow struct {
	c      *common
	w, h   int
	title  string
	step   BankStep
	mode   bankMode
	paste  *field
	req    int
	cancel context.CancelFunc
	result *Consent
	err    string
	// alone shows nothing but the address, so it can be selected and copied in one piece.
	alone bool
	// embedded is true inside onboarding, which owns what happens after the result.
	embedded bool
	// bankName names the bank to approve at when the wallet has several ("" = "your bank").
	bankName string
}

type bankResultMsg struct {
	req int
	c   Consent
	err error
}

type openedMsg struct {
	req int
	err error
}

func newBankFlow(c *common, step BankStep, title string) *bankFlow {
	p := newField("Callback URL")
	p.limit = 4096
	return &bankFlow{c: c, step: step, title: title, paste: p}
}

func (b *bankFlow) Init() tea.Cmd    { return nil }
func (b *bankFlow) SetSize(w, h int) { b.w, b.h = w, h }
func (b *bankFlow) Title() string    { return b.title }
func (b *bankFlow) Typing() bool     { return b.mode == bankPaste }
func (b *bankFlow) Busy() bool       { return false }

// Fullscreen asks the router to draw the screen without header and footer (the address alone).
func (b *bankFlow) Fullscreen() bool { return b.alone }

func (b *bankFlow) ShortHelp() []key.Binding {
	if b.alone {
		return []key.Binding{keyAnyBack}
	}
	switch b.mode {
	case bankChoose:
		ks := []key.Binding{}
		if b.c.openURL != nil {
			ks = append(ks, keyOpen)
		}
		return append(ks, keyWait, keyPasteIn, keyShowURL, keyCancel)
	case bankWaiting:
		return []key.Binding{keyPasteIn, keyShowURL, keyCancel}
	case bankPaste:
		return []key.Binding{keySubmit, keyCancel}
	case bankFailed:
		return []key.Binding{keyRetryBank}
	default:
		return []key.Binding{keyToHome}
	}
}

func (b *bankFlow) FullHelp() [][]key.Binding { return [][]key.Binding{b.ShortHelp()} }

func (b *bankFlow) await() tea.Cmd {
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

func (b *bankFlow) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case openedMsg:
		if msg.req == b.req && msg.err != nil {
			b.err = "Could not open a browser. Open the address above yourself, then come back."
		}
	case bankResultMsg:
		if msg.req != b.req {
			return b, nil
		}
		b.stopWaiting()
		if msg.err != nil {
			b.mode = bankFailed
			b.err = explain(msg.err)
			return b, nil
		}
		c := msg.c
		b.result = &c
		b.mode = bankDone
		b.err = ""
	case tea.KeyMsg:
		return b, b.onKey(msg)
	}
	return b, nil
}

func (b *bankFlow) onKey(msg tea.KeyMsg) tea.Cmd {
	if b.alone {
		if key.Matches(msg, keyAnyBack) {
			b.alone = false
		}
		return nil
	}
	if (b.mode == bankChoose || b.mode == bankWaiting) && key.Matches(msg, keyShowURL) {
		b.alone = true
		return nil
	}
	switch b.mode {
	case bankChoose:
		switch {
		case key.Matches(msg, keyOpen) && b.c.openURL != nil:
			cmd := b.await()
			open, url, req := b.c.openURL, b.step.URL, b.req
			return tea.Batch(cmd, func() tea.Msg { return openedMsg{req: req, err: open(url)} })
		case key.Matches(msg, keyWait):
			return b.await()
		case key.Matches(msg, keyPasteIn):
			b.mode = bankPaste
		case key.Matches(msg, keyCancel):
			if !b.embedded {
				return b.c.back()
			}
		}
	case bankWaiting:
		switch {
		case key.Matches(msg, keyPasteIn):
			b.stopWaiting()
			b.mode = bankPaste
		case key.Matches(msg, keyCancel):
			b.stopWaiting()
			b.mode = bankChoose
			return b.c.info("Stopped waiting. The bank page stays valid for a few minutes.")
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
			b.paste.Reset()
			b.mode = bankWaiting
			b.req = b.c.nextReq()
			req, ctx, w, step := b.req, b.c.ctx, b.c.w, b.step
			return func() tea.Msg {
				c, err := w.CompleteBankStep(ctx, step, u)
				return bankResultMsg{req: req, c: c, err: err}
			}
		default:
			b.paste.Update(msg)
		}
	case bankFailed:
		if msg.Type == tea.KeyEnter || msg.Type == tea.KeyEsc {
			b.mode, b.err = bankChoose, ""
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
	switch b.mode {
	case bankDone:
		if r := b.result; r != nil {
			s.WriteString(st.Success.Render("Your bank authorised the consent.") + "\n\n")
			s.WriteString(consentBank(*r) + " · " + statusLabel(*r) + " · Flexi Pay · expires " + day(r.Expires) + "\n")
		}
		s.WriteString("\nPress enter to continue.")
		return s.String()
	case bankFailed:
		s.WriteString(st.Error.Render("The bank step did not complete.") + "\n" + b.err + "\n\nPress enter to try again.")
		return s.String()
	}
	if b.alone {
		return b.aloneView()
	}
	at := "your bank"
	if n := plainName(b.bankName); n != "" {
		at = n
	}
	s.WriteString("Approve the consent at " + at + ". Open this address in a browser:\n\n")
	// Wrapped hard at the edge, nothing added: the lines joined are the address.
	s.WriteString(strings.Join(hardWrap(b.step.URL, b.w), "\n") + "\n\n")
	var after strings.Builder
	switch b.mode {
	case bankWaiting:
		if st.accessible {
			after.WriteString("Waiting for your bank. Press esc to stop waiting.\n")
		} else {
			after.WriteString(st.Accent.Render("Waiting for your bank…") + st.Muted.Render(" (esc to stop, v to paste instead)") + "\n")
		}
	case bankPaste:
		after.WriteString(b.paste.View(st, true, 13) + "\n")
	}
	if b.err != "" {
		after.WriteString("\n" + st.Error.Render(b.err) + "\n")
	}
	// The choices depend on whether the QR code is drawn, so place it first.
	choices := 3
	if b.c.openURL != nil {
		choices++
	}
	used := strings.Count(s.String(), "\n") + choices + strings.Count(after.String(), "\n")
	if b.mode != bankChoose {
		used -= choices
	}
	q := placeQR(st, b.step.URL, used, b.w, b.h, b.c.termW, b.c.termH)
	switch {
	case q.Shown():
		s.WriteString(q.block + "\n\n")
	case q.Missing():
		s.WriteString(st.Muted.Render(q.hint()) + "\n\n")
	}
	if b.mode == bankChoose {
		if b.c.openURL != nil {
			s.WriteString("  o  open it in your browser and wait here\n")
		}
		if q.Shown() {
			s.WriteString("  w  wait here while you open it on another device, or scan the QR code with a phone\n")
		} else {
			s.WriteString("  w  wait here while you open it yourself, on this or another device\n")
		}
		s.WriteString("  v  paste the address you land on after approving\n")
		s.WriteString("  u  show the address alone, to copy it\n")
	}
	s.WriteString(after.String())
	return s.String()
}

// aloneView is the address and nothing else, wrapped hard at the terminal edge, for selecting
// and copying: the router draws it without header and footer.
func (b *bankFlow) aloneView() string {
	w := b.c.termW
	if w <= 0 {
		w = b.w
	}
	return strings.Join(hardWrap(b.step.URL, w), "\n") + "\n\n" +
		b.c.st.Muted.Render("That is the whole address. Press esc to go back.")
}
