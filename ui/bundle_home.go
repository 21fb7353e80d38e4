package ui

import tea "github.com/charmbracelet/bubbletea"

// Home's b: the bundle screen for the first link that can pay now at a bank taking bundles
// (PayTerms.Bundle > 1). Listed in help only when the wallet has such a bank.

type bundleConsentsMsg struct {
	cs  []Consent
	err error
}

// takesBundles reports whether one of the wallet's banks approves bundles.
func (s *homeScreen) takesBundles() bool {
	if s.ov == nil {
		return false
	}
	if s.ov.Active != nil && s.ov.Active.Terms.Bundle > 1 {
		return true
	}
	for _, b := range s.ov.Banks {
		if b.Terms.Bundle > 1 {
			return true
		}
	}
	return false
}

func (s *homeScreen) openBundle() tea.Cmd {
	if s.ov != nil && s.ov.PaymentsBlocked {
		return s.c.info(blockedText)
	}
	ctx, w := s.c.ctx, s.c.w
	return func() tea.Msg {
		cs, err := w.Consents(ctx)
		return bundleConsentsMsg{cs: cs, err: err}
	}
}

func (s *homeScreen) onBundleConsents(msg bundleConsentsMsg) tea.Cmd {
	if msg.err != nil {
		return s.c.fail(msg.err)
	}
	var active *Consent
	if s.ov != nil {
		active = s.ov.Active
	}
	for _, c := range payChoices(msg.cs, active, s.c.now()) {
		if c.Terms.Bundle > 1 {
			return s.c.navigate(newBundle(s.c, c))
		}
	}
	return s.c.info("No link that can pay now is at a bank that approves bundles: pay each payment with p.")
}
