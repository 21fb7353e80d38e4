package ui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestLateTermsAfterEscAreDropped: esc while the consent page's terms load goes back to the
// payees, and the answer that arrives afterwards (its request number abandoned) neither shows
// the terms nor moves the flow forward. Driven at the Update level, so the order is certain.
func TestLateTermsAfterEscAreDropped(t *testing.T) {
	s := newOnboarding(fakeCommon(t))
	s.again, s.step = true, obPayees
	s.advance(obDoneMsg{step: obPayees}) // the payees were saved: the terms are asked for
	if s.step != obConsent || !s.busy || s.terms != nil {
		t.Fatalf("after the payees: step %v, busy %v, terms %v", s.step, s.busy, s.terms)
	}
	asked := s.req
	s.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if !s.enterEarly || s.step != obConsent {
		t.Fatalf("an early enter: enterEarly %v, step %v", s.enterEarly, s.step)
	}
	s.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if s.step != obPayees || s.busy || s.enterEarly {
		t.Fatalf("esc while the terms load: step %v, busy %v, enterEarly %v", s.step, s.busy, s.enterEarly)
	}
	s.Update(obDoneMsg{req: asked, step: obLoadTerms, terms: &ConsentTerms{Bank: "Late Bank"}})
	if s.step != obPayees || s.terms != nil {
		t.Fatalf("the late terms were taken: step %v, terms %v", s.step, s.terms)
	}
}
