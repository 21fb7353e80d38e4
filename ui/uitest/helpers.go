package uitest

import (
	"fmt"
	"regexp"
	"strings"
)

// Helpers for the steps every payment journey takes. They drive the screens as a user does
// (keys only) and fail the test with the last frame when the screen is not what they expect.

// maxTabs bounds the tabs FocusField and the right presses PickPayee try before failing.
const maxTabs = 24

// focusedLine is the line of view the focus marker "›" starts, or "".
func focusedLine(view string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.HasPrefix(l, "› ") {
			return strings.TrimPrefix(l, "› ")
		}
	}
	return ""
}

// FocusField presses tab until the focused field's label is label ("Amount", "Reference",
// "Purpose", "PIN", "Code"); it fails when no field with that label takes the focus.
func (a *App) FocusField(label string) {
	a.tb.Helper()
	for range maxTabs {
		if strings.HasPrefix(focusedLine(a.waitStable()), label) {
			return
		}
		a.Press("tab")
	}
	a.tb.Fatalf("uitest: no field labelled %q took the focus; last frame:\n%s", label, a.View())
}

// syncMsg is a message no screen knows: once the harness has seen it, every key sent before it
// has been handled (a program handles its messages in order).
type syncMsg struct{}

// waitStable returns the frame drawn after every key sent so far was handled.
func (a *App) waitStable() string {
	a.tb.Helper()
	a.view.mu.Lock()
	before := a.view.n
	a.view.mu.Unlock()
	a.tm.Send(syncMsg{})
	a.waitUntil(func(string) bool {
		a.view.mu.Lock()
		defer a.view.mu.Unlock()
		return a.view.syncs > before
	}, "the keys sent to be handled")
	return a.View()
}

// TypeAmount types amount into the pay form's amount field, replacing what it held (the form
// is open: after p, or after PickPayee).
func (a *App) TypeAmount(amount string) {
	a.tb.Helper()
	a.WaitFor("Amount")
	a.FocusField("Amount")
	a.Press("ctrl+u")
	a.Type(amount)
}

// PickPayee chooses the saved payee whose name is name in the open pay form (← / → on the
// Payee row) and leaves the focus there.
func (a *App) PickPayee(name string) {
	a.tb.Helper()
	a.WaitFor("Payee")
	a.FocusField("Payee")
	for range maxTabs {
		if l := focusedLine(a.waitStable()); strings.Contains(l, name) {
			return
		}
		a.Press("right")
	}
	a.tb.Fatalf("uitest: the pay form offers no payee %q; last frame:\n%s", name, a.View())
}

// Authenticate answers the payment's authentication screen with pin and code (a code from
// TOTPCode, realapp's NextCode, or the fake's Code) and submits them.
func (a *App) Authenticate(pin, code string) {
	a.tb.Helper()
	a.WaitFor("Authenticate")
	a.FocusField("PIN")
	a.Press("ctrl+u")
	a.Type(pin)
	a.FocusField("Code")
	a.Press("ctrl+u")
	a.Type(code)
	a.Press("enter")
}

// WaitForPayment waits until the receipt says the payment reached status ("Settled",
// "Rejected", "Pending", …): the receipt's heading "Payment <status>".
func (a *App) WaitForPayment(status string) {
	a.tb.Helper()
	a.WaitFor("Payment " + status)
}

// WaitForStatus waits until the footer's status line (the line above the key help) contains
// text, such as "Limits saved." or an error the screen reports there.
func (a *App) WaitForStatus(text string) {
	a.tb.Helper()
	a.waitUntil(func(v string) bool { return strings.Contains(StatusLine(v), text) }, "status line "+fmt.Sprintf("%q", text))
}

// StatusLine is the footer's status line of a frame: the last non-empty line above the key
// help (the frame's last line), or "".
func StatusLine(view string) string {
	lines := strings.Split(strings.TrimRight(view, "\n"), "\n")
	for i := len(lines) - 2; i >= 0; i-- {
		if s := strings.TrimSpace(lines[i]); s != "" {
			return s
		}
	}
	return ""
}

// UUID matches the ids the core and the banks give consents, payments and interactions.
var UUID = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// Mask replaces each distinct match of re in view by label and its order of first appearance,
// padded with '0' (or the label cut) to the match's width ("00000000-0000-0000-0000-000000000001" style
// when label is a UUID prefix), so a golden file of a journey on the real wallet keeps its layout
// and which ids are equal, without the ids that change on every run.
func Mask(view string, re *regexp.Regexp, label string) string {
	seen := map[string]string{}
	return re.ReplaceAllStringFunc(view, func(m string) string {
		if r, ok := seen[m]; ok {
			return r
		}
		n := fmt.Sprint(len(seen) + 1)
		w := len([]rune(m))
		pad := w - len([]rune(label)) - len(n)
		var r string
		if pad >= 0 {
			r = label + strings.Repeat("0", pad) + n
		} else if w > len(n) {
			r = string([]rune(label)[:w-len(n)]) + n
		} else {
			r = strings.Repeat("0", w)
		}
		seen[m] = r
		return r
	})
}

// MaskIDs is Mask for UUIDs: each becomes "00000000-0000-4000-8000-00000000000N", numbered by
// first appearance.
func MaskIDs(view string) string { return Mask(view, UUID, "00000000-0000-4000-8000-") }

// DateTime matches the times the screens show to the minute ("2026-12-06 17:46") and dates.
var DateTime = regexp.MustCompile(`\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?`)

// MaskTimes is Mask for dates and times: each distinct one becomes "0000-00-00 00:0N" (or
// "0000-00-0N" for a date alone), numbered by first appearance, for journeys on the real
// wallet, whose clock is the machine's.
func MaskTimes(view string) string { return Mask(view, DateTime, "0000-00-00 00:") }

// MaskGolden is what a real-app journey's golden file holds: view with MaskIDs and MaskTimes.
func MaskGolden(view string) string { return MaskTimes(MaskIDs(view)) }
