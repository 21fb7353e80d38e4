package ui

// The pay screen's form: payee, amount, reference, purpose and product, checked as typed, then
// prepared.

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

func (s *payScreen) formKey(msg tea.KeyMsg) tea.Cmd {
	items := s.formItems()
	if s.focus >= len(items) {
		s.focus = len(items) - 1
	}
	cur := items[s.focus]
	switch {
	case key.Matches(msg, keyBack):
		return s.c.back()
	case s.loading:
		if len(s.typedAhead) < maxQueuedKeys {
			s.typedAhead = append(s.typedAhead, msg)
		}
		return nil
	case msg.Type == tea.KeyEnter:
		return s.prepare()
	case msg.Type == tea.KeyTab || msg.Type == tea.KeyDown:
		s.focus = (s.focus + 1) % len(items)
		return nil
	case msg.Type == tea.KeyShiftTab || msg.Type == tea.KeyUp:
		s.focus = (s.focus + len(items) - 1) % len(items)
		return nil
	case msg.Type == tea.KeyLeft || msg.Type == tea.KeyRight:
		d := 1
		if msg.Type == tea.KeyLeft {
			d = -1
		}
		switch cur {
		case "product":
			n := len(s.terms.Products)
			s.product = (s.product + d + n) % n
			s.applyProduct()
		case "payee":
			n := len(s.payees)
			if s.openConsent() {
				n++ // the "new payee" choice
			}
			if n > 0 {
				s.payeeIdx = (s.payeeIdx + d + n) % n
			}
		case "type":
			if s.newType == PayeeRetail {
				s.newType = PayeeCorporate
			} else {
				s.newType = PayeeRetail
			}
		case "purpose":
			if m := s.matches(); len(m) > 0 {
				s.purposeSel = (s.purposeSel + d + len(m)) % len(m)
			}
		}
		return nil
	}
	switch cur {
	case "name":
		s.newName.Update(msg)
	case "bic":
		s.newBIC.Update(msg)
	case "addr1":
		s.newAddr1.Update(msg)
	case "addr2":
		s.newAddr2.Update(msg)
	case "country":
		s.newCountry.Update(msg)
	case "iban":
		if s.newIBAN.Update(msg) {
			s.newIBAN.problem = accountFeedback(s.chosen().scheme(), s.newIBAN.Value())
		}
	case "amount":
		s.amount.Update(msg)
	case "ref":
		s.ref.Update(msg)
	case "purpose":
		if s.purposeQ.Update(msg) {
			s.purposeSel = 0
		}
	}
	return nil
}

// focusOn moves the form's focus to the named row.
func (s *payScreen) focusOn(item string) {
	for i, it := range s.formItems() {
		if it == item {
			s.focus = i
		}
	}
}

// amountSentence is the one sentence for an AED amount money refused: what is wrong, what to
// type (amountSentenceIn for any currency).
func amountSentence(err error) string { return amountSentenceIn(err, currency) }

// typedOtherDigits reports an amount typed with digits other than 0-9 (Arabic-Indic), which
// the review restates as payterm read it.
func typedOtherDigits(typed string) bool {
	for _, r := range typed {
		if r >= '٠' && r <= '٩' || r >= '۰' && r <= '۹' {
			return true
		}
	}
	return false
}

// matches filters purpose codes by code prefix or description substring.
func (s *payScreen) matches() []PurposeCode {
	q := strings.ToLower(strings.TrimSpace(s.purposeQ.Value()))
	if q == "" {
		return s.codes
	}
	var out []PurposeCode
	for _, c := range s.codes {
		if strings.HasPrefix(strings.ToLower(c.Code), q) || strings.Contains(strings.ToLower(c.Description), q) {
			out = append(out, c)
		}
	}
	return out
}

func (s *payScreen) prepare() tea.Cmd {
	if s.loading || s.submitting {
		return nil
	}
	prod := s.chosen()
	d := PaymentDraft{
		ConsentID: s.consent.ID,
		Amount:    strings.TrimSpace(s.amount.Value()),
		Reference: strings.TrimSpace(s.ref.Value()),
		Product:   prod.ID,
	}
	if s.newPayee() {
		if !s.openConsent() {
			s.formErr = "Choose a payee (←/→)."
			return nil
		}
		sch := prod.scheme()
		if p := accountFeedback(sch, s.newIBAN.Value()); p != "" || s.newIBAN.Value() == "" ||
			(sch != AccountUAEIBAN && !accountValid(sch, s.newIBAN.Value())) {
			s.formErr = accountProblem(sch)
			return nil
		}
		if p := typedTextProblem("The payee name", s.newName.Value()); p != "" {
			s.formErr = p
			return nil
		}
		d.NewPayee = PayeeDraft{Name: strings.TrimSpace(s.newName.Value()), IBAN: normalAccount(sch, s.newIBAN.Value()), Type: s.newType}
		if prod.PayeeBank {
			if p := s.payeeBank(&d.NewPayee); p != "" {
				s.formErr = p
				return nil
			}
		}
		s.payeeBankShown = d.NewPayee
	} else {
		d.PayeeID = s.payees[s.payeeIdx].ID
		s.payeeBankShown = PayeeDraft{}
	}
	if _, err := parseAmountIn(d.Amount, prod.Currency); err != nil {
		// Refused here, as typed, with the sentence the core would give: nothing is sent.
		s.formErr = amountSentenceIn(err, prod.Currency)
		s.focusOn("amount")
		return nil
	}
	if p := typedTextProblem("The "+strings.ToLower(s.terms.Reference.Label), d.Reference); p != "" {
		s.formErr = p
		return nil
	}
	if s.terms.Reference.Required && d.Reference == "" {
		// Asked for here, before anything is prepared: the bank would refuse the payment.
		s.formErr = "Type a " + strings.ToLower(s.terms.Reference.Label) + ": " + consentBank(s.consent) + " does not take a payment without one."
		s.focusOn("ref")
		return nil
	}
	if s.terms.Purpose {
		m := s.matches()
		if len(m) == 0 {
			s.formErr = "Choose a purpose code (type to search, ←/→ to pick)."
			return nil
		}
		d.Purpose = m[min(s.purposeSel, len(m)-1)].Code
	}
	if pc, ok := s.needsCheck(d); ok {
		return s.startCheck(pc, d)
	}
	s.formErr = ""
	s.typedAmount = d.Amount
	s.submitting = true
	s.req = s.c.nextReq()
	req, ctx, w := s.req, s.c.ctx, s.c.w
	return func() tea.Msg {
		p, err := w.PreparePayment(ctx, d)
		return preparedMsg{req: req, p: p, err: err}
	}
}

func (s *payScreen) formView() string {
	st := s.c.st
	if s.loading {
		if !s.terms.Purpose {
			return st.Muted.Render("Loading payees…")
		}
		return st.Muted.Render("Loading payees and purpose codes…")
	}
	items := s.formItems()
	lw := 13
	// The purpose list shows up to five codes, fewer on a short terminal, so the error or the
	// "checking" line under the form stays on screen.
	below := 0
	if s.formErr != "" {
		below += 1 + strings.Count(wrapLines(s.formErr, s.w), "\n") + 1
	}
	if s.submitting {
		below += 2
	}
	// On the purpose field, what a purpose is (and Flexi Pay) in a payer's words, when the
	// terminal has room for it and three codes of the list.
	note := ""
	if s.focusedItem() == "purpose" && s.formErr == "" && !s.submitting {
		note = wrapLines(s.purposeNote(), max(20, s.w-4))
		if s.h > 0 && s.h-2-len(items)-below-(strings.Count(note, "\n")+2) < 3 {
			note = ""
		}
	}
	if note != "" {
		below += strings.Count(note, "\n") + 2
	}
	listRows := 5
	if s.h > 0 {
		listRows = max(1, min(5, s.h-2-len(items)-below))
	}
	var b strings.Builder
	// Which consent pays is chosen before this form (Home's p: the one that can pay, or the one
	// picked on "Pay from which consent?"; Consents → detail → p: that one), so the form says
	// which bank it is, on one line, and under which standard when it is not the UAE's.
	paying, flexi := "Paying from ", " (Flexi Pay)."
	if !s.terms.delegated() {
		flexi = " (" + s.terms.Standard + ")."
	}
	b.WriteString(st.Muted.Render(paying+truncate(consentBank(s.consent), max(8, s.w-len(paying)-displayWidth(flexi)))+flexi) + "\n\n")
	for i, it := range items {
		focused := i == s.focus
		switch it {
		case "product":
			p := s.chosen()
			b.WriteString(choiceLine(st, "Product", p.Label+"  "+st.Muted.Render(currencyCode(p.Currency)), focused, lw) + "\n")
		case "payee":
			choice := "New payee…"
			if !s.newPayee() {
				p := s.payees[s.payeeIdx]
				choice = p.Name + "  " + st.Muted.Render(MaskIBAN(p.IBAN))
			} else if !s.openConsent() {
				choice = st.Muted.Render("no payees on this consent")
			}
			b.WriteString(choiceLine(st, "Payee", choice, focused, lw) + "\n")
		case "name":
			b.WriteString(s.newName.View(st, focused, lw) + "\n")
		case "iban":
			b.WriteString(s.newIBAN.View(st, focused, lw) + "\n")
		case "bic":
			b.WriteString(s.newBIC.View(st, focused, lw) + "\n")
		case "addr1":
			b.WriteString(s.newAddr1.View(st, focused, lw) + "\n")
		case "addr2":
			b.WriteString(s.newAddr2.View(st, focused, lw) + "\n")
		case "country":
			b.WriteString(s.newCountry.View(st, focused, lw) + "\n")
		case "type":
			b.WriteString(choiceLine(st, "Payee type", string(s.newType), focused, lw) + "\n")
		case "amount":
			b.WriteString(s.amount.View(st, focused, lw) + "\n")
		case "ref":
			b.WriteString(s.ref.View(st, focused, lw) + "\n")
		case "purpose":
			b.WriteString(s.purposeQ.View(st, focused, lw) + "\n")
			m := s.matches()
			if len(m) == 0 {
				b.WriteString("    " + st.Muted.Render("no purpose code matches") + "\n")
			}
			start := max(0, min(s.purposeSel-listRows/2, len(m)-listRows))
			for j := start; j < len(m) && j < start+listRows; j++ {
				line := m[j].Code + "  " + m[j].Description
				if j == s.purposeSel {
					if st.accessible {
						line = "* " + line + " (selected)"
					} else {
						line = st.Selected.Render(line)
					}
				} else {
					line = "  " + st.Muted.Render(line)
				}
				b.WriteString("    " + truncate(line, max(10, s.w-6)) + "\n")
			}
		}
	}
	if note != "" {
		b.WriteString("\n")
		for _, l := range strings.Split(note, "\n") {
			b.WriteString("  " + st.Muted.Render(l) + "\n")
		}
	}
	if s.formErr != "" {
		b.WriteString("\n" + st.Error.Render(s.formErr) + "\n")
	}
	if s.submitting {
		b.WriteString("\n" + st.Muted.Render("Checking the payment against the consent and limits…") + "\n")
	}
	return b.String()
}

// focusedItem is the form item with the focus ("" when none).
func (s *payScreen) focusedItem() string {
	if items := s.formItems(); s.focus >= 0 && s.focus < len(items) {
		return items[s.focus]
	}
	return ""
}

// purposeNote says what the purpose code is, and what Flexi Pay means, in a payer's words: the
// purpose is chosen per payment (the consent's is only where the list starts), and with Flexi
// Pay the PIN and code typed here are the bank's approval.
func (s *payScreen) purposeNote() string {
	note := "The purpose tells your bank what this payment is for (rent, salary, a transfer to a person…): you choose it for each payment"
	if c := s.consent.PurposeCode; c != "" {
		note += "; the list starts at your consent's, " + c
	}
	note += "."
	if s.terms.delegated() {
		note += " Flexi Pay: you approve each payment here with your PIN and code, within your limits; your bank does not ask again."
	}
	return note
}

func choiceLine(st Styles, label, value string, focused bool, lw int) string {
	prefix := "  "
	if focused {
		prefix = st.Accent.Render("› ")
		if st.accessible {
			prefix = "> "
		}
	}
	arrows := ""
	if focused {
		arrows = st.Muted.Render("  ←/→")
	}
	return prefix + st.Muted.Render(padRight(label, lw)) + " " + value + arrows
}
