package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/sandbox"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// TestResetRevokesUnbindsAndKeepsHistory: an onboarded wallet with one payment and an active
// consent is reset by typing the word. The bank shows the consent Revoked by
// TPP.InitiatedByUser, the refresh token is gone from the keystore, sca is not enrolled, the
// payment is still in the history, and the next Open is in onboarding — which, run again from
// the PIN step, yields a new consent that pays. A second reset right after the first (--yes)
// changes nothing and succeeds.
func TestResetRevokesUnbindsAndKeepsHistory(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	w := a.UIWallet()
	payee := twoPayees()[:1]
	c, js := onboard(t, w, clock, payee)
	payees, _ := w.Payees(ctx, c.ID)
	if last := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "12.00", clock.nextCode(t, js.totpSecret))); last.State != ui.StepDone {
		t.Fatalf("payment before the reset: %+v", last)
	}
	if _, err := (tokenStore{a.store}).Load(ctx, c.ID); err != nil {
		t.Fatalf("no refresh token before the reset: %v", err)
	}
	firstEnrolled := a.auth.Status().BoundAt
	firstOnboarded, err := a.ledger.OnboardedAt(ctx)
	if err != nil || firstOnboarded.IsZero() {
		t.Fatalf("onboarding time before the reset: %v %v", firstOnboarded, err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := Reset(ctx, cfg, testOptions(clock), ResetConfirmation{In: strings.NewReader("reset\n")}, &out); err != nil {
		t.Fatalf("reset: %v\n%s", err, out.String())
	}
	for _, want := range []string{c.ID, "revoke 1 payment consent", "TPP.InitiatedByUser", "refresh tokens", "device key",
		"keep your payment history (1 payment(s))", "revoked at the bank", "Reset complete"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("reset output lacks %q:\n%s", want, out.String())
		}
	}
	for _, secret := range []string{payee[0].Name, payee[0].IBAN, js.totpSecret, js.recovery, testPIN} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("reset output shows a secret or PII: %q", secret)
		}
	}

	out.Reset()
	if err := Reset(ctx, cfg, testOptions(clock), ResetConfirmation{Yes: true}, &out); err != nil {
		t.Fatalf("second reset: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "revoke no consent") || !strings.Contains(out.String(), "Reset complete") {
		t.Errorf("second reset output:\n%s", out.String())
	}

	b := openApp(t, cfg, clock)
	defer b.Close()
	if st, err := b.Sandbox().ConsentStatus(c.ID); err != nil || st != "Revoked" {
		t.Fatalf("consent at the bank after reset: %q %v", st, err)
	}
	bc, err := b.banks[0].client.GetConsent(ctx, c.ID)
	if err != nil || bc.RevokedBy != lfi.RevokedByTPPInitiatedUser {
		t.Fatalf("bank's RevokedBy: %v %+v", err, bc)
	}
	lc, err := b.ledger.Consent(ctx, c.ID)
	if err != nil || lc.Status != wallet.ConsentRevoked || lc.RevokedBy != lfi.RevokedByTPPInitiatedUser {
		t.Fatalf("ledger consent after reset: %v %+v", err, lc)
	}
	if _, err := b.store.Get(refreshName(c.ID)); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("refresh token still in the keystore: %v", err)
	}
	if st := b.auth.Status(); st.Enrolled {
		t.Fatalf("sca still enrolled after reset: %+v", st)
	}
	if n, err := b.ledger.CountPayments(ctx, wallet.HistoryFilter{}); err != nil || n != 1 {
		t.Fatalf("history after reset: %d %v", n, err)
	}
	w = b.UIWallet()
	ov, err := w.Overview(ctx)
	if err != nil || ov.Onboarded || ov.Active != nil || len(ov.Recent) != 1 {
		t.Fatalf("Home after reset must lead to onboarding and keep the history: %v %+v", err, ov)
	}
	// payterm status agrees: not onboarded, no onboarding time left.
	var status bytes.Buffer
	if err := Status(ctx, cfg, &status); err != nil {
		t.Fatal(err)
	}
	var rep wallet.StatusReport
	if err := json.Unmarshal(status.Bytes(), &rep); err != nil || rep.Onboarded {
		t.Fatalf("payterm status after reset: %v %s", err, status.String())
	}
	if at, err := b.ledger.OnboardedAt(ctx); err != nil || !at.IsZero() {
		t.Fatalf("the ledger keeps the old onboarding time after reset: %v %v", at, err)
	}

	c2, js2 := onboard(t, w, clock, payee)
	if c2.ID == c.ID {
		t.Fatal("the new onboarding reused the old consent")
	}
	if ov, err := w.Overview(ctx); err != nil || !ov.Onboarded || ov.Active == nil || ov.Active.ID != c2.ID {
		t.Fatalf("after onboarding again: %v %+v", err, ov)
	}
	if at, err := b.ledger.OnboardedAt(ctx); err != nil || !at.After(firstOnboarded) {
		t.Fatalf("onboarding again kept the old time: %v (first %v) %v", at, firstOnboarded, err)
	}
	payees, _ = w.Payees(ctx, c2.ID)
	if last := finalEvent(t, pay(t, w, c2.ID, payees[0].ID, "3.00", clock.nextCode(t, js2.totpSecret))); last.State != ui.StepDone {
		t.Fatalf("payment on the new consent: %+v", last)
	}
	// The payment's Risk, as the bank decrypts it, dates the onboarding from the new enrolment.
	enrolled := b.auth.Status().BoundAt
	if enrolled.Equal(firstEnrolled) {
		t.Fatal("the new enrolment has the old time; the check below would prove nothing")
	}
	const onboardedField = "Risk.DebtorIndicators.AccountRiskIndicators.UserOnboardingDateTime"
	found := false
	for _, f := range openPaymentPII(t, b) {
		if f.Name == onboardedField {
			found = true
			if want := enrolled.UTC().Format(time.RFC3339); f.Value != want {
				t.Errorf("payment Risk after reset: %s = %s, want the new enrolment %s", f.Name, f.Value, want)
			}
		}
	}
	if !found {
		t.Errorf("the payment Risk has no %s", onboardedField)
	}
}

// TestResetWithTheBankDown: every resource call fails with 500. The consent is marked unusable
// on this device (it can never pay from this wallet, a status sync does not revive it), the
// output says to revoke it at the bank too, and the reset still completes. Run again once the
// bank is back, the reset revokes it at the bank.
func TestResetWithTheBankDown(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	c, _ := onboard(t, w, clock, twoPayees()[:1])
	if err := a.WaitStartup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Sandbox().InjectFault(sandbox.Fault{Kind: sandbox.FaultServerError, Count: 1000, Target: "rs"}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := a.reset(ctx, ResetConfirmation{Yes: true}, &out); err != nil {
		t.Fatalf("reset with the bank down: %v\n%s", err, out.String())
	}
	for _, want := range []string{"not revoked at the bank", "did not arrive", "marked unusable on this device", "revoke it in your bank's app", "Reset complete"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("reset output lacks %q:\n%s", want, out.String())
		}
	}
	if st, _ := a.Sandbox().ConsentStatus(c.ID); st != "Authorized" {
		t.Fatalf("the bank's consent changed although every call failed: %s", st)
	}
	lc, err := a.ledger.Consent(ctx, c.ID)
	if err != nil || lc.Status != wallet.ConsentRevoked || lc.RevokedBy != revokedByReset {
		t.Fatalf("consent not marked unusable locally: %v %+v", err, lc)
	}
	if _, err := a.store.Get(refreshName(c.ID)); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("refresh token kept: %v", err)
	}
	if a.auth.Status().Enrolled {
		t.Fatal("sca still enrolled")
	}
	a.Sandbox().ClearFaults()
	if err := a.wallet.SyncConsents(ctx); err != nil {
		t.Fatal(err)
	}
	lc, _ = a.ledger.Consent(ctx, c.ID)
	if err := wallet.Usable(lc, clock.Now()); !errors.Is(err, wallet.ErrConsentUnusable) {
		t.Fatalf("a status sync revived the consent the reset marked unusable: %+v", lc)
	}
	if ov, err := w.Overview(ctx); err != nil || ov.Onboarded || ov.Active != nil {
		t.Fatalf("Home after reset: %v %+v", err, ov)
	}

	out.Reset()
	if err := a.reset(ctx, ResetConfirmation{Yes: true}, &out); err != nil {
		t.Fatalf("reset again with the bank back: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "asking the bank again") || !strings.Contains(out.String(), "revoked at the bank") {
		t.Errorf("second reset output:\n%s", out.String())
	}
	if st, _ := a.Sandbox().ConsentStatus(c.ID); st != "Revoked" {
		t.Fatalf("the second reset did not revoke at the bank: %s", st)
	}
	if lc, _ := a.ledger.Consent(ctx, c.ID); lc.RevokedBy != lfi.RevokedByTPPInitiatedUser {
		t.Fatalf("ledger after the bank confirmed: %+v", lc)
	}
}

// TestResetNeedsConfirmation: no --yes and no terminal, or anything but the word, changes
// nothing: the consent is still authorised at the bank, its token and the enrolment are kept
// and the wallet opens onboarded.
func TestResetNeedsConfirmation(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	c, _ := onboard(t, a.UIWallet(), clock, twoPayees()[:1])
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Reset(ctx, cfg, testOptions(clock), ResetConfirmation{}, &out); !errors.Is(err, ErrResetNeedsConfirmation) {
		t.Fatalf("no terminal, no --yes: %v", err)
	}
	for _, answer := range []string{"", "\n", "yes\n", "RESET\n", "rese"} {
		out.Reset()
		err := Reset(ctx, cfg, testOptions(clock), ResetConfirmation{In: strings.NewReader(answer)}, &out)
		if !errors.Is(err, ErrResetDeclined) {
			t.Fatalf("answer %q: %v", answer, err)
		}
		if !strings.Contains(out.String(), `Type "reset" to go ahead`) || !strings.Contains(out.String(), c.ID) {
			t.Fatalf("answer %q: the question did not explain the reset:\n%s", answer, out.String())
		}
	}
	b := openApp(t, cfg, clock)
	defer b.Close()
	if st, _ := b.Sandbox().ConsentStatus(c.ID); st != "Authorized" {
		t.Fatalf("declined reset touched the bank: %s", st)
	}
	if _, err := (tokenStore{b.store}).Load(ctx, c.ID); err != nil {
		t.Fatalf("declined reset deleted the token: %v", err)
	}
	if !b.auth.Status().Enrolled {
		t.Fatal("declined reset deleted the enrolment")
	}
	if ov, err := b.UIWallet().Overview(ctx); err != nil || !ov.Onboarded || ov.Active == nil {
		t.Fatalf("declined reset changed Home: %v %+v", err, ov)
	}
}

// TestInterruptedResetIsFinishedByResetOnly: a reset that stopped after revoking (crash before
// the SCA was wiped) leaves a pending record. The wallet refuses to open — the consent is gone
// but the enrolment is not — until payterm reset runs again and finishes.
func TestInterruptedResetIsFinishedByResetOnly(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	c, _ := onboard(t, a.UIWallet(), clock, twoPayees()[:1])
	if err := a.saveResetRecord(ctx, resetRecord{Started: clock.Now(), Consents: []string{c.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := a.wallet.RevokeConsent(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := Open(ctx, cfg, testOptions(clock)); !errors.Is(err, ErrResetUnfinished) {
		if b != nil {
			b.Close()
		}
		t.Fatalf("Open after an interrupted reset: %v", err)
	}
	var out bytes.Buffer
	if err := Reset(ctx, cfg, testOptions(clock), ResetConfirmation{Yes: true}, &out); err != nil {
		t.Fatalf("finishing reset: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "did not finish; this run finishes it") {
		t.Errorf("output does not say it finishes an interrupted reset:\n%s", out.String())
	}
	b := openApp(t, cfg, clock)
	defer b.Close()
	if b.auth.Status().Enrolled {
		t.Fatal("sca still enrolled")
	}
	if ov, err := b.UIWallet().Overview(ctx); err != nil || ov.Onboarded {
		t.Fatalf("Home after the finished reset: %v %+v", err, ov)
	}
}

// TestResetSettlesPaymentsInFlight: a payment whose outcome is unknown (bank down) is settled
// with the bank before its consent's tokens are deleted, so the kept history is final.
func TestResetSettlesPaymentsInFlight(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees()[:1])
	payees, _ := w.Payees(ctx, c.ID)
	if err := a.Sandbox().InjectFault(sandbox.Fault{Kind: sandbox.FaultServerError, Count: 1000, Target: "rs"}); err != nil {
		t.Fatal(err)
	}
	if last := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "7.00", clock.nextCode(t, js.totpSecret))); last.State != ui.StepFailed {
		t.Fatalf("payment during the outage: %+v", last)
	}
	if err := a.Close(); err != nil { // faults are in memory: the reset's bank has none
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Reset(ctx, cfg, testOptions(clock), ResetConfirmation{Yes: true}, &out); err != nil {
		t.Fatalf("reset: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Settling 1 payment(s)") || strings.Contains(out.String(), "still in progress at the bank") {
		t.Errorf("reset output about the open payment:\n%s", out.String())
	}
	b := openApp(t, cfg, clock)
	defer b.Close()
	page, err := b.UIWallet().History(ctx, ui.HistoryQuery{})
	if err != nil || len(page.Rows) != 1 || !strings.HasPrefix(string(page.Rows[0].Status), "Accepted") {
		t.Fatalf("history after reset: %v %+v", err, page.Rows)
	}
	if st, _ := b.Sandbox().ConsentStatus(c.ID); st != "Revoked" {
		t.Fatalf("consent after reset: %s", st)
	}
}

// TestResetRefusesWhileTheWalletRuns: the data dir lock stops a reset under a running wallet.
func TestResetRefusesWhileTheWalletRuns(t *testing.T) {
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	defer a.Close()
	var out bytes.Buffer
	err := Reset(context.Background(), cfg, testOptions(clock), ResetConfirmation{Yes: true}, &out)
	if err == nil || !strings.Contains(err.Error(), "another payterm") {
		t.Fatalf("reset beside a running wallet: %v", err)
	}
	if out.Len() != 0 {
		t.Fatalf("reset printed a plan although it could not run:\n%s", out.String())
	}
}

// TestResetWithoutData creates nothing.
func TestResetWithoutData(t *testing.T) {
	cfg := testConfig(t)
	var out bytes.Buffer
	if err := Reset(context.Background(), cfg, testOptions(newSCAClock()), ResetConfirmation{Yes: true}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Nothing to reset") {
		t.Fatalf("output: %q", out.String())
	}
	if _, err := os.Stat(filepath.Clean(cfg.DataDir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("reset created the data dir: %v", err)
	}
}

// TestRecoveryLockedNamesTheResetCommand: the dead end of recovery points at payterm reset.
func TestRecoveryLockedNamesTheResetCommand(t *testing.T) {
	for _, err := range []error{&sca.RecoveryError{Remaining: 0}, fmt.Errorf("recover: %w", sca.ErrRecoveryLocked)} {
		var p *ui.Problem
		if !errors.As(uiError("Recovering", err), &p) || !strings.Contains(p.Next, "payterm reset") {
			t.Errorf("%v → %+v, want a next step naming payterm reset", err, p)
		}
	}
}

// TestDamagedResetRecord: a reset record that does not parse closes the wallet like an
// unfinished reset, and a reset repairs it instead of failing on it.
func TestDamagedResetRecord(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	if err := a.ledger.SetSetting(ctx, settingReset, `{"started":`); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := Open(ctx, cfg, testOptions(clock)); !errors.Is(err, ErrResetUnfinished) {
		if b != nil {
			b.Close()
		}
		t.Fatalf("Open with a damaged reset record: %v", err)
	}
	var out bytes.Buffer
	if err := Reset(ctx, cfg, testOptions(clock), ResetConfirmation{Yes: true}, &out); err != nil || !strings.Contains(out.String(), "damaged") {
		t.Fatalf("reset over a damaged record: %v\n%s", err, out.String())
	}
	b := openApp(t, cfg, clock)
	defer b.Close()
	if rec, ok, err := b.loadResetRecord(ctx); err != nil || !ok || rec.pending() {
		t.Fatalf("record after the repairing reset: %v %v %+v", err, ok, rec)
	}
}

// FuzzParseResetRecord: any ledger value parses to a record with a start time or to
// errResetRecordDamaged, never a panic; what saveResetRecord writes reads back the same.
func FuzzParseResetRecord(f *testing.F) {
	f.Add(`{"started":"2026-11-22T03:00:00Z","consents":["c-1"]}`)
	f.Add(`{"started":"2026-11-22T03:00:00Z","completed":"2026-11-22T03:01:00Z","consents":[]}`)
	f.Add(`{"started":"0001-01-01T00:00:00Z"}`)
	f.Add(`{"started":`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, raw string) {
		rec, err := parseResetRecord(raw)
		if err != nil {
			if !errors.Is(err, errResetRecordDamaged) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if rec.Started.IsZero() {
			t.Fatal("accepted a record without a start time")
		}
		again, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseResetRecord(string(again))
		if err != nil || !back.Started.Equal(rec.Started) || !back.Completed.Equal(rec.Completed) || !slices.Equal(back.Consents, rec.Consents) {
			t.Fatalf("round trip: %v %+v → %+v", err, rec, back)
		}
	})
}
