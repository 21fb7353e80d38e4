package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uitest"
)

// payAtOP pays amount from the OP link, approving on OP's page, and returns the receipt.
func payAtOP(t *testing.T, w ui.Wallet, clock *scaClock, totpSecret, amount string) *ui.Receipt {
	t.Helper()
	return payAtOPAfter(t, w, clock, totpSecret, amount, nil)
}

// payAtOPAfter is payAtOP where first (when set) runs once OP's page is offered, before the
// address OP sends the browser back to is pasted: what the payer does at the step before that.
func payAtOPAfter(t *testing.T, w ui.Wallet, clock *scaClock, totpSecret, amount string, first func(preparedID string)) *ui.Receipt {
	t.Helper()
	ctx := context.Background()
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: opLink(t, w).ID, Amount: amount, Reference: "Invoice 42",
		NewPayee: ui.PayeeDraft{Name: "Kahvila Oy", IBAN: "FI21 1234 5600 0007 85"}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := w.SubmitPayment(ctx, pp.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, totpSecret))})
	if err != nil {
		t.Fatal(err)
	}
	browsed := false
	last := drain(t, ch, func(ev ui.PaymentEvent) {
		if ev.Action != nil && !browsed {
			browsed = true
			if first != nil {
				first(pp.ID)
			}
			if err := w.ContinuePayment(ctx, pp.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(opBrowse(t, ev.Action.URL, "approve"))}); err != nil {
				t.Errorf("ContinuePayment: %v", err)
			}
		}
	})
	if last.Receipt == nil || !ui.PaymentPaid(last.Receipt.Status) {
		t.Fatalf("final event %+v", last)
	}
	return last.Receipt
}

// TestOPLinkShowsTheApprovalExpiry: the grant dashboard shows an OP link's end as the end of its
// latest bank approval's refresh token, 45 days after the approval at OP (none before the first
// one), also after a restart (the tokens are restored); it does not warn while more than 30
// days are left, and warns ("renew soon") once fewer are, as for a UAE consent.
func TestOPLinkShowsTheApprovalExpiry(t *testing.T) {
	clock := newSCAClock()
	cfg := opConfig(t)
	a := openApp(t, cfg, clock)
	defer func() { a.Close() }()
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	if exp := opLink(t, w).Expires; !exp.IsZero() {
		t.Fatalf("the link shows an expiry %v before any approval at OP", exp)
	}
	before := time.Now()
	payAtOP(t, w, clock, js.totpSecret, "12.50")
	after := time.Now()
	exp := opLink(t, w).Expires
	if exp.Before(before.Add(45*24*time.Hour).Truncate(time.Second)) || exp.After(after.Add(45*24*time.Hour)) {
		t.Fatalf("the link shows %v, want 45 days after the approval (%v)", exp, before)
	}

	// reopen restarts the wallet with its clock days ahead, and shows the consents screen's OP row.
	reopen := func(days int) string {
		a.Close()
		later := func() time.Time { return time.Now().Add(time.Duration(days) * 24 * time.Hour) }
		opts := testOptions(clock)
		opts.Clock = later
		var err error
		if a, err = Open(context.Background(), cfg, opts); err != nil {
			t.Fatal(err)
		}
		w = a.UIWallet()
		if got := opLink(t, w).Expires; !got.Equal(exp) {
			t.Fatalf("after a restart the link shows %v, want %v", got, exp)
		}
		app := uitest.Start(t, w, uitest.WithTimeout(30*time.Second), uitest.WithSize(150, 40),
			uitest.WithOptions(ui.Options{Clock: later, Location: time.UTC}))
		app.WaitFor("Recent payments")
		app.Press("c")
		app.WaitFor("expires " + exp.UTC().Format("2006-01-02"))
		var row string
		// The link's row (its expiry is on it), not the "Your banks" table under the list.
		for _, l := range strings.Split(app.View(), "\n") {
			if strings.Contains(l, "OP Test Bank") && strings.Contains(l, "expires") {
				row = l
			}
		}
		app.Press("ctrl+c")
		app.WaitQuit()
		return row
	}
	if row := reopen(0); row == "" || strings.Contains(row, "renew soon") {
		t.Fatalf("with 45 days left the OP row is %q, want no warning", row)
	}
	if row := reopen(16); !strings.Contains(row, "renew soon") {
		t.Fatalf("with 29 days left the OP row is %q, want the warning", row)
	}
}

// TestALinkIsALinkAndIsNotRenewed: the core says which grant is a link (the consents screen
// then offers no renewal and words its end as a link's), and a renewal asked of a link anyway is
// refused as one, not with the UAE renewal's checks blaming something typed.
func TestALinkIsALinkAndIsNotRenewed(t *testing.T) {
	clock := newSCAClock()
	a := openApp(t, opConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	onboard(t, w, clock, twoPayees()[:1])
	link := opLink(t, w)
	if !link.Link {
		t.Fatalf("the OP link is not marked a link: %+v", link)
	}
	cs, err := w.Consents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.ID != link.ID && c.Link {
			t.Fatalf("the UAE consent %s is marked a link", c.ID)
		}
	}
	_, err = w.RenewConsent(context.Background(), link.ID)
	if err == nil || !strings.Contains(err.Error(), "A link has no consent at its bank to renew") {
		t.Fatalf("renewing a link: %v", err)
	}
}

// TestBankStepDoneSeesAnApprovalNobodyWaitedFor: the payer approves at the address without the
// screen waiting (no AwaitBankCallback); the loopback listener takes the answer, and
// BankStepDone, which the bank step asks each second and before a new address, reports the
// authorised consent. Before the approval it reports nothing, without waiting.
func TestBankStepDoneSeesAnApprovalNobodyWaitedFor(t *testing.T) {
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	ctx := context.Background()
	step, _ := onboardToBankStep(t, w, clock, twoPayees()[:1])
	if _, done, err := w.BankStepDone(ctx, step); done || err != nil {
		t.Fatalf("before the approval: done %v, %v", done, err)
	}
	browse(t, step.URL)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, done, err := w.BankStepDone(ctx, step)
		if done {
			if err != nil || c.ID != step.ConsentID || c.Status != ui.ConsentAuthorized {
				t.Fatalf("after the approval: %+v, %v", c, err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("BankStepDone never saw the approval")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestOPMistypedCallbackKeepsTheStep: an address pasted at OP's step that is not the one payterm
// asked OP to send the browser back to is refused at once and the step still waits (it ended the
// payment's approval before, with no key to try again); the right address then pays.
func TestOPMistypedCallbackKeepsTheStep(t *testing.T) {
	clock := newSCAClock()
	a := openApp(t, opConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	payAtOPAfter(t, w, clock, js.totpSecret, "12.50", func(id string) {
		for _, bad := range []string{"https://evil.example.com/op/back?code=abc&state=xyz", "hello world"} {
			err := w.ContinuePayment(context.Background(), id, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(bad)})
			if err == nil || !strings.Contains(err.Error(), "not the address payterm asked OP") || strings.Contains(err.Error(), "evil") {
				t.Errorf("pasting %q: %v", bad, err)
			}
		}
	})
}
