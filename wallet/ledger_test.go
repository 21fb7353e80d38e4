package wallet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"

	"github.com/payterm/payterm/money"
)

// testClock is a settable clock shared by a test and the ledger.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// dubai is UTC+4 without DST, so calendar-window tests do not depend on tzdata.
var dubai = time.FixedZone("GST", 4*3600)

func newTestLedger(t testing.TB) (*Ledger, *testClock, string) {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 3, 15, 10, 0, 0, 0, dubai)}
	dir := filepath.Join(t.TempDir(), "data")
	l, err := OpenLedger(context.Background(), dir, LedgerOptions{Now: clock.Now, Location: dubai})
	if err != nil {
		t.Fatalf("OpenLedger: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l, clock, dir
}

func testConsent(id string) Consent {
	return Consent{
		ID: id, Bank: testBankID, Status: ConsentAuthorized,
		Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Expires: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Model: BeneficiaryList, PurposeCode: "TOF",
		Creditors: []Creditor{{Name: "Alice", IBAN: "AE070331234567890123456"}, {Name: "Bob", IBAN: "AE460090000000123456789"}},
	}
}

var keySeq struct {
	sync.Mutex
	n int
}

func testPayment(consentID, amount string) *Payment {
	keySeq.Lock()
	keySeq.n++
	n := keySeq.n
	keySeq.Unlock()
	a, err := money.ParseWire(amount)
	if err != nil {
		panic(err) // test fixture literal
	}
	return &Payment{
		ConsentID: consentID, PayeeName: "Alice", PayeeIBAN: "AE070331234567890123456",
		Amount: a, Currency: "AED", Purpose: "TOF", IdempotencyKey: fmt.Sprintf("key-%06d", n),
		Request: []byte("header.payload.signature"), RequestExp: time.Now().Add(5 * time.Minute),
	}
}

func TestOpenLedgerCreatesPrivateFiles(t *testing.T) {
	l, _, dir := newTestLedger(t)
	if err := l.InsertConsent(context.Background(), testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	checkMode(t, dir, 0o700)
	checkMode(t, filepath.Join(dir, LedgerFile), 0o600)
	checkMode(t, filepath.Join(dir, LedgerFile+"-wal"), 0o600)
}

func TestOpenLedgerTightensLooseModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, LedgerFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := OpenLedger(context.Background(), dir, LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	checkMode(t, dir, 0o700)
	checkMode(t, filepath.Join(dir, LedgerFile), 0o600)
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s mode = %o, want %o", filepath.Base(path), got, want)
	}
}

func TestOpenLedgerRejectsBadDir(t *testing.T) {
	for _, dir := range []string{"", "/tmp/a?b", "/tmp/a#b"} {
		if _, err := OpenLedger(context.Background(), dir, LedgerOptions{}); err == nil {
			t.Errorf("OpenLedger(%q) accepted", dir)
		}
	}
}

func TestMigrationsFromEmptyAndPragmas(t *testing.T) {
	l, _, dir := newTestLedger(t)
	ctx := context.Background()
	var v int
	if err := l.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != SchemaVersion {
		t.Fatalf("user_version = %d, %v; want %d", v, err, SchemaVersion)
	}
	var mode string
	if err := l.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var sync int
	if err := l.db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		t.Errorf("synchronous = %d, %v; want 2 (FULL)", sync, err)
	}
	var fk int
	if err := l.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
	for _, table := range []string{"consents", "payees", "payments", "payment_events", "payment_attempts", "limits", "settings", "sca_attempts"} {
		var n int
		if err := l.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s missing", table)
		}
	}
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	l.Close()

	// Reopening migrates nothing and keeps the data.
	l2, err := OpenLedger(ctx, dir, LedgerOptions{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if _, err := l2.Consent(ctx, "c1"); err != nil {
		t.Errorf("consent lost on reopen: %v", err)
	}
	// A database from a newer payterm is refused, not written.
	if _, err := l2.db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	l2.Close()
	if _, err := OpenLedger(ctx, dir, LedgerOptions{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("opening a newer schema: err = %v, want a refusal", err)
	}
}

func TestConsentRoundTripAndLocalPause(t *testing.T) {
	l, _, _ := newTestLedger(t)
	ctx := context.Background()
	c := testConsent("c1")
	c.DebtorAccount = "AE120260001234567890123"
	c.DebtorName = "Test Holder"
	if err := l.InsertConsent(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := l.Consent(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != ConsentAuthorized || len(got.Creditors) != 2 || got.Creditors[1].Name != "Bob" ||
		got.DebtorAccount != c.DebtorAccount || got.DebtorName != c.DebtorName || !got.Expires.Equal(c.Expires) || got.Model != BeneficiaryList {
		t.Errorf("round trip = %+v", got)
	}
	if err := l.SetConsentPaused(ctx, "c1", true); err != nil {
		t.Fatal(err)
	}
	got, _ = l.Consent(ctx, "c1")
	if !got.Paused || got.Status != ConsentAuthorized {
		t.Errorf("paused consent = paused %v status %s; want paused and still Authorized", got.Paused, got.Status)
	}
	if err := l.SetConsentStatus(ctx, "c1", ConsentRevoked, "TPP.InitiatedByUser", time.Now()); err != nil {
		t.Fatal(err)
	}
	got, _ = l.Consent(ctx, "c1")
	if got.Status != ConsentRevoked || got.RevokedBy != "TPP.InitiatedByUser" || got.LastSynced.IsZero() {
		t.Errorf("revoked consent = %+v", got)
	}
	if err := l.SetConsentStatus(ctx, "c1", "Paused", "", time.Now()); err == nil {
		t.Error("a non-API consent status was accepted")
	}
	if _, err := l.Consent(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing consent err = %v", err)
	}
	if err := l.SetConsentPaused(ctx, "nope", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("pausing a missing consent err = %v", err)
	}
}

func TestPaymentStatusTimeline(t *testing.T) {
	l, clock, _ := newTestLedger(t)
	ctx := context.Background()
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	p := testPayment("c1", "125.50")
	if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
		t.Fatal(err)
	}
	steps := []StatusUpdate{
		{Status: PaymentSending, Note: "attempt 1"},
		{Status: PaymentProcessing, BankStatus: "Pending", BankPaymentID: "pay-1"},
		{Status: PaymentProcessing, BankStatus: "Pending"}, // a poll with no change records nothing
		{Status: PaymentExecuted, BankStatus: "AcceptedSettlementCompleted"},
		{Status: PaymentSettled, BankStatus: "AcceptedCreditSettlementCompleted"},
	}
	for _, u := range steps {
		clock.Advance(time.Second)
		if err := l.UpdatePaymentStatus(ctx, p.ID, u); err != nil {
			t.Fatalf("update to %s: %v", u.Status, err)
		}
	}
	tl, err := l.Timeline(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got, words []string
	for _, c := range tl {
		got = append(got, string(c.Status))
		words = append(words, c.BankStatus)
	}
	want := "Prepared Sending Processing Executed Settled"
	if strings.Join(got, " ") != want {
		t.Errorf("timeline = %v, want %s", got, want)
	}
	if w := ",,Pending,AcceptedSettlementCompleted,AcceptedCreditSettlementCompleted"; strings.Join(words, ",") != w {
		t.Errorf("the bank's words on the timeline = %q, want %q", words, w)
	}
	if !tl[len(tl)-1].At.After(tl[0].At) {
		t.Error("timeline timestamps do not advance")
	}
	// Final means final.
	if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentRejected}); err == nil {
		t.Error("a final payment changed status")
	}
	stored, err := l.PaymentByKey(ctx, p.IdempotencyKey)
	if err != nil {
		t.Fatal(err)
	}
	if stored.BankPaymentID != "pay-1" || stored.Amount.String() != "125.50" || string(stored.Request) != "header.payload.signature" {
		t.Errorf("stored payment = %+v", stored)
	}
	open, err := l.OpenPayments(ctx)
	if err != nil || len(open) != 0 {
		t.Errorf("open payments = %d, %v; want none", len(open), err)
	}
}

func TestIdempotencyKeyIsUnique(t *testing.T) {
	l, _, _ := newTestLedger(t)
	ctx := context.Background()
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	p := testPayment("c1", "1.00")
	if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
		t.Fatal(err)
	}
	dup := testPayment("c1", "1.00")
	dup.IdempotencyKey = p.IdempotencyKey
	if err := l.ReservePayment(ctx, dup, Limits{}); err == nil {
		t.Error("a second payment with the same idempotency key was recorded")
	}
}

func TestBankCannotChangePaymentID(t *testing.T) {
	l, _, _ := newTestLedger(t)
	ctx := context.Background()
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	p := testPayment("c1", "1.00")
	if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
		t.Fatal(err)
	}
	if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentProcessing, BankPaymentID: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentProcessing, BankPaymentID: "b"}); err == nil {
		t.Error("the PaymentId of a payment changed")
	}
}

func TestBankStateValidation(t *testing.T) {
	for _, st := range []provider.State{{Status: provider.StatusProcessing, BankStatus: "Pending"},
		{Status: provider.StatusProcessing, BankStatus: "AcceptedSettlementInProcess"}, {Status: provider.StatusExecuted, BankStatus: "ACSC"}} {
		if _, err := bankState(st); err != nil {
			t.Errorf("bankState(%+v): %v", st, err)
		}
	}
	for _, st := range []provider.State{{Status: provider.StatusProcessing}, {Status: "Prepared", BankStatus: "Prepared"},
		{Status: "Abandoned", BankStatus: "X"}, {Status: provider.StatusProcessing, BankStatus: "Pend ing"},
		{Status: provider.StatusProcessing, BankStatus: strings.Repeat("A", 65)}, {Status: provider.StatusProcessing, BankStatus: "Pending\n"}} {
		if _, err := bankState(st); err == nil {
			t.Errorf("bankState(%+v) accepted", st)
		}
	}
}

func TestRiskCounters(t *testing.T) {
	l, clock, _ := newTestLedger(t)
	ctx := context.Background()
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	clock.Advance(48 * time.Hour)
	for _, ok := range []bool{false, true} {
		if err := l.RecordSCAAttempt(ctx, "old-session", ok); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.ReservePayment(ctx, testPayment("c1", "1.00"), Limits{}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(25 * time.Hour)
	for _, ok := range []bool{false, false, true} {
		if err := l.RecordSCAAttempt(ctx, "s2", ok); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.ReservePayment(ctx, testPayment("c1", "2.00"), Limits{}); err != nil {
		t.Fatal(err)
	}
	c, err := l.RiskCounters(ctx, "s2")
	if err != nil {
		t.Fatal(err)
	}
	want := RiskCounters{SessionAttempts: 3, SessionFailedAttempts: 2, Last24hAttempts: 3, Last24hFailedAttempts: 2,
		TransactionsLastDay: 1, TransactionsLastYear: 2}
	if c != want {
		t.Errorf("counters = %+v, want %+v", c, want)
	}
}

// TestMigrationBackfillsFromVersion1 builds a version-1 ledger holding payments, then opens it
// with this build: migration 2 must compute the running totals from the existing rows.
func TestMigrationBackfillsFromVersion1(t *testing.T) {
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
	if err := old.migrateTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// Version 1's own columns (no payees.wire_json, no consents.debtor_name yet).
	if _, err := db.ExecContext(ctx, `INSERT INTO consents (id, bank, status, created_ms, expires_ms, beneficiary_model,
		debtor_account) VALUES ('c1', 'sandbox', 'Authorized', 1, 4102444800000, 'open', 'AE070331234567890123456')`); err != nil {
		t.Fatal(err)
	}
	for i, amount := range []int64{1000, 250, 99} {
		reserves := 1
		if i == 1 {
			reserves = 0 // a rejected payment
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO payments (consent_id, payee_name, payee_iban, amount_minor,
			currency, purpose_code, idempotency_key, request_bytes, request_exp_ms, status, outcome, reserves, final,
			created_ms, updated_ms) VALUES ('c1', 'A', 'B', ?, 'AED', 'TOF', ?, x'00', 0, 'Pending', 'pending', ?, 0, 1, 1)`,
			amount, fmt.Sprint("k", i), reserves); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	l, err := OpenLedger(ctx, dir, LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	total, n, err := l.ConsentTotal(ctx, "c1")
	if err != nil || total.String() != "10.99" || n != 2 {
		t.Errorf("backfilled total = %s over %d, %v; want 10.99 over 2", total, n, err)
	}
	// Migration 4: an older consent's account has no holder's name (a renewal then leaves the
	// account to the bank's page).
	if c, err := l.Consent(ctx, "c1"); err != nil || c.DebtorAccount == "" || c.DebtorName != "" {
		t.Errorf("migrated consent: %v, account %v, name %q", err, c.DebtorAccount != "", c.DebtorName)
	}
}

// TestMigrationNormalisesStatuses builds a version-4 ledger with UAE payments in every status
// and their timelines, then opens it with this build: migration 5 moves each AE status to
// bank_status, puts the normalised status in its place (events too), keeps the local states,
// finality, outcomes and totals, and marks the consent a UAE consent.
func TestMigrationNormalisesStatuses(t *testing.T) {
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
	if err := old.migrateTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO consents (id, bank, status, created_ms, expires_ms, beneficiary_model)
		VALUES ('c1', 'sandbox', 'Authorized', 1, 4102444800000, 'open')`); err != nil {
		t.Fatal(err)
	}
	rows := []struct {
		status, outcome string
		reserves, final int
		want            PaymentStatus
		wantFinal       bool
	}{
		{"Pending", "pending", 1, 0, PaymentProcessing, false},
		{"AcceptedSettlementCompleted", "successful", 1, 0, PaymentExecuted, false},
		{"AcceptedWithoutPosting", "successful", 1, 0, PaymentExecuted, false},
		{"AcceptedCreditSettlementCompleted", "successful", 1, 1, PaymentSettled, true},
		{"Rejected", "failed", 0, 1, PaymentRejected, true},
		{"AcceptedSettlementInProcess", "pending", 1, 0, PaymentProcessing, false}, // a value the docs name
		{"Prepared", "pending", 1, 0, PaymentPrepared, false},
		{"Unknown", "pending", 1, 0, PaymentUnknown, false},
		{"Abandoned", "failed", 0, 1, PaymentAbandoned, true},
		{"Cancelled", "failed", 0, 1, PaymentCancelled, true},
	}
	for i, r := range rows {
		res, err := db.ExecContext(ctx, `INSERT INTO payments (consent_id, payee_name, payee_iban, amount_minor, currency,
			purpose_code, idempotency_key, request_bytes, request_exp_ms, status, outcome, reserves, final, created_ms, updated_ms)
			VALUES ('c1', 'A', 'B', 100, 'AED', 'TOF', ?, x'00', 0, ?, ?, ?, ?, 1, 1)`,
			fmt.Sprint("k", i), r.status, r.outcome, r.reserves, r.final)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		if _, err := db.ExecContext(ctx, `INSERT INTO payment_events (payment_id, at_ms, status, note) VALUES (?, 1, 'Sending', 'sending'), (?, 2, ?, 'poll')`,
			id, id, r.status); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	l, err := OpenLedger(ctx, dir, LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i, r := range rows {
		p, err := l.Payment(ctx, int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		wantBank := r.status
		if r.want == PaymentStatus(r.status) && r.want != PaymentRejected {
			wantBank = "" // a local state has no bank word
		}
		if p.Status != r.want || p.BankStatus != wantBank || p.Final != r.wantFinal || p.Status.Outcome() != Outcome(r.outcome) {
			t.Errorf("%s became %s (%q), final %v, outcome %s", r.status, p.Status, p.BankStatus, p.Final, p.Status.Outcome())
		}
		tl, err := l.Timeline(ctx, p.ID)
		if err != nil || len(tl) != 2 || tl[0].Status != PaymentSending || tl[0].BankStatus != "" ||
			tl[1].Status != r.want || tl[1].BankStatus != wantBank {
			t.Errorf("%s: timeline %+v, %v", r.status, tl, err)
		}
	}
	total, n, err := l.ConsentTotal(ctx, "c1")
	if err != nil || total.String() != "7.00" || n != 7 {
		t.Errorf("total = %s over %d, %v; want 7.00 over 7 (the migration must not touch what reserves)", total, n, err)
	}
	var kind string
	if err := l.db.QueryRowContext(ctx, `SELECT kind FROM consents WHERE id = 'c1'`).Scan(&kind); err != nil || kind != "consent" {
		t.Errorf("consent kind = %q, %v", kind, err)
	}
}

// TestConsentTotalsMatchAFullScan checks the trigger-maintained totals against a SUM over the
// payments after inserts, rejections and settlements across two consents.
func TestConsentTotalsMatchAFullScan(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newTestLedger(t)
	for _, id := range []string{"c1", "c2"} {
		if err := l.InsertConsent(ctx, testConsent(id)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		consent := []string{"c1", "c2"}[i%2]
		p := testPayment(consent, fmt.Sprintf("%d.%02d", i+1, i%100))
		if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
			t.Fatal(err)
		}
		switch i % 4 {
		case 1:
			err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentRejected})
			if err != nil {
				t.Fatal(err)
			}
		case 2:
			if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentSettled}); err != nil {
				t.Fatal(err)
			}
		case 3:
			if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentAbandoned}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, id := range []string{"c1", "c2", "none"} {
		var want int64
		var wantN int
		if err := l.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount_minor), 0), COUNT(*) FROM payments WHERE consent_id = ? AND reserves = 1`, id).
			Scan(&want, &wantN); err != nil {
			t.Fatal(err)
		}
		got, n, err := l.ConsentTotal(ctx, id)
		if err != nil || got.Minor() != want || n != wantN {
			t.Errorf("consent %s total = %d over %d, %v; a full scan says %d over %d", id, got.Minor(), n, err, want, wantN)
		}
	}
	if _, err := l.db.ExecContext(ctx, `UPDATE payments SET amount_minor = 1 WHERE id = 1`); err == nil {
		t.Error("a payment's amount was changed in place")
	}
}

// TestOnboardedMarkAndClear: the first consent marks the onboarding time once; a reset clears
// it, and the next consent marks a new one.
func TestOnboardedMarkAndClear(t *testing.T) {
	l, clock, _ := newTestLedger(t)
	ctx := context.Background()
	if at, err := l.OnboardedAt(ctx); err != nil || !at.IsZero() {
		t.Fatalf("fresh ledger onboarded at %v, %v", at, err)
	}
	if err := l.MarkOnboarded(ctx); err != nil {
		t.Fatal(err)
	}
	first := clock.Now()
	clock.Advance(48 * time.Hour)
	if err := l.MarkOnboarded(ctx); err != nil { // keeps the first time
		t.Fatal(err)
	}
	if at, err := l.OnboardedAt(ctx); err != nil || !at.Equal(first) {
		t.Fatalf("onboarded at %v, want the first time %v (%v)", at, first, err)
	}
	for range 2 { // idempotent
		if err := l.ClearOnboarded(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if at, err := l.OnboardedAt(ctx); err != nil || !at.IsZero() {
		t.Fatalf("after clearing: onboarded at %v, %v", at, err)
	}
	if err := l.MarkOnboarded(ctx); err != nil {
		t.Fatal(err)
	}
	if at, err := l.OnboardedAt(ctx); err != nil || !at.Equal(clock.Now()) {
		t.Fatalf("after onboarding again: %v, want %v (%v)", at, clock.Now(), err)
	}
}

// TestLogRowsSkipTheFsyncOnly: the attempt logs go through the pool whose commits are not
// fsynced (synchronous NORMAL) while every other write keeps FULL; the rows are committed all
// the same (another pool reads them at once, a reopen still has them).
func TestLogRowsSkipTheFsyncOnly(t *testing.T) {
	ctx := context.Background()
	l, _, dir := newTestLedger(t)
	var full, normal int
	if err := l.db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&full); err != nil || full != 2 {
		t.Errorf("main pool synchronous = %d, %v; want 2 (FULL)", full, err)
	}
	if err := l.logDB.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&normal); err != nil || normal != 1 {
		t.Errorf("log pool synchronous = %d, %v; want 1 (NORMAL)", normal, err)
	}
	var fk int
	if err := l.logDB.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("log pool foreign_keys = %d, %v; want 1", fk, err)
	}
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	p := testPayment("c1", "1.00")
	if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
		t.Fatal(err)
	}
	if err := l.RecordAttempt(ctx, p.ID, Attempt{Kind: "send", InteractionID: "i-1", HTTPStatus: 201, Outcome: "ok"}); err != nil {
		t.Fatal(err)
	}
	if err := l.RecordSCAAttempt(ctx, "s1", true); err != nil {
		t.Fatal(err)
	}
	if err := l.RecordAttempt(ctx, 999999, Attempt{Kind: "send"}); err == nil {
		t.Error("an attempt for no payment was accepted (foreign keys off on the log pool?)")
	}
	check := func(l *Ledger) {
		t.Helper()
		if as, err := l.Attempts(ctx, p.ID); err != nil || len(as) != 1 || as[0].InteractionID != "i-1" {
			t.Errorf("attempts = %+v, %v", as, err)
		}
		if c, err := l.RiskCounters(ctx, "s1"); err != nil || c.SessionAttempts != 1 {
			t.Errorf("risk counters = %+v, %v", c, err)
		}
	}
	check(l)
	l.Close()
	l2, err := OpenLedger(ctx, dir, LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	check(l2)
}

// TestCloseWaitsForAQueryInFlight: a read still holding its connection when the ledger closes
// (a screen's query as payterm quits) used to close that connection after Close returned, and
// SQLite then rewrote ledger.db and removed the -wal file under whoever used the data dir next
// (a test's TempDir cleanup failed with "directory not empty"). Close now returns after it.
func TestCloseWaitsForAQueryInFlight(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	l, err := OpenLedger(context.Background(), dir, LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wal := filepath.Join(dir, LedgerFile+"-wal")
	if _, err := os.Stat(wal); err != nil {
		t.Fatalf("precondition: the opened ledger has a WAL file: %v", err)
	}
	rows, err := l.db.QueryContext(context.Background(), "SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	walAfterClose := make(chan bool)
	go func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
		_, err := os.Stat(wal)
		walAfterClose <- err == nil
	}()
	time.Sleep(20 * time.Millisecond) // lets Close start first; the assertion does not depend on it
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if <-walAfterClose {
		t.Fatal("Close returned while a query held a connection: the WAL was still there to be folded in later")
	}
}
