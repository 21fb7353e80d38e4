package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
)

// TestOPStartDoesNotWaitForTheStore: with an OP bank configured and the payer's tokens kept in
// a secrets file that opens in the background, Open returns and Home's overview is read while
// the store cannot open (its machine secret is held back): the first frame does not wait for
// the key derivation. The kept token is not lost for it: the wallet's calls to the OP bank wait
// until the store is open and the tokens are back, and a payment approved at OP before the
// restart is then submitted with the kept token (OP's page is not opened again): paid once.
func TestOPStartDoesNotWaitForTheStore(t *testing.T) {
	clock := newSCAClock()
	cfg := opConfig(t)
	cfg.Security.FileStorePassphrase = false
	a := openApp(t, cfg, clock)
	if _, later := a.store.(*laterStore); !later {
		a.Close()
		t.Fatal("the test needs a store that opens in the background")
	}
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: opLink(t, w).ID, Amount: "12.50", Reference: "Invoice 42",
		NewPayee: ui.PayeeDraft{Name: "Kahvila Oy", IBAN: "FI21 1234 5600 0007 85"}})
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	ch, err := w.SubmitPayment(ctx, pp.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, js.totpSecret))})
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	bank := a.banks[1].op.bank
	browsed := false
	drain(t, ch, func(ev ui.PaymentEvent) {
		if ev.Action == nil || browsed {
			return
		}
		browsed = true
		back := opBrowse(t, ev.Action.URL, "approve")
		bank.DropNextAnswers(1000) // no API answer arrives from here on: the submission cannot be made
		_ = w.ContinuePayment(ctx, pp.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(back)})
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if _, rt := keptOPTokens(t, a); len(rt) > 0 {
				break
			}
		}
		stop() // the wallet stops between the code exchange and the submission
	})
	if _, rt := keptOPTokens(t, a); !browsed || len(rt) != 1 {
		a.Close()
		t.Fatalf("OP's page shown %v, %d refresh tokens kept: the test needs one", browsed, len(rt))
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	m := newGatedMachine("app-test-machine")
	opts := testOptions(clock)
	opts.MachineSecret = m.get
	opened := make(chan *App, 1)
	go func() {
		b, err := Open(context.Background(), cfg, opts)
		if err != nil {
			t.Error(err)
		}
		opened <- b
	}()
	select {
	case a = <-opened:
	case <-time.After(60 * time.Second):
		m.release()
		t.Fatal("Open waited for the secret store (the OP bank's kept tokens were read at start)")
	}
	if a == nil {
		m.release()
		return
	}
	defer a.Close()
	w = a.UIWallet()
	if ov, err := w.Overview(context.Background()); err != nil || ov.SecretStore != secretsOpening {
		m.release()
		t.Fatalf("Home's overview while the store cannot open: %q, %v", ov.SecretStore, err)
	}
	// The wallet's view of the OP bank waits for the tokens: a call made now returns only
	// once the store is open, and by then the kept approval is back in the provider.
	banks, err := a.walletBanks(a.tokens, a.build)
	if err != nil {
		m.release()
		t.Fatal(err)
	}
	prov := a.banks[1].op.prov
	if !prov.ApprovalExpiry().IsZero() {
		m.release()
		t.Fatal("the OP tokens were restored before the store opened")
	}
	type synced struct {
		restored bool
		err      error
	}
	done := make(chan synced, 1)
	go func() {
		_, err := banks["op"].SyncGrant(context.Background(), opLink(t, w).ID)
		done <- synced{restored: !prov.ApprovalExpiry().IsZero(), err: err}
	}()
	// The review's forecast counts from the kept approval: prepared now, it waits for the
	// tokens rather than saying that no approval is held.
	type prepared struct {
		pp  ui.PreparedPayment
		err error
	}
	forecast := make(chan prepared, 1)
	go func() {
		pp, err := w.PreparePayment(context.Background(), ui.PaymentDraft{ConsentID: opLink(t, w).ID, Amount: "9.00", Reference: "Kahvi",
			NewPayee: ui.PayeeDraft{Name: "Kirjasto", IBAN: "FI69 1234 5600 0007 94"}})
		forecast <- prepared{pp, err}
	}()
	select {
	case s := <-done:
		m.release()
		t.Fatalf("a call to the OP bank went on while its tokens could not be read (%v)", s.err)
	case <-time.After(300 * time.Millisecond):
	}
	m.release()
	select {
	case s := <-done:
		if s.err != nil || !s.restored {
			t.Fatalf("the OP bank's call after the store opened: tokens back %v, %v", s.restored, s.err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the call to the OP bank still waits after the store opened")
	}
	select {
	case f := <-forecast:
		if f.err != nil || !strings.HasPrefix(f.pp.BankApproval, "OP may not ask: 1 of 5") {
			t.Fatalf("the forecast prepared while the store opened: %q, %v", f.pp.BankApproval, f.err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the payment prepared while the store opened still waits after it opened")
	}

	// The payment approved before the restart is submitted with the kept token.
	paidWithKeptToken(t, w, a.banks[1].op.bank)
}
