package realapp_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/sandbox"
	"github.com/payterm/payterm/ui/uitest/realapp"
)

// The screens follow what the production core records (its change feed), with no key pressed
// after the change: start-up reconciliation, the background resume, the consent sync.

// payDuringOutage pays 12.50 to the first payee while the bank answers every payment call with
// 500: the receipt ends open ("keeps checking").
func payDuringOutage(t *testing.T, app *realapp.App) {
	t.Helper()
	if err := app.Core.Sandbox().InjectFault(sandbox.Fault{Kind: sandbox.FaultServerError, Count: 1000, Target: "rs"}); err != nil {
		t.Fatal(err)
	}
	toReview(app, 0, "12.50")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Authorise 12.50 AED")
	authenticate(app, app.NextCode(t))
	app.WaitFor("the wallet keeps checking")
}

// TestJourneyStartupReconciliationRedrawsHome: a payment left open by an outage is resent by the
// next start's reconciliation while Home shows it; Home follows it to Settled. The core's waits
// are held until Home has shown the bank's Pending, so the order is certain.
func TestJourneyStartupReconciliationRedrawsHome(t *testing.T) {
	if testing.Short() {
		t.Skip("sandbox journey: skipped in -short")
	}
	dir := filepath.Join(t.TempDir(), "data")
	configure := func(cfg *config.Config) { cfg.DataDir = dir }
	first := realapp.Start(t, realapp.Options{Configure: configure})
	first.Onboard(t, twoPayees[:1]...)
	payDuringOutage(t, first)
	first.Press("enter")
	first.WaitFor("Recent payments")
	first.Press("q")
	first.WaitQuit()
	if err := first.Core.Close(); err != nil {
		t.Fatal(err)
	}

	gate := make(chan struct{})
	scaled := realapp.ScaledSleep(20)
	second := realapp.Start(t, realapp.Options{Configure: configure, Sleep: func(ctx context.Context, d time.Duration) error {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
		return scaled(ctx, d)
	}})
	second.WaitFor("Recent payments")
	second.WaitFor("12.50 AED  Pending") // resent by the reconciliation; its first status poll waits
	close(gate)
	second.WaitFor("12.50 AED  Settled")
}

// TestJourneyBackgroundResumeRedrawsReceipt: the receipt of a payment left open by an outage
// stays open on screen; when the bank is back, the background loop resends and settles it and
// the receipt says so.
func TestJourneyBackgroundResumeRedrawsReceipt(t *testing.T) {
	app := start(t, "")
	app.Onboard(t, twoPayees...)
	payDuringOutage(t, app)
	app.Core.Sandbox().ClearFaults()
	app.WaitFor("Payment Settled")
	if v := app.View(); strings.Contains(v, "keeps checking") {
		t.Fatalf("the settled receipt still says it is being checked:\n%s", v)
	}
}

// TestJourneySyncRedrawsConsents: the bank suspends, then expires the consent; the consent sync
// records it and the open Consents list, then Home, show it. The core's waits run at 1/1000 so
// the 15-minute sync comes round in about a second.
func TestJourneySyncRedrawsConsents(t *testing.T) {
	if testing.Short() {
		t.Skip("sandbox journey: skipped in -short")
	}
	app := realapp.Start(t, realapp.Options{Sleep: realapp.ScaledSleep(1000)})
	app.Onboard(t, twoPayees...)
	cs, err := app.Core.UIWallet().Consents(context.Background())
	if err != nil || len(cs) != 1 {
		t.Fatalf("consents: %v %d", err, len(cs))
	}
	app.Press("c")
	app.WaitFor("[Current]")
	app.WaitFor("Active")
	if err := app.Core.Sandbox().SuspendConsent(cs[0].ID); err != nil {
		t.Fatal(err)
	}
	app.WaitFor("Suspended")
	app.Press("esc")
	app.WaitFor("Recent payments")
	if err := app.Core.Sandbox().ExpireConsent(cs[0].ID); err != nil {
		t.Fatal(err)
	}
	app.WaitFor("No active consent.")
}

// TestJourneyRefusedReceiptIsFinal: the bank revoked the consent without the wallet knowing yet;
// the payment is refused (4xx) and its receipt says so, never that the wallet keeps checking.
func TestJourneyRefusedReceiptIsFinal(t *testing.T) {
	app := start(t, "")
	app.Onboard(t, twoPayees...)
	cs, err := app.Core.UIWallet().Consents(context.Background())
	if err != nil || len(cs) != 1 {
		t.Fatalf("consents: %v %d", err, len(cs))
	}
	if err := app.Core.Sandbox().RevokeConsent(cs[0].ID); err != nil {
		t.Fatal(err)
	}
	toReview(app, 0, "3.00")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Authorise 3.00 AED")
	authenticate(app, app.NextCode(t))
	app.WaitFor("Payment Refused by the bank")
	if v := app.View(); strings.Contains(v, "keeps checking") {
		t.Fatalf("a refused payment says it is being checked:\n%s", v)
	}
}
