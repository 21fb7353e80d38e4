package realapp_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uitest"
	"github.com/payterm/payterm/ui/uitest/realapp"
)

// The journeys run the production UI (ui.New through uitest) on the real core against the
// strict embedded sandbox (realapp). They assert on text: sandbox ids are random.

var twoPayees = []realapp.Payee{
	{Name: "Test Payee One", IBAN: "AE07 0331 2345 6789 0123 456"},
	{Name: "مثال تجريبي", IBAN: "AE620260001015678901234", Corporate: true},
}

// start opens the production composition with the given limits ("" = no limit).
func start(t *testing.T, perPayment string) *realapp.App {
	t.Helper()
	if testing.Short() {
		t.Skip("sandbox journey: skipped in -short")
	}
	return realapp.Start(t, realapp.Options{Configure: func(cfg *config.Config) {
		cfg.Limits = config.Limits{PerPayment: perPayment}
	}})
}

// toReview opens the pay form with Home's p and fills it (fillPayForm).
func toReview(app *realapp.App, payee int, amount string) {
	app.Press("p")
	fillPayForm(app, payee, amount)
}

// fillPayForm fills the open pay form for saved payee index (0 or 1) and continues to the
// review.
func fillPayForm(app *realapp.App, payee int, amount string) {
	app.WaitFor("Purpose")
	for range payee {
		app.Press("right")
	}
	app.Press("tab")
	app.Type(amount)
	app.Press("tab")
	app.Type("journey")
	app.Press("tab")
	app.Type("mwp")
	app.WaitFor("MWP  Mobile Wallet Payments")
	app.Press("enter")
}

func authenticate(app *realapp.App, code string) {
	app.Type(realapp.PIN)
	app.Press("tab")
	app.Type(code)
	app.Press("enter")
}

func show(t *testing.T, what, v string) {
	if os.Getenv("PAYTERM_SHOW_FRAMES") != "" {
		t.Logf("%s:\n%s", what, v)
	}
}

// TestJourneyOnboardPayRevoke: first run to an active consent, a wrong TOTP then a right one,
// a payment to settlement to the Arabic-named payee, the inspector and a support bundle, a
// limit refusal, then revoke.
func TestJourneyOnboardPayRevoke(t *testing.T) {
	app := start(t, "200.00")
	app.Onboard(t, twoPayees...)
	v := app.View()
	for _, want := range []string{"payterm Sandbox Bank", "Active", "Flexi Pay", "embedded sandbox bank", "Secrets: encrypted file"} {
		if !strings.Contains(v, want) {
			t.Errorf("home lacks %q:\n%s", want, v)
		}
	}

	toReview(app, 1, "12.5")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Authorise 12.50 AED to مثال تجريبي")
	authenticate(app, "000000")
	app.WaitFor("PIN or code not accepted. 4 attempts left")
	authenticate(app, app.NextCode(t))
	app.WaitFor("Payment Settled")
	v = app.View()
	if !strings.Contains(v, "Settled (AcceptedCreditSettlementCompleted)") || !strings.Contains(v, "Interaction id") {
		t.Fatalf("receipt:\n%s", v)
	}

	app.Press("ctrl+t")
	app.WaitFor("Sandbox bank verdicts")
	if v := app.View(); !strings.Contains(v, "← now") && !strings.Contains(v, "← latest") {
		t.Errorf("no step is lit:\n%s", v)
	}
	v = app.View()
	show(t, "inspector", v)
	for _, secret := range []string{realapp.PIN, app.TOTPKey, app.Recovery} {
		if strings.Contains(v, secret) {
			t.Errorf("inspector shows a secret:\n%s", v)
		}
	}
	app.Press("x")
	app.WaitFor("Support bundle written to")
	app.Press("esc")
	app.WaitFor("Payment Settled")
	app.Press("enter")
	app.WaitFor("Recent payments")
	app.WaitFor("12.50 AED")

	toReview(app, 0, "250")
	app.WaitFor("per-payment")
	app.Press("esc")
	app.WaitFor("Recent payments")

	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.WaitFor("Active")
	app.Press("enter")
	app.WaitFor("Payment Rules")
	app.Press("X")
	app.WaitFor("Cancel permission?")
	app.Press("y")
	app.WaitFor("Permission cancelled at the bank")
	app.WaitFor("Cancelled")
	_ = app.FinalView()
}

// TestJourneyLockoutThenRecover: five wrong codes block payments; the recovery code shown at
// enrolment, a current code and a new PIN unblock them.
func TestJourneyLockoutThenRecover(t *testing.T) {
	app := start(t, "")
	app.Onboard(t, twoPayees[:1]...)
	toReview(app, 0, "10")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Authorise 10.00 AED")
	for i := 1; i <= 5; i++ {
		authenticate(app, "000000")
		if i < 5 {
			app.WaitFor(fmt.Sprintf("%d attempt", 5-i)) // "1 attempt left", "2 attempts left"
		}
	}
	app.WaitFor("Payments are blocked")
	app.Press("esc", "esc", "esc")
	app.WaitFor("Recent payments")
	app.Press("u")
	app.WaitFor("Unblock payments")
	app.Type(app.Recovery)
	app.Press("tab")
	app.Type(app.NextCode(t))
	app.Press("tab")
	app.Type("864209")
	app.Press("tab")
	app.Type("864209")
	app.Press("enter")
	app.WaitFor("Payments are unblocked")
	_ = app.FinalView()
}

// TestJourneyBankRejectionDuringResize: a payment above the sandbox account's balance is
// rejected by the bank and the receipt gives the reason in words; the terminal is resized
// below the minimum and back while the payment is in flight.
func TestJourneyBankRejectionDuringResize(t *testing.T) {
	app := start(t, "")
	app.Onboard(t, twoPayees...)
	toReview(app, 0, "30,000")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Authorise 30,000.00 AED")
	authenticate(app, app.NextCode(t))
	app.Resize(50, 12)
	app.WaitFor("Terminal too small")
	app.Resize(100, 40)
	app.WaitFor("The bank rejected the payment")
	v := app.View()
	show(t, "rejection", v)
	if !strings.Contains(v, "AANI.AM04") || !strings.Contains(v, "Failed (Rejected)") {
		t.Fatalf("rejection receipt:\n%s", v)
	}
	_ = app.FinalView()
}

// TestJourneyOpenConsentNewPayee: an open consent (no payees at the bank) pays a payee typed
// at payment time; the receipt is a golden file with its ids and time masked (uitest.MaskGolden).
func TestJourneyOpenConsentNewPayee(t *testing.T) {
	app := start(t, "")
	app.Onboard(t)
	payNewPayee(t, app, "مثال تجريبي", "AE620260001015678901234", "5")
	// The receipt's ids and time change on every run: masked, the golden file holds the rest.
	app.RequireGolden(uitest.MaskGolden(app.FinalView()))
}

// payNewPayee pays amount with the consent on screen (p: Home's active one, or the consent
// detail's) to a payee typed on the form (open consents), purpose TOF, past the bank's name
// check (the account's holder opted out), to settlement.
func payNewPayee(t *testing.T, app *realapp.App, name, iban, amount string) {
	t.Helper()
	app.Press("p")
	app.WaitFor("New payee…")
	app.Press("tab")
	app.Type(name)
	app.Press("tab")
	app.Type(iban)
	app.Press("tab", "tab")
	app.Type(amount)
	app.Press("tab", "tab")
	app.Type("tof")
	app.WaitFor("TOF")
	app.Press("enter")
	// A new payee is checked with the bank first (Confirmation of Payee): the sandbox's holder
	// of this account opted out of name checks, so the payer continues knowingly.
	app.WaitFor("Name not checked")
	app.Press("c")
	settle(t, app)
}

// settle confirms the review, authenticates with a fresh code and waits for settlement.
func settle(t *testing.T, app *realapp.App) {
	t.Helper()
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.AuthenticateWithNextCode(t)
	app.WaitForPayment("Settled")
}

// TestJourneyIdleLock: five idle minutes lock the session; a wrong PIN is refused, the right one
// continues where the user was.
func TestJourneyIdleLock(t *testing.T) {
	if testing.Short() {
		t.Skip("sandbox journey: skipped in -short")
	}
	clock := uitest.NewClock(time.Now())
	app := realapp.Start(t, realapp.Options{UI: []uitest.Option{uitest.WithClock(clock)}})
	app.Onboard(t, twoPayees...)
	clock.Advance(5*time.Minute + time.Second)
	app.Send(ui.IdleCheckMsg{})
	app.WaitFor("The session locked")
	app.Type("111111")
	app.Press("enter")
	app.WaitFor("not accepted")
	app.Type(realapp.PIN)
	app.Press("enter")
	app.WaitFor("Recent payments")
	_ = app.FinalView()
}

// TestJourneyCodeTypedAgain: a second payment authenticated with the code the first one used,
// inside its 30 s window, is refused with why ("already used; wait for the next one") and no
// attempt counted (a wrong code after it leaves 4 of 5); the next code pays.
func TestJourneyCodeTypedAgain(t *testing.T) {
	app := start(t, "")
	app.Onboard(t, realapp.Payee{Name: "Test Payee One", IBAN: "AE070331234567890123456"})
	code := app.NextCode(t)
	payForm(app, "3")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.Authenticate(realapp.PIN, code)
	app.WaitForPayment("Settled")
	app.Press("enter")
	app.WaitFor("Recent payments")

	payForm(app, "4")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.Authenticate(realapp.PIN, code)
	app.WaitFor("That code was already used; wait for the next one.")
	if v := app.View(); strings.Contains(v, "attempts left") || !strings.Contains(v, "No attempt was counted") {
		t.Fatalf("the refusal of a code typed again:\n%s", v)
	}
	// Not counted: a wrong code after it is the first failure.
	app.Authenticate(realapp.PIN, "000000")
	app.WaitFor("PIN or code not accepted. 4 attempts left")
	app.AuthenticateWithNextCode(t)
	app.WaitForPayment("Settled")
}

// payForm opens the pay form and fills it with the kit's helpers (one saved payee), to review.
func payForm(app *realapp.App, amount string) {
	app.Press("p")
	app.PickPayee("Test Payee One")
	app.TypeAmount(amount)
	app.FocusField("Purpose")
	app.Type("mwp")
	app.WaitFor("MWP  Mobile Wallet Payments")
	app.Press("enter")
}
