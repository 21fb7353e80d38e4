package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

var keyUnblock = key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "unblock payments (recovery code)"))

// recoveryScreen lifts an SCA block: the recovery code from enrolment, a current authenticator
// code and a new PIN (RTS Art. 4(4): a secure way to regain use after a block). Every input is
// masked; the new recovery code is shown once.
type recoveryScreen struct {
	c      *common
	w, h   int
	fields []*field
	focus  int
	busy   bool
	err    string
	next   *Secret
	req    int
}

type recoveredMsg struct {
	req  int
	next Secret
	err  error
}

func newRecovery(c *common) *recoveryScreen {
	s := &recoveryScreen{c: c}
	rc := newField("Recovery code")
	// The code's own characters (base32, in groups): a stray ? or other key is not typed into
	// it unseen, to cost a recovery attempt.
	rc.masked, rc.accept, rc.limit = true, recoveryCodeRune, 64
	code := newField("App code")
	code.masked, code.accept, code.limit = true, digitsOnly, 8
	p1 := newField("New PIN")
	p2 := newField("Again")
	for _, f := range []*field{p1, p2} {
		f.masked, f.accept, f.limit = true, digitsOnly, 12
	}
	s.fields = []*field{rc, code, p1, p2}
	return s
}

func (s *recoveryScreen) Init() tea.Cmd    { return nil }
func (s *recoveryScreen) SetSize(w, h int) { s.w, s.h = w, h }
func (s *recoveryScreen) Title() string    { return "Unblock payments" }
func (s *recoveryScreen) Typing() bool     { return s.next == nil }
func (s *recoveryScreen) Busy() bool       { return false }

func (s *recoveryScreen) ShortHelp() []key.Binding {
	if s.next != nil {
		return []key.Binding{keyToHome}
	}
	return []key.Binding{keyNextFld, keySubmit, keyBack}
}

func (s *recoveryScreen) FullHelp() [][]key.Binding {
	if s.next != nil {
		return [][]key.Binding{{keyToHome}}
	}
	return [][]key.Binding{{keyNextFld, keyPrevFld, keyClear, keySubmit, keyBack}}
}

func (s *recoveryScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case recoveredMsg:
		if msg.req != s.req {
			return s, nil
		}
		s.busy = false
		if msg.err != nil {
			s.err = explain(msg.err)
			return s, nil
		}
		n := msg.next
		s.next = &n
	case tea.KeyMsg:
		return s, s.onKey(msg)
	}
	return s, nil
}

func (s *recoveryScreen) onKey(msg tea.KeyMsg) tea.Cmd {
	if s.next != nil {
		if msg.Type == tea.KeyEnter || msg.Type == tea.KeyEsc {
			s.next = nil
			return s.c.replace(newHome(s.c, nil))
		}
		return nil
	}
	if s.busy {
		return nil
	}
	switch msg.Type {
	case tea.KeyEsc:
		return s.c.back()
	case tea.KeyTab, tea.KeyDown:
		s.focus = (s.focus + 1) % len(s.fields)
	case tea.KeyShiftTab, tea.KeyUp:
		s.focus = (s.focus + len(s.fields) - 1) % len(s.fields)
	case tea.KeyEnter:
		if s.focus < len(s.fields)-1 {
			s.focus++
			return nil
		}
		rc, code := strings.TrimSpace(s.fields[0].Value()), s.fields[1].Value()
		p1, p2 := s.fields[2].Value(), s.fields[3].Value()
		for _, f := range s.fields {
			f.Reset()
		}
		s.focus = 0
		switch {
		case rc == "" || len(code) < 6:
			s.err = "Type the recovery code and the code your authenticator app shows now."
			return nil
		case len(p1) < 6:
			s.err = "Choose a new PIN of at least 6 digits."
			return nil
		case p1 != p2:
			s.err = "The two PINs differ."
			return nil
		}
		s.busy, s.err = true, ""
		s.req = s.c.nextReq()
		req, ctx, w := s.req, s.c.ctx, s.c.w
		in := [3]Secret{NewSecret(rc), NewSecret(code), NewSecret(p1)}
		return func() tea.Msg {
			next, err := w.Recover(ctx, in[0], in[1], in[2])
			return recoveredMsg{req: req, next: next, err: err}
		}
	default:
		s.fields[s.focus].Update(msg)
	}
	return nil
}

func (s *recoveryScreen) View() string {
	st := s.c.st
	var b strings.Builder
	if s.next != nil {
		b.WriteString(st.Success.Render("Payments are unblocked and your new PIN is set.") + "\n\n")
		b.WriteString("Your old recovery code no longer works. Write down the new one; it is shown only now:\n\n")
		b.WriteString("    " + st.Big.Render(s.next.Reveal()) + "\n\n")
		b.WriteString("Press enter when you have written it down.")
		return b.String()
	}
	b.WriteString("Payments are blocked after five wrong PINs or codes. To unblock them, type the recovery " +
		"code you wrote down at setup, the code your authenticator app shows now, and a new PIN.\n\n")
	for i, f := range s.fields {
		b.WriteString(f.View(st, i == s.focus, 14) + "\n")
	}
	if s.busy {
		b.WriteString("\n" + st.Muted.Render("Checking…") + "\n")
	}
	if s.err != "" {
		b.WriteString("\n" + st.Error.Render(s.err) + "\n")
	}
	return b.String()
}

// recoveryCodeRune accepts what a recovery code is written with: letters, digits, its dashes and
// spaces between groups.
func recoveryCodeRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == ' '
}
