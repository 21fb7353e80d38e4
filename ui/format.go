package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
)

// statusLabel is the consent status as the standard tells TPPs to show it (uae-spec §8):
// Authorized→Active, AwaitingAuthorization→Pending, Revoked→Cancelled; Paused is local.
func statusLabel(c Consent) string {
	if c.Paused && (c.Status == ConsentAuthorized || c.Status == ConsentSuspended) {
		return "Paused"
	}
	switch c.Status {
	case ConsentAuthorized:
		return "Active"
	case ConsentAwaitingAuthorization:
		return "Pending"
	case ConsentRevoked:
		return "Cancelled"
	case ConsentSuspended:
		return "Suspended"
	case ConsentExpired:
		return "Expired"
	case ConsentRejected:
		return "Rejected"
	case ConsentConsumed:
		return "Consumed"
	default:
		return "Unknown"
	}
}

// consentBank is the name of the consent's bank as the screens print it: control characters
// dropped, its id when the core gave no name.
func consentBank(c Consent) string {
	if n := plainName(c.Bank); n != "" {
		return n
	}
	if id := plainName(c.BankID); id != "" {
		return id
	}
	return "your bank"
}

// paymentLabel maps AEPaymentStatus to plain words (Accepted* = Successful, Rejected = Failed).
func paymentLabel(s PaymentStatus) string {
	switch s {
	case PaymentAcceptedCreditSettlementCompleted:
		return "Settled"
	case PaymentAcceptedSettlementCompleted:
		return "Paid (debited)"
	case PaymentAcceptedWithoutPosting:
		return "Paid (not yet credited)"
	case PaymentPending:
		return "Pending"
	case PaymentRejected:
		return "Failed"
	case PaymentPrepared:
		return "Queued — not sent"
	case PaymentSending:
		return "Sending"
	case PaymentRefused:
		return "Refused by the bank"
	case PaymentAbandoned:
		return "Not sent (expired)"
	case PaymentCancelled:
		return "Cancelled (not sent)"
	case PaymentAwaitingBankSCA:
		return "Awaiting bank approval"
	case PaymentAuthorised:
		return "Authorised"
	case PaymentProcessing:
		return "Processing"
	case PaymentExecuted:
		return "Executed"
	case PaymentSettled:
		return "Settled"
	default:
		return "Unknown"
	}
}

// shownStatus is the status the screens word for a payment: Status, except for a UAE payment
// that comes with a normalised status and its AE code in BankStatus, which is worded by that
// code, so the UAE screens read as they always have ("Paid (debited)", not "Executed").
func shownStatus(st PaymentStatus, bank string) PaymentStatus {
	switch b := PaymentStatus(bank); b {
	case PaymentPending, PaymentAcceptedSettlementCompleted, PaymentAcceptedCreditSettlementCompleted,
		PaymentAcceptedWithoutPosting, PaymentRejected:
		return b
	}
	return st
}

// paymentWords is a payment's status in words, from its status and the bank's code.
func paymentWords(st PaymentStatus, bank string) string {
	s := shownStatus(st, bank)
	if s == PaymentCancelled && bank != "" {
		return "Cancelled" // at the bank (BG CANC): it was sent, so not "not sent"
	}
	return paymentLabel(s)
}

// statusWithCode is the status in words and the code it came as: "Executed (ACSC)", "Settled
// (AcceptedCreditSettlementCompleted)"; the bank's code when there is one.
func statusWithCode(st PaymentStatus, bank string) string {
	code := bank
	if code == "" {
		code = string(st)
	}
	return paymentWords(st, bank) + " (" + code + ")"
}

// timelineWords is a timeline step's status: every payment starts Prepared (stored, not yet
// sent), which the timeline says as such rather than as the queue it may be in now; a bank's
// own code follows the words when they are not already it ("Executed (ACSC)").
func timelineWords(s PaymentStatus, bank string) string {
	if s == PaymentPrepared {
		return "Prepared"
	}
	w := paymentWords(s, bank)
	if bank != "" && PaymentStatus(bank) != shownStatus(s, bank) {
		w += " (" + bank + ")"
	}
	return w
}

// consentProduct is what a consent is, next to its status: the UAE's product name ("Flexi Pay",
// delegated SCA), or the standard of a bank that approves each payment itself.
func consentProduct(c Consent) string {
	if t := c.Terms.resolved(); t.WalletSCA != SCADelegated {
		return t.Standard
	}
	return "Flexi Pay"
}

func paymentOK(s PaymentStatus) bool {
	switch s {
	case PaymentAcceptedCreditSettlementCompleted, PaymentAcceptedSettlementCompleted, PaymentAcceptedWithoutPosting,
		PaymentExecuted, PaymentSettled:
		return true
	default:
		return false
	}
}

// paymentFinal reports whether the bank will not change the status any more. A UAE payment
// debited (AcceptedSettlementCompleted) is still followed to its credit; a Berlin Group one
// executed (ACSC) is final, since those banks often say no more.
func paymentFinal(s PaymentStatus) bool {
	switch s {
	case PaymentAcceptedCreditSettlementCompleted, PaymentRejected, PaymentRefused, PaymentAbandoned, PaymentCancelled,
		PaymentExecuted, PaymentSettled:
		return true
	default:
		return false
	}
}

// until renders a countdown: "in 3 days", "in 5 hours", "expired". Days are calendar days in
// the user's zone, so the count agrees with the date shown beside it: a consent made now for a
// year less a day ends on a date 364 days away, not "in 363 days" because a few seconds passed.
func until(now, t time.Time, loc *time.Location) string {
	d := t.Sub(now)
	switch {
	case d <= 0:
		return "expired"
	case d >= 48*time.Hour:
		return "in " + count(calendarDays(inZone(now, loc), inZone(t, loc)), "day", "days")
	case d >= 2*time.Hour:
		return "in " + count(int(d.Hours()), "hour", "hours")
	default:
		return "in " + count(max(1, int(d.Minutes())), "minute", "minutes")
	}
}

// calendarDays is how many dates lie from a's to b's (both in the same zone).
func calendarDays(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 12, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 12, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

// renewSoon is the 30-day renewal window of the consent lifecycle. A grant without an end (a
// link before any bank approval that ends) has none.
func renewSoon(now, expires time.Time) bool {
	return !expires.IsZero() && expires.Sub(now) <= 30*24*time.Hour
}

// day, stamp and zoned show an instant in the user's time zone (Options.Location, the local one
// by default; uitest runs in UTC): every time on screen is local, and where one stands alone
// (a receipt, a timeline) zoned names the zone, "2030-01-15 13:30 +04".
func day(t time.Time, loc *time.Location) string { return inZone(t, loc).Format("2006-01-02") }

func stamp(t time.Time, loc *time.Location) string { return inZone(t, loc).Format("2006-01-02 15:04") }

func zoned(t time.Time, loc *time.Location) string {
	return inZone(t, loc).Format("2006-01-02 15:04 MST")
}

// inZone is t in loc; a screen built without one (nil) shows the local zone, as Options does.
func inZone(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc)
}

// elapsed renders a step duration: "0.4s", "12s", "1m05s".
func elapsed(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%d.%ds", int(d.Seconds()), int(d.Milliseconds()/100)%10)
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	default:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
}

// bar draws a headroom bar of width w: used part solid, remaining light (ASCII when accessible).
func bar(st Styles, used, limit int64, w int) string {
	if w <= 0 {
		return ""
	}
	filled := 0
	if limit > 0 {
		if used >= limit {
			filled = w
		} else if used > 0 {
			// Divide before multiplying would lose precision; limits are far below MaxInt64/w.
			filled = int(used * int64(w) / limit)
		}
	}
	full, empty := "█", "░"
	if st.accessible {
		full, empty = "#", "."
	}
	return "[" + strings.Repeat(full, filled) + strings.Repeat(empty, w-filled) + "]"
}

// padRight pads s with spaces to w cells (no truncation).
func padRight(s string, w int) string {
	n := displayWidth(s)
	if n >= w {
		return s
	}
	return s + strings.Repeat(" ", w-n)
}

func displayWidth(s string) int { return lipgloss.Width(s) }

// fit cuts or pads s to exactly w cells.
func fit(s string, w int) string { return padRight(truncate(s, w), w) }
