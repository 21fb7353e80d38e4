package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// fillPayForm picks the Arabic payee, types an amount, an Arabic reference and searches the
// purpose code, all with rune key messages.
func fillPayForm(app *uitest.App, amount string) {
	app.Press("p")
	app.WaitFor("Purpose")
	app.Press("right", "right") // third payee: مثال تجريبي
	app.WaitFor("مثال تجريبي")
	app.Press("tab")
	app.Type(amount)
	app.Press("tab")
	app.Type("فاتورة ٧")
	app.Press("tab")
	app.Type("mob")
	app.WaitFor("MWP  Mobile Wallet Payments")
}

func TestPayForm(t *testing.T) {
	app, _, _ := start(t, 3)
	app.WaitFor("Recent payments")
	fillPayForm(app, "1,250.5")
	v := golden(t, app)
	if !strings.Contains(v, "فاتورة ٧") || !strings.Contains(v, "1,250.5") {
		t.Errorf("typed runes lost:\n%s", v)
	}
}

func TestPayReview(t *testing.T) {
	app, _, _ := start(t, 3)
	app.WaitFor("Recent payments")
	fillPayForm(app, "1,250.5")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	golden(t, app)
}

func TestPayReviewAccessible(t *testing.T) {
	app, _, _ := start(t, 3, uitest.WithAccessible())
	app.WaitFor("Recent payments")
	fillPayForm(app, "1,250.5")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	v := golden(t, app)
	if !strings.Contains(v, "Amount: 1,250.50 AED") {
		t.Errorf("accessible review must state the amount in words:\n%s", v)
	}
}

func toSCA(t *testing.T, app *uitest.App) {
	t.Helper()
	app.WaitFor("Recent payments")
	fillPayForm(app, "1,250.5")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Authorise 1,250.50 AED")
}

func TestPaySCAMasked(t *testing.T) {
	app, fw, _ := start(t, 3)
	toSCA(t, app)
	app.Type(fw.PIN)
	app.Press("tab")
	app.Type("6543")
	app.WaitFor("••••▏")
	golden(t, app)
}

func TestPayWrongCodeThenRight(t *testing.T) {
	app, fw, _ := start(t, 3)
	toSCA(t, app)
	app.Type(fw.PIN)
	app.Press("tab")
	app.Type("000000")
	app.Press("enter")
	app.WaitFor("PIN or code not accepted. 4 attempts left")
	v := app.View()
	if !strings.Contains(v, "Pay · Authenticate") {
		t.Fatalf("a wrong code must return to the SCA form:\n%s", v)
	}
	app.Type(fw.PIN)
	app.Press("tab")
	app.Type(fw.Code)
	app.Press("enter")
	app.WaitFor("Payment Settled")
	golden(t, app)
}

func TestPayLockoutAfterFiveFailures(t *testing.T) {
	app, fw, _ := start(t, 3)
	toSCA(t, app)
	for i := 1; i <= 5; i++ {
		app.Type(fw.PIN)
		app.Press("tab")
		app.Type("000000")
		app.Press("enter")
		if i < 5 {
			app.WaitFor(fmt.Sprintf("%d attempt", 5-i)) // "1 attempt left", "2 attempts left"
		}
	}
	app.WaitFor("Payments are blocked after too many failed attempts")
	golden(t, app)
}

// TestUnblockWithRecoveryCode: after the block, the recovery code, a current code and a new PIN
// unblock payments; the new PIN then pays.
func TestUnblockWithRecoveryCode(t *testing.T) {
	app, fw, _ := start(t, 3)
	toSCA(t, app)
	for i := 1; i <= 5; i++ {
		app.Type(fw.PIN)
		app.Press("tab")
		app.Type("000000")
		app.Press("enter")
		if i < 5 {
			app.WaitFor(fmt.Sprintf("%d attempt", 5-i)) // "1 attempt left", "2 attempts left"
		}
	}
	app.WaitFor("Payments are blocked")
	app.Press("esc", "esc", "esc")
	app.WaitFor("Recent payments")
	app.Press("u")
	app.WaitFor("Unblock payments")
	app.Type("TEST-WRONG")
	app.Press("tab")
	app.Type(fw.Code)
	app.Press("tab")
	app.Type("135791")
	app.Press("tab")
	app.Type("135791")
	app.Press("enter")
	app.WaitFor("not correct")
	app.Type(uifake.FakeRecovery)
	app.Press("tab")
	app.Type(fw.Code)
	app.Press("tab")
	app.Type("135791")
	app.Press("tab")
	app.Type("135791")
	app.Press("enter")
	app.WaitFor("Payments are unblocked")
	golden(t, app)
}

func pay(t *testing.T, app *uitest.App, fw *uifake.FakeWallet) {
	t.Helper()
	toSCA(t, app)
	app.Type(fw.PIN)
	app.Press("tab")
	app.Type(fw.Code)
	app.Press("enter")
}

func TestPayReceiptSettled(t *testing.T) {
	app, fw, _ := start(t, 3)
	pay(t, app, fw)
	app.WaitFor("Payment Settled")
	v := golden(t, app)
	for _, want := range []string{"PAY-NEW-0001", "00000000-0000-4000-8000-000000000001", "Settled (AcceptedCreditSettlementCompleted)"} {
		if !strings.Contains(v, want) {
			t.Errorf("receipt lacks %q", want)
		}
	}
}

func TestPayBankRejection(t *testing.T) {
	app, fw, _ := start(t, 3)
	fw.Outcome = "reject"
	pay(t, app, fw)
	app.WaitFor("The bank rejected the payment")
	v := golden(t, app)
	if !strings.Contains(v, "Insufficient funds in the payer account [AANI.AM04]") {
		t.Errorf("rejection reason missing:\n%s", v)
	}
}

func TestPayRefusedBeforeCreation(t *testing.T) {
	app, fw, _ := start(t, 3)
	fw.Outcome = "refuse"
	pay(t, app, fw)
	app.WaitFor("The payment was not made")
	golden(t, app)
}

func TestPayLimitRefusal(t *testing.T) {
	app, _, _ := start(t, 3)
	app.WaitFor("Recent payments")
	fillPayForm(app, "6000")
	app.Press("enter")
	app.WaitFor("above your per-payment limit")
	golden(t, app)
}

// TestPayProgressInFlight holds the payment after "Saved": the progress screen lists the steps
// done with their elapsed time, q refuses to quit, ctrl+c asks, n keeps the payment going.
func TestPayProgressInFlight(t *testing.T) {
	app, fw, _ := start(t, 3)
	fw.Hold = make(chan struct{})
	pay(t, app, fw)
	app.WaitFor("⠋ Sent")
	app.WaitFor("Elapsed 0.7s")
	app.Press("q")
	app.WaitFor("A payment is in flight; wait")
	app.Press("ctrl+c")
	app.WaitFor("Quit anyway?")
	app.Press("n")
	app.WaitGone("Quit anyway?")
	app.Press("ctrl+c")
	app.WaitFor("Quit anyway?")
	v := golden(t, app)
	if !strings.Contains(v, "✓ Saved") {
		t.Errorf("progress lacks done steps:\n%s", v)
	}
	close(fw.Hold)
}

func TestPayProgressAccessible(t *testing.T) {
	app, fw, _ := start(t, 3, uitest.WithAccessible())
	fw.Hold = make(chan struct{})
	pay(t, app, fw)
	app.WaitFor("Step 6 of 8: Sent started.")
	golden(t, app)
	close(fw.Hold)
}

// TestResizeDuringPayment: the flow survives a resize below the minimum and back.
func TestResizeDuringPayment(t *testing.T) {
	app, fw, _ := start(t, 3)
	fw.Hold = make(chan struct{})
	pay(t, app, fw)
	app.WaitFor("Saved")
	app.Resize(40, 10)
	app.WaitFor("Terminal too small")
	close(fw.Hold)
	app.Resize(80, 30)
	app.WaitFor("Payment Settled")
	golden(t, app)
}

// TestQuitQuestionShownOnATooSmallTerminal: q while a payment is in flight asks before
// quitting; on a terminal too small for the footer, the question is drawn where the size
// message is (it was asked unseen), n keeps the wallet, and y quits.
func TestQuitQuestionShownOnATooSmallTerminal(t *testing.T) {
	app, fw, _ := start(t, 3)
	fw.Hold = make(chan struct{})
	defer close(fw.Hold)
	pay(t, app, fw)
	app.WaitFor("Saved")
	app.Resize(50, 12)
	app.WaitFor("press q to quit")
	app.Press("q")
	app.WaitFor("Quit anyway?")
	app.Press("n")
	app.WaitFor("press q to quit")
	if strings.Contains(app.View(), "Quit anyway?") {
		t.Fatalf("n left the question up:\n%s", app.View())
	}
	app.Press("ctrl+c")
	app.WaitFor("Quit anyway?")
	app.Press("y")
	app.WaitQuit()
}

// TestPayPendingThenRecheck: a payment the bank still has as Pending shows "keeps checking";
// when the core records the final status (the background resume) the open receipt shows it
// without a key, and r reads it again.
func TestPayPendingThenRecheck(t *testing.T) {
	app, fw, _ := start(t, 3)
	fw.Outcome = "pending"
	pay(t, app, fw)
	app.WaitFor("the wallet keeps checking")
	fw.SetPaymentStatus(fw.LastReceiptID(), ui.PaymentAcceptedCreditSettlementCompleted)
	app.WaitFor("Settled (AcceptedCreditSettlementCompleted)")
	app.Press("r")
	app.WaitFor("Settled (AcceptedCreditSettlementCompleted)")
	golden(t, app)
}

// TestPayRefusedIsFinal: a payment the bank refused (4xx) is final: its receipt never says that
// the wallet keeps checking.
func TestPayRefusedIsFinal(t *testing.T) {
	app, fw, _ := start(t, 3)
	fw.Outcome = "refused"
	pay(t, app, fw)
	app.WaitFor("Payment Refused by the bank")
	if v := app.View(); strings.Contains(v, "keeps checking") {
		t.Fatalf("a refused payment says it is being checked:\n%s", v)
	}
}

// TestPayPurposePreselected: the form starts on the consent's purpose code.
func TestPayPurposePreselected(t *testing.T) {
	app, _, _ := start(t, 3)
	app.WaitFor("Recent payments")
	app.Press("p")
	app.WaitFor("Purpose")
	app.Press("tab")
	app.Type("20")
	app.Press("enter")
	app.WaitFor("Purpose    MWP Mobile Wallet Payments")
}

// TestPayBankWaitCountsDownEscKeepsItQueuedXCancels: the bank asks to wait 59 s; the progress
// screen says so with a countdown from the injected clock and offers esc, which stops waiting
// without losing the payment: the receipt shows it queued (not sent), and X, y cancels it.
func TestPayBankWaitCountsDownEscKeepsItQueuedXCancels(t *testing.T) {
	app, fw, clock := start(t, 3)
	fw.Outcome = "wait"
	pay(t, app, fw)
	app.WaitFor("Bank asked to wait 59 s · 59 s left · esc stops waiting (the payment stays tracked)")
	clock.Advance(17 * time.Second)
	app.WaitFor("Bank asked to wait 59 s · 42 s left")
	app.WaitFor("esc stop waiting (the payment stays tracked)") // the key is in the help line
	app.Press("esc")
	app.WaitFor("Payment queued — not sent")
	v := app.View()
	for _, want := range []string{"Queued — not sent (Prepared)", "It is queued.", "X cancel this queued payment"} {
		if !strings.Contains(v, want) {
			t.Errorf("queued receipt lacks %q:\n%s", want, v)
		}
	}
	app.Press("X")
	app.WaitFor("Cancel this payment? The bank has not got it")
	app.Press("y")
	app.WaitFor("Cancelled (not sent) (Cancelled)")
	v = golden(t, app)
	if strings.Contains(v, "X cancel") {
		t.Errorf("a cancelled payment still offers cancel:\n%s", v)
	}
}

// TestPayBankWordsUnderTheSentence: the bank's own explanation of a refusal shows as one line
// under the sentence and what to do next.
func TestPayBankWordsUnderTheSentence(t *testing.T) {
	if got := ui.ExplainForTest(&ui.Problem{What: "The bank refused the request (invalid_request).", Next: "Open the inspector (ctrl+t) for the details.",
		Detail: "request object exp is more than 10 minutes after nbf"}); got != "The bank refused the request (invalid_request). Open the inspector (ctrl+t) for the details.\nThe bank said: request object exp is more than 10 minutes after nbf" {
		t.Errorf("explain = %q", got)
	}
}
