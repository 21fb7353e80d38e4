package ui_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/charmbracelet/lipgloss"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// toBankStep runs the first-run wizard up to the bank step.
func toBankStep(t *testing.T, opts ...uitest.Option) (*uitest.App, *uifake.FakeWallet) {
	t.Helper()
	app, fw := startFirstRun(t, opts...)
	toConsentPage(t, app, fw)
	app.Press("enter")
	app.WaitFor("Approve the consent at your bank")
	return app, fw
}

// urlFromFrame joins the lines of the frame from the one starting the address up to the next
// blank line: what a user selecting the wrapped address gets, minus the line breaks.
func urlFromFrame(v string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.Split(v, "\n") {
		switch {
		case strings.HasPrefix(l, "https://"):
			in = true
		case in && strings.TrimSpace(l) == "":
			return b.String()
		}
		if in {
			b.WriteString(l)
		}
	}
	return b.String()
}

// TestBankStepURLWrappedWhole: the authorization address is wrapped hard at the edge of a 100×30
// terminal, never cut, with nothing added inside it. u prints it on one line above a small view
// (the renderer cuts view lines at the edge, printed lines it does not): the terminal wraps it,
// so a selection copies it whole, and nothing else shares its line.
func TestBankStepURLWrappedWhole(t *testing.T) {
	app, _ := toBankStep(t, uitest.WithSize(100, 30))
	v := app.View()
	if got := urlFromFrame(v); got != uifake.FakeBankURL {
		t.Fatalf("the wrapped address does not join back to the URL:\n got %q\nwant %q\n%s", got, uifake.FakeBankURL, v)
	}
	app.Press("u")
	app.WaitFor("That is the whole address, above")
	out := app.WaitForOutput(uifake.FakeBankURL)
	if !strings.Contains(out, "\r\n"+uifake.FakeBankURL+"\r\n") {
		t.Errorf("the address is not printed alone on one line: %q", out[max(0, strings.Index(out, "https://")-40):])
	}
	if strings.Contains(out, "\x1b]52;") {
		t.Error("the address went to the clipboard without c")
	}
	v = app.FinalView()
	if strings.Contains(v, "payterm ·") || strings.Contains(v, "? help") || strings.Count(v, "\n") > 3 {
		t.Errorf("the view under the printed address is not small:\n%s", v)
	}
	app.RequireGolden(v)
}

// TestBankStepAddressCopy: c under the printed address sends it to the terminal's clipboard
// (OSC 52) — only then — and esc goes back to the choices, not to the consent page.
func TestBankStepAddressAloneReturns(t *testing.T) {
	app, _ := toBankStep(t, uitest.WithSize(80, 24))
	app.Press("u")
	app.WaitFor("That is the whole address, above")
	app.Press("c")
	app.WaitFor("If your terminal does not let programs set the clipboard")
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(uifake.FakeBankURL)) + "\x07"
	app.WaitForOutput(want)
	app.Press("esc") // back to the choices, not to the consent page
	app.WaitFor("paste the address you land on")
	if v := app.View(); strings.Contains(v, "Your consent") {
		t.Fatalf("esc in the address view left the bank step:\n%s", v)
	}
}

// TestBankStepQRPromise: the QR code is mentioned only when drawn; when it does not fit, the
// screen says which size would show it. At that size it shows in every mode of the step
// (choices, waiting, choices again), and one row less shows the same size in every mode: the
// promise does not change as the step changes mode.
func TestBankStepQRPromise(t *testing.T) {
	app, fw := toBankStep(t, uitest.WithSize(100, 30))
	fw.BankCallback = make(chan struct{}) // the bank does not answer: the step stays waiting
	defer close(fw.BankCallback)
	v := app.View()
	if strings.Contains(v, "scan") || strings.Contains(v, "▄") {
		t.Errorf("100×30: the code does not fit, yet the screen mentions or draws it:\n%s", v)
	}
	const hint = "The QR code (for another device) needs a terminal of at least "
	size := func(v string) (int, int) {
		t.Helper()
		i := strings.Index(v, hint)
		if i < 0 {
			t.Fatalf("no size hint:\n%s", v)
		}
		var w, h int
		if _, err := fmtSscanf(v[i+len(hint):], &w, &h); err != nil {
			t.Fatalf("hint has no size: %v", err)
		}
		return w, h
	}
	w, h := size(v)
	shown := func(what string) {
		t.Helper()
		if v := app.View(); !strings.Contains(v, "scan the QR code") || !strings.Contains(v, "█") || strings.Contains(v, hint) {
			t.Errorf("at the promised %d×%d, %s, the code is not drawn:\n%s", w, h, what, v)
		}
		app.RequireFits(app.View())
	}
	app.Resize(w, h)
	app.WaitFor("scan the QR code")
	shown("choosing")
	if got, want := ui.QRTextOnScreen(t, app.View()), urlFromFrame(app.View()); got != want {
		t.Fatalf("the QR code on screen reads %q, the address shown is %q", got, want)
	}
	app.Press("w")
	app.WaitFor("Waiting for your bank")
	shown("waiting")
	app.Press("esc")
	app.WaitFor("Stopped waiting")
	shown("choosing again")

	app.Resize(w, h-1)
	app.WaitFor(hint)
	if w2, h2 := size(app.View()); w2 != w || h2 != h {
		t.Errorf("choosing, one row short: the hint asks %d×%d, before %d×%d", w2, h2, w, h)
	}
	app.Press("w")
	app.WaitFor("Waiting for your bank")
	if w2, h2 := size(app.View()); w2 != w || h2 != h {
		t.Errorf("waiting, one row short: the hint asks %d×%d, before %d×%d", w2, h2, w, h)
	}
}

// TestBankStepNoQRForThisComputer: an address on this computer (the embedded sandbox's page) has
// no QR code at any size, and the screen says why, and what a phone would need.
func TestBankStepNoQRForThisComputer(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.FakeNotOnboarded(clock.Now)
	fw.SetBankURL("http://127.0.0.1:41999/authorize?client_id=00000000-0000-4000-8000-00000000c11e&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Alocal")
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithSize(120, 80))
	app.WaitFor("Welcome to payterm")
	toConsentPage(t, app, fw)
	app.Press("enter")
	app.WaitFor("Approve the consent at your bank")
	v := app.View()
	if strings.Contains(v, "█") || strings.Contains(v, "scan") || strings.Contains(v, "needs a terminal") {
		t.Fatalf("a code for an address no phone can open:\n%s", v)
	}
	if !strings.Contains(v, "No QR code: the bank's page is on this computer (127.0.0.1), which a phone cannot open.") {
		t.Fatalf("no reason given:\n%s", v)
	}
}

func TestBankStepAccessibleHasNoQR(t *testing.T) {
	app, _ := toBankStep(t, uitest.WithAccessible(), uitest.WithSize(100, 80))
	v := app.View()
	for _, no := range []string{"QR", "scan", "█", "▄"} {
		if strings.Contains(v, no) {
			t.Errorf("accessible bank step shows %q:\n%s", no, v)
		}
	}
}

// TestTOTPQRBesideKeyAt100x30: too short to stack, the enrolment code stands beside the fields;
// the key keeps a line of its own, and an error stays on screen.
func TestTOTPQRBesideKeyAt100x30(t *testing.T) {
	app, _ := startFirstRun(t, uitest.WithSize(100, 30))
	toTOTP(t, app)
	app.Type("000000")
	app.Press("enter")
	app.WaitFor("That code is not the one")
	v := app.FinalView()
	if !strings.Contains(v, "scan the QR code") || !strings.Contains(v, "█") {
		t.Errorf("no QR code at 100×30:\n%s", v)
	}
	if k := uitest.TOTPKeyFromView(v); k != "TESTTESTTESTTESTTESTTESTTESTTEST" {
		t.Errorf("key line shares its line: %q", k)
	}
	app.RequireGolden(v)
}

func TestTOTPQRHintAt80x24(t *testing.T) {
	app, _ := startFirstRun(t, uitest.WithSize(80, 24))
	toTOTP(t, app)
	v := app.View()
	if strings.Contains(v, "scan") || strings.Contains(v, "█") {
		t.Errorf("80×24 promises a code it does not draw:\n%s", v)
	}
	if !strings.Contains(v, "enlarge the terminal to at least 80×") {
		t.Errorf("no size hint:\n%s", v)
	}
}

// TestInspectorColumnsAt100x30: diagram left, the step's message in the right pane, starting
// with what the step proves; the sealed personal data is listed, hidden off the sandbox.
func TestInspectorColumnsAt100x30(t *testing.T) {
	app, _, _ := start(t, 5, uitest.WithSize(100, 30))
	app.WaitFor("Recent payments")
	app.Press("i")
	app.WaitFor("← now")
	v := app.View()
	lines := strings.Split(v, "\n")
	if !strings.Contains(lines[2], "Discovery + JWKS") || !strings.Contains(lines[2], "│ POST /payments") {
		t.Errorf("diagram and message are not side by side:\n%s", v)
	}
	if !strings.Contains(lines[3], "│ Proves to the bank") {
		t.Errorf("the message does not start with what the step proves:\n%s", v)
	}
	app.Press("pgdown")
	app.WaitFor("Sealed in the JWE")
	v = app.FinalView()
	if !strings.Contains(v, "Initiation.Creditor.Name: ‹PII hidden›") || strings.Contains(v, "Test Payee One") {
		t.Errorf("sealed PII not hidden off the sandbox:\n%s", v)
	}
	app.RequireGolden(v)
}

func TestInspectorStackedWhenNarrow(t *testing.T) {
	app, _, _ := start(t, 5, uitest.WithSize(80, 24))
	app.WaitFor("Recent payments")
	app.Press("i")
	app.WaitFor("← now")
	v := app.View()
	if strings.Contains(v, "│ POST") {
		t.Errorf("80 columns should stack the diagram over the message:\n%s", v)
	}
	if !strings.Contains(v, "↓") || !strings.Contains(v, "more (pgdn)") {
		t.Errorf("a cut message must say more follows:\n%s", v)
	}
}

func TestInspectorSandboxShowsSealedPII(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 5)
	fw.Sandbox = true
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithSize(120, 60))
	app.WaitFor("Recent payments")
	app.Press("i")
	app.WaitFor("Initiation.Creditor.Name: Test Payee One")
	v := app.View()
	if !strings.Contains(v, "AE620260001015678901234") {
		t.Errorf("sandbox: sealed account not shown:\n%s", v)
	}
	// Verdicts are the selected step's only, without the step name repeated.
	if strings.Contains(v, "request object signed") || strings.Contains(v, "POST /payments · ") {
		t.Errorf("verdicts of another step, or the step name repeated:\n%s", v)
	}
}

// TestCountPhrases: one payment is "1 payment", on Home and in the consent detail.
func TestCountPhrases(t *testing.T) {
	app, _, _ := start(t, 1)
	app.WaitFor("Recent payments")
	if v := app.View(); !strings.Contains(v, "(1 payment)") {
		t.Errorf("home:\n%s", v)
	}
	app.Press("c")
	app.WaitFor("Current")
	app.Press("enter")
	app.WaitFor("Payment Rules")
	if v := app.View(); !strings.Contains(v, " in 1 payment\n") {
		t.Errorf("consent detail:\n%s", v)
	}
}

// TestConsentsListLongBankName: the bank name is whole when the row has room for it.
func TestConsentsListLongBankName(t *testing.T) {
	for _, size := range [][2]int{{100, 30}, {80, 24}, {60, 18}} {
		app, fw, _ := start(t, 5, uitest.WithSize(size[0], size[1]))
		fw.SetBankName("payterm Sandbox Bank of the Emirates")
		app.WaitFor("Limit headroom")
		app.Press("c")
		app.WaitFor("payterm · Consents")
		app.WaitFor("Active")
		v := app.View()
		want := "payterm Sandbox Bank of the Emirates  Active"
		switch size[0] {
		case 80:
			want = "> payterm Sandbox Ban…  Active" // 80 columns leave the name 20 cells
		case 60:
			// The row stays one line: the product column goes, the name gets 10 cells.
			want = "> payterm S…  Active     expires 2030-11-15  paid 215.05 AED\n"
		}
		if !strings.Contains(v, want) {
			t.Errorf("%d×%d: want %q in\n%s", size[0], size[1], want, v)
		}
	}
}

// TestFooterWrapsBetweenKeys: a key list wider than the terminal continues on a second line,
// never cut; onboarding step 4 at 100×30 was "… (or continue when the form …".
func TestFooterWrapsBetweenKeys(t *testing.T) {
	app, fw := startFirstRun(t, uitest.WithSize(100, 30))
	toPayees(t, app, fw)
	v := app.View()
	lines := strings.Split(v, "\n")
	if len(lines) != 30 {
		t.Fatalf("frame has %d lines, want 30", len(lines))
	}
	foot := lines[28] + "\n" + lines[29]
	for _, want := range []string{"enter add payee (continue if the form is empty)", "ctrl+x remove last payee", "f1 help"} {
		if !strings.Contains(foot, want) {
			t.Errorf("footer lacks %q:\n%s", want, foot)
		}
	}
	if strings.Contains(foot, "…") {
		t.Errorf("footer cut:\n%s", foot)
	}
}

// TestLongTextWrapsNotCut: a sentence longer than the terminal wraps instead of being cut.
func TestLongTextWrapsNotCut(t *testing.T) {
	app, _, _ := start(t, 3, uitest.WithSize(80, 24))
	app.WaitFor("Recent payments")
	app.Press("u")
	app.WaitFor("Unblock payments")
	v := app.View()
	for _, l := range strings.Split(v, "\n") {
		if w := len([]rune(l)); w > 80 {
			t.Errorf("line of %d runes at 80 columns: %q", w, l)
		}
	}
	if !strings.Contains(strings.Join(strings.Fields(v), " "), "To unblock them, type the recovery code you wrote down at setup") {
		t.Errorf("sentence lost:\n%s", v)
	}
}

// TestNoDeadKeysInFooter: the first and last onboarding pages offer no "esc back" they ignore.
func TestNoDeadKeysInFooter(t *testing.T) {
	app, _ := startFirstRun(t)
	if v := app.View(); strings.Contains(v, "esc back") {
		t.Errorf("intro footer offers esc:\n%s", v)
	}
	app.Press("esc")
	app.WaitFor("Press enter to start.")
}

func fmtSscanf(s string, w, h *int) (int, error) { return fmt.Sscanf(s, "%d×%d", w, h) }

// TestConsentDetailFitsShortTerminal: at 80×24 the payment history shows what fits and counts
// the rest, and a long rule value wraps under its value column.
func TestConsentDetailFitsShortTerminal(t *testing.T) {
	app, _, _ := start(t, 5, uitest.WithSize(80, 24))
	toConsentDetail(t, app)
	app.WaitFor("more payment")
	v := app.FinalView()
	if !strings.Contains(v, "Example Trading LLC") {
		t.Errorf("payee name cut although the row has room (the status column is as wide as its labels):\n%s", v)
	}
	if !strings.Contains(v, "in History (h on Home)") {
		t.Errorf("hidden payments not counted:\n%s", v)
	}
	if !strings.Contains(v, "\n"+strings.Repeat(" ", 25)+"payterm\n") {
		t.Errorf("a wrapped rule value must continue under its value column:\n%s", v)
	}
	app.RequireGolden(v)
}

// TestHeadroomWrapsUnderValues: at the minimum width a headroom row continues under its value.
func TestHeadroomWrapsUnderValues(t *testing.T) {
	app, _, _ := start(t, 3, uitest.WithSize(ui.MinWidth, 30))
	app.WaitFor("Recent payments")
	v := app.View()
	for _, l := range strings.Split(v, "\n") {
		if displayCells(l) > ui.MinWidth {
			t.Errorf("line wider than %d: %q", ui.MinWidth, l)
		}
		if strings.TrimSpace(l) == "AED" && !strings.HasPrefix(l, strings.Repeat(" ", 17)) {
			t.Errorf("a wrapped headroom row falls back under the names: %q\n%s", l, v)
		}
	}
}

func displayCells(s string) int { return lipgloss.Width(s) }

// TestInspectorCompactAt80x24: stacked on a short terminal, the diagram drops its connectors so
// the message keeps at least ten rows.
func TestInspectorCompactAt80x24(t *testing.T) {
	app, _, _ := start(t, 5, uitest.WithSize(80, 24))
	app.WaitFor("Recent payments")
	app.Press("i")
	app.WaitFor("← now")
	v := app.FinalView()
	if strings.Contains(v, "  │\n") {
		t.Errorf("connectors drawn at 80×24:\n%s", v)
	}
	if !strings.Contains(v, "Proves to the bank") {
		t.Errorf("the step's explanation is not on screen:\n%s", v)
	}
	app.RequireGolden(v)
}

// TestBankStepFailureOffersRetry: after a failed bank step the footer says what enter does
// (try again), not "done", and enter goes back to the choices.
// TestBankStepFailureOffersRetry: a failed bank step offers to try again, and trying again
// stages a new consent request: the bank accepts an address once, so the spent one is never
// shown again.
func TestBankStepFailureOffersRetry(t *testing.T) {
	app, fw := toBankStep(t)
	app.Press("v")
	app.Type("https://example.invalid/callback?state=x")
	app.Press("enter")
	app.WaitFor("The bank step did not complete")
	v := app.View()
	if !strings.Contains(v, "enter try again with a new address") || strings.Contains(v, "enter/esc done") {
		t.Errorf("footer of a failed bank step:\n%s", v)
	}
	app.Press("enter")
	app.WaitFor("paste the address you land on")
	if n := callCount(fw.Calls(), "BeginBankStep"); n != 2 {
		t.Fatalf("the retry staged %d consent requests in all, want a second one", n)
	}
	if got := urlFromFrame(app.View()); got == uifake.FakeBankURL || !strings.HasPrefix(got, "https://") {
		t.Fatalf("the retry shows the spent address again: %q", got)
	}
}

// TestBankStepRetryAfterDeny: the user declined at the bank; enter gets a new address from a
// fresh consent request, and approving at it completes the step.
func TestBankStepRetryAfterDeny(t *testing.T) {
	app, fw := toBankStep(t)
	fw.SetDeny(true)
	app.Press("w")
	app.WaitFor("You declined the consent at the bank")
	fw.SetDeny(false)
	app.Press("enter")
	app.WaitFor("A new address from your bank is ready.")
	if got := urlFromFrame(app.View()); got == uifake.FakeBankURL {
		t.Fatalf("after a refusal the screen offers the spent address again:\n%s", app.View())
	}
	app.Press("w")
	app.WaitFor("You are set up.")
}

// TestBankStepNewAddress: n stages a fresh consent request from the choices or while waiting
// (the bank's page said the address was used: a chat preview opened it first).
func TestBankStepNewAddress(t *testing.T) {
	app, fw := toBankStep(t)
	first := urlFromFrame(app.View())
	fw.BankCallback = make(chan struct{}) // the bank never answers the first address
	app.Press("w")
	app.WaitFor("Waiting for your bank")
	app.Press("n")
	app.WaitFor("A new address from your bank is ready.")
	second := urlFromFrame(app.View())
	if second == first || callCount(fw.Calls(), "BeginBankStep") != 2 {
		t.Fatalf("n did not stage a new request: %q → %q", first, second)
	}
	if v := app.View(); strings.Contains(v, "Waiting for your bank") {
		t.Fatalf("still waiting on the spent address:\n%s", v)
	}
	close(fw.BankCallback)
	app.Press("w")
	app.WaitFor("You are set up.")
}

func callCount(calls []string, name string) int {
	n := 0
	for _, c := range calls {
		if c == name {
			n++
		}
	}
	return n
}

// TestHelpFitsMinimumTerminal: at 60×18 the help overlay still lists every key of the screen
// and the way out, running the keys on when a list would not fit.
func TestHelpFitsMinimumTerminal(t *testing.T) {
	app, _, _ := start(t, 30, uitest.WithSize(ui.MinWidth, ui.MinHeight))
	app.WaitFor("Limit headroom") // the recent payments are below the fold at 60×18
	app.Press("h")
	app.WaitFor("1 of 30") // the position line is not pushed off by wrapped rows
	for _, l := range strings.Split(app.View(), "\n")[4:14] {
		if !strings.HasPrefix(l, "  2030-") && !strings.HasPrefix(l, "> 2030-") {
			t.Errorf("a history row at 60 columns is not one line: %q\n%s", l, app.View())
		}
	}
	app.Press("?")
	app.WaitFor("Press any key to close help.")
	v := app.FinalView()
	flat := strings.Join(strings.Fields(v), " ")
	for _, want := range []string{"pgdn/ctrl+d page down", "G/end last", "s cycle status filter", "esc back",
		"ctrl+c quit (asks while a payment is in flight)", "Press any key to close help."} {
		if !strings.Contains(flat, want) {
			t.Errorf("help at %d×%d lacks %q:\n%s", ui.MinWidth, ui.MinHeight, want, v)
		}
	}
	app.RequireGolden(v)
}

// TestPayFormErrorVisibleAt60x18: on the smallest terminal the purpose list shrinks so the
// refusal under the form is read whole.
func TestPayFormErrorVisibleAt60x18(t *testing.T) {
	app, _, _ := start(t, 3, uitest.WithSize(ui.MinWidth, ui.MinHeight))
	app.WaitFor("Limit headroom")
	app.Press("p")
	app.WaitFor("Purpose")
	app.Press("tab")
	app.Type("6000")
	app.Press("enter")
	app.WaitFor("above your per-payment limit")
	v := app.FinalView()
	flat := strings.Join(strings.Fields(v), " ")
	if !strings.Contains(flat, "Pay less, or raise the limit in Limits (l on Home).") {
		t.Errorf("the refusal is cut:\n%s", v)
	}
	app.RequireGolden(v)
}

// TestPayFlowAt60x18: on the smallest terminal the review keeps the line saying what to do,
// the progress keeps its warning, and the receipt's reason continues under its value.
func TestPayFlowAt60x18(t *testing.T) {
	app, fw, _ := start(t, 3, uitest.WithSize(ui.MinWidth, ui.MinHeight))
	app.WaitFor("Limit headroom")
	fillPayForm(app, "1,250.5")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.WaitFor("Press enter to authenticate, esc to change.")
	app.Press("enter")
	app.WaitFor("Authorise 1,250.50 AED")
	fw.Hold = make(chan struct{})
	fw.Outcome = "reject" // a reason too long for 60 columns
	app.Type(fw.PIN)
	app.Press("tab")
	app.Type(fw.Code)
	app.Press("enter")
	app.WaitFor("Saved")
	if v := strings.Join(strings.Fields(app.View()), " "); !strings.Contains(v, "A payment that was sent is never sent twice.") {
		t.Errorf("progress warning cut:\n%s", app.View())
	}
	close(fw.Hold)
	app.WaitFor("The bank rejected the payment")
	v := app.FinalView()
	if !strings.Contains(v, "\n"+strings.Repeat(" ", 16)+"[AANI.AM04]") {
		t.Errorf("the wrapped reason does not continue under its value:\n%s", v)
	}
	app.RequireGolden(v)
}

// TestInspectorLitLabelWhole: the longest step, lit, keeps its "← now" at 100 columns.
func TestInspectorLitLabelWhole(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.CurrentStep = 4 // SCA in payterm (PIN + code + device key)
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithSize(100, 30))
	app.WaitFor("Recent payments")
	app.Press("i")
	app.WaitFor("← now")
	if v := app.View(); !strings.Contains(v, "◉ SCA in payterm (PIN + code + device key)  ← now │") {
		t.Errorf("lit label cut:\n%s", v)
	}
}

// TestTallScreenScrolls: a screen taller than the terminal (the consent page at 60×18) says
// what is below and pgdn shows it; the next step starts at its top.
func TestTallScreenScrolls(t *testing.T) {
	app, fw := startFirstRun(t, uitest.WithSize(ui.MinWidth, ui.MinHeight))
	toConsentPage(t, app, fw)
	app.WaitFor("more: pgdn, or enlarge the terminal")
	if strings.Contains(app.View(), "Press enter to continue") {
		t.Fatalf("the page fits after all; the test needs a taller one:\n%s", app.View())
	}
	app.Press("pgdown")
	app.WaitFor("above: pgup")
	v := strings.Join(strings.Fields(app.View()), " ")
	if !strings.Contains(v, "Press enter to continue to your bank, esc to change payees.") {
		t.Errorf("the end of the page is not reachable:\n%s", app.View())
	}
	app.Press("pgup")
	app.WaitFor("Your consent")
	app.Press("pgdown", "enter") // the bank step starts at its top
	app.WaitFor("Approve the consent at your bank")
	app.RequireFits(app.View())
}

// TestBankStepNoBrowser: o on a machine where no browser can be opened (xdg-open: "no method
// available") does not wait for a page nobody sees: it says so and offers w, u and v.
func TestBankStepNoBrowser(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.FakeNotOnboarded(clock.Now)
	fw.BankCallback = make(chan struct{}) // no page was seen: the bank never answers
	noBrowser := func(string) error {
		return errors.New("open browser: xdg-open exited with status 3: no browser could be opened")
	}
	app := uitest.Start(t, fw, uitest.WithOptions(ui.Options{OpenURL: noBrowser}), uitest.WithClock(clock))
	app.WaitFor("Welcome to payterm")
	toConsentPage(t, app, fw)
	app.Press("enter")
	app.WaitFor("o  open it in your browser and wait here")
	app.Press("o")
	app.WaitFor("No browser could be opened on this computer")
	v := app.View()
	for _, want := range []string{"w  wait here while you open it yourself", "u  show the address alone", "v  paste the address you land on"} {
		if !strings.Contains(v, want) {
			t.Errorf("after a failed o the screen does not offer %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "Waiting for your bank") {
		t.Fatalf("still waiting for a page no browser shows:\n%s", v)
	}
}

// TestBankStepAddressLink: where the terminal shows OSC 8 links, the printed address is a link to
// itself (the text, as selected, is still exactly the address).
func TestBankStepAddressLink(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.FakeNotOnboarded(clock.Now)
	app := uitest.Start(t, fw, uitest.WithOptions(ui.Options{Hyperlinks: true}), uitest.WithClock(clock))
	app.WaitFor("Welcome to payterm")
	toConsentPage(t, app, fw)
	app.Press("enter")
	app.WaitFor("Approve the consent at your bank")
	app.Press("u")
	app.WaitFor("or click it to open it")
	app.WaitForOutput("\x1b]8;;" + uifake.FakeBankURL + "\x1b\\" + uifake.FakeBankURL + "\x1b]8;;\x1b\\")
}

// TestBankStepPasteBack: when nothing on this computer receives the bank's answer (an https
// redirect_uri without a certificate), the step says to paste the address the browser lands on,
// offers no wait, and o opens the browser and the paste field together.
func TestBankStepPasteBack(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.FakeNotOnboarded(clock.Now)
	fw.SetPasteBack(true)
	var opened atomic.Int32
	app := uitest.Start(t, fw, uitest.WithOptions(ui.Options{OpenURL: func(string) error { opened.Add(1); return nil }}), uitest.WithClock(clock))
	app.WaitFor("Welcome to payterm")
	toConsentPage(t, app, fw)
	app.Press("enter")
	app.WaitFor("your browser goes to a page payterm does not receive here")
	v := app.View()
	if strings.Contains(v, "w  wait") || strings.Contains(v, "w I opened it myself") {
		t.Fatalf("a paste-back step offers to wait:\n%s", v)
	}
	app.Press("w") // not a key here
	app.Press("o")
	app.WaitFor("Callback URL")
	app.Type("https://127.0.0.1:8443/callback?code=fake-code&state=x&iss=https://bank.example")
	app.Press("enter")
	app.WaitFor("You are set up.")
	if callCount(fw.Calls(), "AwaitBankCallback") != 0 || opened.Load() != 1 {
		t.Fatalf("calls %v, opened %d", fw.Calls(), opened.Load())
	}
}

// TestHelpKeyFooterSaysWhatWorksWhileTyping: where a field takes the keys, ? is typed (a
// name may hold one), so the footer offers f1, which opens the help; elsewhere it offers ?.
// The recovery code's field takes only a code's characters: a ? typed there (it cost a
// recovery attempt unseen, masked) does not go in.
func TestHelpKeyFooterSaysWhatWorksWhileTyping(t *testing.T) {
	app, _, _ := start(t, 3)
	app.WaitFor("Recent payments")
	if v := app.View(); !strings.Contains(v, "? help") || strings.Contains(v, "f1 help") {
		t.Fatalf("Home's footer:\n%s", v)
	}
	app.Press("p")
	app.WaitFor("Amount")
	if v := app.View(); !strings.Contains(v, "f1 help") || strings.Contains(v, "? help") {
		t.Fatalf("the pay form's footer:\n%s", v)
	}
	app.Press("f1")
	app.WaitFor("Help")
	app.Press("esc")
	app.Press("esc")
	app.WaitFor("Recent payments")
	app.Press("u")
	app.WaitFor("Unblock payments")
	app.Type("?")
	if v := app.View(); strings.Contains(v, "•") {
		t.Fatalf("a ? went into the recovery code:\n%s", v)
	}
	app.Type("AB-2")
	app.WaitFor("••••")
}
