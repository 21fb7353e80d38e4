package ui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestBankPageAskedAgainKeepsThePaste: OP's page asked again with a new address (a fresh request
// object at every poll) while the payer pastes the address back keeps what they typed; before,
// each poll made a new flow and wiped it (the e2e OP journey's callback arrived cut).
func TestBankPageAskedAgainKeepsThePaste(t *testing.T) {
	c := fakeCommon(t)
	s := newPay(c, Consent{ID: "c-1"})
	page := func(u string) PaymentEvent {
		return PaymentEvent{Step: StepSCA, State: StepRunning, At: fakeBase,
			Action: &BankAction{Kind: ActionRedirect, URL: u, NeedsCallback: true}}
	}
	s.onAction(page("https://op.example/authorize?request=first"))
	flow := s.approval.flow
	flow.mode = bankPaste
	flow.paste.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("https://wallet.example/op/back?code=")})
	s.onAction(page("https://op.example/authorize?request=second"))
	if s.approval.flow != flow || flow.paste.Value() != "https://wallet.example/op/back?code=" {
		t.Fatalf("the paste was lost: same flow %v, field %q", s.approval.flow == flow, s.approval.flow.paste.Value())
	}
	// Not pasting: the newest address is the one shown.
	flow.mode = bankChoose
	s.onAction(page("https://op.example/authorize?request=third"))
	if s.approval.flow.step.URL != "https://op.example/authorize?request=third" {
		t.Fatalf("address %q", s.approval.flow.step.URL)
	}
}
