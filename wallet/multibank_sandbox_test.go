package wallet

import (
	"context"
	"errors"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/provider/uae"
	"testing"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/sandbox"
)

const secondBankID = "second"

// twoBanks is one installation with a consent at each of two sandboxes.
type twoBanks struct {
	*walletEnv
	other       *bankEnv
	otherClient *lfi.Client
	first       Consent // at walletEnv's sandbox, id testBankID
	second      Consent // at other, id secondBankID
}

func newTwoBanks(t *testing.T) *twoBanks {
	t.Helper()
	e := newWalletEnv(t, newBankEnv(t), Limits{})
	tb := &twoBanks{walletEnv: e, other: newBankEnv(t)}
	tb.otherClient = tb.other.client(t, nil)
	e.tokens = uae.NewConsentTokens(e.store, uae.RefreshByBank(func(ctx context.Context, id string) (string, error) {
		c, err := e.ledger.Consent(ctx, id)
		return c.Bank, err
	}, map[string]consent.RefreshFunc{
		testBankID: consent.NewLFIBank(e.client).Refresh, secondBankID: consent.NewLFIBank(tb.otherClient).Refresh}), nil)
	e.wallet = tb.wallet(t, map[string]uae.Client{testBankID: e.client, secondBankID: tb.otherClient})
	tb.first = e.onboardAt(t, testBankID, e.client, e.web, 1, "")
	tb.second = e.onboardAt(t, secondBankID, tb.otherClient, tb.other.web, 1, "")
	return tb
}

func (tb *twoBanks) wallet(t *testing.T, clients map[string]uae.Client) *Wallet {
	t.Helper()
	banks := map[string]provider.Bank{}
	for id, c := range clients {
		banks[id] = uaeBank(t, c, tb.tokens, nil)
	}
	w, err := New(Config{Ledger: tb.ledger, Banks: banks, SCA: tb.auth})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// payWith pays 10.00 to the first payee of consent c.
func (tb *twoBanks) payWith(t *testing.T, w *Wallet, c Consent) (Payment, error) {
	t.Helper()
	payees, err := tb.ledger.Payees(context.Background(), c.ID)
	if err != nil || len(payees) == 0 {
		t.Fatalf("payees of %s: %v", c.ID, err)
	}
	p, err := w.Prepare(context.Background(), Draft{ConsentID: c.ID, PayeeID: payees[0].ID, Amount: "10.00", Reference: "two banks"})
	if err != nil {
		return Payment{}, err
	}
	return w.Submit(context.Background(), p.ID, testPIN, tb.scaClock.nextCode(t, tb.totp), nil)
}

// TestSandboxTwoBanksEachPaymentGoesToItsConsentsBank: one wallet, a consent at each of two
// banks. Each payment, token refresh and status read goes to the consent's own bank; a bank
// that never saw the consent would refuse the token and the payment.
func TestSandboxTwoBanksEachPaymentGoesToItsConsentsBank(t *testing.T) {
	tb := newTwoBanks(t)
	ctx := context.Background()
	if tb.first.Bank != testBankID || tb.second.Bank != secondBankID {
		t.Fatalf("recorded banks = %q, %q", tb.first.Bank, tb.second.Bank)
	}
	for _, c := range []Consent{tb.second, tb.first} {
		// Drop the onboarding's access token: the payment must refresh at the right bank.
		tb.tokens.Invalidate(c.ID)
		p, err := tb.payWith(t, tb.walletEnv.wallet, c)
		if err != nil {
			t.Fatalf("pay with the consent at %s: %v", c.Bank, err)
		}
		here, elsewhere := tb.walletEnv.bankEnv, tb.other
		if c.Bank == secondBankID {
			here, elsewhere = tb.other, tb.walletEnv.bankEnv
		}
		if st, err := here.bank.PaymentStatus(p.BankPaymentID); err != nil || st != p.BankStatus {
			t.Errorf("%s: its bank says %q, %v; the ledger says %s", c.Bank, st, err, p.BankStatus)
		}
		if _, err := elsewhere.bank.PaymentStatus(p.BankPaymentID); err == nil {
			t.Errorf("%s: the other bank has the payment too", c.Bank)
		}
	}
	// A bank-side revocation at the second bank is seen there and nowhere else.
	if err := tb.other.bank.RevokeConsent(tb.second.ID); err != nil {
		t.Fatal(err)
	}
	if err := tb.walletEnv.wallet.SyncConsents(ctx); err != nil {
		t.Fatal(err)
	}
	first, _ := tb.ledger.Consent(ctx, tb.first.ID)
	second, _ := tb.ledger.Consent(ctx, tb.second.ID)
	if first.Status != ConsentAuthorized || second.Status != ConsentRevoked {
		t.Fatalf("after sync: first %s, second %s", first.Status, second.Status)
	}
}

// TestSandboxConsentAtAnUnconfiguredBank: when a bank leaves the config its consents stay in
// the ledger but cannot pay, sync or revoke, each with a sentence saying why; nothing is sent
// and no SCA is spent.
func TestSandboxConsentAtAnUnconfiguredBank(t *testing.T) {
	tb := newTwoBanks(t)
	ctx := context.Background()
	w := tb.wallet(t, map[string]uae.Client{testBankID: tb.client})
	_, err := tb.payWith(t, w, tb.second)
	var pr *Problem
	if !errors.Is(err, ErrBankNotConfigured) || !errors.As(err, &pr) || pr.Next == "" {
		t.Fatalf("pay at an unconfigured bank: %v", err)
	}
	if err := w.RevokeConsent(ctx, tb.second.ID); !errors.Is(err, ErrBankNotConfigured) {
		t.Fatalf("revoke at an unconfigured bank: %v", err)
	}
	if _, err := w.SyncConsent(ctx, tb.second.ID); !errors.Is(err, ErrBankNotConfigured) {
		t.Fatalf("sync at an unconfigured bank: %v", err)
	}
	// SyncConsents skips it and still syncs the rest.
	if err := tb.other.bank.RevokeConsent(tb.second.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.SyncConsents(ctx); err != nil {
		t.Fatalf("SyncConsents with an unconfigured bank: %v", err)
	}
	if c, _ := tb.ledger.Consent(ctx, tb.second.ID); c.Status != ConsentAuthorized {
		t.Fatalf("the unconfigured bank's consent changed to %s without asking it", c.Status)
	}
	// The consent at the configured bank still pays.
	if _, err := tb.payWith(t, w, tb.first); err != nil {
		t.Fatalf("pay at the configured bank: %v", err)
	}
	if got := len(mustBankConsent(t, tb.otherClient, tb.second.ID).PaymentURLs); got != 0 {
		t.Fatalf("the unconfigured bank holds %d payments", got)
	}
}

// TestRecordConsentBankChecks: a consent is recorded only for a configured bank, and a renewal
// only at the bank of the consent it renews.
func TestRecordConsentBankChecks(t *testing.T) {
	tb := newTwoBanks(t)
	ctx := context.Background()
	res := consent.Result{ConsentID: "c0ffee00-0000-4000-8000-0000000000aa", Model: consent.OpenBeneficiary}
	if _, err := tb.walletEnv.wallet.RecordConsent(ctx, "nowhere", res, "TOF", Debtor{}, ""); !errors.Is(err, ErrBankNotConfigured) {
		t.Fatalf("record at an unknown bank: %v", err)
	}
	if _, err := tb.walletEnv.wallet.RecordConsent(ctx, secondBankID, res, "TOF", Debtor{}, tb.first.ID); err == nil {
		t.Fatal("a renewal at another bank was recorded")
	}
	if _, err := tb.ledger.Consent(ctx, res.ConsentID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused consent is in the ledger: %v", err)
	}
}

func mustBankConsent(t *testing.T, c *lfi.Client, id string) *lfi.Consent {
	t.Helper()
	bc, err := c.GetConsent(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return bc
}

// TestSandboxTwoBanksResumeAtTheRightBank: a payment at the second bank whose outcome is
// unknown (that bank failing every request) is resumed later at that bank — reconciled, not
// resent — while the first bank, failing too, is never asked about it.
func TestSandboxTwoBanksResumeAtTheRightBank(t *testing.T) {
	tb := newTwoBanks(t)
	ctx := context.Background()
	fail := sandbox.Fault{Kind: sandbox.FaultServerError, Count: 1000, Target: "rs"}
	if err := tb.other.bank.InjectFault(fail); err != nil {
		t.Fatal(err)
	}
	p, _ := tb.payWith(t, tb.walletEnv.wallet, tb.second)
	open, err := tb.ledger.OpenPayments(ctx)
	if err != nil || len(open) != 1 || open[0].ConsentID != tb.second.ID {
		t.Fatalf("open payments after the failures: %+v, %v (payment %+v)", open, err, p)
	}
	tb.other.bank.ClearFaults()
	if err := tb.walletEnv.bankEnv.bank.InjectFault(fail); err != nil {
		t.Fatal(err)
	}
	if err := tb.walletEnv.wallet.Resume(ctx, nil); err != nil {
		t.Fatalf("resume: %v", err)
	}
	got, err := tb.ledger.Payment(ctx, open[0].ID)
	if err != nil || got.Status.Outcome() != OutcomeSuccessful {
		t.Fatalf("after resume: %s, %v", got.Status, err)
	}
	if n := len(mustBankConsent(t, tb.otherClient, tb.second.ID).PaymentURLs); n != 1 {
		t.Fatalf("the second bank holds %d payments, want exactly 1", n)
	}
}
