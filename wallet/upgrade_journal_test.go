package wallet

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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
			fmt.Sprint("key-", i), bytes.Repeat([]byte{byte(i), byte(i >> 8), 0, 0xff}, 750), 1000+i, 1000+i); err != nil {
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

const upgradeCrashEnv = "PAYTERM_WALLET_UPGRADE_CRASH_CHILD"

// killUpgradeAt runs the test named test again as the child (upgradeChild, spec in env) that
// upgrades the ledger in dir and is killed once its rollback journal holds at bytes; it
// reports whether the kill landed mid-upgrade (a journal is left), and fails the test if the
// child failed otherwise. A child that finished before the kill reports false.
func killUpgradeAt(t *testing.T, test, env, dir string, at int64) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env+"="+dir+"|"+strconv.FormatInt(at, 10))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.Sys().(interface{ Signaled() bool }).Signaled():
		st, serr := os.Stat(filepath.Join(dir, LedgerFile+"-journal"))
		if serr != nil || st.Size() == 0 {
			t.Fatalf("killed at %d journal bytes, but no journal is left (%v)", at, serr)
		}
		return true
	case err != nil:
		t.Fatalf("the upgrading child failed: %v\n%s", err, out)
	}
	return false
}

// upgradeChild is the child half of the kill-midway tests: spec is "dir|bytes"; it opens (and
// so upgrades) the ledger in dir and SIGKILLs itself once the rollback journal has grown to
// bytes. It exits 0 when the upgrade finished first, 3 when the open failed.
func upgradeChild(spec string) {
	dir, at, _ := strings.Cut(spec, "|")
	limit, _ := strconv.ParseInt(at, 10, 64)
	journal := filepath.Join(dir, LedgerFile+"-journal")
	go func() {
		for {
			if st, err := os.Stat(journal); err == nil && st.Size() >= limit {
				die()
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	l, err := OpenLedger(context.Background(), dir, LedgerOptions{})
	if err != nil {
		os.Exit(3)
	}
	l.Close()
	os.Exit(0)
}

// TestUpgradeKilledMidwayKeepsEveryRow: payterm killed (SIGKILL) during the upgrade, while the
// rollback journal holds part of migration 8, loses nothing: the next open rolls the journal
// back and upgrades again, and every payment is there with its exact request bytes. The child
// (this test binary re-executed) kills itself once the journal has grown past a point; at
// least one kill must land mid-upgrade, or the test proves nothing and fails.
func TestUpgradeKilledMidwayKeepsEveryRow(t *testing.T) {
	if spec := os.Getenv(upgradeCrashEnv); spec != "" {
		upgradeChild(spec)
	}
	ctx := context.Background()
	const n = 3000
	const cols = `p.id, p.idempotency_key, p.amount_minor, p.created_ms, p.status`
	midway := 0
	for _, at := range []int64{1, 1 << 20, 4 << 20} {
		dir := v7LedgerDir(t, n)
		db, err := openDB(dir)
		if err != nil {
			t.Fatal(err)
		}
		before := dumpRows(t, &Ledger{db: db}, `SELECT `+cols+`, hex(p.request_bytes) FROM payments p ORDER BY p.id`)
		db.Close()
		if killUpgradeAt(t, "TestUpgradeKilledMidwayKeepsEveryRow", upgradeCrashEnv, dir, at) {
			midway++
		}
		l, err := OpenLedger(ctx, dir, LedgerOptions{})
		if err != nil {
			t.Fatalf("open after a kill at %d journal bytes: %v", at, err)
		}
		after := dumpRows(t, l, `SELECT `+cols+`, hex(r.request_bytes) FROM payments p JOIN payment_requests r ON r.payment_id = p.id ORDER BY p.id`)
		if len(before) != n || !slices.Equal(before, after) {
			l.Close()
			t.Fatalf("after a kill at %d journal bytes: %d payments before, %d after, or rows changed", at, len(before), len(after))
		}
		var check string
		if err := l.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			l.Close()
			t.Fatalf("integrity after a kill at %d journal bytes: %q %v", at, check, err)
		}
		l.Close()
	}
	if midway == 0 {
		t.Fatal("no kill landed during the upgrade: the test proved nothing")
	}
	t.Logf("%d of 3 kills landed mid-upgrade", midway)
}
