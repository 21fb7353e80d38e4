package ui

// What the bank step draws: the address and what to do with it, the wait or the paste field, the QR
// code where it fits, and the page shown alone for copying.

import (
	"fmt"
	"strings"
)

func (b *bankFlow) View() string {
	st := b.c.st
	var s strings.Builder
	if b.alone {
		return b.aloneView()
	}
	switch b.mode {
	case bankDone:
		if r := b.result; r != nil {
			s.WriteString(st.Success.Render("Your bank authorised the consent.") + "\n\n")
			s.WriteString(consentBank(*r) + " · " + statusLabel(*r) + " · " + consentProduct(*r) + " · expires " + day(r.Expires, b.c.loc) + "\n")
		}
		s.WriteString("\nPress enter to continue.")
		return s.String()
	case bankFailed:
		s.WriteString(st.Error.Render("The bank step did not complete.") + "\n" + b.err + "\n\n")
		s.WriteString("Press enter to try again: payterm asks your bank for a new address, since the bank accepts each one once.")
		return s.String()
	case bankStaging:
		return st.Muted.Render("Asking your bank for a new address…")
	}
	top := b.topLines(b.w)
	lower := b.lowerLines(b.mode)
	q := b.placeQR()
	s.WriteString(strings.Join(top, "\n") + "\n\n")
	switch {
	case q.Shown():
		// The caption stands right above the choices: a blank line more would cost the row
		// that lets the code show at 100×46 with a bank's usual address.
		s.WriteString(q.block + "\n" + st.Muted.Render(b.qrCaption()) + "\n")
	case q.note != "":
		s.WriteString(st.Muted.Render(q.note) + "\n\n")
	}
	s.WriteString(strings.Join(lower, "\n"))
	return s.String()
}

// topLines is everything above the QR code: what to do, the address wrapped hard at the edge
// (the lines joined are the address, nothing added), and when it stops working.
func (b *bankFlow) topLines(w int) []string {
	st := b.c.st
	at := "your bank"
	if n := plainName(b.bankName); n != "" {
		at = n
	}
	if b.payment != nil {
		lines := []string{"Approve " + b.payment.what() + " at " + at + ". Open this address in a browser:"}
		if b.payment.login {
			lines = []string{"Log in at " + at + " first: your bank has not got " + b.payment.what() + " yet. Open this address in a browser:"}
		}
		if e := b.step.ExpiresAt; !e.IsZero() {
			if b.c.now().Before(e) {
				lines = append(lines, st.Muted.Render(fmt.Sprintf("The bank accepts it until %s UTC.", e.UTC().Format("15:04:05"))))
			} else {
				nobody := "a payment nobody approved"
				if b.payment.bundle > 1 {
					nobody = "payments nobody approved"
				}
				lines = append(lines, st.Warning.Render("This address has expired: the bank rejects "+nobody+". esc stops watching."))
			}
		}
		return append(append(lines, ""), hardWrap(b.step.URL, w)...)
	}
	lines := []string{"Approve the consent at " + at + ". Open this address in a browser:"}
	if e := b.step.ExpiresAt; !e.IsZero() {
		if b.c.now().Before(e) {
			lines = append(lines, st.Muted.Render(fmt.Sprintf("The bank accepts it once, until %s; n gets a new one.", e.In(b.c.loc).Format("15:04:05"))))
		} else {
			lines = append(lines, st.Warning.Render("This address has expired: press n for a new one."))
		}
	}
	lines = append(lines, "")
	return append(lines, hardWrap(b.step.URL, w)...)
}

// lowerLines is everything under the QR code in mode: the choices, the wait, the paste field,
// and an error.
func (b *bankFlow) lowerLines(mode bankMode) []string {
	st := b.c.st
	var l []string
	done := "approving"
	if b.payment != nil && b.payment.login {
		done = "logging in"
	}
	if b.step.PasteBack && mode != bankPaste {
		l = append(l, "After "+done+", your browser goes to a page payterm does not receive here: copy the address it shows and paste it (v).", "")
	}
	if b.noBrowser && mode != bankWaiting {
		l = append(l, st.Warning.Render("No browser could be opened on this computer. Open the address on any browser yourself:"))
	}
	switch mode {
	case bankChoose:
		if b.c.openURL != nil && !b.noBrowser {
			l = append(l, "  o  open it in your browser and wait here")
		}
		if !b.step.PasteBack {
			l = append(l, "  w  wait here while you open it yourself")
		}
		if b.pastes() {
			l = append(l, "  v  paste the address you land on after "+done)
		}
		l = append(l, "  u  show the address alone, to select or copy it (c there copies it)")
		if b.stage != nil {
			l = append(l, "  n  get a new address (the bank's page says this one was used or has expired)")
		}
		if b.c.openURL != nil && b.noBrowser {
			l = append(l, "  o  try the browser again")
		}
	case bankWaiting:
		switch {
		case b.payment != nil:
			l = append(l, b.paymentWaitLine())
		case st.accessible:
			l = append(l, "Waiting for your bank. Press esc to stop waiting.")
		default:
			l = append(l, st.Accent.Render("Waiting for your bank…")+st.Muted.Render(" (esc to stop, v to paste instead, n for a new address)"))
		}
	case bankPaste:
		l = append(l, b.paste.View(st, true, 13))
	}
	if b.err != "" {
		l = append(l, "", st.Error.Render(b.err))
	}
	return l
}

// paymentWaitLine is the wait for a payment's approval: a spinner and the time since the bank
// began waiting, both from the injected clock (the pay screen redraws every 100 ms), so the
// screen never looks hung while the core polls the bank.
func (b *bankFlow) paymentWaitLine() string {
	st := b.c.st
	at := "your bank"
	if n := plainName(b.bankName); n != "" {
		at = n
	}
	if b.payment.login {
		if st.accessible {
			return "Waiting for your login at " + at + ". Press esc to stop; the payment is not sent."
		}
		now := b.c.now()
		return spinnerFrame(st, now) + " " + st.Accent.Render("Waiting for your login at "+at) + " · " + elapsed(now.Sub(b.payment.since)) +
			st.Muted.Render(" (v to paste the address instead; esc stops, nothing is sent)")
	}
	if st.accessible {
		return "Waiting for your approval at " + at + ". Press esc to stop watching; " + b.payment.waits() + "."
	}
	now := b.c.now()
	line := spinnerFrame(st, now) + " " + st.Accent.Render("Waiting for your approval at "+at) + " · " + elapsed(now.Sub(b.payment.since))
	hint := " (esc stops watching; " + b.payment.waits() + ")"
	if b.pastes() {
		hint = " (v to paste the address instead; esc stops watching)"
	}
	return line + st.Muted.Render(hint)
}

// aloneView is what stands under the address printed on the normal screen (u).
func (b *bankFlow) aloneView() string {
	st := b.c.st
	var s strings.Builder
	s.WriteString(st.Muted.Render("That is the whole address, above: select it to copy it"))
	if b.c.hyperlinks {
		s.WriteString(st.Muted.Render(", or click it to open it"))
	}
	s.WriteString(st.Muted.Render(".") + "\n")
	if b.copied {
		s.WriteString(st.Muted.Render("If your terminal does not let programs set the clipboard, nothing was copied: select it instead.") + "\n")
	}
	s.WriteString(st.Key.Render("c") + " copy it to the clipboard · " + st.Key.Render("esc") + " back")
	return s.String()
}

// placeQR decides about the QR code. It is offered only when a device other than this computer
// can open the address (qrElsewhere), and drawn only when the terminal holds the screen with it
// in every mode of the step: the room is measured for the tallest footer and the tallest lower
// part of choose and wait, so it neither flickers in and out as the step changes mode nor
// asks for a size that would not show it.
func (b *bankFlow) placeQR() qrFit {
	st := b.c.st
	if st.accessible || b.step.URL == "" {
		return qrFit{}
	}
	if ok, why := qrElsewhere(b.step.URL); !ok {
		return qrFit{note: why}
	}
	block := qrBlock(st, b.step.URL)
	if block == "" {
		return qrFit{}
	}
	lines := strings.Split(block, "\n")
	qw, qh := displayWidth(lines[0]), len(lines)
	tw, th := b.c.termW, b.c.termH
	need := b.rowsWithQR(qh, tw)
	if qw <= tw && need <= th {
		return qrFit{block: block, code: block, qw: qw, qh: qh}
	}
	needW := max(tw, qw)
	if needW > tw {
		need = b.rowsWithQR(qh, needW)
	}
	return qrFit{code: block, qw: qw, qh: qh, needW: needW, needH: need,
		note: fmt.Sprintf("The QR code (for another device) needs a terminal of at least %d×%d; this one is %d×%d.", needW, need, tw, th)}
}

// qrCaption is the sentence under the QR code: what it is for and, when the bank sends the
// browser back to this computer, what a phone cannot do.
func (b *bankFlow) qrCaption() string {
	if b.payment != nil && b.payment.polled {
		return "On a phone: scan the QR code and approve there; payterm sees your bank's answer."
	}
	if b.step.CallbackHere {
		// The bank sends the phone's browser back to this computer, which it cannot reach.
		return "On a phone: scan the QR code, approve, then paste here (v) the address the phone shows."
	}
	return "On a phone: scan the QR code to open the address there."
}

// rowsWithQR is the terminal height the step needs at width tw with a QR code of qh rows: the
// header, the footer and the body, each the tallest of the choose and wait modes.
func (b *bankFlow) rowsWithQR(qh, tw int) int {
	footer := 1 // the status line
	lower := 0
	for _, m := range []bankMode{bankChoose, bankWaiting} {
		parts := []string{}
		for _, k := range b.keysFor(m) {
			parts = append(parts, k.Help().Key+" "+k.Help().Desc)
		}
		parts = append(parts, "? help")
		footer = max(footer, 1+min(maxKeyLines, len(joinWrapped(parts, " · ", tw))))
		lower = max(lower, wrappedRows(b.lowerLines(m), tw))
	}
	body := wrappedRows(b.topLines(tw), tw) + 1 + qh + wrappedRows([]string{b.qrCaption()}, tw) + lower
	return headerHeight + b.extraRows + body + footer
}

// wrappedRows counts the rows lines take once the router wraps them to width w.
func wrappedRows(lines []string, w int) int {
	n := 0
	for _, l := range lines {
		n += strings.Count(wrapLines(l, w), "\n") + 1
	}
	return n
}
