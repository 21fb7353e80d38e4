package ui

// The onboarding's payees step: the fields of each payee (and of the payer's own account), adding
// them, and the plan the consent is asked for.

import (
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// payeeFields lists the fields in tab order. The account holder's name is asked once an account
// is typed (or a name is, so it is never hidden with text in it): the two go together.
func (s *onboardingScreen) payeeFields() []string {
	fs := []string{"model", "name", "iban", "type", "debtor"}
	if s.model == BeneficiaryOpen {
		fs = []string{"model", "debtor"}
	}
	if s.debtor.Value() != "" || s.debtorName.Value() != "" {
		fs = append(fs, "debtorName")
	}
	return fs
}

func (s *onboardingScreen) payeeKey(msg tea.KeyMsg) tea.Cmd {
	fs := s.payeeFields()
	s.pFocus = min(s.pFocus, len(fs)-1)
	cur := fs[s.pFocus]
	switch msg.Type {
	case tea.KeyTab, tea.KeyDown:
		s.pFocus = (s.pFocus + 1) % len(fs)
		return nil
	case tea.KeyShiftTab, tea.KeyUp:
		s.pFocus = (s.pFocus + len(fs) - 1) % len(fs)
		return nil
	case tea.KeyCtrlX:
		if len(s.payees) > 0 {
			s.payees = s.payees[:len(s.payees)-1]
		}
		return nil
	case tea.KeyLeft, tea.KeyRight:
		switch cur {
		case "model":
			models := []BeneficiaryModel{BeneficiaryOpen, BeneficiaryOne, BeneficiaryList}
			i := 0
			for j, m := range models {
				if m == s.model {
					i = j
				}
			}
			d := 1
			if msg.Type == tea.KeyLeft {
				d = -1
			}
			s.model = models[(i+d+len(models))%len(models)]
		case "type":
			if s.pType == PayeeRetail {
				s.pType = PayeeCorporate
			} else {
				s.pType = PayeeRetail
			}
		}
		return nil
	case tea.KeyEnter:
		if s.model != BeneficiaryOpen && (s.pName.Value() != "" || s.pIBAN.Value() != "") {
			return s.addPayee()
		}
		return s.finishPayees()
	}
	switch cur {
	case "name":
		s.pName.Update(msg)
	case "iban":
		if s.pIBAN.Update(msg) {
			s.pIBAN.problem = ibanFeedback(s.pIBAN.Value())
		}
	case "debtor":
		if s.debtor.Update(msg) {
			s.debtor.problem = ibanFeedback(s.debtor.Value())
		}
	case "debtorName":
		s.debtorName.Update(msg)
	}
	return nil
}

func (s *onboardingScreen) addPayee() tea.Cmd {
	name := strings.TrimSpace(s.pName.Value())
	iban := normalIBAN(s.pIBAN.Value())
	switch {
	case name == "":
		s.err = "Give the payee a name."
	case typedTextProblem("The payee name", name) != "":
		s.err = typedTextProblem("The payee name", name)
	case len(iban) != uaeIBANLength || ibanFeedback(iban) != "":
		s.err = "That IBAN is not a valid UAE IBAN (AE + 21 digits)."
	case len(s.payees) >= 10:
		s.err = "A consent can name at most ten payees."
	case s.model == BeneficiaryOne && len(s.payees) >= 1:
		s.err = "This model has exactly one payee; remove it (ctrl+x) or choose \"two to ten payees\" (→)."
	default:
		s.payees = append(s.payees, PayeeDraft{Name: name, IBAN: iban, Type: s.pType})
		s.pName.Reset()
		s.pIBAN.Reset()
		s.pFocus = 1
		s.err = ""
	}
	return nil
}

func (s *onboardingScreen) finishPayees() tea.Cmd {
	n := len(s.payees)
	switch s.model {
	case BeneficiaryOne:
		if n != 1 {
			s.err = "Add exactly one payee."
			return nil
		}
	case BeneficiaryList:
		switch {
		case n == 0:
			s.err = "Add your payees: a name and an IBAN, then enter, for each of two to ten.\n" +
				"For a single payee choose \"one payee\" (←); to pick the payee when you pay, \"open\"."
			return nil
		case n == 1:
			s.err = "Add one more payee: a list names two to ten. For this payee alone choose \"one payee\" (←)."
			return nil
		case n > 10:
			s.err = "A consent can name at most ten payees: remove one (ctrl+x)."
			return nil
		}
	}
	debtor := normalIBAN(s.debtor.Value())
	holder := strings.TrimSpace(s.debtorName.Value())
	switch {
	case debtor != "" && (len(debtor) != uaeIBANLength || ibanFeedback(debtor) != ""):
		s.err = "Your account is not a valid UAE IBAN; fix it or clear it (ctrl+u)."
		return nil
	case debtor != "" && holder == "":
		s.err = "Your bank needs the account holder's name with the IBAN: fill in Account name, or clear Your account."
		return nil
	case debtor == "" && holder != "":
		s.err = "An account name needs the account's IBAN: fill in Your account, or clear Account name (ctrl+u)."
		return nil
	case typedTextProblem("The account name", holder) != "":
		s.err = typedTextProblem("The account name", holder)
		return nil
	}
	plan := BeneficiaryPlan{Bank: s.bankID, Model: s.model, DebtorAccount: debtor, DebtorName: holder}
	if s.model != BeneficiaryOpen {
		plan.Payees = append([]PayeeDraft(nil), s.payees...)
	}
	ctx, w := s.c.ctx, s.c.w
	return s.call(obPayees, func(r *obDoneMsg) { r.err = w.SaveBeneficiaries(ctx, plan) })
}

func modelLabel(m BeneficiaryModel) string {
	switch m {
	case BeneficiaryOpen:
		return "open: choose any payee when paying"
	case BeneficiaryOne:
		return "one payee"
	default:
		return "two to ten payees"
	}
}

// groupKey splits a base32 key in groups of four for reading aloud and typing.
func groupKey(k string) string {
	var parts []string
	r := []rune(k)
	for i := 0; i < len(r); i += 4 {
		parts = append(parts, string(r[i:min(i+4, len(r))]))
	}
	return strings.Join(parts, " ")
}

func (s *onboardingScreen) payeesView() string {
	st := s.c.st
	var b strings.Builder
	if s.multiBank() {
		const other = " (esc: choose another bank)"
		b.WriteString(st.Muted.Render("At "+truncate(s.chosenBankName(), max(8, s.w-3-len(other)))+other) + "\n")
	}
	switch {
	case s.again && s.h < 24:
		// One line on a short terminal: the list and a refusal below it need the rows.
		b.WriteString("Who will you pay? Pick the payees of the new consent.\n\n")
	case s.again:
		b.WriteString("A new consent at your bank; your PIN, authenticator, limits and history stay as they are.\n")
		b.WriteString("Who will you pay? The consent names your payees, or leaves them open.\n\n")
	default:
		b.WriteString("Who will you pay? The consent names your payees, or leaves them open.\n\n")
	}
	for i, f := range s.payeeFields() {
		focused := i == s.pFocus
		switch f {
		case "model":
			b.WriteString(choiceLine(st, "Payees", modelLabel(s.model), focused, 12) + "\n")
		case "name":
			b.WriteString(s.pName.View(st, focused, 12) + "\n")
		case "iban":
			b.WriteString(s.pIBAN.View(st, focused, 12) + "\n")
		case "type":
			b.WriteString(choiceLine(st, "Payee type", string(s.pType), focused, 12) + "\n")
		case "debtor":
			b.WriteString(s.debtor.View(st, focused, 12) + "\n")
		case "debtorName":
			b.WriteString(s.debtorName.View(st, focused, 12) + "\n")
		}
	}
	if s.model != BeneficiaryOpen {
		fmt.Fprintf(&b, "\n%s\n", st.Title.Render(fmt.Sprintf("Payees (%d)", len(s.payees))))
		if len(s.payees) == 0 {
			b.WriteString(st.Muted.Render("  none yet: fill name and IBAN, press enter") + "\n")
		}
		for i, p := range s.payees {
			fmt.Fprintf(&b, "  %d. %s  %s  %s\n", i+1, p.Name, MaskIBAN(p.IBAN), p.Type)
		}
		b.WriteString("\n" + st.Muted.Render("enter with an empty form continues"))
	} else {
		b.WriteString("\n" + st.Muted.Render("Open: the bank will say payterm picks the payee at payment time. enter continues."))
	}
	return b.String()
}
