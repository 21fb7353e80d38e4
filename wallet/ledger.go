// Package wallet is the application core: the ledger (SQLite), the TPP-side limits, the
// exactly-once payment pipeline, the consent lifecycle and export. It has no terminal code.
package wallet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// LedgerFile is the database file name inside the data directory.
const LedgerFile = "ledger.db"

// busyTimeout is how long a connection waits for another writer before SQLITE_BUSY. Writers are
// short transactions, so a few seconds covers any real contention.
const busyTimeout = 5 * time.Second

// Ledger is the wallet's SQLite database. It is safe for concurrent use.
type Ledger struct {
	db *sql.DB
	// logDB is a second pool on the same file whose commits are not fsynced
	// (synchronous=NORMAL), for the rows that are a log and no part of a guarantee: the HTTP
	// attempts kept for support and the SCA attempts counted for the bank's risk data. In WAL
	// mode such a commit survives a crash of the process (it is in the WAL file); only a power
	// loss before the next synchronous commit — which fsyncs the WAL, these frames with it —
	// can drop it. Payments, their statuses, consents and limits never go through it.
	logDB *sql.DB
	// upgradedIn is the journal mode the last upgrade of an existing ledger ran in (tests and
	// BenchmarkUpgradeFromV7; migrations.go's upgradeJournal).
	upgradedIn string
	// keepWALForUpgrade (benchmarks) upgrades in WAL mode, as before upgradeJournal.
	keepWALForUpgrade bool
	now               func() time.Time
	loc               *time.Location
	onChange          func(Change)
	onUpgrade         func(LedgerUpgrade) // LedgerOptions.OnUpgrade
}

// LedgerOptions tune Open. The zero value uses the real clock.
type LedgerOptions struct {
	// Now is the clock; tests inject a fixed one.
	Now func() time.Time
	// Location sets where a calendar day and month begin for the limits (default time.Local).
	Location *time.Location
	// OnChange, when set, is called after each committed write of a payment or a consent
	// (changes.go). It runs on the writer's goroutine, so it must return at once.
	OnChange func(Change)
	// OnUpgrade, when set, is told before an existing ledger is migrated to a newer schema and
	// again when that is done, so the caller can say what is happening: the first start after
	// an upgrade may rewrite every payment (migration 8: seconds at 100,000 payments). A new,
	// empty ledger is created without it being called.
	OnUpgrade func(LedgerUpgrade)
}

// LedgerUpgrade describes a schema migration of an existing ledger, for OnUpgrade.
type LedgerUpgrade struct {
	From, To int           // schema versions
	Payments int           // how many payments the ledger holds
	Done     bool          // false before the migration, true after it succeeded
	Took     time.Duration // when Done: how long it took
}

// OpenLedger opens (creating if needed) the ledger in dataDir and migrates it to the current
// schema. The directory is created 0700 and the database file 0600, both tightened if an
// existing one is looser, because the ledger holds payee names and IBANs.
func OpenLedger(ctx context.Context, dataDir string, opts LedgerOptions) (*Ledger, error) {
	if dataDir == "" {
		return nil, errors.New("open ledger: no data directory given")
	}
	if strings.ContainsAny(dataDir, "?#") {
		// The driver takes a DSN whose query string starts at '?'.
		return nil, errors.New("open ledger: the data directory path may not contain '?' or '#'")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("open ledger: create data directory: %w", err)
	}
	if err := os.Chmod(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("open ledger: restrict data directory: %w", err)
	}
	db, err := openDB(dataDir)
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	logDB, err := sql.Open("sqlite", logDSN(filepath.Join(dataDir, LedgerFile)))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	l := &Ledger{db: db, logDB: logDB, now: opts.Now, loc: opts.Location, onChange: opts.OnChange, onUpgrade: opts.OnUpgrade}
	if l.now == nil {
		l.now = time.Now
	}
	if l.loc == nil {
		l.loc = time.Local
	}
	if err := l.migrate(ctx); err != nil {
		db.Close()
		logDB.Close()
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	return l, nil
}

// openDB creates the database file 0600 (SQLite gives the -wal and -shm files the same mode
// as the database file) and opens a pool on it.
func openDB(dataDir string) (*sql.DB, error) {
	path := filepath.Join(dataDir, LedgerFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("create database file: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("restrict database file: %w", err)
	}
	db, err := sql.Open("sqlite", ledgerDSN(path))
	if err != nil {
		return nil, err
	}
	return db, nil
}

// ledgerDSN sets, on every pooled connection: WAL (readers never block the writer),
// synchronous=FULL (a committed payment record survives power loss, not only a crash — the
// exactly-once guarantee rests on the write-ahead record being durable before the first send),
// foreign keys, a busy timeout, and BEGIN IMMEDIATE so a transaction takes the write lock at its
// start: the limit check and the reservation then cannot interleave with another writer's.
//
// A payment that the bank accepts at once commits synchronously three times, each needed:
//   - ReservePayment, the write-ahead record: the exact signed bytes, durable before the first
//     byte leaves, and the limits reserved atomically with them;
//   - Sending, before the POST: from then on a restart reconciles by idempotency key and never
//     abandons the payment as one the bank provably lacks;
//   - the bank's answer (its PaymentId and status): what the receipt and the limits show.
//
// The attempt logs written between them (SCA attempt, HTTP attempt) go through logDB and ride
// on the next of these commits' fsync.
func ledgerDSN(path string) string {
	return path + "?_pragma=busy_timeout(" + fmt.Sprint(busyTimeout.Milliseconds()) + ")" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)" +
		"&_txlock=immediate"
}

// logDSN is ledgerDSN with synchronous=NORMAL: the pool for log rows (Ledger.logDB).
func logDSN(path string) string {
	return strings.Replace(ledgerDSN(path), "synchronous(FULL)", "synchronous(NORMAL)", 1)
}

// logPool is where log rows are written: logDB, or the main pool for a Ledger built without
// one (tests that build old schemas by hand).
func (l *Ledger) logPool() *sql.DB {
	if l.logDB != nil {
		return l.logDB
	}
	return l.db
}

// closeWait bounds how long Close waits for a query still in flight to let go of its connection.
const closeWait = 5 * time.Second

// Close closes both pools. database/sql's Close does not wait for a connection an in-flight
// query holds (a screen's read still running when payterm quits): that connection closes when the
// query ends, and only then does SQLite fold the WAL into ledger.db and remove the -wal and -shm
// files — after Close returned, racing whoever removes, copies or reopens the data dir next. So
// Close waits, bounded, until the last connection of each pool has closed. database/sql offers
// no notification of it; the pool counts are polled.
func (l *Ledger) Close() error {
	pools := []*sql.DB{l.db}
	if l.logDB != nil {
		pools = append(pools, l.logDB)
	}
	var errs []error
	for _, db := range pools {
		errs = append(errs, db.Close())
	}
	deadline := time.Now().Add(closeWait)
	for _, db := range pools {
		for db.Stats().OpenConnections > 0 && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close ledger: %w", err)
	}
	return nil
}

// withTx runs fn in one write transaction (BEGIN IMMEDIATE) and commits it, or rolls back on
// error.
func (l *Ledger) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Times are stored as INTEGER Unix milliseconds (UTC), so window queries compare integers.
func toMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
