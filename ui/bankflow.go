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
	keyOpen    = key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open in browser"))
	keyWait    = key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "I opened it myself: wait"))
	keyPasteIn = key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "paste the callback URL"))
	keyCancel  = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
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
	// embedded is true inside onboarding, which owns what happens after the result.
	embedded bool
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

func (b *bankFlow) ShortHelp() []key.Binding {
	switch b.mode {
	case bankChoose:
		ks := []key.Binding{}
		if b.c.openURL != nil {
			ks = append(ks, keyOpen)
		}
		return append(ks, keyWait, keyPasteIn, keyCancel)
	case bankWaiting:
		return []key.Binding{keyPasteIn, keyCancel}
	case bankPaste:
		return []key.Binding{keySubmit, keyCancel}
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
			s.WriteString(r.Bank + " · " + statusLabel(*r) + " · Flexi Pay · expires " + day(r.Expires) + "\n")
		}
		s.WriteString("\nPress enter to continue.")
		return s.String()
	case bankFailed:
		s.WriteString(st.Error.Render("The bank step did not complete.") + "\n" + b.err + "\n\nPress enter to try again.")
		return s.String()
	}
	s.WriteString("Approve the consent at your bank. Open this address in a browser:\n\n")
	s.WriteString(b.step.URL + "\n")
	if q := qrBlock(st, b.step.URL); q != "" && b.h >= 40 {
		s.WriteString("\n" + q + "\n")
	}
	s.WriteString("\n")
	switch b.mode {
	case bankWaiting:
		if st.accessible {
			s.WriteString("Waiting for your bank. Press esc to stop waiting.\n")
		} else {
			s.WriteString(st.Accent.Render("Waiting for your bank…") + st.Muted.Render(" (esc to stop, v to paste instead)") + "\n")
		}
	case bankPaste:
		s.WriteString(b.paste.View(st, true, 13) + "\n")
	default:
		if b.c.openURL != nil {
			s.WriteString("  o  open it in your browser and wait here\n")
		}
		s.WriteString("  w  wait here while you open it on any device (scan the code on a phone)\n")
		s.WriteString("  v  paste the address you land on after approving\n")
	}
	if b.err != "" {
		s.WriteString("\n" + st.Error.Render(b.err) + "\n")
	}
	return s.String()
}
