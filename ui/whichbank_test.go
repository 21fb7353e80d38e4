package ui_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// secondBank is a second configured bank (visibly fake, not a sandbox).
var secondBank = ui.BankOption{ID: "second", Name: "Second Example Bank"}

// longBank has a name no row has room for at 60 or 80 columns.
var longBank = ui.BankOption{ID: "long", Name: "Example Islamic Bank of the Northern Emirates, Retail Banking Test Branch"}

// startFirstRunBanks starts a first-run wallet that offers banks.
func startFirstRunBanks(t *testing.T, banks []ui.BankOption, opts ...uitest.Option) (*uitest.App, *uifake.FakeWallet) {
	t.Helper()
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.FakeNotOnboarded(clock.Now)
	fw.BankOptions = banks
	app := uitest.Start(t, fw, append([]uitest.Option{uitest.WithClock(clock)}, opts...)...)
	app.WaitFor("Welcome to payterm")
	return app, fw
}

// toRecoveryDone runs onboarding up to and past the recovery code page.
func toRecoveryDone(t *testing.T, app *uitest.App, fw *uifake.FakeWallet) {
	t.Helper()
	toTOTP(t, app)
	app.Type(fw.Code)
	app.Press("enter")
	app.WaitFor("Write down this recovery code")
	app.Press("enter")
}

// addPayee types one payee on the payees step (the focus on the model or after an add).
func addPayee(app *uitest.App, name, iban string, fromModel bool) {
	if fromModel {
		app.Press("tab")
	}
	app.Type(name)
	app.Press("tab")
	app.Type(iban)
	app.Press("enter")
}

// callIndex is the position of the first call named want, or -1.
func callIndex(calls []string, want string) int { return slices.Index(calls, want) }

// TestOnboardingTwoBanksChoosesSecond: with two banks the consent part starts with "Which bank?";
// choosing the second one puts its id in the plan, and the consent page and the result name it.
func TestOnboardingTwoBanksChoosesSecond(t *testing.T) {
	app, fw := startFirstRunBanks(t, []ui.BankOption{uifake.FakeSandboxBank, secondBank})
	app.WaitFor("Set up · step 1 of 7")
	app.WaitFor("which bank, your payees")
	toRecoveryDone(t, app, fw)
	app.WaitFor("Which bank?")
	app.WaitFor("Set up · step 4 of 7")
	v := app.View()
	for _, want := range []string{"> 1. Sandbox Bank  sandbox", "  2. Second Example Bank\n", "1–9 jump to that bank"} {
		if !strings.Contains(v, want) {
			t.Errorf("the bank list lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "esc back") {
		t.Errorf("onboarding offers esc on its first consent step, where there is nothing to go back to:\n%s", v)
	}
	app.Press("j")
	app.WaitFor("> 2. Second Example Bank")
	app.Press("enter")
	app.WaitFor("Who will you pay?")
	app.WaitFor("Set up · step 5 of 7")
	app.WaitFor("At Second Example Bank (esc: choose another bank)")
	app.Press("left") // two to ten → one
	app.WaitFor("one payee")
	addPayee(app, "Test Payee One", "AE070331234567890123456", true)
	app.WaitFor("1. Test Payee One")
	app.Press("enter")
	app.WaitFor("Your consent")
	app.WaitFor("Set up · step 6 of 7")
	app.WaitFor("from your account at Second Example Bank.")
	app.Press("enter")
	app.WaitFor("Set up · step 7 of 7")
	app.WaitFor("Approve the consent at Second Example Bank. Open this address")
	app.Press("v")
	app.Type("https://wallet.example/callback?code=test-code&state=s")
	app.Press("enter")
	app.WaitFor("You are set up.")
	app.WaitFor("Second Example Bank · Active · Flexi Pay")

	calls := fw.Calls()
	if callIndex(calls, "SaveBeneficiaries(one,1,bank=second)") < 0 {
		t.Errorf("the plan did not name the second bank: %v", calls)
	}
	if c := fw.Consent(0); c.BankID != "second" || c.Bank != "Second Example Bank" {
		t.Errorf("the new consent is at %q (%q), want the second bank", c.Bank, c.BankID)
	}
}

// TestOnboardingOneBankNoPicker: with one bank no frame ever shows the bank list, the step
// numbers stay "of 6", and the plan names that bank.
func TestOnboardingOneBankNoPicker(t *testing.T) {
	app, fw := startFirstRunBanks(t, []ui.BankOption{uifake.FakeSandboxBank}, uitest.WithEveryFrame())
	toRecoveryDone(t, app, fw)
	app.WaitFor("Who will you pay?")
	app.WaitFor("Set up · step 4 of 6")
	app.Press("left")
	addPayee(app, "Test Payee One", "AE070331234567890123456", true)
	app.WaitFor("1. Test Payee One")
	app.Press("enter")
	app.WaitFor("from your account at Sandbox Bank.")
	app.Press("enter")
	app.WaitFor("Approve the consent at your bank")
	app.Press("v")
	app.Type("https://wallet.example/callback?code=test-code&state=s")
	app.Press("enter")
	app.WaitFor("You are set up.")
	frames := app.Frames()
	for _, f := range frames {
		for _, never := range []string{"Which bank?", "of 7", "Loading your banks", "esc: choose another bank"} {
			if strings.Contains(f, never) {
				t.Fatalf("one bank, yet a frame shows %q:\n%s", never, f)
			}
		}
	}
	if len(frames) < 10 {
		t.Fatalf("only %d frames recorded: the check above proves nothing", len(frames))
	}
	if calls := fw.Calls(); callIndex(calls, "SaveBeneficiaries(one,1,bank=sandbox)") < 0 {
		t.Errorf("the plan did not name the one bank: %v", calls)
	}
}

// TestWhichBankAt80x24: the list at 80×24, cursor on the second bank.
func TestWhichBankAt80x24(t *testing.T) {
	app, fw := startFirstRunBanks(t, []ui.BankOption{uifake.FakeSandboxBank, secondBank}, uitest.WithSize(80, 24))
	toRecoveryDone(t, app, fw)
	app.WaitFor("Which bank?")
	app.Press("down")
	app.WaitFor("> 2. Second Example Bank")
	golden(t, app)
}

// TestWhichBankAt60x18: on the smallest terminal a long name is cut with an ellipsis and the
// sandbox tag stays.
func TestWhichBankAt60x18(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.BankOptions = []ui.BankOption{longBank, uifake.FakeSandboxBank, secondBank}
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithSize(60, 18))
	app.WaitFor("Limit headroom")
	app.Press("n")
	app.WaitFor("Which bank?")
	app.WaitFor("New consent · step 1 of 4")
	app.Press("3")
	app.WaitFor("> 3. Second Example Bank")
	v := golden(t, app)
	for _, want := range []string{"1. Example Islamic Bank of the Northern Emirates, Retail …", "2. Sandbox Bank  sandbox", "esc back"} {
		if !strings.Contains(v, want) {
			t.Errorf("lacks %q:\n%s", want, v)
		}
	}
}

// TestWhichBankManyBanksScroll: more banks than rows: the list follows the cursor (↑ wraps to the
// last) and says how many are above and below; digits jump only as far as 9.
func TestWhichBankManyBanksScroll(t *testing.T) {
	var banks []ui.BankOption
	for i := range 14 {
		banks = append(banks, ui.BankOption{ID: string(rune('a' + i)), Name: "Example Bank " + string(rune('A'+i))})
	}
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.BankOptions = banks
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithSize(60, 18))
	app.WaitFor("Limit headroom")
	app.Press("n")
	app.WaitFor(">  1. Example Bank A")
	app.WaitFor("more banks")
	app.RequireFits(app.View())
	app.Press("up")
	app.WaitFor("> 14. Example Bank N")
	v := app.View()
	app.RequireFits(v)
	if !strings.Contains(v, "banks above") || strings.Contains(v, "more bank") {
		t.Errorf("at the last bank the list should show what is above only:\n%s", v)
	}
	app.Press("9")
	app.WaitFor(">  9. Example Bank I")
	app.RequireFits(app.View())
	app.Press("enter")
	app.WaitFor("At Example Bank I")
	app.Press("esc") // back to the list, on the bank chosen
	app.WaitFor(">  9. Example Bank I")
}

// TestNewConsentTwoBanks: the new-consent flow asks which bank; esc on the payees goes back to
// the list with every payee kept; the consent lands at the bank chosen last, and the consent
// list then tells the two banks apart.
func TestNewConsentTwoBanks(t *testing.T) {
	app, fw, _ := start(t, 3)
	fw.SetBanks(uifake.FakeSandboxBank, secondBank)
	app.WaitFor("Recent payments")
	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.Press("n")
	app.WaitFor("Which bank?")
	app.WaitFor("New consent · step 1 of 4")
	app.WaitFor("esc back")
	app.Press("2", "enter")
	app.WaitFor("At Second Example Bank")
	app.WaitFor("New consent · step 2 of 4")
	addPayee(app, "Test Payee One", "AE070331234567890123456", true)
	app.WaitFor("Payees (1)")
	app.Press("esc")
	app.WaitFor("> 2. Second Example Bank")
	app.Press("k", "enter")
	app.WaitFor("At Sandbox Bank")
	app.WaitFor("Payees (1)") // nothing typed is lost
	app.Press("esc", "j", "enter")
	app.WaitFor("At Second Example Bank")
	addPayee(app, "Example Trading LLC", "AE620260001015678901234", false)
	app.WaitFor("Payees (2)")
	app.Press("enter")
	app.WaitFor("New consent · step 3 of 4")
	app.WaitFor("from your account at Second Example Bank.")
	app.Press("esc") // back to the payees: still there
	app.WaitFor("Payees (2)")
	app.Press("enter")
	app.WaitFor("from your account at Second Example Bank.")
	app.Press("enter")
	app.WaitFor("New consent · step 4 of 4")
	app.Press("v")
	app.Type("https://wallet.example/callback?code=test-code&state=s")
	app.Press("enter")
	app.WaitFor("Your new consent is in place.")
	app.WaitFor("Second Example Bank · Active")
	app.Press("enter")
	app.WaitFor("Recent payments")
	app.Press("c")
	app.WaitFor("> Second Example Bank")
	app.WaitFor("  Sandbox Bank")

	calls := fw.Calls()
	saves := slices.DeleteFunc(slices.Clone(calls), func(c string) bool { return !strings.HasPrefix(c, "SaveBeneficiaries") })
	if want := []string{"SaveBeneficiaries(list,2,bank=second)", "SaveBeneficiaries(list,2,bank=second)"}; !slices.Equal(saves, want) {
		t.Errorf("saved plans %v, want %v", saves, want)
	}
}

// TestNewConsentKeysTypedWhileBanksLoad: keys typed before the bank list arrives are not lost:
// with one bank they land in the payees form.
func TestNewConsentKeysTypedWhileBanksLoad(t *testing.T) {
	app, fw, _ := start(t, 3)
	fw.BanksGate = make(chan struct{})
	app.WaitFor("Recent payments")
	app.Press("n")
	app.WaitFor("Loading your banks…")
	app.WaitFor("New consent · step 1 of 3")
	app.Press("tab")
	app.Type("Quick Typist") // q and i would quit or open the inspector if they were not kept as text
	close(fw.BanksGate)
	app.WaitFor("Who will you pay?")
	app.WaitFor("Quick Typist")
}

// TestKeysTypedWhileBanksLoadNeverChooseABank: with several banks, keys typed before the list
// arrived are dropped; an enter among them does not choose a bank the user never saw.
func TestKeysTypedWhileBanksLoadNeverChooseABank(t *testing.T) {
	app, fw, _ := start(t, 3)
	fw.SetBanks(uifake.FakeSandboxBank, secondBank)
	fw.BanksGate = make(chan struct{})
	app.WaitFor("Recent payments")
	app.Press("n")
	app.WaitFor("Loading your banks…")
	app.Press("j", "enter")
	close(fw.BanksGate)
	app.WaitFor("Which bank?")
	app.WaitFor("> 1. Sandbox Bank")
	app.Press("2", "enter")
	app.WaitFor("At Second Example Bank")
}

// TestWhichBankErrorThenRetry: a failed bank list is a Problem with r to try again; the PIN and
// authenticator are not asked again.
func TestWhichBankErrorThenRetry(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.FakeNotOnboarded(clock.Now)
	fw.BankOptions = []ui.BankOption{uifake.FakeSandboxBank, secondBank}
	fw.SetBanksErr(&ui.Problem{What: "The bank list could not be read.", Next: "Check the configuration file."})
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Welcome to payterm")
	toRecoveryDone(t, app, fw)
	app.WaitFor("The bank list could not be read. Check the configuration file.")
	app.WaitFor("r: try again")
	app.WaitFor("r try again")
	if v := app.View(); strings.Contains(v, "esc") {
		t.Errorf("onboarding offers esc with nowhere to go:\n%s", v)
	}
	fw.SetBanksErr(&ui.Problem{What: "The bank list is still unreadable."})
	app.Press("r")
	app.WaitFor("The bank list is still unreadable.")
	fw.SetBanksErr(nil)
	app.Press("r")
	app.WaitFor("Which bank?")
	app.Press("enter")
	app.WaitFor("At Sandbox Bank")
	calls := fw.Calls()
	if n := len(slices.DeleteFunc(slices.Clone(calls), func(c string) bool { return c != "SetPIN" })); n != 1 {
		t.Errorf("SetPIN called %d times: %v", n, calls)
	}
	if n := len(slices.DeleteFunc(slices.Clone(calls), func(c string) bool { return c != "Banks" })); n < 3 {
		t.Errorf("Banks called %d times, want the first load and each retry: %v", n, calls)
	}
}

// TestNewConsentBanksErrorEscLeaves: in the new-consent flow a failed list offers esc back too.
func TestNewConsentBanksErrorEscLeaves(t *testing.T) {
	app, fw, _ := start(t, 3)
	fw.SetBanksErr(&ui.Problem{What: "The bank list could not be read."})
	app.WaitFor("Recent payments")
	app.Press("n")
	app.WaitFor("The bank list could not be read.")
	app.WaitFor("esc: back")
	app.Press("esc")
	app.WaitFor("Recent payments")
}

// TestWhichBankRefusesBadLists: no bank, or ids that do not tell banks apart, is a Problem.
func TestWhichBankRefusesBadLists(t *testing.T) {
	for name, banks := range map[string][]ui.BankOption{
		"none":      {},
		"duplicate": {uifake.FakeSandboxBank, {ID: "sandbox", Name: "Another Bank"}},
		"empty id":  {uifake.FakeSandboxBank, {ID: "", Name: "Another Bank"}},
	} {
		t.Run(name, func(t *testing.T) {
			app, fw, _ := start(t, 3)
			fw.SetBanks(banks...)
			app.WaitFor("Recent payments")
			app.Press("n")
			app.WaitFor("r: try again")
			if v := app.View(); strings.Contains(v, "Which bank?") || strings.Contains(v, "Who will you pay?") {
				t.Errorf("went on with a bad list:\n%s", v)
			}
		})
	}
}

// TestWhichBankHelpAndAccessible: ? lists the step's keys; the accessible mode marks the cursor
// and the sandbox tag in words.
func TestWhichBankHelpAndAccessible(t *testing.T) {
	app, fw := startFirstRunBanks(t, []ui.BankOption{uifake.FakeSandboxBank, secondBank}, uitest.WithAccessible())
	toRecoveryDone(t, app, fw)
	app.WaitFor("Which bank?")
	v := app.View()
	for _, want := range []string{"> 1. Sandbox Bank  (sandbox) (selected)", "  2. Second Example Bank\n"} {
		if !strings.Contains(v, want) {
			t.Errorf("accessible list lacks %q:\n%s", want, v)
		}
	}
	app.Press("?")
	app.WaitFor("Everywhere")
	v = app.View()
	for _, want := range []string{"↑/k", "↓/j", "1–9", "jump to that bank", "choose this bank"} {
		if !strings.Contains(v, want) {
			t.Errorf("help lacks %q:\n%s", want, v)
		}
	}
}

// TestWhichBankAccessible: the list in accessible mode (no reverse video; cursor and tag in words).
func TestWhichBankAccessible(t *testing.T) {
	app, fw := startFirstRunBanks(t, []ui.BankOption{uifake.FakeSandboxBank, secondBank}, uitest.WithAccessible(), uitest.WithSize(80, 24))
	toRecoveryDone(t, app, fw)
	app.WaitFor("Which bank?")
	app.Press("2")
	app.WaitFor("> 2. Second Example Bank (selected)")
	golden(t, app)
}

// TestWhichBankSameNames: two banks with one name are told apart by their ids.
func TestWhichBankSameNames(t *testing.T) {
	app, fw := startFirstRunBanks(t, []ui.BankOption{uifake.FakeSandboxBank, {ID: "other", Name: "Sandbox Bank"}})
	toRecoveryDone(t, app, fw)
	app.WaitFor("> 1. Sandbox Bank (sandbox)  sandbox")
	app.WaitFor("  2. Sandbox Bank (other)\n")
}

// TestWhichBankNameControlCharacters: a bank name cannot send escape sequences to the terminal.
func TestWhichBankNameControlCharacters(t *testing.T) {
	app, fw := startFirstRunBanks(t, []ui.BankOption{uifake.FakeSandboxBank, {ID: "esc", Name: "Evil\x1b[2J Bank\r\n"}})
	toRecoveryDone(t, app, fw)
	app.WaitFor("Which bank?")
	v := app.View()
	if !strings.Contains(v, "2. Evil\uFFFD[2J Bank\n") || strings.Contains(v, "\x1b[2J") {
		t.Errorf("control characters reached the screen:\n%q", v)
	}
}

// TestRenewNeverAsksWhichBank: renewing a consent at the second bank goes straight to that
// bank's step; the bank list is never asked for.
func TestRenewNeverAsksWhichBank(t *testing.T) {
	app, fw, _ := start(t, 3)
	fw.SetBanks(uifake.FakeSandboxBank, secondBank)
	fw.EditConsent(0, func(c *ui.Consent) { c.Bank, c.BankID = secondBank.Name, secondBank.ID })
	app.WaitFor("Recent payments")
	app.Press("c")
	app.WaitFor("> Second Example Bank")
	app.Press("enter")
	app.WaitFor("Payment Rules")
	app.Press("R")
	app.WaitFor("You will authorise a new consent at Second Example Bank")
	app.Press("y")
	app.WaitFor("Approve the consent at your bank")
	app.Press("v")
	app.Type("https://wallet.example/callback?code=test-code&state=s")
	app.Press("enter")
	app.WaitFor("Second Example Bank · Active")
	if calls := fw.Calls(); slices.Contains(calls, "Banks") {
		t.Errorf("renewal asked for the bank list: %v", calls)
	}
}
