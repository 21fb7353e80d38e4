package sandbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// The archive holds the payments (and idempotency records) of every journal generation a
// compaction has closed, in SQLite, so that neither start-up nor a compaction reads or writes
// all of them: the bank keeps in memory only what the current journal holds, and looks an
// older payment up by id or idempotency key (indexed) when a request names one. Payments are
// immutable once created (their status is a function of time), so a row is written once.

const archiveFile = "payments.db"

type archive struct {
	db                  *sql.DB
	getPayment, getIdem *sql.Stmt // prepared once: a lookup is on the payment path
}

// openArchive opens (or creates, 0600) the archive of a data dir. WAL lets lookups read while
// a compaction writes; synchronous=FULL makes a committed batch durable before the snapshot
// that stops replaying its journal is written.
func openArchive(dir string) (*archive, error) {
	path := filepath.Join(dir, archiveFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create payment archive: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("create payment archive: %w", err)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		return nil, fmt.Errorf("open payment archive: %w", err)
	}
	_, err = db.Exec(`CREATE TABLE IF NOT EXISTS payments (
		seq        INTEGER PRIMARY KEY,
		payment_id TEXT NOT NULL UNIQUE,
		consent_id TEXT NOT NULL,
		record     BLOB NOT NULL
	);
	CREATE TABLE IF NOT EXISTS idempotency (
		id         TEXT PRIMARY KEY,
		created_at INTEGER NOT NULL,
		record     BLOB NOT NULL
	);
	CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency(created_at);`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open payment archive: %w", err)
	}
	a := &archive{db: db}
	if a.getPayment, err = db.Prepare(`SELECT record FROM payments WHERE payment_id = ?`); err == nil {
		a.getIdem, err = db.Prepare(`SELECT record FROM idempotency WHERE id = ? AND created_at > ?`)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open payment archive: %w", err)
	}
	return a, nil
}

// put stores a closed generation's payments and idempotency records in one transaction and
// drops idempotency records created at or before forgetBefore (their 24 h window has passed;
// the payments stay). Storing a record again replaces it, so a batch can be retried.
func (a *archive) put(payments []paymentRecord, idem map[string]idemRecord, forgetBefore time.Time) error {
	ctx := context.Background()
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("archive payments: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if len(payments) > 0 {
		st, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO payments (seq, payment_id, consent_id, record) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("archive payments: %w", err)
		}
		defer st.Close()
		for i := range payments {
			p := &payments[i]
			raw, err := json.Marshal(p)
			if err != nil {
				return fmt.Errorf("archive payments: %w", err)
			}
			if _, err := st.ExecContext(ctx, p.Seq, p.PaymentID, p.ConsentID, raw); err != nil {
				return fmt.Errorf("archive payments: %w", err)
			}
		}
	}
	if len(idem) > 0 {
		st, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO idempotency (id, created_at, record) VALUES (?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("archive idempotency records: %w", err)
		}
		defer st.Close()
		for id, r := range idem {
			raw, err := json.Marshal(&r)
			if err != nil {
				return fmt.Errorf("archive idempotency records: %w", err)
			}
			if _, err := st.ExecContext(ctx, id, r.CreatedAt.UnixNano(), raw); err != nil {
				return fmt.Errorf("archive idempotency records: %w", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency WHERE created_at <= ?`, forgetBefore.UnixNano()); err != nil {
		return fmt.Errorf("forget old idempotency records: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("archive payments: %w", err)
	}
	return nil
}

// payment looks a payment up by id; nil when the archive does not hold it.
func (a *archive) payment(id string) (*paymentRecord, error) {
	var raw []byte
	err := a.getPayment.QueryRow(id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read payment archive: %w", err)
	}
	var p paymentRecord
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("read payment archive: %w", err)
	}
	return &p, nil
}

// idem looks an idempotency record up by its id (client_id NUL key); nil when the archive
// holds none created after notBefore.
func (a *archive) idem(id string, notBefore time.Time) (*idemRecord, error) {
	var raw []byte
	err := a.getIdem.QueryRow(id, notBefore.UnixNano()).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read payment archive: %w", err)
	}
	var r idemRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("read payment archive: %w", err)
	}
	return &r, nil
}

func (a *archive) close() error {
	a.getPayment.Close()
	a.getIdem.Close()
	if err := a.db.Close(); err != nil {
		return fmt.Errorf("close payment archive: %w", err)
	}
	return nil
}
