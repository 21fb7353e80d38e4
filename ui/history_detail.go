package ui

// One payment's detail on the history screen, and asking its bank again for an approval.

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

func (s *historyScreen) detailView() string {
	st := s.c.st
	if s.detailErr != "" {
		return st.Error.Render(s.detailErr)
	}
	d := s.detail
	if d == nil {
		return st.Muted.Render("Loading…")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s to %s\n\n", formatMoney(d.Row.Amount, d.Row.Currency), d.Row.PayeeName)
	var f strings.Builder
	fmt.Fprintf(&f, "Status          %s\n", statusWithCode(d.Row.Status, d.Row.BankStatus))
	if d.Reason != "" {
		fmt.Fprintf(&f, "Reason          %s\n", d.Reason)
	}
	if d.Row.Reference != "" {
		fmt.Fprintf(&f, "Reference       %s\n", d.Row.Reference)
	}
	if d.Purpose != "" {
		fmt.Fprintf(&f, "Purpose         %s\n", d.Purpose)
	}
	if bank := plainName(d.Row.Bank); bank != "" {
		// Which bank, under which standard: who approved the payment and how it was signed.
		t := d.Terms.resolved()
		fmt.Fprintf(&f, "Bank            %s\n", bank)
		fmt.Fprintf(&f, "Standard        %s, in %s\n", plainName(t.Standard), currencyCode(t.Currency))
		fmt.Fprintf(&f, "Approval        %s\n", approvalWords(t))
		fmt.Fprintf(&f, "Signed with     %s\n", schemeWords(t))
	}
	if m := d.Bundle; m != nil {
		fmt.Fprintf(&f, "Bundle          %s\n", bundleField(*m, plainName(d.Row.Bank)))
	}
	fmt.Fprintf(&f, "PaymentId       %s\n", d.Row.PaymentID)
	fmt.Fprintf(&f, "Interaction id  %s\n", d.InteractionID)
	b.WriteString(wrapUnder(f.String(), s.w, 16))
	if m := d.Bundle; m != nil && !s.confirmCancel {
		if note := bundleApprovalNote(*m, plainName(d.Row.Bank), d.Row.Status); note != "" {
			b.WriteString("\n" + st.Warning.Render(note) + "\n")
		}
	}
	switch {
	case s.confirmCancel:
		b.WriteString("\n" + st.Warning.Render(cancelQuestion(d.Row.Status)) + "\n")
	case s.cancelErr != "":
		b.WriteString("\n" + st.Error.Render(s.cancelErr) + "\n")
	}
	b.WriteString("\n" + st.Title.Render("Timeline") + "\n")
	for i, ch := range d.Timeline {
		conn := "│"
		dot := "●"
		if st.accessible {
			conn, dot = "", "-"
		}
		line := fmt.Sprintf("%s %s  %s", dot, zoned(ch.At, s.c.loc), timelineWords(ch.Status, ch.BankStatus))
		if ch.Note != "" {
			line += "  " + st.Muted.Render(ch.Note)
		}
		b.WriteString(line + "\n")
		if i < len(d.Timeline)-1 && conn != "" {
			b.WriteString(st.Muted.Render(conn) + "\n")
		}
	}
	return b.String()
}

// keyApproveAgain asks the bank again for its approval of a payment awaiting it.
var keyApproveAgain = key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "approve at your bank now"))

// approvalConsentMsg carries the consent (or link) of a payment whose approval is asked again.
type approvalConsentMsg struct {
	req     int
	d       PaymentDetail
	consent Consent
	err     error
}

// approveAgain finds the payment's consent (its bank and terms), then opens the pay screen on
// the bank's approval of that payment.
func (s *historyScreen) approveAgain(d PaymentDetail) tea.Cmd {
	s.approveReq = s.c.nextReq()
	req, ctx, w := s.approveReq, s.c.ctx, s.c.w
	return func() tea.Msg {
		cs, err := w.Consents(ctx)
		if err != nil {
			return approvalConsentMsg{req: req, err: err}
		}
		for _, c := range cs {
			if c.ID == d.ConsentID {
				return approvalConsentMsg{req: req, d: d, consent: c}
			}
		}
		return approvalConsentMsg{req: req, err: &Problem{What: "This payment's consent is no longer in the wallet.", Next: "Approve it in your online banking, or cancel it with X."}}
	}
}
