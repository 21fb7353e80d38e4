package wallet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
)

// copScripted is the scripted link bank with a Confirmation of Payee service that answers by
// the name asked, and that records the facts each payment was built with.
type copScripted struct {
	*scriptedBank
	mu    sync.Mutex
	asked int
	facts []provider.Facts
}

func (b *copScripted) CheckPayeeName(_ context.Context, p provider.Party) (provider.PayeeCheck, error) {
	b.mu.Lock()
	b.asked++
	b.mu.Unlock()
	switch p.Name {
	case "Max Muster":
		return provider.PayeeCheck{Answer: provider.PayeeMatch, Evidence: "h.match.s"}, nil
	case "Max Mustr":
		return provider.PayeeCheck{Answer: provider.PayeeCloseMatch, BankName: "Max Muster", Evidence: "h.close.s"}, nil
	case "Nobody":
		return provider.PayeeCheck{Answer: provider.PayeeNotFound}, nil
	case "Down":
		return provider.PayeeCheck{Answer: provider.PayeeUnavailable}, errors.New("503")
	}
	return provider.PayeeCheck{Answer: provider.PayeeNoMatch, Evidence: "h.no.s"}, nil
}

func (b *copScripted) Build(ctx context.Context, in provider.Intent, ev provider.Evidence, f provider.Facts) (provider.Request, error) {
	b.mu.Lock()
	b.facts = append(b.facts, f)
	b.mu.Unlock()
	return b.scriptedBank.Build(ctx, in, ev, f)
}

func copLinkEnv(t *testing.T) (*walletEnv, *copScripted, Consent) {
	t.Helper()
	e := newWalletEnv(t, newBankEnv(t), Limits{})
	eu := &copScripted{scriptedBank: newScriptedBank()}
	w, err := New(Config{Ledger: e.ledger, SCA: e.auth, Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
		Banks: map[string]provider.Bank{testBankID: uaeBank(t, e.client, e.tokens, nil), euBankID: eu}})
	if err != nil {
		t.Fatal(err)
	}
	e.wallet = w
	link, err := w.RecordLink(context.Background(), euBankID, "DE89 3704 0044 0532 0130 00", "Erika Mustermann", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	return e, eu, link
}

func TestCheckPayeeAnswersAreKeptAndChosen(t *testing.T) {
	e, eu, link := copLinkEnv(t)
	ctx := context.Background()
	const iban = "FR14 2004 1010 0505 0001 3M02 606"

	// A match is accepted as it comes, stored, and not asked again.
	chk, err := e.wallet.CheckPayee(ctx, link.ID, PayeeInput{Name: " Max Muster ", IBAN: iban})
	if err != nil || chk.Answer != provider.PayeeMatch || !chk.Accepted || chk.IBAN != "FR1420041010050500013M02606" || chk.Name != "Max Muster" {
		t.Fatalf("match: %+v, %v", chk, err)
	}
	if again, err := e.wallet.CheckPayee(ctx, link.ID, PayeeInput{Name: "Max Muster", IBAN: iban}); err != nil || again.Evidence != "h.match.s" || eu.asked != 1 {
		t.Fatalf("second check asked the bank again (%d) or lost the answer: %+v %v", eu.asked, again, err)
	}

	// A close match waits for the payer; accepting it keeps it.
	chk, err = e.wallet.CheckPayee(ctx, link.ID, PayeeInput{Name: "Max Mustr", IBAN: iban})
	if err != nil || chk.Answer != provider.PayeeCloseMatch || chk.Accepted || chk.BankName != "Max Muster" {
		t.Fatalf("close: %+v %v", chk, err)
	}
	if err := e.wallet.AcceptPayee(ctx, link.ID, PayeeInput{Name: "Max Mustr", IBAN: iban}, false); err != nil {
		t.Fatal(err)
	}

	// A no match is accepted only with the explicit confirmation.
	if chk, _ := e.wallet.CheckPayee(ctx, link.ID, PayeeInput{Name: "Someone Else", IBAN: iban}); chk.Answer != provider.PayeeNoMatch || chk.Accepted {
		t.Fatalf("no match: %+v", chk)
	}
	var pr *Problem
	if err := e.wallet.AcceptPayee(ctx, link.ID, PayeeInput{Name: "Someone Else", IBAN: iban}, false); !errors.As(err, &pr) {
		t.Fatalf("no match accepted without the explicit confirmation: %v", err)
	}
	if err := e.wallet.AcceptPayee(ctx, link.ID, PayeeInput{Name: "Someone Else", IBAN: iban}, true); err != nil {
		t.Fatal(err)
	}

	// An unknown account can never be accepted; an unavailable service is an answer, not stored.
	if chk, _ := e.wallet.CheckPayee(ctx, link.ID, PayeeInput{Name: "Nobody", IBAN: iban}); chk.Answer != provider.PayeeNotFound {
		t.Fatalf("not found: %+v", chk)
	}
	if err := e.wallet.AcceptPayee(ctx, link.ID, PayeeInput{Name: "Nobody", IBAN: iban}, true); !errors.As(err, &pr) {
		t.Fatalf("an unknown account was accepted: %v", err)
	}
	if chk, err := e.wallet.CheckPayee(ctx, link.ID, PayeeInput{Name: "Down", IBAN: iban}); err != nil || chk.Answer != provider.PayeeUnavailable || chk.Evidence != "" {
		t.Fatalf("unavailable: %+v %v", chk, err)
	}
	if _, err := e.ledger.PayeeCheckFor(ctx, euBankID, "FR1420041010050500013M02606", "Down"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an unavailable answer was stored: %v", err)
	}

	// The accepted answer goes with the payment to that payee.
	pp, err := e.wallet.Prepare(ctx, Draft{ConsentID: link.ID, Amount: "EUR 1.00", NewPayee: &PayeeInput{Name: "Max Muster", IBAN: iban}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = e.wallet.Submit(ctx, pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), nil) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		eu.mu.Lock()
		n := len(eu.facts)
		eu.mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	eu.mu.Lock()
	defer eu.mu.Unlock()
	if len(eu.facts) != 1 || eu.facts[0].PayeeCheck.Answer != provider.PayeeMatch || eu.facts[0].PayeeCheck.Evidence != "h.match.s" {
		t.Fatalf("facts = %+v", eu.facts)
	}
}

func TestCheckPayeeWithoutService(t *testing.T) {
	e, _, link := linkEnv(t)
	if _, err := e.wallet.CheckPayee(context.Background(), link.ID, PayeeInput{Name: "Max", IBAN: "FR1420041010050500013M02606"}); !errors.Is(err, ErrNoPayeeCheck) {
		t.Fatalf("err = %v, want ErrNoPayeeCheck", err)
	}
}

// TestMigration7PayeeChecks opens a version-6 ledger with this build: the payee_checks table
// appears and the rows before it are kept.
func TestMigration7PayeeChecks(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := &Ledger{now: time.Now, loc: time.UTC}
	db, err := openDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	old.db = db
	if err := old.migrateTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO consents (id, bank, status, created_ms, expires_ms, beneficiary_model)
		VALUES ('c1', 'sandbox', 'Authorized', 1, 4102444800000, 'open')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `SELECT 1 FROM payee_checks`); err == nil {
		t.Fatal("version 6 already has payee_checks")
	}
	db.Close()
	l, err := OpenLedger(ctx, dir, LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Consent(ctx, "c1"); err != nil {
		t.Fatalf("consent lost: %v", err)
	}
	at := time.UnixMilli(1_700_000_000_000)
	if err := l.SavePayeeCheck(ctx, PayeeCheck{Bank: "sandbox", IBAN: "AE070331234567890123456", Name: "A", Answer: provider.PayeeCloseMatch,
		BankName: "B", Evidence: "x.y.z", At: at}); err != nil {
		t.Fatal(err)
	}
	if err := l.SavePayeeCheck(ctx, PayeeCheck{Bank: "sandbox", IBAN: "AE070331234567890123456", Name: "A", Answer: provider.PayeeUnavailable}); err == nil {
		t.Fatal("an unavailable answer was saved")
	}
	if err := l.AcceptPayeeCheck(ctx, "sandbox", "AE070331234567890123456", "A"); err != nil {
		t.Fatal(err)
	}
	got, err := l.PayeeCheckFor(ctx, "sandbox", "AE070331234567890123456", "A")
	if err != nil || got.Answer != provider.PayeeCloseMatch || got.BankName != "B" || got.Evidence != "x.y.z" || !got.Accepted || !got.At.Equal(at) {
		t.Fatalf("read back %+v, %v", got, err)
	}
}
