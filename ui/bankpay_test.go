package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// Paying at a Berlin Group bank (issue 13): the bank, not the wallet, authenticates the payer
// for every payment. The fake's Berlin Group bank (fake_bg_test.go) is Home's active consent.

// bgSecrets are the fake bank's password and one-time code: no frame may show them.
var bgSecrets = []string{"test-bank-password", "246810", "135790"}

func startBG(t *testing.T, opts ...uitest.Option) (*uitest.App, *uifake.FakeWallet, *uitest.Clock) {
	t.Helper()
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeBGWallet(clock.Now, 3)
	app := uitest.Start(t, fw, append([]uitest.Option{uitest.WithClock(clock)}, opts...)...)
	return app, fw, clock
}

// requireNoBankSecrets fails when any frame shows the bank's password or a one-time code.
func requireNoBankSecrets(t *testing.T, frames ...string) {
	t.Helper()
	for i, f := range frames {
		for _, s := range bgSecrets {
			if strings.Contains(f, s) {
				t.Fatalf("frame %d shows the secret %q:\n%s", i, s, f)
			}
		}
	}
}

// toBGForm opens the pay form for the Berlin Group consent (the first of the two that can pay).
func toBGForm(t *testing.T, app *uitest.App) {
	t.Helper()
	app.WaitFor("Limit headroom")
	app.Press("p")
	app.WaitFor("Pay from which consent?")
	app.Press("enter")
	app.WaitFor("Payee message")
}

// fillBGForm pays the first payee 12.50 with a message, as a SEPA transfer.
func fillBGForm(t *testing.T, app *uitest.App) {
	t.Helper()
	toBGForm(t, app)
	app.Press("tab", "tab") // product → payee → amount
	app.Type("12.50")
	app.Press("tab")
	app.Type("Invoice 42")
}

// toBGApproval fills the form, reviews, confirms with the PIN and code, and waits for the bank's
// approval step (whatever its kind) to show.
func toBGApproval(t *testing.T, app *uitest.App, fw *uifake.FakeWallet, marker string) {
	t.Helper()
	fillBGForm(t, app)
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Confirm 12.50 EUR")
	app.Type(fw.PIN)
	app.Press("tab")
	app.Type(fw.Code)
	app.Press("enter")
	app.WaitFor(marker)
}

// TestBGPayForm: the form offers the bank's products (←/→), asks the amount in the product's
// currency and the bank's reference field ("Payee message", up to 140 characters), and has no
// purpose code or payee type.
func TestBGPayForm(t *testing.T) {
	app, _, _ := startBG(t)
	toBGForm(t, app)
	app.WaitFor("SEPA transfer")
	app.Press("right")
	app.WaitFor("Instant SEPA transfer")
	app.Press("tab", "tab")
	app.Type("1,250.5")
	app.Press("tab")
	app.Type(strings.Repeat("x", 150)) // the field stops at the bank's 140
	v := golden(t, app)
	field := v[strings.Index(v, "› Payee message"):strings.Index(v, "tab/↓")]
	if n := strings.Count(field, "x"); n != 140 {
		t.Errorf("the message field holds %d characters, want the bank's 140:\n%s", n, v)
	}
	// What did not fit is said, not cut without a word.
	for _, want := range []string{"Paying from Berlin Test Bank (Berlin Group NextGenPSD2).", "Amount (EUR)", "Payee message", "at most 140 characters: the rest was not taken"} {
		if !strings.Contains(v, want) {
			t.Errorf("form lacks %q:\n%s", want, v)
		}
	}
	for _, unwanted := range []string{"Purpose", "Payee type", "AED"} {
		if strings.Contains(v, unwanted) {
			t.Errorf("form shows %q:\n%s", unwanted, v)
		}
	}
}

// TestBGReviewSaysTheBankAsks: the review shows the amount and currency in large type, the
// product, the standard and how requests are signed, and says plainly that the PIN and code
// protect the wallet only: the bank asks the payer itself. It never claims the wallet's check
// approves the payment.
func TestBGReviewSaysTheBankAsks(t *testing.T) {
	app, fw, _ := startBG(t)
	fillBGForm(t, app)
	app.Press("enter")
	app.WaitFor("You are about to pay")
	v := app.View()
	for _, want := range []string{"they protect this wallet and do not replace", "Berlin Test Bank then asks you to approve the payment itself",
		"Standard       Berlin Group NextGenPSD2", "Signed with    HTTP signature (draft-cavage rsa-sha256)", "Product        SEPA transfer",
		"Payee message  Invoice 42", "Account        DE89 3704 0044 0532 0130 00", "█▀▀ █ █ █▀█"} { // E U R in the block font
		if !strings.Contains(v, want) {
			t.Errorf("review lacks %q:\n%s", want, v)
		}
	}
	golden(t, app)
	if d := fw.Drafts(); len(d) != 1 || d[0].Product != "sepa-credit-transfers" || d[0].Purpose != "" || d[0].Reference != "Invoice 42" {
		t.Fatalf("draft = %+v", d)
	}
}

// TestBGSCAScreenHonest: the PIN and code screen says what they do at this bank.
func TestBGSCAScreenHonest(t *testing.T) {
	app, _, _ := startBG(t)
	fillBGForm(t, app)
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Confirm 12.50 EUR to Test Payee GmbH")
	v := golden(t, app)
	if !strings.Contains(v, "not replace Berlin Test Bank's check") || strings.Contains(v, "approve this one payment") {
		t.Errorf("the SCA screen claims more than the wallet's check does:\n%s", v)
	}
}

// TestBGRedirectApproveByWaiting: the bank's page, on the progress screen with the consent bank
// step's keys; w waits with a live spinner and elapsed time while the core polls the bank; the
// bank's answer (the poll's result) brings the receipt, "Executed (ACSC)".
func TestBGRedirectApproveByWaiting(t *testing.T) {
	app, fw, clock := startBG(t)
	decide := make(chan bool, 1)
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionRedirect, Decide: decide})
	toBGApproval(t, app, fw, "Approve the payment at Berlin Test Bank")
	v := app.View()
	for _, want := range []string{"⠋ Step 5 of 7: Approve at your bank · 4 steps done", "https://bank.example/psd2/authorise?payment=prep-1",
		"w  wait here", "u  show the address alone", "On a phone: scan the QR code and approve there"} {
		if !strings.Contains(v, want) {
			t.Errorf("approval step lacks %q:\n%s", want, v)
		}
	}
	for _, unwanted := range []string{"v  paste", "n  get a new address"} { // polled: nothing to paste, no new address
		if strings.Contains(v, unwanted) {
			t.Errorf("approval step offers %q:\n%s", unwanted, v)
		}
	}
	app.Press("w")
	app.WaitFor("Waiting for your approval at Berlin Test Bank · 0.0s")
	clock.Advance(20 * time.Second)
	app.WaitFor("Waiting for your approval at Berlin Test Bank · 18s")
	app.RequireFits(app.View())
	app.RequireGolden(app.View())
	decide <- true
	app.WaitFor("Payment Executed")
	v = app.FinalView()
	for _, want := range []string{"Amount          12.50 EUR", "Status          Executed (ACSC)"} {
		if !strings.Contains(v, want) {
			t.Errorf("receipt lacks %q:\n%s", want, v)
		}
	}
	if calls := strings.Join(fw.Calls(), " "); strings.Contains(calls, "ContinuePayment") {
		t.Errorf("a polled approval needs no answer, yet: %s", calls)
	}
}

// TestBGRedirectReceipt is the receipt of a payment approved at the bank's page.
func TestBGRedirectReceipt(t *testing.T) {
	app, fw, _ := startBG(t)
	decide := make(chan bool, 1)
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionRedirect, Decide: decide})
	toBGApproval(t, app, fw, "Approve the payment at Berlin Test Bank")
	decide <- true
	app.WaitFor("Payment Executed")
	golden(t, app)
}

// TestBGRedirectPasteBack: when the bank's answer is in the address the browser lands on and
// nothing here receives it, o opens the paste field (no w); an address without the answer is
// refused with the bank step's sentence and the step stays; the right one completes the payment.
func TestBGRedirectPasteBack(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeBGWallet(clock.Now, 3)
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionRedirect, NeedsCallback: true})
	opened := make(chan string, 1)
	app := uitest.Start(t, fw, uitest.WithOptions(ui.Options{Clock: clock.Now, OpenURL: func(u string) error { opened <- u; return nil }}))
	toBGApproval(t, app, fw, "Approve the payment at Berlin Test Bank")
	if v := app.View(); strings.Contains(v, "w  wait here") || !strings.Contains(v, "copy the address it") {
		t.Fatalf("a paste-back approval must not offer w:\n%s", app.View())
	}
	app.Press("o")
	app.WaitFor("Callback URL")
	if u := <-opened; !strings.Contains(u, "payment=prep-1") {
		t.Fatalf("opened %q", u)
	}
	app.Type("https://wallet.example/cb?state=s")
	app.Press("enter")
	app.WaitFor("That address does not carry Berlin Test Bank's answer.")
	app.Press("v")
	app.Type("https://wallet.example/cb?state=s&code=test-code")
	app.Press("enter")
	app.WaitFor("Payment Executed")
	in := fw.BankInputs()
	if len(in) != 2 || in[0].Kind != ui.ActionRedirect || !strings.Contains(in[1].Secret.Reveal(), "code=test-code") {
		t.Fatalf("answers = %v", in)
	}
}

// TestBGLoginPage: the bank's login before the payment is sent (SpareBank 1's session) is the
// same bank step with its own words: log in first, the bank has not got the payment, paste the
// address after logging in, and esc stops without sending anything — never "approve the payment"
// or "the payment waits at your bank".
func TestBGLoginPage(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeBGWallet(clock.Now, 3)
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionRedirect, NeedsCallback: true, Login: true})
	app := uitest.Start(t, fw, uitest.WithOptions(ui.Options{Clock: clock.Now}))
	toBGApproval(t, app, fw, "Log in at Berlin Test Bank first: your bank has not got the payment yet.")
	for _, want := range []string{"After logging in, your browser goes to a page payterm does not receive", "v  paste the address you land on after logging in",
		"esc stop (the payment is not sent)"} {
		app.WaitFor(want)
	}
	v := app.View()
	for _, not := range []string{"Approve the payment at", "the payment waits at your bank", "after approving"} {
		if strings.Contains(v, not) {
			t.Errorf("the login step says %q:\n%s", not, v)
		}
	}
	app.Press("v")
	app.WaitFor("Callback URL")
	app.Type("https://wallet.example/cb?state=s&code=test-code")
	app.Press("enter")
	app.WaitFor("Payment Executed")
}

// TestBGDecoupled: "Approve the payment in your bank's app", the bank's own words quoted, and a
// live elapsed time while the core polls; the bank's answer brings the receipt.
func TestBGDecoupled(t *testing.T) {
	app, fw, clock := startBG(t)
	decide := make(chan bool, 1)
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionDecoupled, Decide: decide, Message: "Please use your BankApp to confirm the payment."})
	toBGApproval(t, app, fw, "Approve the payment in Berlin Test Bank's app.")
	clock.Advance(42 * time.Second)
	app.WaitFor("Waiting for your approval · 40s")
	v := app.View()
	if !strings.Contains(v, "Berlin Test Bank says: “Please use your BankApp to confirm the payment.”") {
		t.Errorf("the bank's words are missing:\n%s", v)
	}
	app.RequireGolden(v)
	decide <- true
	app.WaitFor("Payment Executed")
}

// TestBGDeclinedAtTheBank: the payer declines at the bank: the receipt says it was rejected at
// the bank and nothing was paid, with the bank's code.
func TestBGDeclinedAtTheBank(t *testing.T) {
	app, fw, _ := startBG(t)
	decide := make(chan bool, 1)
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionDecoupled, Decide: decide})
	toBGApproval(t, app, fw, "Approve the payment in Berlin Test Bank's app.")
	decide <- false
	app.WaitFor("Rejected at your bank, nothing was paid")
	v := golden(t, app)
	for _, want := range []string{"Status          Failed (RJCT)", "You declined the payment at Berlin Test Bank."} {
		if !strings.Contains(v, want) {
			t.Errorf("receipt lacks %q:\n%s", want, v)
		}
	}
}

// TestBGEscDuringApproval: esc stops watching without losing the payment: the submission's
// context ends, the payment waits at the bank, and the receipt says the wallet keeps checking.
func TestBGEscDuringApproval(t *testing.T) {
	app, fw, _ := startBG(t)
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionDecoupled})
	toBGApproval(t, app, fw, "Approve the payment in Berlin Test Bank's app.")
	if v := app.View(); !strings.Contains(v, "esc stop watching (the payment waits at your bank)") {
		t.Fatalf("the footer does not say what esc does:\n%s", v)
	}
	app.Press("esc")
	app.WaitFor("Payment Awaiting bank approval: the wallet keeps checking")
	v := golden(t, app)
	for _, want := range []string{"Awaiting bank approval (RCVD)", "You stopped watching: the payment waits for your approval at Berlin Test Bank."} {
		if !strings.Contains(v, want) {
			t.Errorf("receipt lacks %q:\n%s", want, v)
		}
	}
	// The core ends the watch with context.Canceled: "Cancelled." under "Awaiting bank
	// approval" read as if the payment had ended.
	if strings.Contains(v, "Cancelled.") {
		t.Errorf("the receipt says Cancelled.:\n%s", v)
	}
}

// embeddedMethods are the fake bank's SCA methods.
var embeddedMethods = []ui.SCAMethod{{ID: "sms", Label: "SMS to +49 •••• 1234"}, {ID: "push", Label: "Push to BankApp"}, {ID: "chip", Label: "chipTAN"}}

// TestBGEmbedded: the bank's questions typed in payterm: the password (masked, and the screen
// says it is sent once, never stored or logged), the method (a pick list), then the one-time
// code: a wrong one is refused with the attempts left, the field is empty again, the right one
// completes the payment. No frame ever shows the password or a code.
func TestBGEmbedded(t *testing.T) {
	app, fw, _ := startBG(t, uitest.WithEveryFrame())
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionPassword, Password: "test-bank-password", TAN: "246810", Methods: embeddedMethods, MaskTAN: true})
	toBGApproval(t, app, fw, "Berlin Test Bank asks for your online banking password")
	app.Type("test-bank-password")
	app.WaitFor("Password ••••••••••••••••••▏")
	v := app.View()
	if !strings.Contains(v, "is never stored or") || !strings.Contains(v, "cleared from payterm's memory once sent") {
		t.Errorf("the password screen does not say what happens to the password:\n%s", v)
	}
	app.RequireGolden(v)
	app.Press("enter")
	app.WaitFor("asks how you want to approve this payment")
	app.Press("down")
	app.WaitFor("> 2. Push to BankApp")
	app.Press("3")
	app.WaitFor("> 3. chipTAN")
	app.Press("enter")
	app.WaitFor("Enter the TAN we sent you by chipTAN.")
	app.WaitFor("3 attempts left")
	app.Type("135790")
	app.Press("enter")
	app.WaitFor("Berlin Test Bank did not accept that code.")
	app.WaitFor("2 attempts left")
	app.Type("24")
	app.WaitFor("Code ••▏")
	app.Type("6810")
	app.Press("enter")
	app.WaitFor("Payment Executed")
	in := fw.BankInputs()
	want := []struct {
		kind ui.BankActionKind
		val  string
	}{{ui.ActionPassword, "test-bank-password"}, {ui.ActionMethod, "chip"}, {ui.ActionOTP, "135790"}, {ui.ActionOTP, "246810"}}
	if len(in) != len(want) {
		t.Fatalf("answers = %v", in)
	}
	for i, w := range want {
		got := in[i].Secret.Reveal()
		if w.kind == ui.ActionMethod {
			got = in[i].MethodID
		}
		if in[i].Kind != w.kind || got != w.val {
			t.Errorf("answer %d = %s %q, want %s %q", i, in[i].Kind, got, w.kind, w.val)
		}
	}
	_ = app.FinalView()
	requireNoBankSecrets(t, app.Frames()...)
}

// TestBGEmbeddedMethodAndWrongCode are the goldens of the method list and of the code asked
// again after a wrong one.
func TestBGEmbeddedMethodAndWrongCode(t *testing.T) {
	t.Run("method", func(t *testing.T) {
		app, fw, _ := startBG(t)
		fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionPassword, Password: "test-bank-password", TAN: "246810", Methods: embeddedMethods})
		toBGApproval(t, app, fw, "online banking password")
		app.Type("test-bank-password")
		app.Press("enter")
		app.WaitFor("asks how you want to approve this payment")
		app.Press("down")
		app.WaitFor("> 2. Push to BankApp")
		golden(t, app)
	})
	t.Run("wrong code", func(t *testing.T) {
		app, fw, _ := startBG(t)
		fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionPassword, Password: "test-bank-password", TAN: "246810"})
		toBGApproval(t, app, fw, "online banking password")
		app.Type("test-bank-password")
		app.Press("enter")
		app.WaitFor("Enter the TAN we sent you by SMS.")
		app.Type("135790")
		app.Press("enter")
		app.WaitFor("2 attempts left")
		app.Type("24")
		app.WaitFor("Code 24▏") // not masked: this bank's challenge does not ask for it
		requireNoBankSecrets(t, golden(t, app))
	})
}

// TestBGEmbeddedWrongPasswordThenBlocked: a wrong password is asked again with the bank's
// refusal; three wrong codes end it: rejected at the bank, nothing paid.
func TestBGEmbeddedWrongPasswordThenBlocked(t *testing.T) {
	app, fw, _ := startBG(t)
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionPassword, Password: "test-bank-password", TAN: "246810"})
	toBGApproval(t, app, fw, "online banking password")
	app.Press("enter") // nothing typed: a sentence, nothing sent
	app.WaitFor("Type the password of your online banking at Berlin Test Bank, then press enter.")
	app.Type("wrong")
	app.Press("enter")
	app.WaitFor("Berlin Test Bank did not accept the password.")
	if v := app.View(); !strings.Contains(v, "Password ▏") {
		t.Fatalf("the refused password must be gone from the field:\n%s", v)
	}
	app.Type("test-bank-password")
	app.Press("enter")
	for _, left := range []string{"3 attempts left", "2 attempts left", "1 attempt left"} {
		app.WaitFor(left)
		app.Type("135790")
		app.Press("enter")
	}
	app.WaitFor("Rejected at your bank, nothing was paid")
	app.WaitFor("stopped the approval after too many wrong codes")
}

// TestBGEscDuringEmbedded: esc on the bank's question stops watching too, and wipes what was
// typed.
func TestBGEscDuringEmbedded(t *testing.T) {
	app, fw, _ := startBG(t, uitest.WithEveryFrame())
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionPassword, Password: "test-bank-password", TAN: "246810"})
	toBGApproval(t, app, fw, "online banking password")
	app.Type("test-bank")
	app.Press("esc")
	app.WaitFor("Payment Awaiting bank approval: the wallet keeps checking")
	if in := fw.BankInputs(); len(in) != 0 {
		t.Fatalf("a half-typed password reached the bank: %v", in)
	}
}

// TestBGConfirmationCode: after the bank's page, a bank that asks for the confirmation code it
// showed (Berlin Group 1.3.8 "unconfirmed") gets it typed here.
func TestBGConfirmationCode(t *testing.T) {
	app, fw, _ := startBG(t)
	decide := make(chan bool, 1)
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionRedirect, Decide: decide, Confirm: true, TAN: "246810"})
	toBGApproval(t, app, fw, "Approve the payment at Berlin Test Bank")
	decide <- true
	app.WaitFor("Type the confirmation code Berlin Test Bank showed you after approving")
	app.Type("111111")
	app.Press("enter")
	app.WaitFor("did not accept that confirmation code")
	app.Type("https://wallet.example/cb?confirmationCode=246810")
	app.Press("enter")
	app.WaitFor("Payment Executed")
}

// TestBGKeyBursts: keys sent faster than the bank answers are all handled, in order. The method
// is chosen and sent, and while the bank is still reacting the one-time code arrives as one key
// message of six runes and an enter: they wait for the code's question and answer it.
func TestBGKeyBursts(t *testing.T) {
	app, fw, _ := startBG(t, uitest.WithEveryFrame())
	gate := make(chan struct{})
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionPassword, Password: "test-bank-password", TAN: "246810", Methods: embeddedMethods, AnswerGate: gate})
	toBGApproval(t, app, fw, "online banking password")
	app.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("test-bank-password")})
	app.Press("enter")
	app.WaitFor("Sending your answer to Berlin Test Bank")
	gate <- struct{}{} // the bank takes the password and asks for the method
	app.WaitFor("asks how you want to approve this payment")
	app.Press("down", "down", "enter") // chipTAN, at once
	app.WaitFor("Sending your answer to Berlin Test Bank")
	app.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("246810")})
	app.Press("enter")
	close(gate) // the bank asks for the code; the keys typed ahead answer it
	app.WaitFor("Payment Executed")
	in := fw.BankInputs()
	if len(in) != 3 || in[1].MethodID != "chip" || in[2].Kind != ui.ActionOTP || in[2].Secret.Reveal() != "246810" {
		t.Fatalf("answers = %v (method %q)", in, func() string {
			if len(in) > 1 {
				return in[1].MethodID
			}
			return ""
		}())
	}
	_ = app.FinalView()
	requireNoBankSecrets(t, app.Frames()...)
}

// TestBGKeysAheadOfAChoiceDropped: keys typed while an answer is on its way never make a choice
// the payer has not seen: before the method list they are dropped, and the footer says so.
func TestBGKeysAheadOfAChoiceDropped(t *testing.T) {
	app, fw, _ := startBG(t)
	gate := make(chan struct{})
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionPassword, Password: "test-bank-password", TAN: "246810", Methods: embeddedMethods, AnswerGate: gate})
	toBGApproval(t, app, fw, "online banking password")
	app.Type("test-bank-password")
	app.Press("enter")
	app.WaitFor("Sending your answer to Berlin Test Bank")
	app.Press("3", "enter")
	close(gate)
	app.WaitFor("The keys typed before Berlin Test Bank's next question were not used.")
	app.WaitFor("> 1. SMS to +49 •••• 1234")
	if in := fw.BankInputs(); len(in) != 1 {
		t.Fatalf("a method was chosen by keys typed before the list: %v", in)
	}
}

// TestBGAccessible: the approval steps in words: the bank's app, the method list marked
// "(selected)", no spinner, no QR code.
func TestBGAccessible(t *testing.T) {
	t.Run("decoupled", func(t *testing.T) {
		app, fw, _ := startBG(t, uitest.WithAccessible())
		fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionDecoupled, Message: "Please use your BankApp to confirm the payment."})
		toBGApproval(t, app, fw, "Waiting for your approval. Press esc to stop watching")
		v := golden(t, app)
		if !strings.Contains(v, "Step 5 of 7: Approve at your bank started.") || strings.ContainsAny(v, "⠋⠙⠹") {
			t.Errorf("accessible approval:\n%s", v)
		}
	})
	t.Run("method", func(t *testing.T) {
		app, fw, _ := startBG(t, uitest.WithAccessible())
		fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionPassword, Password: "test-bank-password", TAN: "246810", Methods: embeddedMethods})
		toBGApproval(t, app, fw, "online banking password")
		app.Type("test-bank-password")
		app.Press("enter")
		app.WaitFor("> 1. SMS to +49 •••• 1234 (selected)")
		golden(t, app)
	})
	t.Run("redirect", func(t *testing.T) {
		app, fw, _ := startBG(t, uitest.WithAccessible())
		fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionRedirect})
		toBGApproval(t, app, fw, "Approve the payment at Berlin Test Bank")
		app.Press("w")
		app.WaitFor("Waiting for your approval at Berlin Test Bank. Press esc to stop watching")
		v := golden(t, app)
		if strings.ContainsAny(v, "▀▄█") {
			t.Errorf("accessible mode drew a QR code:\n%s", v)
		}
	})
}

// TestBGNarrow: at the smallest terminal (60×18) every approval step fits and still says what
// to do; the footer keys wrap.
func TestBGNarrow(t *testing.T) {
	for _, c := range []struct {
		name   string
		a      uifake.FakeApproval
		marker string
	}{
		{"redirect", uifake.FakeApproval{Kind: ui.ActionRedirect}, "Approve the payment at Berlin Test Bank"},
		{"decoupled", uifake.FakeApproval{Kind: ui.ActionDecoupled, Message: "Please use your BankApp to confirm the payment."}, "Waiting for your approval"},
		{"password", uifake.FakeApproval{Kind: ui.ActionPassword, Password: "test-bank-password", TAN: "246810"}, "online banking password"},
	} {
		t.Run(c.name, func(t *testing.T) {
			app, fw, _ := startBG(t, uitest.WithSize(60, 18))
			fw.SetApproval(c.a)
			toBGApproval(t, app, fw, c.marker)
			golden(t, app)
		})
	}
}

// TestBGRedirectQRCode: on a terminal large enough, the bank's page is offered as a QR code too
// (a phone can approve the payment), its caption saying the wallet sees the bank's answer.
func TestBGRedirectQRCode(t *testing.T) {
	app, fw, _ := startBG(t, uitest.WithSize(120, 60))
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionRedirect})
	toBGApproval(t, app, fw, "On a phone: scan the QR code and approve there; payterm sees your bank's answer.")
	v := app.View()
	if got := ui.QRTextOnScreen(t, v); !strings.Contains(got, "payment=prep-1") {
		t.Fatalf("QR code reads %q:\n%s", got, v)
	}
	app.RequireFits(v)
}

// TestBGAmountInAnotherCurrency: on a EUR form, an amount typed with AED (which the AED parser
// would take as its own) or any other currency is refused with a sentence naming EUR; nothing
// reaches the core. With EUR it is read as typed.
func TestBGAmountInAnotherCurrency(t *testing.T) {
	app, fw, _ := startBG(t)
	toBGForm(t, app)
	app.Press("tab", "tab")
	for _, typed := range []string{"AED 12", "12 usd", "€12", "12 د.إ"} {
		app.Press("ctrl+u")
		app.Type(typed)
		app.Press("enter")
		app.WaitFor("This payment is in EUR; type the amount alone or with EUR, like 125.50 or EUR 125.50.")
		app.Press("ctrl+u")
		app.Type("0")
		app.Press("enter") // another refusal, so the next one is seen afresh
		app.WaitFor("The amount must be more than 0.00")
		app.Press("ctrl+u")
		if d := fw.Drafts(); len(d) != 0 {
			t.Fatalf("%q reached the core: %+v", typed, d)
		}
	}
	app.Type("12.505")
	app.Press("enter")
	app.WaitFor("type the cents with 2 digits")
	app.Press("ctrl+u")
	app.Type("eur 12")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	if d := fw.Drafts(); len(d) != 1 || d[0].Amount != "eur 12" {
		t.Fatalf("drafts = %+v", d)
	}
}

// TestSB1NorwegianAccount: SpareBank 1's domestic product takes a Norwegian account number
// ("Account no.", 11 digits, MOD-11 checked as typed), in NOK; its SEPA product takes an IBAN in
// EUR, and the feedback follows the product chosen.
func TestSB1NorwegianAccount(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.AddBGConsent(uifake.FakeSB1Bank)
	fw.EditConsent(0, func(c *ui.Consent) { c.Model, c.Creditors = ui.BeneficiaryOpen, nil })
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Recent payments")
	app.Press("p")
	app.WaitFor("Pay from which consent?")
	app.Press("enter")
	app.WaitFor("Domestic transfer")
	app.Press("tab", "left") // the payee: past the consent's payees to a new one
	app.WaitFor("New payee…")
	app.Press("tab", "tab")
	app.Type("1234 56 78904")
	app.WaitFor("check digit does not match")
	app.Press("backspace")
	app.Type("3")
	app.WaitGone("check digit does not match")
	app.Press("shift+tab", "shift+tab", "shift+tab")
	app.Press("right") // SEPA transfer: the same digits are no IBAN
	app.WaitFor("starts with a country code, like DE")
	v := app.View()
	if !strings.Contains(v, "Amount (EUR)") || !strings.Contains(v, "IBAN") {
		t.Errorf("the form does not follow the SEPA product:\n%s", v)
	}
	app.Press("left")
	app.WaitFor("Amount (NOK)")
	app.WaitGone("starts with a country code")
	app.Press("tab", "shift+tab") // back to the product (the form is unchanged)
	golden(t, app)
}

// TestBGHomeAndHistory: Home's limits per currency (never added), the consent card paid in its
// currency, and the history rows with their currency and the bank's statuses in words; the
// detail says "Executed (ACSC)" and its timeline the bank's codes.
func TestBGHomeAndHistory(t *testing.T) {
	t.Run("home", func(t *testing.T) {
		app, _, _ := startBG(t)
		app.WaitFor("Recent payments")
		v := golden(t, app)
		for _, want := range []string{"Limit headroom (EUR)", "Limit headroom (AED)", "Paid to date  42.00 EUR (2 payments)",
			"Berlin Group NextGenPSD2", "42.00 EUR  Executed", "9.99 EUR  Failed", "15.00 EUR  Awaiting bank approval"} {
			if !strings.Contains(v, want) {
				t.Errorf("home lacks %q", want)
			}
		}
	})
	t.Run("history detail", func(t *testing.T) {
		app, _, _ := startBG(t)
		app.WaitFor("Recent payments")
		app.Press("h")
		app.WaitFor("payterm · History")
		app.WaitFor("Awaiting bank approval")
		app.Press("enter")
		app.WaitFor("Timeline")
		v := golden(t, app)
		for _, want := range []string{"42.00 EUR to Test Payee GmbH", "Status          Executed (ACSC)", "Awaiting bank approval (RCVD)"} {
			if !strings.Contains(v, want) {
				t.Errorf("detail lacks %q", want)
			}
		}
	})
}

// TestBGCancelAwaitingApproval: a payment still awaiting the bank's approval can be cancelled
// from its History detail: X says it asks the bank, y asks it, and the detail shows the bank's
// answer (Cancelled, CANC); n keeps it.
func TestBGCancelAwaitingApproval(t *testing.T) {
	app, fw, _ := startBG(t)
	openAwaitingBGPayment(t, app)
	app.WaitFor("X ask the bank to cancel this payment")
	app.Press("X")
	app.WaitFor("Ask the bank to cancel this payment? It has not approved it yet.")
	app.Press("n")
	app.WaitGone("Ask the bank to cancel")
	app.Press("X")
	app.WaitFor("Ask the bank to cancel this payment?")
	app.Press("y")
	app.WaitFor("Cancelled (CANC)")
	app.WaitFor("Cancelled at your bank at your request")
	if v := app.View(); strings.Contains(v, "X ask the bank") || strings.Contains(v, "a approve at your bank") {
		t.Errorf("a cancelled payment still offers X or a:\n%s", v)
	}
	if n := fw.CallCount("CancelPayment"); n != 1 {
		t.Errorf("CancelPayment called %d times, want once (n asked nothing)", n)
	}
}

// TestBGApproveAgain: a payment awaiting the bank's approval (the payer stopped watching, or
// payterm restarted) is approved from its History detail: a asks the bank again, its
// questions come on the pay screen as during the payment, and the receipt follows.
func TestBGApproveAgain(t *testing.T) {
	app, fw, _ := startBG(t)
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionPassword, Password: "test-bank-password", TAN: "246810", Methods: embeddedMethods})
	openAwaitingBGPayment(t, app)
	app.WaitFor("a approve at your bank now")
	app.Press("a")
	app.WaitFor("Berlin Test Bank asks for your online banking password")
	app.WaitFor("Paying 15.00 EUR to Example Merchant")
	app.Type("test-bank-password")
	app.Press("enter")
	app.WaitFor("asks how you want to approve this payment")
	app.Press("enter")
	app.WaitFor("attempts left")
	app.Type("246810")
	app.Press("enter")
	app.WaitFor("Payment Executed")
	app.WaitFor("Status          Executed (ACSC)") // the receipt: the bank's own code beside ours
	app.Press("esc")
	app.WaitFor("Recent payments") // done: Home
}

// openAwaitingBGPayment opens, from Home, the History detail of the fake's payment awaiting
// the Berlin Group bank's approval.
func openAwaitingBGPayment(t *testing.T, app *uitest.App) {
	t.Helper()
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("payterm · History")
	app.WaitFor("Awaiting bank approval")
	// Move the cursor (the row marked "> ") down to the payment awaiting approval.
	lines := strings.Split(app.View(), "\n")
	cur, target := -1, -1
	for i, l := range lines {
		if strings.HasPrefix(l, "> ") && cur < 0 {
			cur = i
		}
		if strings.Contains(l, "Awaiting bank approval") && target < 0 {
			target = i
		}
	}
	if cur < 0 || target < cur {
		t.Fatalf("no cursor above the awaiting payment:\n%s", app.View())
	}
	for range target - cur {
		app.Press("down")
	}
	app.WaitFor("> " + lines[target][2:])
	app.Press("enter")
	app.WaitFor("Awaiting bank approval (RCVD)")
}

// TestBGNoColor: with NO_COLOR (Options.NoColor) on a terminal that has colour, the bank's
// approval steps draw no escape sequence and the chosen method is still marked in text.
func TestBGNoColor(t *testing.T) {
	prev := lipgloss.ColorProfile()
	lipgloss.SetColorProfile(termenv.TrueColor)
	t.Cleanup(func() { lipgloss.SetColorProfile(prev) }) // after the programs below have stopped

	// Control: the same terminal in colour draws escape sequences.
	clock := uitest.NewClock(uifake.FakeBase)
	colour := uitest.Start(t, uifake.NewFakeBGWallet(clock.Now, 3), uitest.WithOptions(ui.Options{Clock: clock.Now}))
	colour.WaitFor("Limit headroom")
	if !strings.Contains(colour.FinalView(), "\x1b[") {
		t.Fatal("control: a colour terminal should get escape sequences")
	}

	fw := uifake.NewFakeBGWallet(clock.Now, 3)
	fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionPassword, Password: "test-bank-password", TAN: "246810", Methods: embeddedMethods})
	app := uitest.Start(t, fw, uitest.WithOptions(ui.Options{Clock: clock.Now, NoColor: true}), uitest.WithEveryFrame())
	toBGApproval(t, app, fw, "online banking password")
	app.Type("test-bank-password")
	app.Press("enter")
	app.WaitFor("> 1. SMS to +49 •••• 1234")
	app.Press("enter")
	app.WaitFor("Enter the TAN we sent you by SMS to +49 •••• 1234.")
	app.Type("246810")
	app.Press("enter")
	app.WaitFor("Payment Executed")
	_ = app.FinalView()
	for i, f := range app.Frames() {
		if strings.Contains(f, "\x1b[") {
			t.Fatalf("frame %d has an escape sequence under NO_COLOR:\n%q", i, f)
		}
	}
}

// TestNoInjectionBankApproval: every string of the bank's approval step comes from the bank:
// the row names, the bank's message, the method labels and ids, the challenge text, the
// address, the refusals. With each carrying escape sequences, C1 and bidi controls, every frame
// of a redirect and of an embedded approval is plain text, and the answers still reach the bank.
func TestNoInjectionBankApproval(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		clock := uitest.NewClock(uifake.FakeBase)
		fw := uifake.NewFakeBGWallet(clock.Now, 3)
		fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionPassword, Password: "test-bank-password", TAN: "246810", Methods: embeddedMethods,
			Message: "Log in to approve", MaskTAN: true})
		app := uitest.Start(t, hostileWallet{w: fw}, uitest.WithClock(clock), uitest.WithEveryFrame())
		toBGApproval(t, app, fw, "Password ▏")
		app.Type("test-bank-password")
		app.Press("enter")
		app.WaitFor("2. Push to BankApp")
		app.Press("down", "enter")
		app.WaitFor("3 attempts left")
		app.Type("135790")
		app.Press("enter")
		app.WaitFor("2 attempts left")
		app.Type("246810")
		app.Press("enter")
		app.WaitFor("Payment Executed")
		if in := fw.BankInputs(); len(in) != 4 || in[1].MethodID != "push" {
			t.Fatalf("answers = %v", in)
		}
		_ = app.FinalView()
		requireNoInjection(t, app.Frames(), 5)
		requireNoBankSecrets(t, app.Frames()...)
	})
	t.Run("redirect and decoupled", func(t *testing.T) {
		clock := uitest.NewClock(uifake.FakeBase)
		fw := uifake.NewFakeBGWallet(clock.Now, 3)
		decide := make(chan bool, 1)
		fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionRedirect, NeedsCallback: true, CallbackHere: true, Decide: decide})
		app := uitest.Start(t, hostileWallet{w: fw}, uitest.WithClock(clock), uitest.WithEveryFrame(), uitest.WithSize(120, 60))
		toBGApproval(t, app, fw, "Approve the payment at")
		app.Press("v")
		app.Type("https://wallet.example/cb?state=s")
		app.Press("enter")
		app.WaitFor("That address does")
		decide <- false
		app.WaitFor("Rejected at your bank, nothing was paid")
		app.Press("enter")
		app.WaitFor("Limit headroom")
		fw.SetApproval(uifake.FakeApproval{Kind: ui.ActionDecoupled, Message: "Please use your BankApp"})
		toBGApproval(t, app, fw, "Waiting for your approval")
		app.Press("esc")
		app.WaitFor("the wallet keeps checking")
		_ = app.FinalView()
		requireNoInjection(t, app.Frames(), 5)
	})
}

// TestWhichBankNamesStandards: when the configured banks differ in standard or currency, each
// row of "Which bank?" says which (at 60 columns, the currency alone when the name needs the
// room); banks that are alike show nothing more (the goldens of two UAE banks are unchanged).
func TestWhichBankNamesStandards(t *testing.T) {
	app, fw := startFirstRunBanks(t, []ui.BankOption{uifake.FakeSandboxBank, uifake.FakeBGBank, uifake.FakeSB1Bank})
	toRecoveryDone(t, app, fw)
	app.WaitFor("Which bank?")
	v := golden(t, app)
	for _, want := range []string{"Sandbox Bank  UAE Open Finance, AED", "Berlin Test Bank  Berlin Group NextGenPSD2, EUR", "SpareBank 1 Test  Berlin Group NextGenPSD2, NOK"} {
		if !strings.Contains(v, want) {
			t.Errorf("which bank lacks %q:\n%s", want, v)
		}
	}
	narrow, fw2 := startFirstRunBanks(t, []ui.BankOption{uifake.FakeSandboxBank, {ID: "long", Name: longBank.Name, Terms: uifake.FakeBGTerms()}}, uitest.WithSize(60, 18))
	toRecoveryDone(t, narrow, fw2)
	narrow.WaitFor("Which bank?")
	if v := narrow.View(); !strings.Contains(v, "  EUR") || strings.Contains(v, "NextGenPSD2") {
		t.Errorf("at 60 columns a long name keeps its room and the row says the currency:\n%s", v)
	}
	narrow.RequireFits(narrow.View())
}

// bgTrace is the fake's trace as a Berlin Group core would describe it.
type bgTrace struct{ *uifake.FakeWallet }

func (w bgTrace) Inspect(ctx context.Context) (ui.Inspection, error) {
	in, err := w.FakeWallet.Inspect(ctx)
	in.Standard, in.Signing = "Berlin Group NextGenPSD2", "HTTP signature (draft-cavage rsa-sha256)"
	return in, err
}

// bgSequence is the fake's trace as the core draws a Berlin Group payment: the initiation is
// the step in flight, with its X-Request-ID, HTTP signature and body.
type bgSequence struct {
	*uifake.FakeWallet
	showPII bool
}

func (w bgSequence) Inspect(ctx context.Context) (ui.Inspection, error) {
	ini := &ui.Exchange{Request: "POST /v1/payments/sepa-credit-transfers HTTP/1.1", Response: "HTTP/1.1 201 Created",
		InteractionID: "99391c7e-ad88-49ec-a2ad-99ddcb1f7721", IDName: "X-Request-ID",
		Headers: []ui.Field{{Name: "Psu-Ip-Address", Value: "192.0.2.10", PII: true}},
		Signature: []ui.Field{{Name: "keyId", Value: "SN=1,CA=CN=payterm sandbox CA"}, {Name: "headers", Value: "digest x-request-id"},
			{Name: "signed", Value: "digest: SHA-256=abc="}, {Name: "signed", Value: "x-request-id: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721"}},
		Body: []ui.Field{{Name: "instructedAmount.amount", Value: "12.50"}, {Name: "creditorName", Value: "Max Muster", PII: true}}}
	return ui.Inspection{ShowPII: w.showPII, Standard: "Berlin Group NextGenPSD2", Signing: "HTTP signature (draft-cavage rsa-sha256)",
		Steps: []ui.SequenceStep{{Name: "Wallet check (PIN + code + device key)", State: ui.SeqDone},
			{Name: "Initiate: POST /payments/{product}", State: ui.SeqCurrent, Exchange: ini},
			{Name: "GET …/status until final", State: ui.SeqPending}},
		Verdicts: []ui.Verdict{{Rule: "Initiate: POST /payments/{product} · rule 17: signature verifies", Passed: true}}}, nil
}

// TestInspectorDrawsABerlinGroupExchange: a Berlin Group step shows what proves it, its
// X-Request-ID (not x-fapi-interaction-id), the HTTP signature with the signing string line
// by line, the body with the payee hidden off the sandbox, and the bank's verdict.
func TestInspectorDrawsABerlinGroupExchange(t *testing.T) {
	for _, showPII := range []bool{false, true} {
		clock := uitest.NewClock(uifake.FakeBase)
		app := uitest.Start(t, bgSequence{uifake.NewFakeBGWallet(clock.Now, 3), showPII}, uitest.WithClock(clock), uitest.WithSize(120, 60))
		app.WaitFor("Limit headroom")
		app.Press("ctrl+t")
		app.WaitFor("payterm · Inspector")
		app.WaitFor("X-Request-ID: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721")
		v := app.View()
		for _, want := range []string{"Proves the request is payterm's and unaltered", "HTTP signature (the bank verifies it with the QSealC sent)",
			"keyId: SN=1,CA=CN=payterm sandbox CA", "signed: digest: SHA-256=abc=", "signed: x-request-id: 99391c7e",
			"Request body", "instructedAmount.amount: 12.50", "rule 17: signature verifies"} {
			if !strings.Contains(v, want) {
				t.Errorf("showPII=%v: the Berlin Group step lacks %q:\n%s", showPII, want, v)
			}
		}
		if strings.Contains(v, "x-fapi-interaction-id") || strings.Contains(v, "Response body") {
			t.Errorf("a UAE header name, or an empty section, on a Berlin Group step:\n%s", v)
		}
		if hidden := !strings.Contains(v, "Max Muster") && !strings.Contains(v, "192.0.2.10"); hidden == showPII {
			t.Errorf("showPII=%v: the payee and the payer's address are hidden=%v:\n%s", showPII, hidden, v)
		}
	}
}

// TestInspectorNamesStandardAndSigning: a trace at a bank under another standard says which
// standard and how its requests are signed; a UAE trace is drawn as before.
func TestInspectorNamesStandardAndSigning(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	app := uitest.Start(t, bgTrace{uifake.NewFakeBGWallet(clock.Now, 3)}, uitest.WithClock(clock))
	app.WaitFor("Limit headroom")
	app.Press("ctrl+t")
	app.WaitFor("payterm · Inspector")
	app.WaitFor("Berlin Group NextGenPSD2 · requests signed with")
	app.WaitFor("signature (draft-cavage rsa-sha256)")
}

// TestBGConsentsPerCurrency: the consents list and a consent's detail show what each consent
// paid in its own currencies, side by side (a SpareBank 1 link: NOK at home, EUR over SEPA),
// and never "Flexi Pay" for a bank that approves each payment itself.
func TestBGConsentsPerCurrency(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	fw.AddBGConsent(uifake.FakeSB1Bank)
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Limit headroom")
	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.WaitFor("1,250.00 NOK · 12.50 EUR")
	if v := app.View(); strings.Contains(v, "Flexi Pay") {
		t.Errorf("the list calls a Berlin Group link Flexi Pay:\n%s", v)
	}
	app.Press("enter")
	app.WaitFor("Payment Rules")
	v := golden(t, app)
	for _, want := range []string{"SpareBank 1 Test · Active · Berlin Group NextGenPSD2", "Paid to date    1,250.00 NOK · 12.50 EUR in 3 payments"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, v)
		}
	}
}
