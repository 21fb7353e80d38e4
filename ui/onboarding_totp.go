package ui

// The onboarding wizard's enrolment step (onboarding.go holds the wizard): the authenticator key
// and its QR code, the first code, then the recovery code shown once.

import (
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// loadEnrolment asks the wallet for a new authenticator key.
func (s *onboardingScreen) loadEnrolment() tea.Cmd {
	ctx, w := s.c.ctx, s.c.w
	return s.call(obLoadEnrolment, func(r *obDoneMsg) {
		e, err := w.EnrolTOTP(ctx)
		r.enrol, r.err = &e, err
	})
}

// totpView is the enrolment step; ownsStatus is true when it already placed the busy and error
// lines (beside the QR code).
func (s *onboardingScreen) totpView() (view string, ownsStatus bool) {
	st := s.c.st
	var b strings.Builder
	switch {
	case s.enrol == nil && !s.busy:
		return "Your authenticator key could not be created. Press enter to try again.", false
	case s.enrol == nil && s.enterEarly:
		return st.Muted.Render("Creating your authenticator key…") + "\n\n" +
			"Nothing typed yet counts: type the code your app shows once you have added the key.", false
	case s.enrol == nil:
		return st.Muted.Render("Creating your authenticator key…"), false
	}
	if s.recovery != nil {
		b.WriteString(st.Success.Render("Your authenticator app is set up.") + "\n\n")
		b.WriteString("Write down this recovery code and keep it somewhere safe. It is shown only now.\n")
		b.WriteString("You need it if payments are blocked after five wrong PINs or codes.\n\n")
		b.WriteString("    " + st.Big.Render(s.recovery.Reveal()) + "\n\n")
		b.WriteString("Press enter when you have written it down.")
		return b.String(), false
	}
	e := s.enrol
	key := fmt.Sprintf("Key      %s", groupKey(e.Secret.Reveal())) // shown once, here, by design; never logged
	var rest strings.Builder
	fmt.Fprintf(&rest, "Account  %s (%s), %d digits every %ds\n\n", e.Account, e.Issuer, e.Digits, int(e.Period.Seconds()))
	rest.WriteString(s.code.View(st, true, 10) + "\n")
	rest.WriteString(st.Muted.Render("Type the code the app shows now, then enter."))
	const scan = "Add payterm to your authenticator app: scan the QR code, or type the key."
	// Besides the code: this text (2), the key and the rest (5) and two lines for an error.
	q := placeQR(st, e.URI.Reveal(), 9, s.w, s.h, s.c.termW, s.c.termH)
	restW := 0
	for _, l := range strings.Split(rest.String(), "\n") {
		restW = max(restW, displayWidth(l))
	}
	switch {
	case q.Shown():
		b.WriteString(scan + "\n\n" + q.block + "\n\n")
	case q.Missing() && 3+q.qh <= s.h && restW+3+q.qw <= s.w:
		// Too short to stack, wide enough to stand the code beside the account and the field.
		// The key keeps a line of its own (people and scripts read it off the screen), and the
		// status goes in the left column, under the field, so nothing falls off the bottom. It
		// wraps to the column's width, so the code never moves when an error comes or goes.
		if s.busy {
			rest.WriteString("\n\n" + st.Muted.Render("Working…"))
		}
		if s.err != "" {
			rest.WriteString("\n\n" + st.Error.Render(wrapLines(s.err, restW)))
		}
		b.WriteString(scan + "\n\n" + key + "\n")
		b.WriteString(lipgloss.JoinHorizontal(lipgloss.Top, rest.String(), "   ", q.code))
		return b.String(), true
	case q.Missing():
		b.WriteString("Add payterm to your authenticator app: type the key below into it.\n")
		b.WriteString(st.Muted.Render(q.hint()) + "\n\n")
	default:
		b.WriteString("Add payterm to your authenticator app: type the key below into it.\n\n")
	}
	b.WriteString(key + "\n" + rest.String())
	return b.String(), false
}
