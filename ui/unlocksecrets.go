package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// The Unlock screen asks for the passphrase of payterm's encrypted secrets file when the TUI
// starts (Options.UnlockSecrets is set): the first frame is this screen, drawn at once, while the
// ledger and the banks are already open. Enter hands the passphrase to the core and shows Home
// at once ("Unlocking secrets…") while the core's key derivation (argon2id, 0.1–0.3 s) runs in
// the background; a wrong passphrase brings this screen back saying how many tries are left,
// and the last refusal ends payterm with the core's Problem (Run returns it), as a wrong
// passphrase typed on the terminal did before the screens existed.
//
// It is not on the screen stack: Home loads underneath while the passphrase is typed, and a
// refusal covers whatever the user opened meanwhile without losing it.

// UnlockSecrets hands the passphrase typed on the Unlock screen to the core and waits until the
// secrets file opened with it (nil), did not (*PassphraseRefused: ask again), or cannot be
// opened any more (any other error, a *Problem: payterm ends with it). The core owns passphrase
// from the call on and wipes it once used; the caller never touches it again.
type UnlockSecrets func(ctx context.Context, passphrase []byte) error

// PassphraseRefused: the passphrase did not open the secrets file; TriesLeft more may be typed.
type PassphraseRefused struct{ TriesLeft int }

// Error is the sentence the Unlock screen (and the terminal prompt of the CLI) says.
func (e *PassphraseRefused) Error() string {
	return fmt.Sprintf("That passphrase does not open payterm's secrets file. %s left.", count(e.TriesLeft, "try", "tries"))
}

// maxPassphraseRunes bounds the field; the terminal prompt that chooses a passphrase has no
// limit, so this is far above anything typed.
const maxPassphraseRunes = 1024

var (
	keyUnlock     = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "unlock"))
	keyUnlockQuit = key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc/ctrl+c", "quit"))
	keyUnlockWipe = key.NewBinding(key.WithKeys("ctrl+u"), key.WithHelp("ctrl+u", "clear"))
)

// unlockScreen is the passphrase field and what the last try came to.
type unlockScreen struct {
	c      *common
	unlock UnlockSecrets
	pass   *field
	said   string // the refusal, or "Type the passphrase…" after an empty enter
	// waiting: the passphrase was handed over and its answer has not come: the screen is hidden.
	waiting bool
}

// unlockedMsg is UnlockSecrets' answer.
type unlockedMsg struct{ err error }

func newUnlockScreen(c *common, unlock UnlockSecrets) *unlockScreen {
	f := newField("Passphrase")
	f.masked = true
	f.limit = maxPassphraseRunes
	// Room for the longest passphrase up front: appends never move the runes to a new array,
	// leaving a copy behind that Wipe cannot reach.
	f.value = make([]rune, 0, maxPassphraseRunes)
	return &unlockScreen{c: c, unlock: unlock, pass: f}
}

func (s *unlockScreen) Init() tea.Cmd    { return nil }
func (s *unlockScreen) SetSize(int, int) {}
func (s *unlockScreen) Title() string    { return "Unlock" }
func (s *unlockScreen) Typing() bool     { return true }
func (s *unlockScreen) Busy() bool       { return false }
func (s *unlockScreen) ShortHelp() []key.Binding {
	return []key.Binding{keyUnlock, keyUnlockWipe, keyUnlockQuit}
}
func (s *unlockScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{s.ShortHelp()}
}

// Update takes the keys (the router sends every key here while the screen is up, and quits on
// esc/ctrl+c itself).
func (s *unlockScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return s, nil
	}
	if k.Type != tea.KeyEnter {
		if s.pass.Update(k) {
			s.said = ""
		}
		return s, nil
	}
	if len(s.pass.value) == 0 {
		s.said = "Type the passphrase of payterm's secrets file, then press enter."
		return s, nil
	}
	pass := s.take()
	s.waiting, s.said = true, ""
	ctx, unlock := s.c.ctx, s.unlock
	return s, func() tea.Msg { return unlockedMsg{err: unlock(ctx, pass)} }
}

// take encodes the field's runes into a new byte slice and wipes the field: no string copy of
// the passphrase is ever made (a string cannot be wiped), and the runes do not linger.
func (s *unlockScreen) take() []byte {
	n := 0
	for _, r := range s.pass.value {
		n += utf8.RuneLen(r)
	}
	out := make([]byte, 0, n)
	for _, r := range s.pass.value {
		out = utf8.AppendRune(out, r)
	}
	s.pass.Wipe()
	return out
}

// answered applies UnlockSecrets' answer: done (nil), asked again (refused, tries left), or the
// error payterm ends with (returned).
func (s *unlockScreen) answered(err error) (done bool, fatal error) {
	s.waiting = false
	var refused *PassphraseRefused
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &refused) && refused.TriesLeft > 0:
		s.said = refused.Error()
		return false, nil
	default:
		return false, err
	}
}

func (s *unlockScreen) View() string {
	st := s.c.st
	lines := []string{
		"payterm keeps its secrets in an encrypted file that needs its passphrase.",
		"Type it and press enter: Home opens while the file unlocks.",
		"",
		s.pass.View(st, true, len("Passphrase")),
	}
	if s.said != "" {
		lines = append(lines, "", st.Error.Render(s.said))
	}
	lines = append(lines, "", st.Muted.Render("Forgot it? See SECURITY.md: delete secrets.enc and run payterm reset (history is kept)."))
	return strings.Join(lines, "\n")
}
