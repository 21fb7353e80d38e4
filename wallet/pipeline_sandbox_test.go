package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/payterm/payterm/provider/uae"
	"strings"
	"testing"

	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/sandbox"
	"github.com/payterm/payterm/sca"
)

func TestSandboxPaymentEndToEnd(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	ctx := context.Background()
	c := e.onboard(t, 2, "")
	if c.Model != BeneficiaryList || len(e.payees) != 2 || len(c.Creditors) != 2 {
		t.Fatalf("consent = model %s, %d payees", c.Model, len(e.payees))
	}
	var steps []string
	p, err := e.pay(t, "1,250.5", func(ev Event) {
		if ev.State == StepDone {
			steps = append(steps, ev.Step.String())
		}
	})
	if err != nil {
		t.Fatalf("pay: %v\n%s", err, verdicts(b))
	}
	if p.Status != PaymentSettled || p.BankPaymentID == "" || p.Amount.String() != "1250.50" {
		t.Fatalf("payment = status %s bank id %q amount %s", p.Status, p.BankPaymentID, p.Amount)
	}
	want := "SCA Risk PII sealed Signed Saved Sent Bank has it Settled"
	if got := strings.Join(steps, " "); !strings.HasPrefix(got, "SCA Risk PII sealed Signed Saved Sent Bank has it") || !strings.HasSuffix(got, "Settled") {
		t.Errorf("steps = %q, want %q", got, want)
	}
	if st, err := b.bank.PaymentStatus(p.BankPaymentID); err != nil || st != p.BankStatus || p.Status != PaymentSettled || !p.Final {
		t.Errorf("bank says %q, %v; ledger says %s (%s), final %v", st, err, p.BankStatus, p.Status, p.Final)
	}
	tl, err := e.ledger.Timeline(ctx, p.ID)
	if err != nil || len(tl) < 4 || tl[0].Status != PaymentPrepared || tl[len(tl)-1].Status != PaymentSettled {
		t.Errorf("timeline = %+v, %v", tl, err)
	}
	if n := e.bankPayments(t, c.ID); n != 1 {
		t.Errorf("bank holds %d payments, want 1", n)
	}
	// Exactly the stored bytes were what the bank accepted under the key.
	byKey, err := e.client.GetPaymentByIdempotencyKey(ctx, p.IdempotencyKey)
	if err != nil || byKey.PaymentID != p.BankPaymentID {
		t.Errorf("lookup by key = %+v, %v", byKey, err)
	}
}

func TestSandboxOpenConsentNewPayee(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 0, "")
	if c.Model != BeneficiaryOpen {
		t.Fatalf("model = %s", c.Model)
	}
	p, err := e.pay(t, "10", nil)
	if err != nil {
		t.Fatalf("pay: %v\n%s", err, verdicts(b))
	}
	if p.Status.Outcome() != OutcomeSuccessful {
		t.Errorf("status = %s", p.Status)
	}
	payees, _ := e.ledger.Payees(context.Background(), c.ID)
	if len(payees) != 1 || payees[0].Name != "Open Payee" {
		t.Errorf("saved payees = %d", len(payees))
	}
}

// TestSandboxOpenConsentArabicPayee: a payee name typed in Arabic at payment time goes in the
// creditor's Arabic name slot, as on the consent page, and the bank accepts the payment.
func TestSandboxOpenConsentArabicPayee(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 0, "")
	ctx := context.Background()
	const name = "مثال تجريبي"
	e.confirmPayee(t, c.ID, name, ibanFor("033", "0000000000008888"))
	pp, err := e.wallet.Prepare(ctx, Draft{ConsentID: c.ID, Amount: "7", NewPayee: &PayeeInput{Name: name, IBAN: ibanFor("033", "0000000000008888")}})
	if err != nil {
		t.Fatal(err)
	}
	var wire struct {
		CreditorAccount struct {
			Name struct {
				EN *string `json:"en"`
				AR string  `json:"ar"`
			} `json:"Name"`
		} `json:"CreditorAccount"`
	}
	if err := json.Unmarshal(pp.creditor, &wire); err != nil || wire.CreditorAccount.Name.AR != name || wire.CreditorAccount.Name.EN != nil {
		t.Fatalf("creditor name = %+v, %v", wire.CreditorAccount.Name, err)
	}
	p, err := e.wallet.Submit(ctx, pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), nil)
	if err != nil || p.Status.Outcome() != OutcomeSuccessful {
		t.Fatalf("pay: %v %s\n%s", err, p.Status, verdicts(b))
	}
	if payees, _ := e.ledger.Payees(ctx, c.ID); len(payees) != 1 || payees[0].Name != name {
		t.Fatalf("saved payee name wrong (%d payees)", len(payees))
	}
}

func TestSandboxFixedConsentRefusesOtherPayees(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	e.onboard(t, 1, "")
	d := e.draft("5")
	d.PayeeID, d.NewPayee = 0, &PayeeInput{Name: "Someone Else", IBAN: ibanFor("033", "0000000000007777")}
	var pr *Problem
	if _, err := e.wallet.Prepare(context.Background(), d); !errors.As(err, &pr) || !strings.Contains(pr.What, "fixed") {
		t.Errorf("new payee on a single-beneficiary consent: err = %v", err)
	}
}

func TestSandboxWrongPINSendsNothing(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 1, "")
	p, err := e.wallet.Prepare(context.Background(), e.draft("5"))
	if err != nil {
		t.Fatal(err)
	}
	// A code mistyped (five digits) and a wrong PIN both leave the prepared payment to retry.
	if _, err = e.wallet.Submit(context.Background(), p.ID, testPIN, "12345", nil); err == nil || errors.Is(err, ErrPreparedUnknown) {
		t.Fatalf("a five-digit code: err = %v", err)
	}
	_, err = e.wallet.Submit(context.Background(), p.ID, "111999", e.scaClock.nextCode(t, e.totp), nil)
	if !errors.Is(err, sca.ErrAuthFailed) {
		t.Fatalf("wrong PIN: err = %v", err)
	}
	if n := e.bankPayments(t, c.ID); n != 0 {
		t.Errorf("bank holds %d payments after a failed SCA", n)
	}
	// The same prepared intent can be retried with the right PIN.
	got, err := e.wallet.Submit(context.Background(), p.ID, testPIN, e.scaClock.nextCode(t, e.totp), nil)
	if err != nil || got.Status.Outcome() != OutcomeSuccessful {
		t.Fatalf("retry: %v, %s", err, got.Status)
	}
	counters, err := e.ledger.RiskCounters(context.Background(), e.wallet.cfg.SessionID)
	if err != nil || counters.SessionAttempts != 3 || counters.SessionFailedAttempts != 2 {
		t.Errorf("risk counters = %+v, %v", counters, err)
	}
	if _, err := e.wallet.Submit(context.Background(), p.ID, testPIN, e.scaClock.nextCode(t, e.totp), nil); !errors.Is(err, ErrPreparedUnknown) {
		t.Errorf("second submit of one intent: err = %v", err)
	}
}

func TestSandboxLimitRefusesBeforeSCAAndAtPersist(t *testing.T) {
	b := newBankEnv(t)
	lim := mustLimits(t, "", "100.00", "", 0, "")
	e := newWalletEnv(t, b, lim)
	c := e.onboard(t, 1, "")
	if _, err := e.wallet.Prepare(context.Background(), e.draft("100.01")); limitOf(err) != "per_day" {
		t.Fatalf("prepare over the limit: err = %v", err)
	}
	// Two intents both pass the pre-SCA check; only one fits at persist time.
	p1, err := e.wallet.Prepare(context.Background(), e.draft("60"))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := e.wallet.Prepare(context.Background(), e.draft("60"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.wallet.Submit(context.Background(), p1.ID, testPIN, e.scaClock.nextCode(t, e.totp), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.wallet.Submit(context.Background(), p2.ID, testPIN, e.scaClock.nextCode(t, e.totp), nil); limitOf(err) != "per_day" {
		t.Fatalf("second payment at persist: err = %v", err)
	}
	if n := e.bankPayments(t, c.ID); n != 1 {
		t.Errorf("bank holds %d payments, want 1", n)
	}
}

func TestSandboxFaultsEndWithOnePayment(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault sandbox.Fault
		// reconciled: the client's own retries could not settle it, so the wallet's status
		// went through Unknown and a lookup by idempotency key.
		reconciled bool
	}{
		{"drop after commit", sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Count: 1}, false},
		{"500 on every retry", sandbox.Fault{Kind: sandbox.FaultServerError, Count: 3}, true},
		{"429", sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 1, RetryAfter: 1}, false},
		{"unverifiable response", sandbox.Fault{Kind: sandbox.FaultWrongKey, Count: 1}, true},
		// Signed with the bank's key, but not by the issuer, or not to us: not trusted either.
		{"response with a wrong iss", sandbox.Fault{Kind: sandbox.FaultWrongIss, Count: 1}, true},
		{"response to another client", sandbox.Fault{Kind: sandbox.FaultWrongAud, Count: 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBankEnv(t)
			e := newWalletEnv(t, b, Limits{})
			c := e.onboard(t, 1, "")
			if err := b.bank.InjectFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			p, err := e.pay(t, "7.25", nil)
			if err != nil {
				t.Fatalf("pay: %v\n%s", err, verdicts(b))
			}
			if p.Status.Outcome() != OutcomeSuccessful {
				t.Errorf("status = %s", p.Status)
			}
			if n := e.bankPayments(t, c.ID); n != 1 {
				t.Errorf("bank holds %d payments, want exactly 1", n)
			}
			tl, _ := e.ledger.Timeline(context.Background(), p.ID)
			attempts, _ := e.ledger.Attempts(context.Background(), p.ID)
			var lookups int
			for _, a := range attempts {
				if a.Kind == "lookup-key" {
					lookups++
				}
			}
			if went := hasStatus(tl, PaymentUnknown) && lookups > 0; went != tc.reconciled {
				t.Errorf("reconciled = %v (timeline %v, %d lookups), want %v", went, tl, lookups, tc.reconciled)
			}
		})
	}
}

func verdicts(b *bankEnv) string {
	var sb strings.Builder
	for _, v := range b.bank.RecentVerdicts(5) {
		for _, c := range v.Checks {
			if !c.Passed {
				sb.WriteString(v.Method + " " + v.Path + ": " + c.Name + ": " + c.Detail + "\n")
			}
		}
	}
	return sb.String()
}

func hasStatus(tl []StatusChange, s PaymentStatus) bool {
	for _, c := range tl {
		if c.Status == s {
			return true
		}
	}
	return false
}

func TestSandboxInsufficientFundsIsRejectedAndReleased(t *testing.T) {
	b := newBankEnv(t)
	lim := mustLimits(t, "", "100.00", "", 0, "")
	e := newWalletEnv(t, b, lim)
	c := e.onboard(t, 1, "")
	if err := b.bank.SetBalanceFils(300); err != nil {
		t.Fatal(err)
	}
	var final Event
	p, err := e.pay(t, "50.00", func(ev Event) {
		if ev.Step == StepSettled {
			final = ev
		}
	})
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	if p.Status != PaymentRejected || p.RejectCode == "" || final.State != StepFailed || final.Err == nil {
		t.Fatalf("payment = %s (%q), final event %+v", p.Status, p.RejectCode, final)
	}
	if n := e.bankPayments(t, c.ID); n != 1 {
		t.Errorf("bank holds %d payments", n)
	}
	h, err := e.wallet.Headroom(context.Background(), c.ID)
	if err != nil || h.Day.String() != "100.00" {
		t.Errorf("a rejected payment still counts: day headroom %s, %v", h.Day, err)
	}
}

// flakyTokens holds a cached token the bank no longer knows until the wallet invalidates it,
// then hands out the real one: the wallet must refresh on 401 and resend the same request once.
type flakyTokens struct {
	*uae.ConsentTokens
	calls, invalidated int
}

func (f *flakyTokens) AccessToken(ctx context.Context, id string) (lfi.Secret, error) {
	f.calls++
	if f.invalidated == 0 {
		return "not-a-token-the-bank-issued", nil
	}
	return f.ConsentTokens.AccessToken(ctx, id)
}

func (f *flakyTokens) Invalidate(id string) {
	f.invalidated++
	f.ConsentTokens.Invalidate(id)
}

func TestSandbox401RefreshesAndResendsOnce(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 1, "")
	ft := &flakyTokens{ConsentTokens: e.tokens}
	e.wallet = e.newWallet(t, e.client, ft, Limits{}, nil)
	p, err := e.pay(t, "3.00", nil)
	if err != nil {
		t.Fatalf("pay: %v\n%s", err, verdicts(b))
	}
	// Calls: getting ready to send, the POST answered 401, the POST after the refresh.
	if p.Status.Outcome() != OutcomeSuccessful || ft.invalidated != 1 || ft.calls != 3 {
		t.Errorf("status %s, %d token calls, %d invalidations", p.Status, ft.calls, ft.invalidated)
	}
	if n := e.bankPayments(t, c.ID); n != 1 {
		t.Errorf("bank holds %d payments", n)
	}
}

func TestSandboxRefusalBeforeCreationIsFinal(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	c := e.onboard(t, 1, "")
	// The bank suspends the consent; the wallet has not synced yet, so it tries to pay.
	if err := b.bank.SuspendConsent(c.ID); err != nil {
		t.Fatal(err)
	}
	p, err := e.pay(t, "3.00", nil)
	if p.ID == 0 {
		t.Fatalf("no payment recorded: %v", err)
	}
	if p.Status.Outcome() != OutcomeFailed {
		t.Errorf("status = %s, want a failure", p.Status)
	}
	if n := e.bankPayments(t, c.ID); n != 0 {
		t.Errorf("bank holds %d payments", n)
	}
	if open, _ := e.ledger.OpenPayments(context.Background()); len(open) != 0 {
		t.Errorf("%d payments left open", len(open))
	}
	// The refusal made the wallet look at the consent again.
	if got, _ := e.ledger.Consent(context.Background(), c.ID); got.Status != ConsentSuspended {
		t.Errorf("consent after a Consent.* refusal = %s, want Suspended", got.Status)
	}
}

// TestRefusalsNeverEchoPII: what the user typed (names, IBANs, amounts with garbage) never
// comes back in an error string, which may be shown or logged.
func TestRefusalsNeverEchoPII(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, mustLimits(t, "100.00", "", "", 0, ""))
	e.onboard(t, 0, "")
	const marker = "Zq7Marker"
	ctx := context.Background()
	drafts := []Draft{
		{ConsentID: e.consentID, Amount: "12" + marker, NewPayee: &PayeeInput{Name: "Ok Name", IBAN: ibanFor("033", "0000000000001111")}},
		{ConsentID: e.consentID, Amount: "5", NewPayee: &PayeeInput{Name: marker, IBAN: "AE00" + marker}},
		{ConsentID: e.consentID, Amount: "5", NewPayee: &PayeeInput{Name: " " + marker, IBAN: ibanFor("033", "0000000000001111")}},
		{ConsentID: e.consentID, Amount: "500", NewPayee: &PayeeInput{Name: marker, IBAN: ibanFor("033", "0000000000001111")}},
		{ConsentID: marker, Amount: "5"},
		{ConsentID: e.consentID, Amount: "5", Purpose: marker, NewPayee: &PayeeInput{Name: marker, IBAN: ibanFor("033", "0000000000001111")}},
	}
	for i, d := range drafts {
		_, err := e.wallet.Prepare(ctx, d)
		if err == nil {
			t.Errorf("draft %d accepted", i)
			continue
		}
		if strings.Contains(err.Error(), marker) {
			t.Errorf("draft %d: error echoes the input: %q", i, err)
		}
	}
}

// TestSandboxResumeLeavesAFreshSubmissionAlone: while a Submit is between recording its payment
// and claiming it, a concurrent Resume (the running wallet's background loop) must not take the
// fresh Prepared record for one a crash left behind; once no Submit is in that window, Resume
// drives it as usual.
func TestSandboxResumeLeavesAFreshSubmissionAlone(t *testing.T) {
	b := newBankEnv(t)
	e := newWalletEnv(t, b, Limits{})
	ctx := context.Background()
	c := e.onboard(t, 1, "")
	p := testPayment(c.ID, "1.00")
	if err := e.ledger.ReservePayment(ctx, p, Limits{}); err != nil {
		t.Fatal(err)
	}
	e.wallet.mu.Lock()
	e.wallet.submitting++
	e.wallet.mu.Unlock()
	if err := e.wallet.Resume(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := e.ledger.Payment(ctx, p.ID)
	atts, _ := e.ledger.Attempts(ctx, p.ID)
	if got.Status != PaymentPrepared || len(atts) != 0 {
		t.Fatalf("Resume took a payment a Submit was about to claim: %s, %d bank calls", got.Status, len(atts))
	}
	e.wallet.mu.Lock()
	e.wallet.submitting--
	e.wallet.mu.Unlock()
	// The fixture's request is no real JWS, so how far it gets does not matter: Resume must have
	// asked the bank for it by its idempotency key.
	_ = e.wallet.Resume(ctx, nil)
	atts, _ = e.ledger.Attempts(ctx, p.ID)
	if len(atts) == 0 || atts[0].Kind != "lookup-key" {
		t.Fatalf("with no Submit in its window Resume did not reconcile the payment: %+v", atts)
	}
}
