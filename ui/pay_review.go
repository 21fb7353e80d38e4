package ui

// The pay screen's review of a prepared payment and the PIN + code that confirm it.

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// prestretch hands the PIN typed so far to a wallet that can start its slow PIN check while
// the code is typed (PINPrestretcher), off the UI's goroutine.
func (s *payScreen) prestretch() tea.Cmd {
	ps, ok := s.c.w.(PINPrestretcher)
	if !ok || s.pin.Value() == "" {
		return nil
	}
	pin := NewSecret(s.pin.Value())
	return func() tea.Msg {
		ps.PrestretchPIN(pin)
		return nil
	}
}

func (s *payScreen) scaKey(msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, keyBack):
		s.pin.Wipe()
		s.totp.Wipe()
		s.stage = payReview
		return nil
	case msg.Type == tea.KeyTab || msg.Type == tea.KeyDown || msg.Type == tea.KeyShiftTab || msg.Type == tea.KeyUp:
		s.scaFocus = 1 - s.scaFocus
		if s.scaFocus == 1 {
			return s.prestretch()
		}
		return nil
	case msg.Type == tea.KeyEnter:
		if s.scaFocus == 0 && s.totp.Value() == "" {
			s.scaFocus = 1
			return s.prestretch()
		}
		if s.pin.Value() == "" || s.totp.Value() == "" || s.submitting || s.prepared == nil {
			s.scaErr = "Type your PIN and the code from your authenticator app."
			return nil
		}
		in := SCAInput{PIN: NewSecret(s.pin.Value()), TOTP: NewSecret(s.totp.Value())}
		s.pin.Wipe()
		s.totp.Wipe()
		s.scaFocus = 0
		s.scaErr = ""
		s.submitting = true
		s.inFlight = true
		s.stage = payProgress
		s.stopped = false
		s.req = s.c.nextReq()
		s.steps = s.prepared.Steps
		if len(s.steps) == 0 {
			s.steps = uaeSteps()
		}
		s.resetProgress()
		s.started = s.c.now()
		s.approval = newApproval()
		ctx, cancel := context.WithCancel(s.c.ctx)
		s.cancelRun, s.runCtx = cancel, ctx
		req, w, id := s.req, s.c.w, s.prepared.ID
		submit := func() tea.Msg {
			ch, err := w.SubmitPayment(ctx, id, in)
			return submitStartedMsg{req: req, ch: ch, err: err}
		}
		if s.c.accessible {
			return submit
		}
		return tea.Batch(submit, progressTick(req))
	}
	if s.scaFocus == 0 {
		s.pin.Update(msg)
	} else {
		s.totp.Update(msg)
	}
	return nil
}

// productOf is the product a prepared payment is made as (the form's choice when the core did
// not say).
func (s *payScreen) productOf(p *PreparedPayment) Product {
	for _, x := range s.terms.Products {
		if p.Product != "" && x.ID == p.Product {
			return x
		}
	}
	return s.chosen()
}

// walletOnlyNote is the review's honest sentence where the wallet's check is not the bank's:
// the PIN and code protect this wallet, and the bank asks the payer itself.
func (s *payScreen) walletOnlyNote() string {
	bank := consentBank(s.consent)
	return "Your PIN and code confirm this payment to payterm only: they protect this wallet and do not replace " +
		bank + "'s own check. " + bank + " then asks you to approve the payment itself."
}

func (s *payScreen) reviewView() string {
	st := s.c.st
	p := s.prepared
	if p == nil {
		return ""
	}
	cur := currencyCode(p.Currency)
	var b strings.Builder
	b.WriteString("You are about to pay\n\n")
	// Typed in Arabic-Indic digits, the amount is restated as read, next to what was typed.
	// The typed text passed parseAmountIn: digits, separators and the currency only.
	readAs := ""
	if typedOtherDigits(s.typedAmount) {
		readAs = "You typed " + s.typedAmount + ", read as " + formatMoney(p.Amount, cur) + ".\n"
	}
	if st.accessible {
		b.WriteString("Amount: " + formatMoney(p.Amount, cur) + "\n" + readAs)
		b.WriteString("To: " + p.Payee.Name + "\n")
	} else {
		b.WriteString(st.Big.Render(bigText(p.Amount.Display()+" "+cur)) + "\n")
		if readAs != "" {
			b.WriteString(st.Muted.Render(readAs))
		}
		b.WriteString("\n")
		b.WriteString("to  " + st.Big.Underline(true).Render(p.Payee.Name) + "\n")
	}
	b.WriteString("\n")
	prod := s.productOf(p)
	type row struct{ label, value string }
	account := groupAccount(prod.scheme(), p.Payee.IBAN)
	if p.Payee.Type != "" {
		account += " (" + string(p.Payee.Type) + ")"
	}
	// The bank the money leaves: with consents at several banks, what the user authorises must
	// say which account pays.
	rows := []row{{"Account", account}, {"From", consentBank(s.consent)}}
	if len(s.terms.Products) > 1 {
		rows = append(rows, row{"Product", prod.Label})
	}
	if pb, ok := s.payeeBankOf(*p); prod.PayeeBank && ok {
		// What the bank is told of the payee abroad: as typed on this form, or as the wallet
		// keeps it with a saved payee.
		rows = append(rows, row{"Payee's bank", pb.BIC}, row{"Address", strings.Join(append(append([]string(nil), pb.Address...), pb.Country), ", ")})
	}
	if p.Reference != "" {
		rows = append(rows, row{s.terms.Reference.Label, p.Reference})
	}
	if s.terms.Purpose {
		rows = append(rows, row{"Purpose", p.Purpose.Code + " " + p.Purpose.Description})
	}
	walletOnly := !s.terms.delegated()
	if walletOnly {
		rows = append(rows, row{"Standard", s.terms.Standard})
		if s.terms.Signing != "" {
			rows = append(rows, row{"Signed with", s.terms.Signing})
		}
	}
	if p.BankApproval != "" {
		// The bank's own rules may spare the payer its approval; the wallet only guesses.
		rows = append(rows, row{"Bank approval", p.BankApproval})
	}
	lw := 9
	for _, r := range rows {
		lw = max(lw, displayWidth(r.label))
	}
	var f strings.Builder
	for _, r := range rows {
		f.WriteString(padRight(r.label, lw+2) + r.value + "\n")
	}
	b.WriteString(wrapUnder(f.String(), s.w, lw+2))
	note := ""
	next := "\nPress enter to authenticate, esc to change."
	if walletOnly {
		words := s.walletOnlyNote()
		if p.BankApproval != "" {
			words = strings.TrimSuffix(words, ".") + ", unless it waives that (Bank approval above)."
		}
		note = "\n" + st.Warning.Render(words) + "\n"
		next = "\nPress enter to confirm with your PIN and code, esc to change."
	}
	b.WriteString(note)
	// On a short terminal the headroom shrinks to one summary (what is left today and this
	// month, the count) rather than pushing out the line saying what to do (or, at a bank that
	// asks the payer itself, the sentence saying so, which wraps); with no room even for that it
	// is left out.
	fits := func(after string) bool {
		all := b.String() + after + next
		if walletOnly {
			all = wrapLines(all, s.w)
		}
		return s.h <= 0 || strings.Count(all, "\n")+1 <= s.h
	}
	for _, after := range []string{
		"\n" + st.Muted.Render("After this payment:") + "\n" + headroomLines(st, p.Headroom, s.w),
		"\n" + wrapLines(st.Muted.Render("After this payment:")+" "+headroomSummary(p.Headroom)+"\n", s.w),
	} {
		if fits(after) {
			b.WriteString(after)
			break
		}
	}
	b.WriteString(next)
	return b.String()
}

func (s *payScreen) scaView() string {
	st := s.c.st
	var b strings.Builder
	delegated := s.terms.delegated()
	if p := s.prepared; p != nil {
		verb := "Authorise"
		if !delegated {
			verb = "Confirm"
		}
		b.WriteString(fmt.Sprintf("%s %s to %s\n\n", verb, formatMoney(p.Amount, p.Currency), p.Payee.Name))
	}
	if delegated {
		b.WriteString("Your PIN and the 6-digit code from your authenticator app approve this one payment.\n\n")
	} else {
		bank := consentBank(s.consent)
		b.WriteString("Your PIN and the 6-digit code from your authenticator app confirm this payment to payterm; they do not replace " +
			bank + "'s check. " + bank + " asks you to approve it next.\n\n")
	}
	b.WriteString(s.pin.View(st, s.scaFocus == 0, 5) + "\n")
	b.WriteString(s.totp.View(st, s.scaFocus == 1, 5) + "\n")
	if s.scaErr != "" {
		b.WriteString("\n" + st.Error.Render(s.scaErr) + "\n")
	}
	return b.String()
}
