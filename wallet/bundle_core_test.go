package wallet

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/sca"
)

// The core's side of bundles against a scripted Bundler (the wire format is provider/op's,
// tested against the strict embedded OP bank in app/opbundle_test.go): one SCA for the bundle,
// each payment's exact bytes stored before they leave, a lost answer reconciled by key before
// anything is sent again, one approval for all.

const bundleBankID = "bundler"

// bundlerBank is scriptedBank's EUR link with bundles: a created payment waits for the one
// approval ("approve" in the callback), then is Executed. A lost answer leaves the payment
// created at the bank, found again by Lookup.
type bundlerBank struct {
	*scriptedBank
	t        *testing.T
	ledger   *Ledger
	mu       sync.Mutex
	created  map[string]provider.State // by idempotency key
	dropOnce map[string]bool           // keys whose first create answer is lost
	firsts   []string                  // the first payment's ref each BuildBundled was given
	approves int
}

func (b *bundlerBank) Caps() provider.Caps {
	c := b.scriptedBank.Caps()
	c.Dedup, c.Bundle = provider.DedupKeyAndLookup, 5
	return c
}

func (b *bundlerBank) BuildBundled(ctx context.Context, in provider.Intent, ev provider.Evidence, f provider.Facts, first *provider.State) (provider.Request, error) {
	b.mu.Lock()
	ref := ""
	if first != nil {
		ref = first.BankRef
	}
	b.firsts = append(b.firsts, ref)
	b.mu.Unlock()
	return b.scriptedBank.Build(ctx, in, ev, f)
}

func (b *bundlerBank) Send(ctx context.Context, p provider.Payment) (provider.State, error) {
	// Write-ahead: the ledger holds these exact bytes, under this key, as Sending, before any
	// of them leaves.
	stored, err := b.ledger.PaymentByKey(ctx, p.Request.Key)
	if err != nil || !bytes.Equal(stored.Request, p.Request.Bytes) || stored.Status != PaymentSending {
		b.t.Errorf("sent before it was stored: %v, status %s", err, stored.Status)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st := provider.State{BankRef: "pay-" + p.Request.Key, Status: provider.StatusAwaitingBankSCA, BankStatus: "Unauthorized", Blob: []byte(`{}`)}
	if _, ok := b.created[p.Request.Key]; ok {
		b.t.Errorf("payment %s created twice", p.Request.Key)
	}
	b.created[p.Request.Key] = st
	if b.dropOnce[p.Request.Key] {
		delete(b.dropOnce, p.Request.Key)
		return provider.State{}, provider.ErrOutcomeUnknown
	}
	return st, nil
}

func (b *bundlerBank) Lookup(_ context.Context, p provider.Payment) (provider.State, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if st, ok := b.created[p.Request.Key]; ok {
		return st, nil
	}
	return provider.State{}, provider.ErrNotFound
}

func (b *bundlerBank) ApproveBundle(_ context.Context, ps []provider.Payment, in provider.Input) ([]provider.State, *provider.Action, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]provider.State, len(ps))
	if in.CallbackURL != "https://wallet.example/back?approve" {
		for i, p := range ps {
			out[i] = p.State
		}
		return out, &provider.Action{Kind: provider.ActionRedirect, URL: "https://bank.example/page", NeedsCallback: true}, nil
	}
	b.approves++
	for i, p := range ps {
		out[i] = provider.State{BankRef: p.State.BankRef, Status: provider.StatusExecuted, BankStatus: "Submitted", Final: true}
	}
	return out, nil, nil
}

func (b *bundlerBank) RevokeBundlePayments(context.Context, []provider.Payment) ([]provider.State, error) {
	return nil, nil
}

func (b *bundlerBank) RevokeWarning(n int) string { return "all of them" }

// countingSCA counts the wallet's authentications and keeps the intents authenticated.
type countingSCA struct {
	Authenticator
	mu      sync.Mutex
	intents []sca.Intent
}

func (c *countingSCA) Authenticate(in sca.Intent, pin sca.PIN, code sca.OTP) (*sca.Evidence, error) {
	c.mu.Lock()
	c.intents = append(c.intents, in)
	c.mu.Unlock()
	return c.Authenticator.Authenticate(in, pin, code)
}

// TestBundleCoreOneSCAWriteAheadAndReconcile: three payments, one authentication whose key is
// the digest of all three; each payment stored before it is sent (checked in Send), the 2nd
// and 3rd built to join the first's bundle; the 2nd's answer is lost and found by its key, not
// created again; one approval; all three Executed, each with the bundle in its receipt.
func TestBundleCoreOneSCAWriteAheadAndReconcile(t *testing.T) {
	e := newWalletEnv(t, newBankEnv(t), Limits{})
	bank := &bundlerBank{scriptedBank: newScriptedBank(), t: t, ledger: e.ledger, created: map[string]provider.State{}, dropOnce: map[string]bool{}}
	auth := &countingSCA{Authenticator: e.auth}
	w, err := New(Config{Ledger: e.ledger, SCA: auth, Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
		Banks: map[string]provider.Bank{testBankID: uaeBank(t, e.client, e.tokens, nil), bundleBankID: bank}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	link, err := w.RecordLink(ctx, bundleBankID, "DE89 3704 0044 0532 0130 00", "Erika Mustermann", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	var drafts []Draft
	for i, a := range []string{"10.00", "20.00", "30.00"} {
		drafts = append(drafts, Draft{ConsentID: link.ID, Amount: a, Reference: "Invoice",
			NewPayee: &PayeeInput{Name: "Max Muster " + string(rune('A'+i)), IBAN: "FR14 2004 1010 0505 0001 3M02 606"}})
	}
	b, err := w.PrepareBundle(ctx, drafts)
	if err != nil {
		t.Fatal(err)
	}
	bank.dropOnce[b.Items[1].IdempotencyKey] = true
	actions := 0
	ps, err := w.SubmitBundle(ctx, b, testPIN, e.scaClock.nextCode(t, e.totp), func(ev Event) {
		if ev.Action == nil {
			return
		}
		actions++
		go func() {
			if err := w.ContinuePayment(ctx, ev.PaymentID, provider.Input{CallbackURL: "https://wallet.example/back?approve"}); err != nil {
				t.Error(err)
			}
		}()
	})
	if err != nil || len(ps) != 3 {
		t.Fatalf("%d payments, %v", len(ps), err)
	}
	if len(auth.intents) != 1 || auth.intents[0].IdempotencyKey != BundleDigestOf(b.ID, b.ConsentID, b.Items) || auth.intents[0].Amount != "60.00" {
		t.Fatalf("the wallet authenticated %d intents: %+v", len(auth.intents), auth.intents)
	}
	if actions != 1 || bank.approves != 1 {
		t.Fatalf("%d approvals asked, %d given, want one", actions, bank.approves)
	}
	if len(bank.firsts) != 3 || bank.firsts[0] != "" || bank.firsts[1] != ps[0].BankPaymentID || bank.firsts[2] != ps[0].BankPaymentID {
		t.Fatalf("the payments were built to join %q", bank.firsts)
	}
	for i, p := range ps {
		r, err := p.Receipt()
		if err != nil || p.Status != PaymentExecuted || r.Bundle != b.ID || r.BundleItem != i+1 || p.IdempotencyKey != b.Items[i].IdempotencyKey {
			t.Fatalf("payment %d: %s, receipt %+v %v", i+1, p.Status, r, err)
		}
	}
	if len(bank.dropOnce) != 0 {
		t.Fatal("the lost answer was never played")
	}
	if len(bank.created) != 3 {
		t.Fatalf("the bank created %d payments, want 3", len(bank.created))
	}
	// One SCA, one bundle: the same bundle is not paid again.
	if _, err := w.SubmitBundle(ctx, b, testPIN, e.scaClock.nextCode(t, e.totp), nil); err == nil {
		t.Fatal("the bundle was paid twice")
	}
}
