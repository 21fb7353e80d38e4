package ui

// The pay screen after the PIN + code: the payment's events, its steps with their progress, and the
// receipt.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

func waitPaymentEvent(req int, ch <-chan PaymentEvent) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		return paymentEventMsg{req: req, ev: ev, ch: ch, closed: !ok}
	}
}

func progressTick(req int) tea.Cmd {
	return tea.Tick(100*time.Millisecond, func(time.Time) tea.Msg { return progressTickMsg{req: req} })
}

func (s *payScreen) onEvent(msg paymentEventMsg) tea.Cmd {
	if msg.closed {
		// The core closed the stream without a final event: show what we know.
		if s.stage == payProgress && s.receipt == nil {
			s.inFlight = false
			s.failure = "The wallet stopped reporting progress. The payment resumes on the next start; check History."
			s.stage = payReceipt
		}
		return nil
	}
	ev := msg.ev
	// A wait the bank asked for lasts until the next event: the core reports what follows it.
	s.wait.until, s.wait.note = ev.Until, ""
	if !ev.Until.IsZero() {
		s.wait.note = ev.Note
	}
	if ev.Step >= 0 && int(ev.Step) < len(s.events) {
		p := &s.events[ev.Step]
		if !p.seen {
			p.seen, p.start = true, ev.At
		}
		p.state, p.note = ev.State, ev.Note
		if ev.State != StepRunning {
			p.finish = ev.At
		}
		if s.started.IsZero() || ev.At.Before(s.started) {
			s.started = ev.At
		}
		s.lastAt = ev.At
		s.announce(ev)
	}
	// The bank's approval step lasts until an event without it: the core moved on.
	cmd := s.onAction(ev)
	if ev.State == StepFailed && ev.Step == 0 {
		// The wallet's own check failed (row 0 in every standard): nothing was sent; back to
		// the SCA form with the generic message.
		s.inFlight = false
		s.stage = paySCA
		s.scaErr = explain(ev.Err)
		s.resetProgress()
		return nil
	}
	if ev.Final {
		s.inFlight = false
		if s.cancelRun != nil {
			s.cancelRun()
		}
		s.receipt = ev.Receipt
		// A final receipt already says why (status and reason); the error is only news when
		// there is no receipt or the outcome is still open.
		if ev.State == StepFailed && (ev.Receipt == nil || !paymentFinal(ev.Receipt.Status)) {
			s.failure = explain(ev.Err)
			if s.stopped && errors.Is(ev.Err, context.Canceled) {
				// esc stopped the watch, not the payment ("Cancelled." read as the payment's end).
				s.failure = "You stopped watching: the payment waits for your approval at " + consentBank(s.consent) + ". " +
					"Approve it there, or let it lapse; payterm keeps checking it (History shows it)."
			}
		}
		s.stage = payReceipt
		return nil
	}
	return tea.Batch(cmd, waitPaymentEvent(msg.req, msg.ch))
}

// resetProgress forgets the rows' progress (the wallet's check failed: the next attempt starts
// afresh).
func (s *payScreen) resetProgress() {
	s.events = make([]stepProgress, len(s.steps))
	s.announcements = nil
	s.started, s.lastAt = time.Time{}, time.Time{}
}

func (s *payScreen) announce(ev PaymentEvent) {
	word := "started"
	switch ev.State {
	case StepDone:
		word = "done"
	case StepFailed:
		word = "failed"
	}
	line := fmt.Sprintf("Step %d of %d: %s %s.", int(ev.Step)+1, len(s.steps), s.steps[ev.Step], word)
	if ev.Note != "" {
		line += " " + ev.Note + "."
	}
	if n := len(s.announcements); n > 0 && s.announcements[n-1] == line {
		return // the bank asking again (its next question) is not news for this row
	}
	s.announcements = append(s.announcements, line)
}

// uaeSteps are the UAE pipeline's rows (PaymentStep's names), for a prepared payment without
// Steps.
func uaeSteps() []string {
	out := make([]string, stepCount)
	for i := range stepCount {
		out[i] = PaymentStep(i).String()
	}
	return out
}

// currentStep is the row the payment is at: the one running, or, while the core is between two
// reports (it may report a step only once it is done), the first row after the last one seen.
// -1 when no row is ahead.
func (s *payScreen) currentStep() int {
	last := -1
	for i, p := range s.events {
		if p.seen && p.state == StepRunning {
			return i
		}
		if p.seen {
			last = i
		}
	}
	if !s.inFlight || s.stopped || last+1 >= len(s.events) {
		return -1
	}
	if last >= 0 && s.events[last].state == StepFailed {
		return -1
	}
	return last + 1
}

func (s *payScreen) progressView() string {
	st := s.c.st
	var b strings.Builder
	if p := s.prepared; p != nil {
		b.WriteString(fmt.Sprintf("Paying %s to %s\n\n", formatMoney(p.Amount, p.Currency), p.Payee.Name))
	}
	redirect := s.approval.action != nil && s.approval.action.Kind == ActionRedirect && s.approval.flow != nil
	if st.accessible {
		for _, a := range s.announcements {
			b.WriteString(a + "\n")
		}
		if len(s.announcements) == 0 {
			b.WriteString("Starting.\n")
		}
		if s.approval.action != nil || s.approval.answering {
			b.WriteString("\n" + s.approvalView() + "\n")
		}
		return b.String()
	}
	now := s.c.now()
	cur := s.currentStep()
	gap := "\n"
	if s.h > 0 && s.h < 16 {
		gap = "" // 60×18: no blank lines, so the warning below stays on screen
	}
	approving := s.approval.action != nil || s.approval.answering
	var rows strings.Builder
	for i := range s.events {
		rows.WriteString(stepLine(st, s.steps[i], s.events[i], i == cur, now) + "\n")
	}
	if !approving {
		b.WriteString(rows.String())
	} else {
		// The bank's step is what the payer acts on: the rows give way to one line when they
		// would push it off the screen, and always for the bank's page (its address and QR code
		// need the room).
		av := s.approvalView()
		tall := strings.Count(wrapLines(b.String()+rows.String()+"\n"+av, s.w), "\n") + 1 + 4
		if redirect || (s.h > 0 && tall > s.h) {
			b.WriteString(s.stepSummary(cur, now) + "\n")
		} else {
			b.WriteString(rows.String())
		}
		if s.approval.flow != nil {
			s.approval.flow.extraRows = strings.Count(b.String(), "\n") + 1
		}
		b.WriteString(gap + av + "\n")
		if s.h > 0 && strings.Count(wrapLines(b.String(), s.w), "\n")+4 > s.h {
			return b.String() // no room for the time and the reminder: the bank's step comes first
		}
	}
	if !s.started.IsZero() && !redirect {
		// Live: the time since the payment was submitted, from the injected clock, never less
		// than what the core reported last.
		end := now
		if s.lastAt.After(end) {
			end = s.lastAt
		}
		b.WriteString(gap + st.Muted.Render("Elapsed "+elapsed(end.Sub(s.started))) + "\n")
	}
	if line := s.waitLine(now); line != "" {
		b.WriteString(gap + st.Warning.Render(line) + "\n")
	}
	if !redirect {
		b.WriteString(gap + st.Muted.Render("Do not close the wallet; ctrl+c asks first. A payment that was sent is never sent twice.") + "\n")
	}
	return b.String()
}

// stepSummary is the progress rows on one line: "⠋ Step 5 of 7: Approve at your bank · 4
// steps done".
func (s *payScreen) stepSummary(cur int, now time.Time) string {
	st := s.c.st
	done := 0
	for _, p := range s.events {
		if p.seen && p.state == StepDone {
			done++
		}
	}
	if cur < 0 {
		return st.Muted.Render(count(done, "step", "steps") + " of " + fmt.Sprint(len(s.steps)) + " done")
	}
	mark := spinnerFrame(st, now) + " "
	if st.accessible {
		mark = ""
	}
	return mark + fmt.Sprintf("Step %d of %d: %s", cur+1, len(s.steps), s.steps[cur]) + st.Muted.Render(" · "+count(done, "step", "steps")+" done")
}

// waitLine is the bank's wait with a live countdown: "Bank asked to wait 59 s · 42 s left ·
// esc stops waiting". The countdown uses the injected clock, so a frozen clock shows a frozen
// count.
func (s *payScreen) waitLine(now time.Time) string {
	if s.wait.until.IsZero() {
		return ""
	}
	if s.stopped {
		return s.wait.note + " · stopping; the payment stays tracked"
	}
	left := s.wait.until.Sub(now)
	if left < 0 {
		left = 0
	}
	secs := int((left + time.Second - 1) / time.Second)
	return fmt.Sprintf("%s · %d s left · esc stops waiting (the payment stays tracked)", s.wait.note, secs)
}

// spinnerFrames animate whatever the wallet is waiting on.
var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// spinnerFrame is the frame for now, from the injected clock (a frozen clock renders a frozen
// frame, so golden files are stable).
func spinnerFrame(st Styles, now time.Time) string {
	return st.Accent.Render(spinnerFrames[(now.UnixMilli()/100)%int64(len(spinnerFrames))])
}

// stepLine renders "✓ PII sealed   0.1s  note". The current step (running, or next while the
// core is between reports) gets a frame of the spinner.
func stepLine(st Styles, name string, p stepProgress, current bool, now time.Time) string {
	mark := st.Muted.Render("·")
	dur := ""
	switch {
	case p.seen && p.state == StepDone:
		mark = st.Success.Render("✓")
		dur = elapsed(p.finish.Sub(p.start))
	case p.seen && p.state == StepFailed:
		mark = st.Error.Render("✗")
		dur = elapsed(p.finish.Sub(p.start))
	case current:
		mark = spinnerFrame(st, now)
	}
	line := fmt.Sprintf("%s %-18s %6s", mark, name, dur)
	if p.note != "" {
		line += "  " + st.Muted.Render(p.note)
	}
	return line
}

// receiptView is the receipt; on a terminal too short for it (60×18) the blank lines go first,
// so the ids stay on screen without scrolling.
func (s *payScreen) receiptView() string {
	v := s.receiptBody()
	if s.h <= 0 || s.w <= 0 || strings.Count(wrapLines(strings.TrimRight(v, "\n"), s.w), "\n")+1 <= s.h {
		return v
	}
	lines := strings.Split(v, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if l != "" {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

func (s *payScreen) receiptBody() string {
	st := s.c.st
	var b strings.Builder
	r := s.receipt
	if r == nil {
		b.WriteString(st.Error.Render("The payment was not made.") + "\n")
		if s.failure != "" {
			b.WriteString(s.failure + "\n")
		}
		return b.String()
	}
	shown := shownStatus(r.Status, r.BankStatus)
	words := paymentWords(r.Status, r.BankStatus)
	switch {
	case paymentOK(shown):
		b.WriteString(st.Success.Render("Payment "+words) + "\n\n")
	case shown == PaymentRejected && !s.terms.delegated():
		// The bank refused it, or the payer declined its approval: nothing left the account.
		b.WriteString(st.Error.Render("Rejected at your bank, nothing was paid") + "\n\n")
	case shown == PaymentRejected:
		b.WriteString(st.Error.Render("The bank rejected the payment") + "\n\n")
	case shown == PaymentPrepared:
		b.WriteString(st.Warning.Render("Payment queued — not sent") + "\n\n")
	case paymentFinal(shown):
		b.WriteString(st.Error.Render("Payment "+words) + "\n\n")
	default:
		b.WriteString(st.Warning.Render("Payment "+words+": the wallet keeps checking") + "\n\n")
	}
	var f strings.Builder
	fmt.Fprintf(&f, "Amount          %s\n", formatMoney(r.Amount, r.Currency))
	fmt.Fprintf(&f, "To              %s\n", r.Payee.Name)
	// The reference the payee sees on their statement: what the user quotes if asked.
	if p := s.prepared; p != nil && p.Reference != "" {
		fmt.Fprintf(&f, "Reference       %s\n", p.Reference)
	}
	// The bank the consent is at: with consents at several banks, the account that paid.
	fmt.Fprintf(&f, "From            %s\n", truncate(consentBank(s.consent), max(8, s.w-16)))
	fmt.Fprintf(&f, "Status          %s\n", statusWithCode(r.Status, r.BankStatus))
	if r.Reason != "" {
		reason := r.Reason
		if r.ReasonCode != "" && !strings.Contains(reason, r.ReasonCode) {
			reason += " [" + r.ReasonCode + "]"
		}
		fmt.Fprintf(&f, "Reason          %s\n", reason)
	}
	fmt.Fprintf(&f, "When            %s\n", zoned(r.At, s.c.loc))
	b.WriteString(wrapUnder(f.String(), s.w, 16) + "\n")
	// Ids on lines of their own, undecorated, so a terminal selection copies exactly the id.
	b.WriteString(st.Muted.Render("PaymentId") + "\n" + r.PaymentID + "\n")
	b.WriteString(st.Muted.Render("Interaction id (quote it to the bank)") + "\n" + r.InteractionID + "\n")
	if s.failure != "" {
		b.WriteString("\n" + st.Error.Render(s.failure) + "\n")
	}
	switch {
	case s.confirmCancel:
		b.WriteString("\n" + st.Warning.Render(cancelQuestion(s.receipt.Status)) + "\n")
	case s.cancelling:
		b.WriteString("\n" + st.Muted.Render("Cancelling…") + "\n")
	case s.cancelErr != "":
		b.WriteString("\n" + st.Error.Render(s.cancelErr) + "\n")
	}
	return b.String()
}
