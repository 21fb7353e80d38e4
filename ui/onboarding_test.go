package ui_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

func startFirstRun(t *testing.T, opts ...uitest.Option) (*uitest.App, *uifake.FakeWallet) {
	t.Helper()
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.FakeNotOnboarded(clock.Now)
	app := uitest.Start(t, fw, append([]uitest.Option{uitest.WithClock(clock)}, opts...)...)
	app.WaitFor("Welcome to payterm")
	return app, fw
}

func TestOnboardingIntro(t *testing.T) {
	app, _ := startFirstRun(t)
	golden(t, app)
}

func TestOnboardingPINMismatch(t *testing.T) {
	app, _ := startFirstRun(t)
	app.Press("enter")
	app.WaitFor("Choose a PIN")
	app.Type("246810")
	app.Press("enter")
	app.Type("246811")
	app.Press("enter")
	app.WaitFor("The two PINs differ")
	golden(t, app)
}

// choosePIN goes from the welcome page through the PIN step; the caller waits for what the
// enrolment step shows.
func choosePIN(t *testing.T, app *uitest.App) {
	t.Helper()
	app.Press("enter")
	app.WaitFor("Choose a PIN")
	app.Type("123456")
	app.Press("enter")
	app.Type("123456")
	app.Press("enter")
}

func toTOTP(t *testing.T, app *uitest.App) {
	t.Helper()
	choosePIN(t, app)
	app.WaitFor("Add payterm to your authenticator app")
}

func TestOnboardingTOTPEnrolment(t *testing.T) {
	app, _ := startFirstRun(t)
	toTOTP(t, app)
	if k := uitest.TOTPKeyFromView(app.View()); k != "TESTTESTTESTTESTTESTTESTTESTTEST" {
		t.Fatalf("TOTPKeyFromView = %q", k)
	}
	app.Type("000000")
	app.Press("enter")
	app.WaitFor("That code is not the one your app shows now")
	golden(t, app)
}

func toPayees(t *testing.T, app *uitest.App, fw *uifake.FakeWallet) {
	t.Helper()
	toTOTP(t, app)
	app.Type(fw.Code)
	app.Press("enter")
	app.WaitFor("Write down this recovery code")
	app.Press("enter")
	app.WaitFor("Who will you pay?")
}

func TestOnboardingRecoveryCodeShownOnce(t *testing.T) {
	app, fw := startFirstRun(t)
	toTOTP(t, app)
	app.Type(fw.Code)
	app.Press("enter")
	app.WaitFor("Write down this recovery code")
	golden(t, app)
}

// TestOnboardingPayees types two payees, one with an Arabic name, validating the IBAN as typed.
func TestOnboardingPayees(t *testing.T) {
	app, fw := startFirstRun(t)
	toPayees(t, app, fw)
	app.Press("tab")
	app.Type("Test Payee One")
	app.Press("tab")
	app.Type("AE07 0331 2345 6789 0123 456")
	app.Press("enter")
	app.WaitFor("1. Test Payee One")
	app.Type("مثال تجريبي")
	app.Press("tab")
	app.Type("AE07 0331 2345 6789 0123 457") // one digit off
	app.WaitFor("check digits do not match")
	app.Press("backspace")
	app.Type("6")
	app.Press("tab", "right") // corporate
	app.Press("enter")
	app.WaitFor("2. مثال تجريبي")
	app.Press("tab")
	app.Type("XX12")
	app.WaitFor("starts with AE")
	golden(t, app)
}

func toConsentPage(t *testing.T, app *uitest.App, fw *uifake.FakeWallet) {
	t.Helper()
	toPayees(t, app, fw)
	app.Press("left") // two to ten → one
	app.WaitFor("one payee")
	app.Press("tab")
	app.Type("مثال تجريبي")
	app.Press("tab")
	app.Type("AE070331234567890123456")
	app.Press("enter")
	app.WaitFor("1. مثال تجريبي")
	app.Press("enter")
	app.WaitFor("Your consent")
}

func TestOnboardingConsentPage(t *testing.T) {
	app, fw := startFirstRun(t)
	toConsentPage(t, app, fw)
	v := golden(t, app)
	for _, want := range []string{"initiate payments", "approved by you, here", "No amounts or schedule are fixed", "Valid until"} {
		if !strings.Contains(v, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
}

func TestOnboardingBankChoice(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.FakeNotOnboarded(clock.Now)
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithOptions(ui.Options{Clock: clock.Now, OpenURL: func(string) error { return nil }}))
	app.WaitFor("Welcome to payterm")
	toConsentPage(t, app, fw)
	app.Press("enter")
	app.WaitFor("Approve the consent at your bank")
	golden(t, app)
}

// TestOnboardingLiveWait waits for the bank callback, then completes: first run to an active
// consent and on to Home.
func TestOnboardingLiveWait(t *testing.T) {
	app, fw := startFirstRun(t)
	fw.BankCallback = make(chan struct{})
	toConsentPage(t, app, fw)
	app.Press("enter")
	app.WaitFor("Approve the consent at your bank")
	app.Press("w")
	app.WaitFor("Waiting for your bank")
	close(fw.BankCallback)
	app.WaitFor("You are set up.")
	v := app.View()
	if !strings.Contains(v, "Active") {
		t.Errorf("result lacks the consent status:\n%s", v)
	}
	app.Press("enter")
	app.WaitFor("Recent payments")
	golden(t, app)
}

func TestOnboardingWaitCancelledThenPaste(t *testing.T) {
	app, fw := startFirstRun(t)
	fw.BankCallback = make(chan struct{}) // never closed: the wait is cancelled
	toConsentPage(t, app, fw)
	app.Press("enter")
	app.WaitFor("Approve the consent at your bank")
	app.Press("w")
	app.WaitFor("Waiting for your bank")
	app.Press("esc")
	app.WaitFor("Stopped waiting")
	app.Press("v")
	app.WaitFor("Callback URL")
	app.Type("https://payterm.example/cb?state=x")
	app.Press("enter")
	app.WaitFor("has no authorisation code")
	app.Press("enter")
	app.Press("v")
	app.Type("https://payterm.example/cb?code=fake-code&state=x&iss=https://bank.example")
	app.Press("enter")
	app.WaitFor("You are set up.")
	golden(t, app)
}

func TestOnboardingAccessible(t *testing.T) {
	app, fw := startFirstRun(t, uitest.WithAccessible())
	toTOTP(t, app)
	v := app.View()
	if strings.Contains(v, "█") || strings.Contains(v, "▀") {
		t.Errorf("accessible enrolment shows a QR code:\n%s", v)
	}
	app.Type(fw.Code)
	app.Press("enter")
	app.WaitFor("Write down this recovery code")
	app.Press("enter")
	app.WaitFor("Who will you pay?")
	golden(t, app)
}

func TestOnboardingWaitingFrame(t *testing.T) {
	app, fw := startFirstRun(t)
	fw.BankCallback = make(chan struct{}) // never answers: the frame shows the live wait
	toConsentPage(t, app, fw)
	app.Press("enter")
	app.WaitFor("Approve the consent at your bank")
	app.Press("w")
	app.WaitFor("Waiting for your bank")
	golden(t, app)
}

// TestOnboardingDebtorNeedsHolder: the optional account to pay from is asked with its holder's
// name, since the bank refuses the account alone (uae-spec §11 rule 18). The IBAN alone is
// refused on the form with what to do, nothing typed is lost, and both together reach the core.
func TestOnboardingDebtorNeedsHolder(t *testing.T) {
	app, fw := startFirstRun(t)
	toPayees(t, app, fw)
	app.Press("left", "left") // two to ten → one → open
	app.WaitFor("open: choose any payee")
	app.Press("tab")
	app.Type("AE07 0331 2345 6789 0123 456")
	app.Press("enter")
	app.WaitFor("Your bank needs the account holder's name with the IBAN")
	if v := app.View(); !strings.Contains(v, "AE07 0331 2345 6789 0123 456") || !strings.Contains(v, "Account name") {
		t.Fatalf("the typed account is lost or the name is not asked:\n%s", v)
	}
	app.Press("tab")
	app.Type("Test Holder")
	app.Press("enter")
	app.WaitFor("Your consent")
	if p := fw.LastPlan(); p.DebtorAccount != "AE070331234567890123456" || p.DebtorName != "Test Holder" {
		t.Fatalf("plan = %q / %q; want the account with its holder", p.DebtorAccount, p.DebtorName)
	}
}

// TestOnboardingDebtorHolderRefusesControls: the account holder's name is checked like a payee
// name: a direction control is refused with a sentence, the field keeps what was typed, and
// nothing reaches the core.
func TestOnboardingDebtorHolderRefusesControls(t *testing.T) {
	app, fw := startFirstRun(t)
	toPayees(t, app, fw)
	app.Press("left", "left") // open
	app.WaitFor("open: choose any payee")
	app.Press("tab")
	app.Type("AE07 0331 2345 6789 0123 456")
	app.Press("tab")
	app.Type("Test \u202eHolder")
	app.Press("enter")
	app.WaitFor("The account name contains a right-to-left override")
	if p := fw.LastPlan(); p.DebtorAccount != "" || p.DebtorName != "" {
		t.Fatalf("a holder name with a direction control reached the core: %+v", p.Model)
	}
}

// TestEnrolmentQRDecodesToTheURI: the QR code the enrolment screen draws decodes (gozxing) to
// exactly the otpauth URI the core gave, with the key the screen shows; and it stays the same
// code when the wrong-code error appears.
func TestEnrolmentQRDecodesToTheURI(t *testing.T) {
	app, fw := startFirstRun(t)
	toTOTP(t, app)
	enr, err := fw.EnrolTOTP(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := enr.URI.Reveal()
	got := ui.QRTextOnScreen(t, app.View())
	if got != want {
		t.Fatalf("the enrolment QR reads %q, want %q", got, want)
	}
	if key := uitest.TOTPKeyFromView(app.View()); !strings.Contains(got, "secret="+key+"&") {
		t.Fatalf("the QR's URI %q does not hold the key shown, %q", got, key)
	}
	app.Type("000000")
	app.Press("enter")
	app.WaitFor("That code is not the one your app shows now")
	if again := ui.QRTextOnScreen(t, app.View()); again != want {
		t.Fatalf("after the error the QR reads %q", again)
	}
}

// TestDigitsBeforeTheKeyShowCountForNothing: digits and enter typed while the authenticator key
// is still being created are not a code (the user cannot have one yet), and the step says so
// instead of seeming to ignore them; once the key shows, the field is empty and the code typed
// then is the one checked.
func TestDigitsBeforeTheKeyShowCountForNothing(t *testing.T) {
	app, fw := startFirstRun(t)
	gate := make(chan struct{})
	fw.EnrolGate = gate
	choosePIN(t, app)
	app.WaitFor("Creating your authenticator key…")
	app.Type("123")
	app.Press("enter")
	app.WaitFor("Nothing typed yet counts")
	close(gate)
	app.WaitFor("Add payterm to your authenticator app")
	if v := app.View(); strings.Contains(v, "Nothing typed yet counts") || strings.Contains(v, "•") {
		t.Fatalf("the key's step still carries the early keys:\n%s", v)
	}
	if n := slices.Index(fw.Calls(), "ConfirmTOTP"); n >= 0 {
		t.Fatalf("ConfirmTOTP called before a code was typed (call %d)", n)
	}
	app.Type(fw.Code)
	app.Press("enter")
	app.WaitFor("Your authenticator app is set up.")
}

// TestEnrolmentThatFailedIsCreatedAgainOnEnter: when the key could not be created the step says
// so and enter asks again, instead of leaving "Creating your authenticator key…" above the
// error with no way on.
func TestEnrolmentThatFailedIsCreatedAgainOnEnter(t *testing.T) {
	app, fw := startFirstRun(t)
	fw.FailEnrol(1)
	choosePIN(t, app)
	app.WaitFor("could not be created. Press enter to try again.")
	if v := app.View(); strings.Contains(v, "Creating your authenticator key…") {
		t.Fatalf("the failed step still says it is creating the key:\n%s", v)
	}
	app.Press("enter")
	app.WaitFor("Add payterm to your authenticator app")
	if n := fw.CallCount("EnrolTOTP"); n != 2 {
		t.Fatalf("EnrolTOTP called %d times, want 2", n)
	}
}

// TestBankStepTakesAnApprovalMadeWithoutWaiting: the payer opens the address by hand and
// approves without pressing w; the bank's answer reaches the wallet, and the step shows the
// result by itself (it stayed on the choices before). n pressed after the approval (before
// the screen's next check) shows it too, instead of staging another consent, which left the
// first authorised behind the user's back and reported a failure.
func TestBankStepTakesAnApprovalMadeWithoutWaiting(t *testing.T) {
	for _, keys := range [][]string{nil, {"n"}} {
		t.Run(fmt.Sprint(keys), func(t *testing.T) {
			app, fw := startFirstRun(t)
			toConsentPage(t, app, fw)
			app.Press("enter")
			app.WaitFor("Approve the consent at your bank")
			fw.ApproveInBrowser()
			app.Press(keys...)
			app.WaitFor("You are set up.")
			if n := fw.CallCount("BeginBankStep"); n != 1 {
				t.Fatalf("BeginBankStep called %d times: another consent was staged after the approval", n)
			}
		})
	}
}
