package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestBundleRunEndsWhileTheBankRevokes: the run's final event comes after the payer confirmed
// the revoke (the bank is still being asked). The screen still learns the run has ended and
// says so once the revoke answers: the revoke's request number used to replace the run's, and
// the final event was dropped (found by TestNoInjectionBundle under CI's load).
func TestBundleRunEndsWhileTheBankRevokes(t *testing.T) {
	c := fakeCommon(t)
	s := newBundle(c, Consent{ID: "c-1"})
	s.prepared = &PreparedBundle{ID: "b-1", Items: []PreparedPayment{{ID: "p-1"}}}
	s.stage, s.inFlight, s.stopped, s.req = bundleRevoke, true, true, c.nextReq()
	runReq := s.req
	ch := make(chan BundleEvent)
	close(ch)

	_, revoke := s.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	if revoke == nil {
		t.Fatal("y asked nothing")
	}
	s.Update(bundleEventMsg{req: runReq, ch: ch, ok: false}) // the run's channel closes
	s.Update(bundleRevokedMsg{req: s.revokeReq, items: []BundleItem{{PaymentID: "p-1", Status: PaymentCancelled}}})
	if !s.final || !strings.Contains(s.View(), "Every payment of the bundle has ended") {
		t.Fatalf("the run's end was dropped (final %v):\n%s", s.final, s.View())
	}
}
