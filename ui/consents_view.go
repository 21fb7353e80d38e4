package ui

// The consent dashboard's frames (consents.go holds the screen and its keys): the list, the
// detail, the one confirmation of each action, and how the end of a consent is said.

import (
	"fmt"
	"strings"
	"time"
)

// confirmText is the single confirmation of each action, worded after the UAE consent
// management interface: what happens, whether the bank is told, whether it can be undone.
func confirmText(a consentAction, c Consent) (title, body string) {
	switch a {
	case actPause:
		return "Pause this consent?",
			"While it is paused, payterm will not initiate any payment from your " + consentBank(c) + " account with it.\n" +
				"This is a pause in payterm only: your bank is not told and the consent stays valid.\n" +
				"You can reactivate it at any time."
	case actReactivate:
		return "Reactivate this consent?",
			"payterm will again be able to initiate payments from your " + consentBank(c) + " account with it, " +
				"each one approved by you here with your PIN and code."
	case actRevoke:
		if c.Link {
			return "End this link?",
				"payterm will no longer pay from your " + consentBank(c) + " account through this link, and forgets any login or approval it keeps for it.\n" +
					"There is no consent at the bank to cancel: the bank approves each payment itself.\n" +
					"The link comes back at the next start while this bank is in your config; remove the bank from the config to end it for good.\n" +
					"Payments already made are not affected."
		}
		return "Cancel permission?",
			"payterm will no longer be able to initiate payments from your " + consentBank(c) + " account.\n" +
				"Your bank is told now. This cannot be undone: to pay again you will give a new consent at your bank.\n" +
				"Payments already made are not affected."
	case actRenew:
		return "Renew this consent?",
			"You will authorise a new consent at " + consentBank(c) + " with the same payees; your limits and history carry over.\n" +
				"The current consent stays in use until the new one is authorised."
	}
	return "", ""
}

func (s *consentsScreen) View() string {
	st := s.c.st
	if s.confirm != actNone && s.detail != nil {
		title, body := confirmText(s.confirm, s.detail.Consent)
		return st.Warning.Render(title) + "\n\n" + body + "\n\n" + st.Key.Render("y") + " confirm   " + st.Key.Render("n/esc") + " keep as is"
	}
	if s.detailOn {
		return s.detailView()
	}
	var b strings.Builder
	tabs := []string{"Current", "History"}
	for i, t := range tabs {
		label := t
		if i == s.tab {
			label = "[" + t + "]"
			if st.accessible {
				label = "[" + t + " (selected)]"
			} else {
				label = st.Selected.Render(label)
			}
		} else {
			label = st.Muted.Render(" " + t + " ")
		}
		b.WriteString(label + " ")
	}
	b.WriteString("\n\n")
	l := s.list()
	switch {
	case s.err != "":
		b.WriteString(st.Error.Render(s.err) + "\n")
	case s.loading && len(s.all) == 0:
		b.WriteString(st.Muted.Render("Loading…") + "\n")
	case len(l) == 0:
		b.WriteString(st.Muted.Render("No consents here.") + "\n")
	}
	now := s.c.now()
	renew := false
	for _, c := range l {
		renew = renew || (c.Current() && renewSoon(now, c.Expires))
	}
	banks := bankColumn(l, s.all)
	bankW, paidW, product := consentColumns(l, banks, s.w, renew)
	cells := bankCells(banks, bankW)
	for i, c := range l {
		line := padRight(cells[i], bankW) + "  " + fmt.Sprintf("%-10s %s%-18s  paid %*s", statusLabel(c), product,
			endCell(c, s.c.loc), paidW, paidText(c))
		if c.Current() && renewSoon(now, c.Expires) {
			line += "  renew soon"
		}
		if i == s.cursor {
			line = "> " + line
			if !st.accessible {
				line = st.Selected.Render(line)
			}
		} else {
			line = "  " + line
		}
		b.WriteString(line + "\n")
	}
	// The banks of every consent and link the wallet knows, side by side, when their standards
	// differ: what each pays in, who approves and how it is signed.
	if v := standardsView(st, consentBanks(s.all), s.w); v != "" {
		b.WriteString("\n" + v)
	}
	return b.String()
}

func (s *consentsScreen) detailView() string {
	st := s.c.st
	d := s.detail
	if d == nil {
		if s.err != "" {
			return st.Error.Render(s.err)
		}
		return st.Muted.Render("Loading…")
	}
	c := d.Consent
	now := s.c.now()
	var b strings.Builder
	// The bank first: it is what tells two consents apart. A long name is cut, the rest stays.
	rest := " · " + statusLabel(c) + " · " + consentProduct(c)
	fmt.Fprintf(&b, "%s%s\n", truncate(consentBank(c), max(8, s.w-displayWidth(rest))), rest)
	fmt.Fprintf(&b, "Consent id      %s\n", c.ID)
	if c.BaseConsentID != "" {
		fmt.Fprintf(&b, "Renews          %s\n", c.BaseConsentID)
	}
	fmt.Fprintf(&b, "Created         %s\n", day(c.Created, s.c.loc))
	fmt.Fprintf(&b, "%s\n", endLine(c, now, s.c.loc))
	if c.DebtorMasked != "" {
		fmt.Fprintf(&b, "From account    %s\n", c.DebtorMasked)
	}
	fmt.Fprintf(&b, "Paid to date    %s in %s\n", paidText(c), count(c.PaymentCount, "payment", "payments"))
	b.WriteString("\n" + st.Title.Render("Payment Rules") + "\n")
	for _, r := range d.Rules {
		// A long value wraps under itself, not under the label.
		b.WriteString(wrapHanging(fmt.Sprintf("  %-22s %s", r.Label, r.Value), s.w, 23) + "\n")
	}
	b.WriteString("\n" + st.Title.Render("Payment History") + "\n")
	if len(d.Payments) == 0 {
		b.WriteString(st.Muted.Render("  No payments with this consent.") + "\n")
	}
	// Up to five, fewer when the screen is short; what is left over is counted, not cut.
	used := strings.Count(b.String(), "\n")
	if s.working {
		used += 2
	}
	shown := min(len(d.Payments), 5)
	if s.h > 0 && used+shown > s.h {
		shown = max(0, s.h-used-1)
	}
	statusW := statusWidth(d.Payments[:shown])
	for _, p := range d.Payments[:shown] {
		b.WriteString("  " + paymentLine(st, p, s.w-2, statusW, s.c.loc) + "\n")
	}
	if more := len(d.Payments) - shown; more > 0 {
		b.WriteString(st.Muted.Render("  … "+count(more, "more payment", "more payments")+" in History (h on Home)") + "\n")
	}
	if s.working {
		b.WriteString("\n" + st.Muted.Render("Working…") + "\n")
	}
	return b.String()
}

// endLine is the detail's line on when the consent ends: a consent in place expires (with the
// countdown); an expired one expired then; a cancelled, rejected or used-up one has ended, and
// the date it would have run to is said as past intent, never as a countdown.
func endLine(c Consent, now time.Time, loc *time.Location) string {
	switch {
	case c.Current() && c.Expires.IsZero() && c.ExpiryRestoring:
		return "Expires         " + restoringEnd
	case c.Current() && c.Expires.IsZero():
		return "Expires         no end date"
	case c.Current():
		return fmt.Sprintf("Expires         %s (%s)", day(c.Expires, loc), until(now, c.Expires, loc))
	case c.Status == ConsentExpired:
		return "Expired         " + day(c.Expires, loc)
	default:
		return fmt.Sprintf("Ended           %s (it was to run until %s)", strings.ToLower(statusLabel(c)), day(c.Expires, loc))
	}
}

// restoringEnd is said of a link whose end is still being read back (Consent.ExpiryRestoring):
// not "no end date", which would be wrong a moment later.
const restoringEnd = "… (restoring your bank approval)"

// endCell is endLine in the list's column (18 cells): "expires 2030-11-15", "expired 2029-12-15",
// or "ended" for a consent cancelled, rejected or used up (the status column says which).
func endCell(c Consent, loc *time.Location) string {
	switch {
	case c.Current() && c.Expires.IsZero() && c.ExpiryRestoring:
		return "expiry: restoring…" // 18 cells, like the dates: the column pads bytes
	case c.Current() && c.Expires.IsZero():
		return "no end date"
	case c.Current():
		return "expires " + day(c.Expires, loc)
	case c.Status == ConsentExpired:
		return "expired " + day(c.Expires, loc)
	default:
		return "ended"
	}
}
