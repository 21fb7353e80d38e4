package ui_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// TestNewConsentAfterRevoke: once the only consent is revoked, Home offers n, which runs the
// payees → consent page → bank steps (no PIN or authenticator again) and ends with a consent
// that pays.
func TestNewConsentAfterRevoke(t *testing.T) {
	app, fw, _ := start(t, 3)
	app.WaitFor("Recent payments")
	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.Press("enter")
	app.WaitFor("Payment Rules")
	app.Press("X")
	app.WaitFor("Cancel permission?")
	app.Press("y")
	app.WaitFor("Permission cancelled")
	app.WaitFor("n new consent") // the detail of a revoked consent offers it too
	app.Press("esc", "esc")
	app.WaitFor("No active consent. Press n to give a new consent")
	app.Press("p")
	app.WaitFor("No active consent: press n")

	app.Press("n")
	app.WaitFor("New consent · step 1 of 3")
	app.WaitFor("Who will you pay?")
	app.Press("esc") // nothing staged: esc leaves
	app.WaitFor("No active consent. Press n")
	app.Press("n")
	app.WaitFor("New consent · step 1 of 3")
	app.Press("tab") // from the model to the payee's name
	app.Type("Test Payee One")
	app.Press("tab")
	app.Type("AE070331234567890123456")
	app.Press("enter")
	app.WaitFor("Payees (1)")
	app.Type("Example Trading LLC")
	app.Press("tab")
	app.Type("AE620260001015678901234")
	app.Press("enter")
	app.WaitFor("Payees (2)")
	app.Press("enter")
	app.WaitFor("New consent · step 2 of 3")
	app.WaitFor("Your consent")
	app.Press("enter")
	app.WaitFor("New consent · step 3 of 3")
	app.WaitFor("Approve the consent at your bank")
	app.Press("v")
	app.Type("https://wallet.example/callback?code=test-code&state=s")
	app.Press("enter")
	app.WaitFor("Your new consent is in place.")
	app.Press("enter")
	app.WaitFor("Recent payments")
	app.WaitFor("Flexi Pay")
	app.WaitGone("No active consent")
	app.Press("p")
	app.WaitFor("Purpose")

	calls := fw.Calls()
	for _, never := range []string{"SetPIN", "EnrolTOTP", "ConfirmTOTP"} {
		if slices.Contains(calls, never) {
			t.Errorf("a new consent called %s: %v", never, calls)
		}
	}
	want := []string{"SaveBeneficiaries(list,2,bank=sandbox)", "ConsentTerms", "BeginBankStep", "CompleteBankStep"}
	i := 0
	for _, c := range calls {
		if i < len(want) && c == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Errorf("calls %v do not contain %v in order", calls, want)
	}
}

// TestNewConsentFromConsentsList: the dashboard offers n on its list as well.
func TestNewConsentFromConsentsList(t *testing.T) {
	app, _, _ := start(t, 3)
	app.WaitFor("Recent payments")
	app.Press("c")
	app.WaitFor("n new consent")
	app.Press("n")
	app.WaitFor("New consent · step 1 of 3")
	if v := app.View(); strings.Contains(v, "Choose a PIN") || strings.Contains(v, "authenticator app") {
		t.Errorf("the new-consent flow asks for a PIN:\n%s", v)
	}
	app.Press("esc")
	app.WaitFor("payterm · Consents")
}

// TestNewConsentAt60x18: on the smallest terminal each step of the new-consent flow fits, and
// Home's "no active consent" sentence names n.
func TestNewConsentAt60x18(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.EditConsent(0, func(c *ui.Consent) { c.Status = ui.ConsentRevoked })
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithSize(60, 18))
	app.WaitFor("No active consent.")
	app.WaitFor("n new consent")
	app.RequireFits(app.View())
	app.Press("n")
	app.WaitFor("New consent · step 1 of 3")
	app.RequireFits(app.View())
	app.Press("enter") // two to ten payees needed: the refusal is one pgdn away
	app.Press("pgdown")
	app.WaitFor("Add your payees: a name and an IBAN")
	app.RequireFits(app.View())
	app.Press("left") // two to ten → one
	app.Press("tab")
	app.Type("Test Payee One")
	app.Press("tab")
	app.Type("AE070331234567890123456")
	app.Press("enter")
	app.WaitFor("Payees (1)")
	app.Press("enter")
	app.WaitFor("New consent · step 2 of 3")
	app.WaitFor("Your consent") // the terms have loaded: until then the step takes no key
	app.RequireFits(app.View())
	app.Press("enter")
	app.WaitFor("New consent · step 3 of 3")
	app.RequireFits(app.View())
	golden(t, app)
}

// walletWithoutConsent is a fake wallet whose one consent was revoked: Home offers n.
func walletWithoutConsent() (*uitest.Clock, *uifake.FakeWallet) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.EditConsent(0, func(c *ui.Consent) { c.Status = ui.ConsentRevoked })
	return clock, fw
}

// newConsentToTerms starts the wallet and runs a new consent with one payee up to the enter that
// asks for the consent page's terms.
func newConsentToTerms(t *testing.T, clock *uitest.Clock, fw *uifake.FakeWallet) *uitest.App {
	t.Helper()
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("No active consent.")
	app.Press("n")
	app.WaitFor("New consent · step 1 of 3")
	app.Press("enter")
	app.Press("pgdown")
	app.WaitFor("Add your payees: a name and an IBAN")
	app.Press("left") // two to ten → one
	app.Press("tab")
	app.Type("Test Payee One")
	app.Press("tab")
	app.Type("AE070331234567890123456")
	app.Press("enter")
	app.WaitFor("Payees (1)")
	app.Press("enter")
	return app
}

// TestEnterBeforeTheTermsAgreesToNothing: an enter typed while the consent page is still
// loading goes no further (the payer has not seen what they would agree to), and the page
// says why instead of seeming to ignore the key; once the terms show, enter goes on.
func TestEnterBeforeTheTermsAgreesToNothing(t *testing.T) {
	clock, fw := walletWithoutConsent()
	gate := make(chan struct{})
	fw.TermsGate = gate
	app := newConsentToTerms(t, clock, fw)
	app.WaitFor("Preparing the consent…")
	app.Press("enter")
	app.WaitFor("press it again when the terms show")
	if calls := fw.Calls(); slices.Contains(calls, "BeginBankStep") {
		t.Fatalf("an enter before the terms began the bank step: %v", calls)
	}
	close(gate)
	app.WaitFor("Your consent")
	app.WaitGone("press it again when the terms show")
	app.Press("enter")
	app.WaitFor("New consent · step 3 of 3")
}

// TestEscWhileTheTermsLoadGoesBack: esc on the consent page before its terms arrive returns
// to the payees at once (TestLateTermsAfterEscAreDropped shows the late answer is dropped).
func TestEscWhileTheTermsLoadGoesBack(t *testing.T) {
	clock, fw := walletWithoutConsent()
	gate := make(chan struct{})
	fw.TermsGate = gate
	app := newConsentToTerms(t, clock, fw)
	app.WaitFor("Preparing the consent…")
	app.Press("esc")
	app.WaitFor("Payees (1)")
	app.WaitGone("Preparing the consent…")
	close(gate)
}

// TestTermsThatFailedLoadAgainOnEnter: when the consent page's terms cannot be read, the page
// says so (not "Preparing…" for ever) and enter asks again.
func TestTermsThatFailedLoadAgainOnEnter(t *testing.T) {
	clock, fw := walletWithoutConsent()
	fw.FailTerms(1)
	app := newConsentToTerms(t, clock, fw)
	app.WaitFor("The bank could not be reached.")
	app.WaitFor("Press enter to try again")
	app.Press("enter")
	app.WaitFor("Your consent")
	app.WaitGone("could not be reached")
	app.Press("enter")
	app.WaitFor("New consent · step 3 of 3")
}
