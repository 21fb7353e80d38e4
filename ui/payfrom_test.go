package ui_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

const chooserTitle = "Pay from which consent?"

// extraConsent is an authorised consent at bank, created days before the fake's base time.
func extraConsent(n int, bank string, days int) ui.Consent {
	return ui.Consent{ID: fmt.Sprintf("c0ffee00-0000-4000-8000-%012d", 100+n), Bank: bank, BankID: fmt.Sprintf("bank-%d", n),
		Status: ui.ConsentAuthorized, Created: uifake.FakeBase.AddDate(0, 0, -days), Expires: uifake.FakeBase.AddDate(0, 6, -days),
		Model: ui.BeneficiaryOpen, PurposeCode: "MWP"}
}

// chooserRows are the first lines of the chooser's rows ("> 1. Bank …", "  2. Bank …").
func chooserRows(v string) []string {
	var out []string
	for _, l := range strings.Split(v, "\n") {
		if t := strings.TrimLeft(l, "> "); len(t) > 2 && t[0] >= '1' && t[0] <= '9' && t[1] == '.' {
			out = append(out, l)
		}
	}
	return out
}

// TestPayFromChooserAt80x24: two consents can pay, at two banks: p asks which, one row each with
// its bank, whom it pays, its expiry and what the consent total limit leaves; Home's active
// consent is the first row and selected.
func TestPayFromChooserAt80x24(t *testing.T) {
	app, _ := startTwoBanks(t, secondBank, 80, 24)
	app.Press("p")
	app.WaitFor(chooserTitle)
	v := golden(t, app)
	rows := chooserRows(v)
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "> 1. Second Example Bank") || !strings.HasPrefix(rows[1], "  2. Sandbox Bank") {
		t.Errorf("rows %q, want the active consent's bank first and selected:\n%s", rows, v)
	}
	for _, want := range []string{"expires 2031-01-12", "Pays Test Payee One", "Pays Test Payee One, Example Trading LLC", "500,000.00 AED left",
		"payterm · Pay · Which consent", "1–9 jump to that consent"} {
		if !strings.Contains(v, want) {
			t.Errorf("lacks %q:\n%s", want, v)
		}
	}
}

// TestPayFromChooserAt60x18: the same on the smallest terminal: every row stays on its lines,
// payee names cut with an ellipsis.
func TestPayFromChooserAt60x18(t *testing.T) {
	app, _ := startTwoBanks(t, secondBank, 60, 18)
	app.Press("p")
	app.WaitFor(chooserTitle)
	v := golden(t, app)
	if len(chooserRows(v)) != 2 || !strings.Contains(v, "Pays Test Payee One, Example Trad…") {
		t.Errorf("both consents, the payees cut with an ellipsis:\n%s", v)
	}
}

// TestPayFromChooserAccessible: no box drawing or highlight; the selected row says so in words.
func TestPayFromChooserAccessible(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.AddConsent(secondConsent(secondBank))
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithAccessible())
	app.WaitFor("Limit headroom")
	app.Press("p")
	app.WaitFor(chooserTitle)
	app.Press("down")
	app.WaitFor("2. Sandbox Bank")
	v := golden(t, app)
	assertPlain(t, "pay chooser", v)
	if !strings.Contains(v, "> 2. Sandbox Bank") || !strings.Contains(v, "(selected)") {
		t.Errorf("the selection is not in words:\n%s", v)
	}
}

// TestPayFromSecondConsent: choosing the second row pays from that consent: the form names its
// bank and the prepared draft names its consent id, not the active one's.
func TestPayFromSecondConsent(t *testing.T) {
	app, fw := startTwoBanks(t, secondBank, 100, 40)
	sandbox := fw.Consent(1)
	app.Press("p")
	app.WaitFor(chooserTitle)
	app.Press("j")
	app.WaitFor("> 2. Sandbox Bank")
	app.Press("k")
	app.WaitFor("> 1. Second Example Bank")
	app.Press("up") // wraps to the last row
	app.WaitFor("> 2. Sandbox Bank")
	app.Press("1", "2")
	app.WaitFor("> 2. Sandbox Bank")
	app.Press("enter")
	app.WaitFor("Paying from Sandbox Bank (Flexi Pay).")
	app.WaitFor("Purpose")
	app.Press("tab")
	app.Type("12.5")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	d := fw.Drafts()
	if len(d) != 1 || d[0].ConsentID != sandbox.ID || sandbox.BankID != "sandbox" {
		t.Fatalf("drafts %+v, want one naming consent %s", d, sandbox.ID)
	}
	authoriseAndSettle(app)
	app.WaitFor("From            Sandbox Bank\n")
}

// TestPayOneConsentNeverShowsChooser: with one consent that can pay (the others paused, expired
// or cancelled) p opens the pay form as it always did: the chooser is never drawn, not even for
// a frame.
func TestPayOneConsentNeverShowsChooser(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	paused := extraConsent(1, "Paused Example Bank", 5)
	paused.Paused = true
	expired := extraConsent(2, "Expired Example Bank", 400)
	expired.Status = ui.ConsentExpired
	fw.AddConsent(paused)
	fw.AddConsent(expired)
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithEveryFrame())
	app.WaitFor("Limit headroom")
	app.Press("p")
	app.WaitFor("Paying from Sandbox Bank (Flexi Pay).")
	app.WaitFor("Purpose")
	for _, f := range app.Frames() {
		if strings.Contains(f, chooserTitle) || strings.Contains(f, "Which consent") {
			t.Fatalf("a frame showed the chooser:\n%s", f)
		}
	}
	if calls := fw.Calls(); !slices.Contains(calls, "Consents") {
		t.Errorf("p did not look at the consents: %v", calls)
	}
}

// TestPayFromSkipsUnusable: paused, suspended, expired and cancelled consents are not offered,
// and neither is one the UI's clock says has expired although the core still calls it authorised.
func TestPayFromSkipsUnusable(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	paused := extraConsent(1, "Paused Example Bank", 5)
	paused.Paused = true
	expired := extraConsent(2, "Expired Example Bank", 400)
	expired.Status = ui.ConsentExpired
	lapsing := extraConsent(3, "Lapsing Example Bank", 30)
	lapsing.Expires = uifake.FakeBase.Add(time.Hour)
	suspended := extraConsent(4, "Suspended Example Bank", 9)
	suspended.Status = ui.ConsentSuspended
	for _, c := range []ui.Consent{paused, expired, lapsing, suspended, secondConsent(secondBank)} {
		fw.AddConsent(c)
	}
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Limit headroom")
	clock.Advance(2 * time.Hour) // the lapsing consent's expiry passes; the fake still says Authorized
	app.Press("p")
	app.WaitFor(chooserTitle)
	v := app.View()
	rows := chooserRows(v)
	if len(rows) != 2 || !strings.Contains(rows[0], "Second Example Bank") || !strings.Contains(rows[1], "Sandbox Bank") {
		t.Errorf("rows %q, want only the two usable consents:\n%s", rows, v)
	}
	for _, never := range []string{"Paused Example", "Expired Example", "Lapsing Example", "Suspended Example"} {
		if strings.Contains(v, never) {
			t.Errorf("offers %q:\n%s", never, v)
		}
	}
	if !strings.Contains(v, "2 consents can pay now") {
		t.Errorf("the count is not the usable ones':\n%s", v)
	}
}

// TestPayFromEscBackHome: esc on the chooser goes back to Home and nothing was prepared.
func TestPayFromEscBackHome(t *testing.T) {
	app, fw := startTwoBanks(t, secondBank, 80, 24)
	app.Press("p")
	app.WaitFor(chooserTitle)
	app.Press("esc")
	app.WaitFor("payterm · Home")
	app.WaitFor("Limit headroom")
	if d := fw.Drafts(); len(d) != 0 {
		t.Errorf("esc prepared %+v", d)
	}
	for _, never := range []string{"Payees", "PreparePayment"} {
		if calls := fw.Calls(); slices.Contains(calls, never) {
			t.Errorf("esc still called %s: %v", never, calls)
		}
	}
}

// TestPayFromLoadErrorRetry: a failed consent list is a Problem with r to try again; once it
// loads, two usable consents give the chooser.
func TestPayFromLoadErrorRetry(t *testing.T) {
	app, fw := startTwoBanks(t, secondBank, 80, 24)
	fw.SetConsentsErr(&ui.Problem{What: "payterm could not read your consents.", Next: "Try again in a moment."})
	app.Press("p")
	app.WaitFor("payterm could not read your consents. Try again in a moment.")
	app.WaitFor("r: try again   esc: back")
	app.WaitFor("r try again")
	app.Press("enter") // nothing to choose yet
	app.WaitFor("r: try again")
	fw.SetConsentsErr(nil)
	app.Press("r")
	app.WaitFor(chooserTitle)
	if rows := chooserRows(app.View()); len(rows) != 2 {
		t.Errorf("rows after the retry: %q", rows)
	}
}

// TestPayFromLoadErrorRetryOneConsent: with one usable consent the retry goes straight to the
// pay form, and esc from the form is Home again (the error screen is gone).
func TestPayFromLoadErrorRetryOneConsent(t *testing.T) {
	app, fw, _ := start(t, 3)
	app.WaitFor("Limit headroom")
	fw.SetConsentsErr(&ui.Problem{What: "payterm could not read your consents.", Next: "Try again in a moment."})
	app.Press("p")
	app.WaitFor("payterm could not read your consents.")
	fw.SetConsentsErr(nil)
	app.Press("r")
	app.WaitFor("Paying from Sandbox Bank (Flexi Pay).")
	app.Press("esc")
	app.WaitFor("payterm · Home")
	app.WaitFor("Limit headroom")
}

// TestPayTypedAheadOneConsent: keys typed after p while the consents load land in the pay form
// (with one consent there is nothing to choose), q among them neither quits nor is lost.
func TestPayTypedAheadOneConsent(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	gate := make(chan struct{})
	fw.ConsentsGate = gate
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Limit headroom")
	app.Press("p", "tab")
	app.Type("12q.5")
	close(gate)
	app.WaitFor("Purpose")
	app.WaitFor("12q.5") // the q is text in the amount field, kept as typed
	app.Press("enter")
	app.WaitFor("The amount has characters that are not digits")
	if d := fw.Drafts(); len(d) != 0 {
		t.Fatalf("an amount that is not one reached the core: %+v", d)
	}
	app.Press("ctrl+u")
	app.Type("12.5")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	if d := fw.Drafts(); len(d) != 1 || d[0].Amount != "12.5" || d[0].ConsentID != fw.Consent(0).ID {
		t.Errorf("drafts %+v, want 12.5 from the active consent", d)
	}
}

// TestPayTypedAheadSeveralDropped: with several consents the keys typed before the chooser
// appeared are dropped: an enter typed ahead must not choose a consent the user never saw.
func TestPayTypedAheadSeveralDropped(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.AddConsent(secondConsent(secondBank))
	gate := make(chan struct{})
	fw.ConsentsGate = gate
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Limit headroom")
	app.Press("p", "2", "enter")
	close(gate)
	app.WaitFor(chooserTitle)
	app.WaitFor("> 1. Second Example Bank")
	if v := app.View(); strings.Contains(v, "Paying from") {
		t.Errorf("a typed-ahead enter chose:\n%s", v)
	}
	if calls := fw.Calls(); slices.Contains(calls, "Payees") {
		t.Errorf("the pay form opened: %v", calls)
	}
}

// TestPayFromEscWhileLoading: p then esc before the list arrives leaves Home as it was.
func TestPayFromEscWhileLoading(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.AddConsent(secondConsent(secondBank))
	gate := make(chan struct{})
	fw.ConsentsGate = gate
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithEveryFrame())
	app.WaitFor("Limit headroom")
	app.Press("p", "esc")
	close(gate)
	app.Press("h") // a Home key works again, and the late list opened nothing
	app.WaitFor("payterm · History")
	for _, f := range app.Frames() {
		if strings.Contains(f, chooserTitle) {
			t.Fatalf("the chooser appeared after esc:\n%s", f)
		}
	}
}

// TestPayFromScrollsAt60x18: more consents than the smallest screen holds: the list scrolls
// with the cursor and says what is above and below; every frame fits.
func TestPayFromScrollsAt60x18(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	for i := range 5 {
		fw.AddConsent(extraConsent(i, fmt.Sprintf("Example Bank %c", 'A'+i), 10-i))
	}
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithSize(60, 18))
	app.WaitFor("Limit headroom")
	app.Press("p")
	app.WaitFor(chooserTitle)
	app.WaitFor("more consents")
	app.RequireFits(app.View())
	app.Press("6")
	app.WaitFor("> 6. Sandbox Bank")
	app.WaitFor("above")
	app.RequireFits(app.View())
	app.Press("down") // wraps to the first
	app.WaitFor("> 1. Example Bank E")
	app.RequireFits(app.View())
}

// TestPayFromHelp: ? lists the chooser's keys.
func TestPayFromHelp(t *testing.T) {
	app, _ := startTwoBanks(t, secondBank, 100, 40)
	app.Press("p")
	app.WaitFor(chooserTitle)
	app.Press("?")
	app.WaitFor("Everywhere")
	v := app.View()
	for _, want := range []string{"↑/k", "↓/j", "1–9", "jump to that consent", "pay from this consent", "esc", "refresh"} {
		if !strings.Contains(v, want) {
			t.Errorf("help lacks %q:\n%s", want, v)
		}
	}
}

// TestPayFormKeepsKeysWhileLoading: keys typed while the pay form loads its payees wait for
// its rows: the tab reaches the amount, not a "new payee" field the loaded form does not have.
func TestPayFormKeepsKeysWhileLoading(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	gate := make(chan struct{})
	fw.PayeesGate = gate
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Limit headroom")
	app.Press("p")
	app.WaitFor("payterm · Pay")
	app.Press("tab")
	app.Type("7")
	close(gate)
	app.WaitFor("Test Payee One")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	if d := fw.Drafts(); len(d) != 1 || d[0].Amount != "7" || d[0].PayeeID != "payee-1" || d[0].NewPayee.Name != "" {
		t.Errorf("drafts %+v, want 7 to the first payee", d)
	}
}
