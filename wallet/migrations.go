package wallet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// migrations are applied in order; migrations[i] takes the schema from version i to i+1.
// Never edit a released migration: append a new one. Each runs in its own transaction together
// with the PRAGMA user_version bump, so a crash leaves the schema at a whole version.
var migrations = []string{
	// 1: the initial schema.
	`
CREATE TABLE consents (
	id                 TEXT PRIMARY KEY,
	bank               TEXT NOT NULL,
	status             TEXT NOT NULL,
	status_updated_ms  INTEGER NOT NULL DEFAULT 0,
	revoked_by         TEXT NOT NULL DEFAULT '',
	paused             INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
	created_ms         INTEGER NOT NULL,
	expires_ms         INTEGER NOT NULL,
	beneficiary_model  TEXT NOT NULL CHECK (beneficiary_model IN ('open', 'one', 'list')),
	creditors_json     TEXT NOT NULL DEFAULT '[]',
	debtor_account     TEXT NOT NULL DEFAULT '',
	purpose_code       TEXT NOT NULL DEFAULT '',
	base_consent_id    TEXT NOT NULL DEFAULT '',
	renewed_from       TEXT NOT NULL DEFAULT '',
	last_synced_ms     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX consents_by_base ON consents (base_consent_id);

CREATE TABLE payees (
	id          INTEGER PRIMARY KEY,
	consent_id  TEXT NOT NULL REFERENCES consents (id),
	name        TEXT NOT NULL,
	iban        TEXT NOT NULL,
	kind        TEXT NOT NULL DEFAULT 'retail',
	created_ms  INTEGER NOT NULL,
	UNIQUE (consent_id, iban)
);

CREATE TABLE payments (
	id                INTEGER PRIMARY KEY,
	consent_id        TEXT NOT NULL REFERENCES consents (id),
	payee_id          INTEGER REFERENCES payees (id),
	payee_name        TEXT NOT NULL,
	payee_iban        TEXT NOT NULL,
	amount_minor      INTEGER NOT NULL CHECK (amount_minor > 0),
	currency          TEXT NOT NULL,
	purpose_code      TEXT NOT NULL,
	reference         TEXT NOT NULL DEFAULT '',
	idempotency_key   TEXT NOT NULL UNIQUE,
	request_bytes     BLOB NOT NULL,
	request_exp_ms    INTEGER NOT NULL,
	sca_receipt       TEXT NOT NULL DEFAULT '',
	status            TEXT NOT NULL,
	outcome           TEXT NOT NULL CHECK (outcome IN ('pending', 'successful', 'failed')),
	reserves          INTEGER NOT NULL CHECK (reserves IN (0, 1)),
	final             INTEGER NOT NULL CHECK (final IN (0, 1)),
	bank_payment_id   TEXT,
	reject_code       TEXT NOT NULL DEFAULT '',
	reject_message    TEXT NOT NULL DEFAULT '',
	created_ms        INTEGER NOT NULL,
	updated_ms        INTEGER NOT NULL
);
CREATE UNIQUE INDEX payments_by_bank_id ON payments (bank_payment_id) WHERE bank_payment_id IS NOT NULL;
CREATE INDEX payments_by_created ON payments (created_ms, amount_minor, reserves);
CREATE INDEX payments_by_consent ON payments (consent_id, id);
CREATE INDEX payments_consent_total ON payments (consent_id, amount_minor) WHERE reserves = 1;
CREATE INDEX payments_by_payee ON payments (payee_id, id);
CREATE INDEX payments_by_outcome ON payments (outcome, id);
CREATE INDEX payments_open ON payments (id) WHERE final = 0;

CREATE TABLE payment_events (
	id          INTEGER PRIMARY KEY,
	payment_id  INTEGER NOT NULL REFERENCES payments (id),
	at_ms       INTEGER NOT NULL,
	status      TEXT NOT NULL,
	note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX payment_events_by_payment ON payment_events (payment_id, id);

CREATE TABLE payment_attempts (
	id              INTEGER PRIMARY KEY,
	payment_id      INTEGER NOT NULL REFERENCES payments (id),
	at_ms           INTEGER NOT NULL,
	kind            TEXT NOT NULL,
	interaction_id  TEXT NOT NULL,
	http_status     INTEGER NOT NULL DEFAULT 0,
	outcome         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX payment_attempts_by_payment ON payment_attempts (payment_id, id);

CREATE TABLE limits (
	scope            TEXT PRIMARY KEY,
	per_payment      INTEGER NOT NULL DEFAULT 0,
	per_day          INTEGER NOT NULL DEFAULT 0,
	per_month        INTEGER NOT NULL DEFAULT 0,
	per_day_count    INTEGER NOT NULL DEFAULT 0,
	consent_total    INTEGER NOT NULL DEFAULT 0,
	updated_ms       INTEGER NOT NULL
);

CREATE TABLE settings (
	key    TEXT PRIMARY KEY,
	value  TEXT NOT NULL
);

CREATE TABLE sca_attempts (
	id          INTEGER PRIMARY KEY,
	at_ms       INTEGER NOT NULL,
	session_id  TEXT NOT NULL,
	ok          INTEGER NOT NULL CHECK (ok IN (0, 1))
);
CREATE INDEX sca_attempts_by_time ON sca_attempts (at_ms);
CREATE INDEX sca_attempts_by_session ON sca_attempts (session_id, at_ms);
`,
	// 2: running per-consent totals, so the limit check inside ReservePayment is O(1) instead of
	// a scan of every payment of the consent. Triggers keep them exact in the same transaction
	// as the payment write; a payment's amount and consent never change, and reserves only ever
	// goes from 1 to 0 (failed statuses are final).
	`
CREATE TABLE consent_totals (
	consent_id      TEXT PRIMARY KEY REFERENCES consents (id),
	reserved_minor  INTEGER NOT NULL DEFAULT 0,
	reserved_count  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO consent_totals (consent_id, reserved_minor, reserved_count)
	SELECT consent_id, SUM(amount_minor), COUNT(*) FROM payments WHERE reserves = 1 GROUP BY consent_id;
CREATE TRIGGER payments_total_insert AFTER INSERT ON payments WHEN NEW.reserves = 1
BEGIN
	INSERT OR IGNORE INTO consent_totals (consent_id) VALUES (NEW.consent_id);
	UPDATE consent_totals SET reserved_minor = reserved_minor + NEW.amount_minor,
		reserved_count = reserved_count + 1 WHERE consent_id = NEW.consent_id;
END;
CREATE TRIGGER payments_total_update AFTER UPDATE OF reserves ON payments WHEN OLD.reserves <> NEW.reserves
BEGIN
	INSERT OR IGNORE INTO consent_totals (consent_id) VALUES (NEW.consent_id);
	UPDATE consent_totals SET reserved_minor = reserved_minor + (NEW.reserves - OLD.reserves) * NEW.amount_minor,
		reserved_count = reserved_count + (NEW.reserves - OLD.reserves) WHERE consent_id = NEW.consent_id;
END;
CREATE TRIGGER payments_immutable_amount BEFORE UPDATE OF amount_minor, consent_id ON payments
	WHEN OLD.amount_minor <> NEW.amount_minor OR OLD.consent_id <> NEW.consent_id
BEGIN
	SELECT RAISE(ABORT, 'a payment''s amount and consent never change');
END;
`,
	// 3: the creditor exactly as it went on the wire at consent time (AEDomesticCreditor JSON),
	// because the bank compares the payment's creditor with the consent's byte for byte.
	`
ALTER TABLE payees ADD COLUMN wire_json TEXT NOT NULL DEFAULT '';
`,
	// 4: the debtor account's holder name, sent with its IBAN (the bank refuses a DebtorAccount
	// without one, uae-spec §11 rule 18) and needed again when the consent is renewed.
	`
ALTER TABLE consents ADD COLUMN debtor_name TEXT NOT NULL DEFAULT '';
`,
	// 5: several standards. A payment's status is the normalised one every bank maps to, and
	// the bank's own word is kept beside it (bank_status), on the payment and on each event of
	// its timeline; provider_state is the provider's memory of the payment (links, ids). A
	// grant is a UAE consent or a local link to an account at a bank without grants (kind).
	// UAE rows written before keep their meaning: the AE status moves to bank_status.
	`
ALTER TABLE payments ADD COLUMN bank_status TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN provider_state BLOB;
ALTER TABLE payment_events ADD COLUMN bank_status TEXT NOT NULL DEFAULT '';
ALTER TABLE consents ADD COLUMN kind TEXT NOT NULL DEFAULT 'consent';
UPDATE payments SET bank_status = status,
	status = CASE status
		WHEN 'AcceptedSettlementCompleted' THEN 'Executed'
		WHEN 'AcceptedWithoutPosting' THEN 'Executed'
		WHEN 'AcceptedCreditSettlementCompleted' THEN 'Settled'
		WHEN 'Rejected' THEN 'Rejected'
		ELSE 'Processing' END
	WHERE status NOT IN ('Prepared', 'Sending', 'Unknown', 'Refused', 'Abandoned', 'Cancelled');
UPDATE payment_events SET bank_status = status,
	status = CASE status
		WHEN 'AcceptedSettlementCompleted' THEN 'Executed'
		WHEN 'AcceptedWithoutPosting' THEN 'Executed'
		WHEN 'AcceptedCreditSettlementCompleted' THEN 'Settled'
		WHEN 'Rejected' THEN 'Rejected'
		ELSE 'Processing' END
	WHERE status NOT IN ('Prepared', 'Sending', 'Unknown', 'Refused', 'Abandoned', 'Cancelled');
`,
	// 6: a grant's currency (a UAE consent pays AED; a link to an account at a European bank
	// pays in that account's currency), and the day and month windows summed per currency.
	`
ALTER TABLE consents ADD COLUMN currency TEXT NOT NULL DEFAULT 'AED';
CREATE INDEX payments_by_currency_created ON payments (currency, created_ms, amount_minor, reserves);
`,
	// 7: Confirmation of Payee answers, one per payee (bank, IBAN and the name as the payer gave
	// it), so a payee confirmed earlier is not asked again: the bank's answer, the holder's name
	// as the bank gave it, the bank's signed answer (sent with every payment to the payee) and
	// whether the payer accepted it (a match is accepted as it comes; a close or no match only
	// by the payer's choice).
	`
CREATE TABLE payee_checks (
	bank        TEXT NOT NULL,
	iban        TEXT NOT NULL,
	name        TEXT NOT NULL,
	answer      TEXT NOT NULL CHECK (answer IN ('match', 'close', 'nomatch', 'notfound', 'optedout')),
	bank_name   TEXT NOT NULL DEFAULT '',
	evidence    TEXT NOT NULL DEFAULT '',
	accepted    INTEGER NOT NULL DEFAULT 0 CHECK (accepted IN (0, 1)),
	checked_ms  INTEGER NOT NULL,
	PRIMARY KEY (bank, iban, name)
);
`,
	// 8: the wallet at scale (issue 17).
	//
	// The signed request (~3 KB with its JWE) moves to a table of its own, so the rows every
	// history page, count and search reads stay a few hundred bytes instead of spilling each
	// onto a page of its own. The bytes are copied as they are (a BLOB copy, never re-encoded):
	// the write-ahead record of a payment in flight stays the exact bytes that were signed.
	// DROP COLUMN rewrites each payments row in this same transaction; the freed pages go to
	// the free list and are reused by later writes. It is a one-time cost at the first start of
	// this version, proportional to the history: 10-25 s at 100,000 payments with 3 KB
	// requests on a 2-core test machine (BenchmarkUpgradeFromV7). It is bound by the disk, not
	// by one statement: the copy, the DROP COLUMN and the commit's fsync of the WAL share it
	// (1.6 s, 2.6 s and 3.6 s of one measured run), and a larger page cache does not shorten
	// it; so OpenLedger tells LedgerOptions.OnUpgrade before it starts (payterm says it on
	// stderr before the screen is drawn). An upgrade runs in rollback-journal mode
	// (upgradeJournal), which writes the new tables once instead of to the WAL and again at the
	// checkpoint.
	//
	// A name search reads the distinct payee names, not the payments: payee_names holds each
	// name once (a wallet pays the same payees again and again: thousands of names for 100,000
	// payments), payee_names_fts is a trigram index of them (FTS5 with external content: only
	// the index is stored), and payments_by_payee_name finds a name's payments, carrying the
	// columns the history totals add up so a count never reads the rows. payee_name_totals
	// keeps, per name, currency and outcome, how many payments and their sum, so the totals of
	// a search by name (and outcome) add up a few rows per matching name instead of reading
	// every matching payment. Triggers keep both exact in the same transaction as each write
	// of a payment (insert, a change of outcome, and of name, currency or amount should one
	// ever change); names are never removed (a name without payments matches no row).
	`
CREATE TABLE payment_requests (
	payment_id     INTEGER PRIMARY KEY REFERENCES payments (id),
	request_bytes  BLOB NOT NULL
);
INSERT INTO payment_requests (payment_id, request_bytes) SELECT id, request_bytes FROM payments;
ALTER TABLE payments DROP COLUMN request_bytes;
CREATE TABLE payee_names (
	id    INTEGER PRIMARY KEY,
	name  TEXT NOT NULL UNIQUE
);
INSERT INTO payee_names (name) SELECT DISTINCT payee_name FROM payments ORDER BY payee_name;
CREATE VIRTUAL TABLE payee_names_fts USING fts5 (name, content='payee_names', content_rowid='id',
	tokenize='trigram case_sensitive 0 remove_diacritics 0');
INSERT INTO payee_names_fts (payee_names_fts) VALUES ('rebuild');
CREATE INDEX payments_by_payee_name ON payments (payee_name, currency, outcome, amount_minor, created_ms);
CREATE TRIGGER payee_names_index AFTER INSERT ON payee_names
BEGIN
	INSERT INTO payee_names_fts (rowid, name) VALUES (NEW.id, NEW.name);
END;
CREATE TABLE payee_name_totals (
	name_id    INTEGER NOT NULL REFERENCES payee_names (id),
	currency   TEXT NOT NULL,
	outcome    TEXT NOT NULL,
	n          INTEGER NOT NULL,
	sum_minor  INTEGER NOT NULL,
	PRIMARY KEY (name_id, currency, outcome)
) WITHOUT ROWID;
INSERT INTO payee_name_totals (name_id, currency, outcome, n, sum_minor)
	SELECT payee_names.id, payments.currency, payments.outcome, COUNT(*), SUM(payments.amount_minor)
	FROM payments JOIN payee_names ON payee_names.name = payments.payee_name
	GROUP BY payee_names.id, payments.currency, payments.outcome;
CREATE TRIGGER payments_name_insert AFTER INSERT ON payments
BEGIN
	INSERT OR IGNORE INTO payee_names (name) VALUES (NEW.payee_name);
	INSERT INTO payee_name_totals (name_id, currency, outcome, n, sum_minor)
		SELECT id, NEW.currency, NEW.outcome, 1, NEW.amount_minor FROM payee_names WHERE name = NEW.payee_name
		ON CONFLICT (name_id, currency, outcome) DO UPDATE SET n = n + 1, sum_minor = sum_minor + excluded.sum_minor;
END;
CREATE TRIGGER payments_name_update AFTER UPDATE OF payee_name, currency, outcome, amount_minor ON payments
	WHEN OLD.payee_name IS NOT NEW.payee_name OR OLD.currency IS NOT NEW.currency
		OR OLD.outcome IS NOT NEW.outcome OR OLD.amount_minor IS NOT NEW.amount_minor
BEGIN
	INSERT OR IGNORE INTO payee_names (name) VALUES (NEW.payee_name);
	UPDATE payee_name_totals SET n = n - 1, sum_minor = sum_minor - OLD.amount_minor
		WHERE name_id = (SELECT id FROM payee_names WHERE name = OLD.payee_name)
		AND currency = OLD.currency AND outcome = OLD.outcome;
	INSERT INTO payee_name_totals (name_id, currency, outcome, n, sum_minor)
		SELECT id, NEW.currency, NEW.outcome, 1, NEW.amount_minor FROM payee_names WHERE name = NEW.payee_name
		ON CONFLICT (name_id, currency, outcome) DO UPDATE SET n = n + 1, sum_minor = sum_minor + excluded.sum_minor;
END;
CREATE TRIGGER payments_name_delete AFTER DELETE ON payments
BEGIN
	UPDATE payee_name_totals SET n = n - 1, sum_minor = sum_minor - OLD.amount_minor
		WHERE name_id = (SELECT id FROM payee_names WHERE name = OLD.payee_name)
		AND currency = OLD.currency AND outcome = OLD.outcome;
END;
`,
	// 9: what each consent has paid, per currency, kept as it changes, so Home's "Paid to date"
	// reads one row instead of summing every payment of the consent (105–150 ms at 100,000
	// payments, on every first frame). Triggers keep it exact in the payment write's own
	// transaction, as consent_totals (2) does; a payment's outcome may change either way.
	`
CREATE TABLE consent_paid (
	consent_id  TEXT NOT NULL REFERENCES consents (id),
	currency    TEXT NOT NULL,
	paid_minor  INTEGER NOT NULL DEFAULT 0,
	paid_count  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (consent_id, currency)
);
INSERT INTO consent_paid (consent_id, currency, paid_minor, paid_count)
	SELECT consent_id, currency, SUM(amount_minor), COUNT(*) FROM payments WHERE outcome = 'successful'
	GROUP BY consent_id, currency;
CREATE TRIGGER payments_paid_insert AFTER INSERT ON payments WHEN NEW.outcome = 'successful'
BEGIN
	INSERT OR IGNORE INTO consent_paid (consent_id, currency) VALUES (NEW.consent_id, NEW.currency);
	UPDATE consent_paid SET paid_minor = paid_minor + NEW.amount_minor, paid_count = paid_count + 1
		WHERE consent_id = NEW.consent_id AND currency = NEW.currency;
END;
CREATE TRIGGER payments_paid_left AFTER UPDATE OF outcome, currency ON payments
	WHEN OLD.outcome = 'successful' AND (NEW.outcome <> 'successful' OR NEW.currency <> OLD.currency)
BEGIN
	UPDATE consent_paid SET paid_minor = paid_minor - OLD.amount_minor, paid_count = paid_count - 1
		WHERE consent_id = OLD.consent_id AND currency = OLD.currency;
END;
CREATE TRIGGER payments_paid_joined AFTER UPDATE OF outcome, currency ON payments
	WHEN NEW.outcome = 'successful' AND (OLD.outcome <> 'successful' OR NEW.currency <> OLD.currency)
BEGIN
	INSERT OR IGNORE INTO consent_paid (consent_id, currency) VALUES (NEW.consent_id, NEW.currency);
	UPDATE consent_paid SET paid_minor = paid_minor + NEW.amount_minor, paid_count = paid_count + 1
		WHERE consent_id = NEW.consent_id AND currency = NEW.currency;
END;
`,
	// 10: each payment's bundle (SCAReceipt.Bundle), so a bundle's payments are found by an
	// index instead of by reading every payment's SCA receipt (History's detail of a bundled
	// payment, approving or revoking a bundle again: reading 100,000 receipts took 366–561 ms,
	// 877–1,228 times the newest History page; BenchmarkPaymentsOfBundle). NULL for a payment
	// made on its own; the partial index holds only bundled payments. Back-filled here from
	// the receipts once (only the receipts that name a bundle are updated: a UAE-only ledger
	// rewrites nothing); from then on triggers
	// record it in the same transaction as the payment's insert (or a change of its receipt,
	// which the wallet never makes), with the same expression, so a payment made before the
	// upgrade and one made after it are found alike. The receipt stays the truth:
	// PaymentsOfBundle still reads each found payment's receipt back and checks it.
	`
ALTER TABLE payments ADD COLUMN bundle TEXT;
UPDATE payments SET bundle = ` + receiptBundleSQL + ` WHERE instr(sca_receipt, '"bundle":') > 0;
CREATE INDEX payments_by_bundle ON payments (bundle, id) WHERE bundle IS NOT NULL;
CREATE TRIGGER payments_bundle_insert AFTER INSERT ON payments WHEN instr(NEW.sca_receipt, '"bundle":') > 0
BEGIN
	UPDATE payments SET bundle = ` + receiptBundleSQL + ` WHERE id = NEW.id;
END;
CREATE TRIGGER payments_bundle_receipt AFTER UPDATE OF sca_receipt ON payments WHEN OLD.sca_receipt IS NOT NEW.sca_receipt
BEGIN
	UPDATE payments SET bundle = ` + receiptBundleSQL + ` WHERE id = NEW.id;
END;
`,
}

// receiptBundleSQL is migration 10's reading of a payment's bundle from its sca_receipt (the
// row's column, in an UPDATE of payments): the receipt's "bundle" when it is valid JSON naming
// one as a non-empty string, else NULL; for every receipt the wallet writes, the bundle that
// Payment.Receipt reads (FuzzReceiptBundleSQLMatchesGo). Part of migration 10: once released,
// never edit it.
const receiptBundleSQL = `CASE WHEN json_valid(sca_receipt) AND json_type(sca_receipt, '$.bundle') = 'text'
	THEN NULLIF(json_extract(sca_receipt, '$.bundle'), '') END`

// SchemaVersion is the schema version this build writes.
var SchemaVersion = len(migrations)

// migrate brings the database from its PRAGMA user_version up to SchemaVersion. A database
// newer than this build is refused rather than written with an older understanding.
func (l *Ledger) migrate(ctx context.Context) error {
	return l.migrateTo(ctx, len(migrations))
}

// migrateTo applies migrations up to version target (tests stop early to build old schemas).
func (l *Ledger) migrateTo(ctx context.Context, target int) (err error) {
	var have int
	if err := l.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("ledger schema version %d is newer than this payterm (%d): upgrade payterm", have, len(migrations))
	}
	upgrade := LedgerUpgrade{From: have, To: target}
	if have > 0 && have < target && l.onUpgrade != nil {
		// An existing ledger: count what the migration is about to rewrite, so the user is
		// told before the wait rather than after it. The count reads an index, not the rows.
		if err := l.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM payments").Scan(&upgrade.Payments); err != nil {
			return fmt.Errorf("count payments before the schema upgrade: %w", err)
		}
		l.onUpgrade(upgrade)
	}
	start := time.Now()
	// Every migration runs on one connection: the upgrade of an existing ledger switches its
	// journal there (upgradeJournal) and must find it so in each transaction.
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	defer conn.Close()
	restore := func() error { return nil }
	if have > 0 && have < target && !l.keepWALForUpgrade {
		var mode string
		if restore, mode, err = upgradeJournal(ctx, conn); err != nil {
			return err
		}
		l.upgradedIn = mode
		defer func() {
			if err != nil { // a failed migration: still back to WAL (the success path did it)
				err = errors.Join(err, restore())
			}
		}()
	}
	for v := have; v < target; v++ {
		err := withConnTx(ctx, conn, func(tx *sql.Tx) error {
			// Re-read inside the write lock: another process may have migrated meanwhile.
			var cur int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			if cur != v {
				return nil
			}
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
			}
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
				return fmt.Errorf("set schema version %d: %w", v+1, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if err := restore(); err != nil {
		return err
	}
	if have > 0 && have < target && l.onUpgrade != nil {
		upgrade.Done, upgrade.Took = true, time.Since(start)
		l.onUpgrade(upgrade)
	}
	return nil
}

// upgradeJournal puts an existing ledger in rollback-journal mode for its upgrade and returns
// what puts it back in WAL mode (and synchronous=FULL) once the migrations have run or failed.
//
// Why: an upgrade rewrites most of the file in one transaction (migration 8 copies ~300 MB of
// signed requests and rewrites every payments row at 100,000 payments). In WAL mode each
// changed page is written twice — to the WAL, fsynced at the commit, then checkpointed into the
// database — and the commit waits for both. With a rollback journal, the pages a migration adds
// past the old end of the file (the new tables) are written once, and only the old pages it
// changes are journaled first. BenchmarkUpgradeFromV7 measures both, paired.
//
// The guarantee is the same: each migration still commits whole or not at all (a crash leaves
// a hot journal, which SQLite rolls back at the next open, before the connection's journal_mode
// pragma returns the file to WAL). synchronous=EXTRA also fsyncs the directory once the journal
// is deleted at a commit, so a power loss right after cannot bring it back and undo the commit.
// Leaving WAL mode needs the only connection to the file: with another one open (another
// process), SQLite refuses (busy) and the upgrade runs in WAL mode as before.
// It also returns the journal mode the upgrade runs in ("delete" or "wal").
func upgradeJournal(ctx context.Context, conn *sql.Conn) (restore func() error, mode string, err error) {
	err = conn.QueryRowContext(ctx, "PRAGMA journal_mode=DELETE").Scan(&mode)
	var serr *sqlite.Error
	if errors.As(err, &serr) && serr.Code()&0xff == sqlite3.SQLITE_BUSY {
		// Another connection has the file open: it stays in WAL, which is safe as it is.
		return func() error { return nil }, "wal", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("prepare the ledger's upgrade: %w", err)
	}
	back := func() error {
		var m string
		if err := conn.QueryRowContext(context.WithoutCancel(ctx), "PRAGMA journal_mode=WAL").Scan(&m); err != nil {
			return fmt.Errorf("return the ledger to WAL mode after its upgrade: %w", err)
		}
		if m != "wal" {
			return fmt.Errorf("return the ledger to WAL mode after its upgrade: it is in %s mode", m)
		}
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous=FULL"); err != nil {
			return fmt.Errorf("return the ledger to synchronous=FULL after its upgrade: %w", err)
		}
		return nil
	}
	if mode != "delete" {
		return func() error { return nil }, mode, nil // still WAL: another connection has the file open
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous=EXTRA"); err != nil {
		return nil, "", errors.Join(fmt.Errorf("prepare the ledger's upgrade: %w", err), back())
	}
	return back, mode, nil
}

// withConnTx is withTx on one connection (BEGIN IMMEDIATE, as the DSN's _txlock says).
func withConnTx(ctx context.Context, conn *sql.Conn, fn func(tx *sql.Tx) error) error {
	tx, err := conn.BeginTx(ctx, nil)
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
