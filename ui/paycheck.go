package ui

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/payterm/payterm/internal/safetext"
)

// PayeeCheckAnswer is the bank's answer to "does this name hold this account" (Confirmation of
// Payee).
type PayeeCheckAnswer string

// The answers; PayeeCheckNone means the consent's bank does not check payees.
const (
	PayeeCheckNone        PayeeCheckAnswer = ""
	PayeeCheckMatch       PayeeCheckAnswer = "match"
	PayeeCheckClose       PayeeCheckAnswer = "close"
	PayeeCheckNoMatch     PayeeCheckAnswer = "nomatch"
	PayeeCheckNotFound    PayeeCheckAnswer = "notfound"
	PayeeCheckOptedOut    PayeeCheckAnswer = "optedout"
	PayeeCheckUnavailable PayeeCheckAnswer = "unavailable"
)

// PayeeCheck is one answer. BankName is the holder's name as the bank gave it (PII; the UI
// cleans it before it is shown). Accepted: the payer may pay on it (a match, or a choice made
// earlier).
type PayeeCheck struct {
	Answer   PayeeCheckAnswer
	BankName string
	Accepted bool
}

// PayeeCheckService is the optional part of the Wallet that checks a new payee with the bank
// before it is paid (UAE Confirmation of Payee). A Wallet without it pays payees as typed.
type PayeeCheckService interface {
	// CheckPayee asks the consent's bank (or returns the answer accepted earlier). A bank
	// without the service answers PayeeCheckNone.
	CheckPayee(ctx context.Context, consentID string, p PayeeDraft) (PayeeCheck, error)
	// AcceptPayee records the payer's choice to pay on the stored answer; a no match needs
	// noMatchConfirmed (the payer was told the money may be lost). A refusal is a *Problem.
	AcceptPayee(ctx context.Context, consentID string, p PayeeDraft, noMatchConfirmed bool) error
}

var (
	keyUseBankName = key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "use the bank's name"))
	keyKeepName    = key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "keep my name"))
	keyPayAnyway   = key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "pay anyway"))
	keyContinue    = key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "continue"))
	keyRetryCheck  = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "check again"))
)

type payeeCheckedMsg struct {
	req   int
	draft PayeeDraft
	check PayeeCheck
	err   error
}

type payeeAcceptedMsg struct {
	req int
	err error
}

func payeeKey(p PayeeDraft) string { return p.Name + "\x00" + p.IBAN + "\x00" + string(p.Type) }

// needsCheck: a new payee at a wallet that checks payees, not cleared for this form yet.
func (s *payScreen) needsCheck(d PaymentDraft) (PayeeCheckService, bool) {
	if d.NewPayee.Name == "" {
		return nil, false
	}
	pc, ok := s.c.w.(PayeeCheckService)
	return pc, ok && s.cleared != payeeKey(d.NewPayee)
}

func (s *payScreen) startCheck(pc PayeeCheckService, d PaymentDraft) tea.Cmd {
	s.formErr = ""
	s.submitting = true
	s.req = s.c.nextReq()
	req, ctx, consent, draft := s.req, s.c.ctx, s.consent.ID, d.NewPayee
	return func() tea.Msg {
		c, err := pc.CheckPayee(ctx, consent, draft)
		return payeeCheckedMsg{req: req, draft: draft, check: c, err: err}
	}
}

func (s *payScreen) onChecked(msg payeeCheckedMsg) tea.Cmd {
	if msg.req != s.req {
		return nil
	}
	s.submitting = false
	if msg.err != nil {
		s.formErr = explain(msg.err)
		return nil
	}
	c := msg.check
	if c.Answer == PayeeCheckNone || (c.Accepted && c.Answer != PayeeCheckNotFound && c.Answer != PayeeCheckUnavailable) {
		s.cleared = payeeKey(msg.draft)
		return s.prepare()
	}
	s.check, s.checkDraft, s.checkErr = &c, msg.draft, ""
	s.stage = payCheck
	return nil
}

func (s *payScreen) accept(noMatchConfirmed bool) tea.Cmd {
	pc, ok := s.c.w.(PayeeCheckService)
	if !ok || s.submitting {
		return nil
	}
	s.submitting = true
	s.req = s.c.nextReq()
	req, ctx, consent, draft := s.req, s.c.ctx, s.consent.ID, s.checkDraft
	return func() tea.Msg {
		return payeeAcceptedMsg{req: req, err: pc.AcceptPayee(ctx, consent, draft, noMatchConfirmed)}
	}
}

func (s *payScreen) onAccepted(msg payeeAcceptedMsg) tea.Cmd {
	if msg.req != s.req {
		return nil
	}
	s.submitting = false
	if msg.err != nil {
		s.checkErr = explain(msg.err)
		return nil
	}
	s.cleared = payeeKey(s.checkDraft)
	s.stage = payForm
	return s.prepare()
}

func (s *payScreen) checkKey(msg tea.KeyMsg) tea.Cmd {
	if s.check == nil || s.submitting {
		return nil
	}
	if key.Matches(msg, keyBack) {
		s.stage = payForm
		s.check = nil
		return nil
	}
	switch s.check.Answer {
	case PayeeCheckClose:
		switch {
		case key.Matches(msg, keyUseBankName) && s.check.BankName != "" && typedTextProblem("The name", s.check.BankName) == "":
			// The bank's name becomes the payee's and is checked again (a match goes straight on).
			s.newName.SetValue(s.check.BankName)
			s.stage, s.check = payForm, nil
			return s.prepare()
		case key.Matches(msg, keyKeepName):
			return s.accept(false)
		}
	case PayeeCheckNoMatch:
		// Only y: enter (or anything else) never accepts a no match.
		if key.Matches(msg, keyPayAnyway) {
			return s.accept(true)
		}
	case PayeeCheckOptedOut:
		if key.Matches(msg, keyContinue) {
			return s.accept(false)
		}
	case PayeeCheckUnavailable:
		if key.Matches(msg, keyRetryCheck) {
			s.stage, s.check = payForm, nil
			return s.prepare()
		}
	}
	return nil
}

func (s *payScreen) checkHelp() []key.Binding {
	if s.check == nil {
		return []key.Binding{keyBack}
	}
	switch s.check.Answer {
	case PayeeCheckClose:
		if s.check.BankName != "" {
			return []key.Binding{keyUseBankName, keyKeepName, keyBack}
		}
		return []key.Binding{keyKeepName, keyBack}
	case PayeeCheckNoMatch:
		return []key.Binding{keyPayAnyway, keyBack}
	case PayeeCheckOptedOut:
		return []key.Binding{keyContinue, keyBack}
	case PayeeCheckUnavailable:
		return []key.Binding{keyRetryCheck, keyBack}
	}
	return []key.Binding{keyBack}
}

// checkView says the bank's answer in words and what each key does.
func (s *payScreen) checkView() string {
	st := s.c.st
	if s.check == nil {
		return ""
	}
	typed := safetext.Short(s.checkDraft.Name, 70)
	account := MaskIBAN(s.checkDraft.IBAN)
	var lines []string
	switch s.check.Answer {
	case PayeeCheckClose:
		lines = append(lines, st.Title.Render("Close match"),
			"The bank holds account "+account+" under a name close to “"+typed+"”, but not the same.")
		if s.check.BankName != "" {
			lines = append(lines, "The bank's name for it: “"+safetext.Short(s.check.BankName, 140)+"”.",
				"", "u  use the bank's name   k  keep “"+typed+"”   esc  change the payee")
		} else {
			lines = append(lines, "", "k  keep “"+typed+"”   esc  change the payee")
		}
	case PayeeCheckNoMatch:
		lines = append(lines, st.Title.Render("The name does not match"),
			"The bank says “"+typed+"” is not the holder of account "+account+".",
			st.Error.Render("If you pay anyway, the money may go to someone else and may be lost: the bank may not get it back."),
			"", "y  I understand, pay anyway   esc  change the payee")
	case PayeeCheckNotFound:
		lines = append(lines, st.Title.Render("Account not found"),
			"The bank has no account "+account+", so it cannot be paid.",
			"Check the IBAN with the payee.", "", "esc  change the payee")
	case PayeeCheckOptedOut:
		lines = append(lines, st.Title.Render("Name not checked"),
			"The holder of account "+account+" has opted out of name checks, so the bank could not confirm “"+typed+"”.",
			"", "c  continue with this payee   esc  change the payee")
	case PayeeCheckUnavailable:
		lines = append(lines, st.Title.Render("Payee check unavailable"),
			"The bank's payee check is not answering right now, so the name could not be confirmed.",
			"Try again in a few minutes.", "", "r  check again   esc  change the payee")
	}
	if s.submitting {
		lines = append(lines, "", st.Muted.Render("Saving your choice…"))
	}
	if s.checkErr != "" {
		lines = append(lines, "", st.Error.Render(s.checkErr))
	}
	return wrapLines(strings.Join(lines, "\n"), s.w)
}
