package app

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/keystore"
	opbank "github.com/payterm/payterm/sandbox/op"
	"github.com/payterm/payterm/ui"
)

// keptOPTokens reads the keystore entry of the OP bank "op" (nil when none is kept).
func keptOPTokens(t *testing.T, a *App) (access, refresh []string) {
	t.Helper()
	raw, err := a.store.Get(opTokensName("op"))
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Tokens []struct {
			Access  string `json:"access"`
			Refresh string `json:"refresh"`
		} `json:"tokens"`
	}
	if err := json.Unmarshal(raw, &k); err != nil {
		t.Fatalf("the kept OP tokens: %v", err)
	}
	for _, tk := range k.Tokens {
		access, refresh = append(access, tk.Access), append(refresh, tk.Refresh)
	}
	return access, refresh
}

// TestOPApprovedPaymentSubmittedAfterARestart: the payer approves at OP and the wallet takes
// the address OP sent the browser to (the code is exchanged: the payer's tokens arrive), then
// every API answer is lost and the wallet stops before the submission. OP holds the payment as
// Authorized and its page will not open for it again. The payer's access and refresh tokens are
// in the keystore — in no file of the data dir — and after a restart the wallet submits the
// payment with them (the access token the restarted bank no longer knows is renewed with the
// refresh token): paid once. Ending the link deletes the tokens from the keystore.
func TestOPApprovedPaymentSubmittedAfterARestart(t *testing.T) {
	clock := newSCAClock()
	cfg := opConfig(t)
	a := openApp(t, cfg, clock)
	defer func() { a.Close() }()
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	link := opLink(t, w)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: link.ID, Amount: "12.50", Reference: "Invoice 42",
		NewPayee: ui.PayeeDraft{Name: "Kahvila Oy", IBAN: "FI21 1234 5600 0007 85"}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := w.SubmitPayment(ctx, pp.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, js.totpSecret))})
	if err != nil {
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
		bank.DropNextAnswers(1000) // from here on no API answer arrives: the submission cannot be made
		_ = w.ContinuePayment(ctx, pp.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(back)})
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if _, rt := keptOPTokens(t, a); len(rt) > 0 {
				break
			}
		}
		stop() // the wallet is killed between the code exchange and the submission
	})
	if !browsed {
		t.Fatal("OP's page was never shown")
	}
	access, refresh := keptOPTokens(t, a)
	if len(access) != 1 || len(refresh) != 1 || access[0] == "" || refresh[0] == "" {
		t.Fatalf("the keystore keeps %d access and %d refresh tokens after the approval, want one of each", len(access), len(refresh))
	}
	for _, v := range bank.Verdicts() {
		if strings.Contains(v.Endpoint, "submissions") {
			t.Fatalf("a submission reached OP before the restart: %s", v.Endpoint)
		}
	}
	a.Close()
	// The keystore here is the encrypted secrets file: neither token is in clear in any file.
	assertNotInFiles(t, cfg.ResolvedDataDir(), append(access, refresh...), nil)

	a = openApp(t, cfg, clock)
	w = a.UIWallet()
	bank = a.banks[1].op.bank
	r := paidWithKeptToken(t, w, bank)
	if r.BankStatus != "Submitted" {
		t.Fatalf("after the restart the payment is %s (%s), want submitted", r.Status, r.BankStatus)
	}
	for _, v := range bank.Verdicts() {
		if f := v.Failed(); f != nil && !(f.Rule == opbank.RuleBearer && strings.Contains(v.Endpoint, "submissions")) {
			t.Fatalf("the bank refused a %s request: rule %d %s", v.Endpoint, f.Rule, f.Name)
		}
	}
	if err := w.RevokeConsent(context.Background(), opLink(t, w).ID); err != nil {
		t.Fatal(err)
	}
	if ac, rt := keptOPTokens(t, a); len(ac)+len(rt) != 0 {
		t.Fatal("the payer's OP tokens are still kept after the link ended")
	}
	if _, err := a.store.Get(opTokensName("op")); err == nil {
		t.Fatal("the keystore entry survived the end of the link")
	}
}

// opLink is the wallet's link to the OP bank "op".
func opLink(t testing.TB, w ui.Wallet) ui.Consent {
	t.Helper()
	cs, err := w.Consents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.BankID == "op" && c.Status == ui.ConsentAuthorized {
			return c
		}
	}
	t.Fatal("no OP link")
	return ui.Consent{}
}

// TestOPResetForgetsTheTokens: after a payment approved at OP the payer's tokens are kept (the
// refresh token lives 45 days); payterm reset deletes them from the keystore.
func TestOPResetForgetsTheTokens(t *testing.T) {
	clock := newSCAClock()
	cfg := opConfig(t)
	a := openApp(t, cfg, clock)
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	ctx := context.Background()
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: opLink(t, w).ID, Amount: "3.00", Reference: "Invoice 7",
		NewPayee: ui.PayeeDraft{Name: "Kahvila Oy", IBAN: "FI21 1234 5600 0007 85"}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := w.SubmitPayment(ctx, pp.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, js.totpSecret))})
	if err != nil {
		t.Fatal(err)
	}
	browsed := false
	last := drain(t, ch, func(ev ui.PaymentEvent) {
		if ev.Action != nil && !browsed {
			browsed = true
			if err := w.ContinuePayment(ctx, pp.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(opBrowse(t, ev.Action.URL, "approve"))}); err != nil {
				t.Errorf("ContinuePayment: %v", err)
			}
		}
	})
	if last.Receipt == nil || !ui.PaymentPaid(last.Receipt.Status) {
		t.Fatalf("final event %+v", last)
	}
	if _, rt := keptOPTokens(t, a); len(rt) != 1 {
		t.Fatalf("%d refresh tokens kept after the payment, want 1", len(rt))
	}
	a.Close()
	var out strings.Builder
	if err := Reset(ctx, cfg, testOptions(clock), ResetConfirmation{Yes: true}, &out); err != nil {
		t.Fatalf("reset: %v\n%s", err, out.String())
	}
	a = openApp(t, cfg, clock)
	defer a.Close()
	if _, err := a.store.Get(opTokensName("op")); err == nil {
		t.Fatal("the payer's OP tokens survived payterm reset")
	}
}

// paidWithKeptToken waits for the newest payment, approved on OP's page before a restart, to be
// paid with the payer's kept token — by the start-up resume, or when the payer asks again,
// without OP's page — and fails unless OP debited it once. It returns the payment's last row.
func paidWithKeptToken(t *testing.T, w ui.Wallet, bank *opbank.Bank) ui.PaymentRow {
	t.Helper()
	var row ui.PaymentRow
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		hist, err := w.History(context.Background(), ui.HistoryQuery{Limit: 1})
		if err != nil || len(hist.Rows) != 1 {
			t.Fatalf("history %+v %v", hist, err)
		}
		row = hist.Rows[0]
		if row.Status != ui.PaymentAwaitingBankSCA || time.Now().After(end) {
			break
		}
	}
	if row.Status == ui.PaymentAwaitingBankSCA {
		// The background resume has not reached it: the payer asks again, and OP's page is not
		// needed — the kept token submits it.
		_, ch, err := w.(ui.ApprovalResumer).ApproveAgain(context.Background(), row.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := drain(t, ch, func(ev ui.PaymentEvent) {
			if ev.Action != nil && ev.Action.Kind == ui.ActionRedirect {
				t.Errorf("after the restart the wallet sent the payer to OP's page again")
			}
		})
		if !last.Final || last.Receipt == nil {
			t.Fatalf("asked again: %+v", last)
		}
	}
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		d, err := w.Payment(context.Background(), row.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r := d.Row; ui.PaymentPaid(r.Status) || time.Now().After(end) {
			if !ui.PaymentPaid(r.Status) {
				t.Fatalf("after the restart the payment is %s (%s), want paid", r.Status, r.BankStatus)
			}
			if n := bank.PaymentDebits(r.PaymentID); n != 1 {
				t.Fatalf("OP debited the payment %d times, want once", n)
			}
			return r
		}
	}
}
