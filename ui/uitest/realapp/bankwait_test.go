package realapp_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/sandbox"
)

// TestJourneyBankWaitEscQueuedCancel: the bank answers the payment with 429 and Retry-After;
// the progress screen counts the wait down, esc stops waiting, the receipt says the payment is
// queued and not sent (the bank has nothing), and X, y cancels it for good.
func TestJourneyBankWaitEscQueuedCancel(t *testing.T) {
	app := start(t, "")
	app.Onboard(t, twoPayees...)
	// 240 s: most of the SCA's 5 minutes (the SCA clock is moved up to half a minute ago
	// below), so the scaled-down wait lasts long enough to press esc in.
	if err := app.Core.Sandbox().InjectFault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 1, RetryAfter: 240}); err != nil {
		t.Fatal(err)
	}
	toReview(app, 0, "7")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Authorise 7.00 AED")
	for range 5 {
		app.NextCode(t) // the SCA clock runs minutes behind: bring it close to now
	}
	authenticate(app, app.NextCode(t))
	app.WaitFor("Bank asked to wait 4 min ·")
	app.WaitFor("esc stops waiting (the payment stays tracked)")
	app.Press("esc")
	app.WaitFor("Payment queued — not sent")
	v := app.View()
	show(t, "queued receipt", v)
	for _, want := range []string{"Queued — not sent (Prepared)", "Not sent yet: the bank has not got it", "X cancel this queued payment"} {
		if !strings.Contains(v, want) {
			t.Errorf("queued receipt lacks %q:\n%s", want, v)
		}
	}
	app.Press("X")
	app.WaitFor("Cancel this payment?")
	app.Press("y")
	app.WaitFor("Cancelled (not sent) (Cancelled)")
	app.Press("enter")
	app.WaitFor("Recent payments")
	app.WaitFor("Cancelled (not sent)")
}
