package wallet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
)

// The core against a bank where the payer approves every payment (a Berlin Group bank),
// through a scripted provider: the standard-neutral parts of the pipeline — links, the bank's
// approval step, normalised statuses, finality from the bank, no blind resend — without the
// wire format (provider/xs2a tests that against the strict embedded bank).

const euBankID = "eu"

// Known secrets the payer types into the approval step; nothing the wallet writes may hold them.
const (
	fakeBankPassword = "s3cret-bank-password"
	fakeBankOTP      = "918273"
)

type approvalStep int

const (
	wantPassword approvalStep = iota
	wantOTP
	approved
)

// scriptedBank is provider.Bank + Approver with a script: a created payment needs the password,
// then the OTP (a wrong one costs an attempt), then goes ACTC → ACSP → ACSC, final.
type scriptedBank struct {
	mu       sync.Mutex
	dropSend bool // the answer to the create is lost
	sends    int
	statuses int // Status calls
	step     map[string]approvalStep
	attempts int
	polls    []string // the raw statuses Status answers, in turn
}

func newScriptedBank() *scriptedBank {
	return &scriptedBank{step: map[string]approvalStep{}, attempts: 3, polls: []string{"ACSP", "ACSC"}}
}

func (b *scriptedBank) Caps() provider.Caps {
	return provider.Caps{Kind: provider.BerlinGroup, Profile: "bg", BankName: "EU Test Bank",
		WalletSCA: provider.WalletSCAProtectsTheWallet, BankSCA: provider.BankSCAPerPayment,
		Grant: provider.GrantLink, Dedup: provider.DedupNone,
		Products: []provider.Product{
			{ID: "sepa-credit-transfers", Label: "SEPA transfer", Currencies: []string{"EUR"}, Creditor: provider.SchemeIBAN, Debtor: provider.SchemeIBAN},
			{ID: "norwegian-domestic-credit-transfers", Label: "Domestic transfer", Currencies: []string{"NOK"},
				Creditor: provider.SchemeNorwayBBAN, Debtor: provider.SchemeNorwayBBAN},
		},
		Fields: provider.Fields{ReferenceMax: 140, ReferenceName: "Message to the payee"}}
}

type fakeWire struct {
	Product  string `json:"product"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
	Debtor   string `json:"debtor"`
	Creditor string `json:"creditor"`
}

func (b *scriptedBank) Build(ctx context.Context, in provider.Intent, _ provider.Evidence, _ provider.Facts) (provider.Request, error) {
	provider.ReportStep(ctx, "Signed", provider.StepRunning, nil)
	if in.Debtor == nil {
		return provider.Request{}, errors.New("no debtor account")
	}
	raw, _ := json.Marshal(fakeWire{in.Product, in.Amount.Amount.String(), in.Amount.Currency, in.Debtor.Account, in.Creditor.Account})
	provider.ReportStep(ctx, "Signed", provider.StepDone, nil)
	return provider.Request{Bytes: raw, Key: "req-" + in.IdempotencyKey, SendBy: time.Now().Add(time.Hour)}, nil
}

func (b *scriptedBank) Ready(context.Context, provider.Payment) error { return nil }

func (b *scriptedBank) Send(_ context.Context, p provider.Payment) (provider.State, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sends++
	if b.dropSend {
		return provider.State{}, provider.ErrOutcomeUnknown
	}
	ref := "pay-" + p.Request.Key
	b.step[ref] = wantPassword
	return provider.State{BankRef: ref, Status: provider.StatusAwaitingBankSCA, BankStatus: "RCVD", InteractionID: "x-1",
		Blob: []byte(`{"scaStatus":"/v1/payments/sepa-credit-transfers/` + ref + `/authorisations/a1"}`)}, nil
}

func (b *scriptedBank) Lookup(context.Context, provider.Payment) (provider.State, error) {
	return provider.State{}, provider.ErrCannotReconcile
}

func (b *scriptedBank) Status(_ context.Context, p provider.Payment) (provider.State, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.statuses++
	raw := b.polls[0]
	if len(b.polls) > 1 {
		b.polls = b.polls[1:]
	}
	st := provider.State{BankRef: p.State.BankRef, BankStatus: raw, Status: provider.StatusProcessing}
	if raw == "ACSC" {
		st.Status, st.Final = provider.StatusExecuted, true
	}
	return st, nil
}

func (b *scriptedBank) SyncGrant(context.Context, string) (provider.GrantState, error) {
	return provider.GrantState{}, errors.New("a link has nothing at the bank to sync")
}

func (b *scriptedBank) RevokeGrant(context.Context, string, provider.RevokedBy) (string, error) {
	return "", errors.New("a link has nothing at the bank to revoke")
}

func (b *scriptedBank) Approve(_ context.Context, p provider.Payment, in provider.Input) (provider.State, *provider.Action, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ref := p.State.BankRef
	waiting := provider.State{BankRef: ref, Status: provider.StatusAwaitingBankSCA, BankStatus: "RCVD", Blob: p.State.Blob}
	switch b.step[ref] {
	case wantPassword:
		if in.Password == fakeBankPassword {
			b.step[ref] = wantOTP
			return waiting, &provider.Action{Kind: provider.ActionOTP, Challenge: "Code sent by SMS", AttemptsLeft: b.attempts}, nil
		}
		return waiting, &provider.Action{Kind: provider.ActionPassword, Message: "Log in to EU Test Bank"}, nil
	case wantOTP:
		switch {
		case in.OTP == fakeBankOTP:
			b.step[ref] = approved
			return provider.State{BankRef: ref, Status: provider.StatusAuthorised, BankStatus: "ACTC"}, nil, nil
		case in.OTP != "":
			b.attempts--
		}
		return waiting, &provider.Action{Kind: provider.ActionOTP, Challenge: "Code sent by SMS", AttemptsLeft: b.attempts}, nil
	}
	return provider.State{BankRef: ref, Status: provider.StatusAuthorised, BankStatus: "ACTC"}, nil, nil
}

// linkEnv is a wallet with the UAE sandbox bank and the scripted EU bank, and a link to an
// EUR account at the latter.
func linkEnv(t *testing.T) (*walletEnv, *scriptedBank, Consent) {
	t.Helper()
	e := newWalletEnv(t, newBankEnv(t), Limits{})
	eu := newScriptedBank()
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

func TestLinkPaymentApprovedAtTheBank(t *testing.T) {
	e, eu, link := linkEnv(t)
	ctx := context.Background()
	if link.Kind != GrantLink || link.Currency != "EUR" || link.DebtorAccount != "DE89370400440532013000" || !link.Expires.IsZero() {
		t.Fatalf("link = %+v", link)
	}
	pp, err := e.wallet.Prepare(ctx, Draft{ConsentID: link.ID, Amount: "EUR 12.50", Reference: "Invoice 42",
		NewPayee: &PayeeInput{Name: "Max Muster", IBAN: "FR14 2004 1010 0505 0001 3M02 606"}})
	if err != nil {
		t.Fatal(err)
	}
	if pp.Currency != "EUR" || pp.Product != "sepa-credit-transfers" || pp.Payee.IBAN != "FR1420041010050500013M02606" {
		t.Fatalf("prepared %+v", pp)
	}
	var (
		mu      sync.Mutex
		actions []provider.ActionKind
		steps   []string
	)
	answer := func(ev Event) {
		mu.Lock()
		steps = append(steps, ev.Step.String())
		mu.Unlock()
		if ev.Action == nil {
			return
		}
		mu.Lock()
		actions = append(actions, ev.Action.Kind)
		n := len(actions)
		mu.Unlock()
		var in provider.Input
		switch {
		case ev.Action.Kind == provider.ActionPassword:
			in.Password = fakeBankPassword
		case ev.Action.Kind == provider.ActionOTP && n == 2:
			in.OTP = "000000" // wrong: the bank asks again with one attempt fewer
		default:
			in.OTP = fakeBankOTP
		}
		go func() {
			if err := e.wallet.ContinuePayment(ctx, ev.PaymentID, in); err != nil {
				t.Error(err)
			}
		}()
	}
	p, err := e.wallet.Submit(ctx, pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), answer)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != PaymentExecuted || p.BankStatus != "ACSC" || !p.Final || p.Status.Outcome() != OutcomeSuccessful {
		t.Fatalf("payment %s (%s), final %v", p.Status, p.BankStatus, p.Final)
	}
	if got := kinds(actions); got != "password otp otp" {
		t.Errorf("actions = %s", got)
	}
	if !strings.Contains(strings.Join(steps, ","), "Approve at your bank") {
		t.Errorf("no approval step in %v", steps)
	}
	// ACSC is final at this bank: tracking stopped there, and Resume leaves it alone.
	if eu.statuses != 2 {
		t.Errorf("%d status polls, want 2 (ACSP, ACSC)", eu.statuses)
	}
	if err := e.wallet.Resume(ctx, nil); err != nil || eu.statuses != 2 || eu.sends != 1 {
		t.Errorf("resume: %v, %d polls, %d sends", err, eu.statuses, eu.sends)
	}
	tl, _ := e.ledger.Timeline(ctx, p.ID)
	var words []string
	for _, c := range tl {
		words = append(words, string(c.Status)+"/"+c.BankStatus)
	}
	if got := strings.Join(words, " "); got != "Prepared/ Sending/ AwaitingBankSCA/RCVD Authorised/ACTC Processing/ACSP Executed/ACSC" {
		t.Errorf("timeline %s", got)
	}
	// The bank's password and code went to the bank and nowhere else.
	assertNoSecretsOnDisk(t, e.dir, fakeBankPassword, fakeBankOTP)
}

func kinds(a []provider.ActionKind) string {
	var s []string
	for _, k := range a {
		s = append(s, string(k))
	}
	return strings.Join(s, " ")
}

func assertNoSecretsOnDisk(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(raw, []byte(s)) {
				t.Errorf("%s holds a secret the payer typed for the bank", filepath.Base(path))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLinkLostAnswerIsNeverResent: at a bank with no lookup, a create whose answer was lost
// stays Unknown with words for the payer; neither the send nor Resume ever posts it again.
func TestLinkLostAnswerIsNeverResent(t *testing.T) {
	e, eu, link := linkEnv(t)
	ctx := context.Background()
	eu.dropSend = true
	pp, err := e.wallet.Prepare(ctx, Draft{ConsentID: link.ID, Amount: "5", NewPayee: &PayeeInput{Name: "Max Muster", IBAN: "FR1420041010050500013M02606"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.wallet.Submit(ctx, pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), nil)
	var pr *Problem
	if !errors.As(err, &pr) || !strings.Contains(pr.Next, "Check your bank") {
		t.Fatalf("err = %v, want the check-your-bank problem", err)
	}
	eu.dropSend = false
	for range 2 {
		_ = e.wallet.Resume(ctx, nil)
	}
	got, _ := e.ledger.Payment(ctx, p.ID)
	if eu.sends != 1 || got.Status != PaymentUnknown || !got.Status.Reserves() {
		t.Fatalf("%d sends, status %s; want one send, Unknown (still counted in the limits)", eu.sends, got.Status)
	}
}

// TestLinkChecksAndCurrencyWindows: a link refuses what is not an account, a name with a
// direction override and a currency the bank has no account in; the day's sum of an EUR
// payment does not count against AED, nor the other way round; a payee must fit the product.
func TestLinkChecksAndCurrencyWindows(t *testing.T) {
	e, _, link := linkEnv(t)
	ctx := context.Background()
	for _, tc := range []struct{ bank, account, holder, cur string }{
		{euBankID, "DE89370400440532013001", "Erika", "EUR"},       // check digits
		{euBankID, "DE89370400440532013000", "Erika\u202e", "EUR"}, // override
		{euBankID, "DE89370400440532013000", "Erika", "GEL"},
		{testBankID, "AE070331234567890123456", "Erika", "AED"}, // a UAE bank pays with consents
		{"nowhere", "DE89370400440532013000", "Erika", "EUR"},
	} {
		if _, err := e.wallet.RecordLink(ctx, tc.bank, tc.account, tc.holder, tc.cur); err == nil {
			t.Errorf("RecordLink(%+v) accepted", tc)
		}
	}
	if _, err := e.wallet.RecordLink(ctx, euBankID, "8601 1117 947", "Kari Nordmann", "NOK"); err != nil {
		t.Errorf("Norwegian account refused: %v", err)
	}
	if _, err := e.wallet.Prepare(ctx, Draft{ConsentID: link.ID, Amount: "5", Purpose: "TOF",
		NewPayee: &PayeeInput{Name: "Max", IBAN: "FR1420041010050500013M02606"}}); err == nil {
		t.Error("a purpose code was accepted at a bank without them")
	}
	if _, err := e.wallet.Prepare(ctx, Draft{ConsentID: link.ID, Amount: "5", Product: "norwegian-domestic-credit-transfers",
		NewPayee: &PayeeInput{Name: "Max", IBAN: "86011117947"}}); err == nil {
		t.Error("a NOK product was accepted for an EUR account")
	}
	if _, err := e.wallet.Prepare(ctx, Draft{ConsentID: link.ID, Amount: "AED 5", NewPayee: &PayeeInput{Name: "Max", IBAN: "FR1420041010050500013M02606"}}); err == nil {
		t.Error("an AED amount was accepted for an EUR payment")
	}
	// An EUR payment reserved in the ledger does not count against the AED windows.
	pay := testPayment(link.ID, "70.00")
	pay.Currency = "EUR"
	if err := e.ledger.ReservePayment(ctx, pay, Limits{}); err != nil {
		t.Fatal(err)
	}
	eur, err := e.ledger.Usage(ctx, link.ID)
	if err != nil || eur.Currency != "EUR" || eur.Day.String() != "70.00" || eur.DayCount != 1 {
		t.Errorf("EUR usage %+v, %v", eur, err)
	}
	aed, err := e.ledger.Usage(ctx, "")
	if err != nil || aed.Currency != "AED" || !aed.Day.IsZero() || aed.DayCount != 1 {
		t.Errorf("AED usage %+v, %v: the EUR payment was added to AED", aed, err)
	}
}

// TestLinkHasNothingAtTheBank: syncing skips a link (the scripted bank refuses any grant
// call), and ending it is local: the link is revoked here, its payments stay in history.
func TestLinkHasNothingAtTheBank(t *testing.T) {
	e, _, link := linkEnv(t)
	ctx := context.Background()
	if err := e.wallet.SyncConsents(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if c, err := e.wallet.SyncConsent(ctx, link.ID); err != nil || c.Status != ConsentAuthorized {
		t.Fatalf("sync link: %+v, %v", c, err)
	}
	if err := e.wallet.RevokeConsent(ctx, link.ID); err != nil {
		t.Fatal(err)
	}
	if c, _ := e.ledger.Consent(ctx, link.ID); c.Status != ConsentRevoked || Usable(c, time.Now()) == nil {
		t.Fatalf("revoked link = %+v", c)
	}
}
