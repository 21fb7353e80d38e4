package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// TestHelpListsEveryKeyOfEveryScreen opens the help overlay on each screen in each of its
// states and checks every binding the screen declares is listed.
func TestHelpListsEveryKeyOfEveryScreen(t *testing.T) {
	m := newDriven(30).(*app)
	c := m.c
	cs, err := newFakeWallet(c.now, 0).Consents(context.Background())
	if err != nil || len(cs) == 0 {
		t.Fatalf("the fake has no consent: %v", err)
	}
	consent := cs[0]
	screens := map[string]Screen{
		"home":       newHome(c, nil),
		"pay":        newPay(c, consent),
		"history":    newHistory(c),
		"consents":   newConsents(c),
		"limits":     newLimitsScreen(c),
		"inspector":  newInspector(c),
		"onboarding": newOnboarding(c),
		"bank":       newBankFlow(c, BankStep{URL: "https://bank.example/auth"}, "Renew consent", c.w.BeginBankStep),
		"recovery":   newRecovery(c),
	}
	for name, s := range screens {
		m.stack = []Screen{s}
		s.SetSize(m.contentSize())
		help := m.helpView()
		for _, group := range s.FullHelp() {
			for _, b := range group {
				if !strings.Contains(help, b.Help().Key) || !strings.Contains(help, b.Help().Desc) {
					t.Errorf("%s: help lacks %q %q:\n%s", name, b.Help().Key, b.Help().Desc, help)
				}
			}
		}
		for _, b := range globalKeys() {
			if !strings.Contains(help, b.Help().Desc) {
				t.Errorf("%s: help lacks global %q", name, b.Help().Key)
			}
		}
		// Short help must be a subset of full help: the footer never advertises an unlisted key.
		full := map[string]bool{}
		for _, g := range s.FullHelp() {
			for _, b := range g {
				full[b.Help().Key] = true
			}
		}
		for _, b := range s.ShortHelp() {
			if !full[b.Help().Key] && !isGlobal(b) {
				t.Errorf("%s: footer key %q missing from full help", name, b.Help().Key)
			}
		}
	}
}

func isGlobal(b key.Binding) bool {
	for _, g := range globalKeys() {
		if g.Help().Key == b.Help().Key {
			return true
		}
	}
	return false
}

// TestNoColorOption: Options.NoColor renders plain text even when the terminal supports colour.
func TestNoColorOption(t *testing.T) {
	prev := lipgloss.ColorProfile()
	lipgloss.SetColorProfile(termenv.TrueColor)
	defer lipgloss.SetColorProfile(prev)

	fw := newFakeWallet(func() time.Time { return fakeBase }, 5)
	colour := New(fw, Options{Clock: func() time.Time { return fakeBase }, disableIdleTicker: true, disableChangeFeed: true})
	colour, _ = colour.Update(tea.WindowSizeMsg{Width: 100, Height: 40})
	colour = drive(colour, colour.Init())
	if !strings.Contains(colour.View(), "\x1b[") {
		t.Fatal("control: the colour profile should produce escape sequences")
	}
	plain := New(fw, Options{Clock: func() time.Time { return fakeBase }, NoColor: true, disableIdleTicker: true, disableChangeFeed: true})
	plain, _ = plain.Update(tea.WindowSizeMsg{Width: 100, Height: 40})
	plain = drive(plain, plain.Init())
	if v := plain.View(); strings.Contains(v, "\x1b[") {
		t.Fatalf("NoColor view has escape sequences: %q", v[:min(200, len(v))])
	}
}

func TestFooterStatusClearedOnNextKey(t *testing.T) {
	m := newDriven(5)
	m, cmd := m.Update(statusMsg{text: "Limits saved.", isErr: false})
	m = drive(m, cmd)
	if !strings.Contains(m.View(), "Limits saved.") {
		t.Fatal("status not shown")
	}
	m = press(m, "r")
	if strings.Contains(m.View(), "Limits saved.") {
		t.Fatal("status survived a key press")
	}
}

func TestEscGoesBackAndCtrlCQuitsWhenIdle(t *testing.T) {
	m := press(newDriven(5), "h")
	if !strings.Contains(m.View(), "History") {
		t.Fatal("not on history")
	}
	m, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	m = drive(m, cmd)
	if !strings.Contains(m.View(), "Recent payments") {
		t.Fatalf("esc did not go back:\n%s", m.View())
	}
	_, cmd = m.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	if cmd == nil {
		t.Fatal("ctrl+c with nothing pending must quit")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("ctrl+c did not quit")
	}
	if m.(*app).c.ctx.Err() == nil {
		t.Fatal("quitting must cancel the wallet context")
	}
}

// TestCtrlCConfirmYesQuits: with a payment in flight, ctrl+c asks, and y quits.
func TestCtrlCConfirmYesQuits(t *testing.T) {
	m := newDriven(5).(*app)
	p := newPay(m.c, Consent{ID: "c"})
	p.inFlight = true
	m.stack = append(m.stack, p)
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	if cmd != nil || !m.confirmQuit {
		t.Fatal("ctrl+c during a payment must ask first")
	}
	_, cmd = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	if cmd == nil {
		t.Fatal("y must quit")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("y did not quit")
	}
}

// TestStaleResultsDropped: a history page answering an old request does not replace rows.
func TestStaleResultsDropped(t *testing.T) {
	m := press(newDriven(50), "h").(*app)
	hs := m.top().(*historyScreen)
	before := len(hs.rows)
	m.Update(historyPageMsg{req: hs.req - 1, kind: pageFresh, page: HistoryPage{Rows: nil, Total: 0}})
	if len(hs.rows) != before {
		t.Fatal("a stale page replaced the table")
	}
}

// TestF1HelpWhileTyping: in a text field "?" is text, f1 still opens help.
func TestF1HelpWhileTyping(t *testing.T) {
	m := press(newDriven(5), "p")
	m = press(m, "tab", "?")
	if strings.Contains(m.View(), "Everywhere") {
		t.Fatal("? in a text field must be text")
	}
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyF1})
	if !strings.Contains(m.View(), "Everywhere") {
		t.Fatalf("f1 did not open help:\n%s", m.View())
	}
}
