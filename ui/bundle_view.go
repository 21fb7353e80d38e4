package ui

// What the Bundle screen draws at each stage: the form with the payments added so far, the review
// with its total, the PIN + code, the live list and the revoke warning.

import (
	"fmt"
	"strings"

	"github.com/payterm/payterm/money"
)

func (s *bundleScreen) View() string {
	switch s.stage {
	case bundleReview:
		return s.reviewView()
	case bundleSCA:
		return s.scaView()
	case bundleRevoke:
		return s.revokeView()
	case bundleRun:
		return s.runView()
	}
	return s.formView()
}

// total of the payments added so far (each was checked when added).
func (s *bundleScreen) total() money.Amount {
	var t money.Amount
	for _, d := range s.drafts {
		if sum, err := t.Add(d.parsed); err == nil {
			t = sum
		}
	}
	return t
}

func (s *bundleScreen) formView() string {
	st := s.c.st
	bank := consentBank(s.consent)
	var b strings.Builder
	b.WriteString(st.Muted.Render(fmt.Sprintf("Paying from %s (%s): several payments, one PIN + code, one approval at %s (at most %d).",
		truncate(bank, max(8, s.w/3)), s.terms.Standard, bank, s.terms.Bundle)) + "\n\n")
	if len(s.drafts) == 0 {
		b.WriteString(st.Muted.Render("No payment in the bundle yet.") + "\n")
	} else {
		b.WriteString(fmt.Sprintf("In the bundle: %s\n", count(len(s.drafts), "payment", "payments")))
		for i, d := range s.drafts {
			b.WriteString(fmt.Sprintf("  %d. %s  %s  %s", i+1, truncate(d.name, 24), MaskIBAN(d.iban), formatMoney(d.parsed, s.terms.Currency)))
			if d.ref != "" {
				b.WriteString("  " + st.Muted.Render(truncate(d.ref, 24)))
			}
			b.WriteString("\n")
		}
		b.WriteString("  Total " + formatMoney(s.total(), s.terms.Currency) + "\n")
	}
	b.WriteString("\nAdd a payment:\n")
	lw := max(13, displayWidth(s.ref.label), displayWidth(s.amount.label))
	for i, f := range s.fields() {
		b.WriteString(f.View(st, i == s.focus, lw) + "\n")
	}
	if s.busy {
		b.WriteString("\n" + st.Muted.Render("Checking the bundle…"))
	}
	if s.formErr != "" {
		b.WriteString("\n" + st.Error.Render(s.formErr))
	}
	return strings.TrimRight(b.String(), "\n")
}

// itemLines list the bundle's payments; with statuses once it runs.
func (s *bundleScreen) itemLines(withStatus bool) string {
	st := s.c.st
	var b strings.Builder
	aw := 0
	for _, p := range s.prepared.Items {
		aw = max(aw, displayWidth(formatMoney(p.Amount, p.Currency)))
	}
	for i, p := range s.prepared.Items {
		name := truncate(p.Payee.Name, 24)
		line := fmt.Sprintf("%2d. %s%s %s  %*s", i+1, name, strings.Repeat(" ", max(0, 24-displayWidth(name))), MaskIBAN(p.Payee.IBAN), aw, formatMoney(p.Amount, p.Currency))
		if withStatus {
			status := "waiting"
			if s.final {
				status = "not made: nothing of it reached the bank; pay it again"
			}
			if i < len(s.items) && s.items[i].Status != "" {
				it := s.items[i]
				status = string(it.Status)
				if it.BankStatus != "" {
					status += " (" + it.BankStatus + ")"
				}
			}
			line += "  " + s.statusStyle(i).Render(status)
		} else if p.Reference != "" {
			line += "  " + st.Muted.Render(truncate(p.Reference, 30))
		}
		b.WriteString(line + "\n")
		if withStatus && i < len(s.items) && s.items[i].Reason != "" {
			b.WriteString("    " + st.Muted.Render(s.items[i].Reason) + "\n")
		}
	}
	return b.String()
}

func (s *bundleScreen) statusStyle(i int) interface{ Render(...string) string } {
	st := s.c.st
	if i >= len(s.items) {
		return st.Muted
	}
	switch {
	case PaymentPaid(s.items[i].Status):
		return st.Success
	case s.items[i].Status == PaymentRejected || s.items[i].Status == PaymentCancelled || s.items[i].Status == PaymentRefused || s.items[i].Status == PaymentAbandoned:
		return st.Error
	}
	return st.Accent
}

func (s *bundleScreen) reviewView() string {
	st := s.c.st
	p := s.prepared
	bank := consentBank(s.consent)
	var b strings.Builder
	b.WriteString(fmt.Sprintf("You are about to pay %s to %s from %s:\n\n", formatMoney(p.Total, p.Currency),
		count(len(p.Items), "payee", "payees"), bank))
	b.WriteString(s.itemLines(false))
	b.WriteString("\n" + fmt.Sprintf("Total          %s\n", formatMoney(p.Total, p.Currency)))
	b.WriteString(fmt.Sprintf("Standard       %s\n", s.terms.Standard))
	b.WriteString(fmt.Sprintf("Signed with    %s\n\n", truncate(s.terms.Scheme, max(20, s.w-15))))
	b.WriteString(st.Muted.Render(fmt.Sprintf("Your PIN and code confirm all %d payments to payterm once; they protect this wallet and do not replace %s's check. %s then asks you once, on its page, to approve them: you may untick any there.",
		len(p.Items), bank, bank)))
	return b.String()
}

func (s *bundleScreen) scaView() string {
	st := s.c.st
	var b strings.Builder
	b.WriteString(fmt.Sprintf("Confirm the bundle: %s, %s.\n\n", count(len(s.prepared.Items), "payment", "payments"), formatMoney(s.prepared.Total, s.prepared.Currency)))
	b.WriteString(s.pin.View(st, s.scaFocus == 0, 5) + "\n")
	b.WriteString(s.totp.View(st, s.scaFocus == 1, 5) + "\n")
	if s.scaErr != "" {
		b.WriteString("\n" + st.Error.Render(s.scaErr))
	}
	return strings.TrimRight(b.String(), "\n")
}

func (s *bundleScreen) runView() string {
	st := s.c.st
	bank := consentBank(s.consent)
	if s.flow != nil && s.flow.alone {
		return s.flow.View()
	}
	var b strings.Builder
	head := "Paying the bundle"
	switch {
	case s.final:
		head = "The bundle"
	case s.stopped:
		head = "Stopping: the payments wait at " + bank + "; payterm keeps checking them."
	}
	b.WriteString(head + "\n\n")
	list := s.itemLines(true)
	var page string
	if s.flow != nil && !s.stopped && !s.answering {
		page = s.flow.View()
		says := ""
		if s.pageSays != "" {
			says = st.Muted.Render(bankSays(bank, s.pageSays)) + "\n\n"
		}
		// The bank's step needs the room (its address, the paste field): on a short terminal
		// the list gives way to one line, then the bank's message goes, as the pay screen's
		// rows do.
		tooTall := func(list, says string) bool {
			return s.h > 0 && wrappedRows(strings.Split(head+"\n\n"+list+"\n"+says+page, "\n"), max(s.w, 1)) > s.h
		}
		if tooTall(list, says) {
			list = fmt.Sprintf("%s, %s: each waits for your approval at %s.\n", count(len(s.prepared.Items), "payment", "payments"),
				formatMoney(s.prepared.Total, s.prepared.Currency), bank)
			if tooTall(list, says) {
				says = ""
			}
		}
		page = says + page
	}
	b.WriteString(list)
	switch {
	case s.answering:
		b.WriteString("\n" + st.Accent.Render("Sending your answer to "+bank+"…") + "\n")
	case page != "":
		b.WriteString("\n" + page + "\n")
	case s.final && s.awaiting() > 0:
		b.WriteString("\n" + st.Muted.Render(fmt.Sprintf("%s for your approval at %s; payterm keeps checking. x revokes the bundle.",
			count(s.awaiting(), "payment still waits", "payments still wait"), bank)) + "\n")
	case s.final:
		b.WriteString("\n" + st.Muted.Render("Every payment of the bundle has ended; each is in History.") + "\n")
	}
	if s.runErr != "" {
		b.WriteString("\n" + st.Error.Render(s.runErr))
	}
	return strings.TrimRight(b.String(), "\n")
}

func (s *bundleScreen) revokeView() string {
	st := s.c.st
	var b strings.Builder
	b.WriteString(st.Warning.Render(s.prepared.RevokeWarning) + "\n\n")
	b.WriteString(s.itemLines(true))
	b.WriteString("\nRevoke the bundle at " + consentBank(s.consent) + "? y revokes, n keeps it.")
	if s.busy {
		b.WriteString("\n\n" + st.Muted.Render("Revoking…"))
	}
	if s.revokeErr != "" {
		b.WriteString("\n\n" + st.Error.Render(s.revokeErr))
	}
	return b.String()
}
