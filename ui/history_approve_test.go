package ui

import (
	"io"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// TestApproveAgainSurvivesAReloadForAStatusChange: the payer presses a on a payment awaiting
// the bank's approval, and before the consent lookup answers, a status change reloads the detail
// (after a restart the core asks the bank at once). The pay screen still opens: the reload's new
// request number used to drop the payer's a, and nothing happened (found by the e2e BG kill
// journey in CI).
func TestApproveAgainSurvivesAReloadForAStatusChange(t *testing.T) {
	now := func() time.Time { return fakeBase }
	fw := newFakeWallet(now, 3)
	cs, err := fw.Consents(t.Context())
	if err != nil || len(cs) == 0 {
		t.Fatalf("consents: %v", err)
	}
	c := &common{w: fw, st: newStyles(lipgloss.NewRenderer(io.Discard), DefaultTheme(), false), ctx: t.Context(), now: now}
	s := newHistory(c)
	d := PaymentDetail{Row: PaymentRow{ID: "p-1", Status: PaymentAwaitingBankSCA}, ConsentID: cs[0].ID}
	s.rows, s.mode, s.detail = []PaymentRow{d.Row}, histDetail, &d

	_, approve := s.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("a")})
	if approve == nil {
		t.Fatal("a started nothing")
	}
	before := s.req
	if _, reload := s.Update(changedMsg{Change{Kind: PaymentChanged, ID: "p-1"}}); reload == nil || s.req == before {
		t.Fatal("the status change did not reload the detail: the test proves nothing")
	}
	s.Update(approve())
	if len(c.nav) != 1 || c.nav[0].kind != navPush {
		t.Fatalf("the payer's a was dropped: navigation %+v, error %q", c.nav, s.cancelErr)
	}

	// Leaving the detail abandons the lookup: a late answer opens nothing.
	c.nav = nil
	_, approve = s.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("a")})
	s.Update(tea.KeyMsg{Type: tea.KeyEsc})
	s.Update(approve())
	if len(c.nav) != 0 {
		t.Fatalf("an answer after esc opened the pay screen: %+v", c.nav)
	}
}
