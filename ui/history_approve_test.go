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
	c := fakeCommon(t)
	cs, err := c.w.Consents(t.Context())
	if err != nil || len(cs) == 0 {
		t.Fatalf("consents: %v", err)
	}
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

// TestCancelSurvivesARefresh: r pressed while the bank is asked to cancel a payment no longer
// drops the cancel's answer (which left History deferring every later reload for good); the
// answer shows on the payment's detail, and not on another one opened meanwhile.
func TestCancelSurvivesARefresh(t *testing.T) {
	c := fakeCommon(t)
	s := newHistory(c)
	d := PaymentDetail{Row: PaymentRow{ID: "p-1", Status: PaymentAwaitingBankSCA}}
	s.rows, s.mode, s.detail = []PaymentRow{d.Row}, histDetail, &d

	s.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("X")})
	_, cancel := s.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	if cancel == nil || s.cancelReq == 0 {
		t.Fatal("y asked nothing")
	}
	before := s.req
	if _, reload := s.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("r")}); reload == nil || s.req == before {
		t.Fatal("r did not reload: the test proves nothing")
	}
	answer := paymentCancelledMsg{req: s.cancelReq, id: "p-1", d: PaymentDetail{Row: PaymentRow{ID: "p-1", Status: PaymentCancelled}}}
	if _, next := s.Update(answer); next == nil || s.cancelReq != 0 || s.detail.Row.Status != PaymentCancelled {
		t.Fatalf("the cancel's answer was dropped: in flight %d, detail %+v", s.cancelReq, s.detail.Row)
	}

	// An answer that comes after the payer opened another payment stays off its detail.
	s.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("X")})
	s.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	late := paymentCancelledMsg{req: s.cancelReq, id: "p-1", d: PaymentDetail{Row: PaymentRow{ID: "p-1", Status: PaymentCancelled}}}
	other := PaymentDetail{Row: PaymentRow{ID: "p-2", Status: PaymentAwaitingBankSCA}}
	s.detail = &other
	s.Update(late)
	if s.detail.Row.ID != "p-2" || s.detail.Row.Status != PaymentAwaitingBankSCA {
		t.Fatalf("the other payment's detail shows %+v", s.detail.Row)
	}
}

// fakeCommon is what a screen shares, on the fake wallet at fakeBase, for unit tests that drive
// a screen's Update directly.
func fakeCommon(t *testing.T) *common {
	now := func() time.Time { return fakeBase }
	return &common{w: newFakeWallet(now, 3), st: newStyles(lipgloss.NewRenderer(io.Discard), DefaultTheme(), false), ctx: t.Context(), now: now}
}
