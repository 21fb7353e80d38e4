package wallet

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// assertUpgradedInRollbackJournal: the upgrade ran in the journal mode want ("delete": the
// rollback journal of upgradeJournal; "wal": it could not leave WAL), and the ledger is back in
// WAL mode with synchronous=FULL, no rollback journal left beside it.
func assertUpgradedInRollbackJournal(t *testing.T, l *Ledger, dir, want string) {
	t.Helper()
	if l.upgradedIn != want {
		t.Errorf("the upgrade ran in %q mode, want %q", l.upgradedIn, want)
	}
	var mode string
	var sync int
	if err := l.db.QueryRowContext(context.Background(), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("after the upgrade the ledger is in %q mode (%v), want wal", mode, err)
	}
	if err := l.db.QueryRowContext(context.Background(), "PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		t.Errorf("after the upgrade synchronous is %d (%v), want 2 (FULL)", sync, err)
	}
	if _, err := os.Stat(filepath.Join(dir, LedgerFile+"-journal")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a rollback journal is left beside the ledger: %v", err)
	}
}

// v7LedgerDir makes a ledger at schema 7 with n payments (3 KB requests), closed as an older
// payterm leaves it, and returns its data dir.
func v7LedgerDir(t *testing.T, n int) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := openDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := &Ledger{db: db, now: time.Now, loc: time.UTC}
	if err := old.migrateTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if err := old.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := db.ExecContext(ctx, `INSERT INTO payments (consent_id, payee_name, payee_iban, amount_minor, currency,
			purpose_code, idempotency_key, request_bytes, request_exp_ms, status, outcome, reserves, final, created_ms, updated_ms)
			VALUES ('c1', 'Payee', 'AE070331234567890123456', 100, 'AED', 'TOF', ?, ?, 0, 'Settled', 'successful', 1, 1, ?, ?)`,
			"key-"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+time.Duration(i).String(), make([]byte, 3000), 1000+i, 1000+i); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestUpgradeBesideAnotherConnectionStaysInWAL: with another connection to the ledger open
// (another process reading it), the file cannot leave WAL mode; the upgrade then runs in WAL
// mode, as before upgradeJournal, and keeps every payment.
func TestUpgradeBesideAnotherConnectionStaysInWAL(t *testing.T) {
	ctx := context.Background()
	dir := v7LedgerDir(t, 50)
	other, err := sql.Open("sqlite", ledgerDSN(filepath.Join(dir, LedgerFile)))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var n int
	if err := other.QueryRowContext(ctx, "SELECT COUNT(*) FROM payments").Scan(&n); err != nil || n != 50 {
		t.Fatalf("the other connection reads %d payments (%v)", n, err)
	}
	l, err := OpenLedger(ctx, dir, LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	assertUpgradedInRollbackJournal(t, l, dir, "wal")
	if err := l.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM payments JOIN payment_requests ON payment_id = id").Scan(&n); err != nil || n != 50 {
		t.Fatalf("%d payments with their requests after the upgrade (%v), want 50", n, err)
	}
}

// TestFailedUpgradeLeavesV7InWAL: an upgrade that fails (here a table migration 8 creates is
// already there) changes nothing: the ledger stays at schema 7 with every request, in WAL mode
// with no journal left, and opens again once the obstacle is gone.
func TestFailedUpgradeLeavesV7InWAL(t *testing.T) {
	ctx := context.Background()
	dir := v7LedgerDir(t, 20)
	db, err := openDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE payee_names (x)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := OpenLedger(ctx, dir, LedgerOptions{}); err == nil || !strings.Contains(err.Error(), "version 8") {
		t.Fatalf("the upgrade over an obstacle: %v, want migration 8's error", err)
	}
	db, err = openDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	var version, n int
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != 7 {
		t.Fatalf("schema %d after the failed upgrade (%v), want 7", version, err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q after the failed upgrade (%v), want wal", mode, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM payments WHERE length(request_bytes) = 3000").Scan(&n); err != nil || n != 20 {
		t.Fatalf("%d payments with their requests after the failed upgrade (%v), want 20", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, LedgerFile+"-journal")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a rollback journal is left beside the ledger: %v", err)
	}
	if _, err := db.ExecContext(ctx, "DROP TABLE payee_names"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	l, err := OpenLedger(ctx, dir, LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	assertUpgradedInRollbackJournal(t, l, dir, "delete")
}
