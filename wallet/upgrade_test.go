package wallet

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestUpgradeFromV7IsAnnouncedAndKeepsEveryRow opens a schema-7 ledger holding many payments
// (~3 KB signed requests inside the rows) with this build: OnUpgrade is told the versions and
// the number of payments before the migration starts and again when it is done, and every
// payment comes out of it column for column, with its exact request bytes. A new ledger and an
// already current one are opened without a word.
func TestUpgradeFromV7IsAnnouncedAndKeepsEveryRow(t *testing.T) {
	ctx := context.Background()
	const n = 3000
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := openDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := &Ledger{db: db, now: time.Now, loc: time.UTC}
	if err := old.migrateTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if err := old.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		request := bytes.Repeat([]byte{byte(i), byte(i >> 8), 0, 0xff}, 750) // distinct per payment
		status, outcome, final := "Settled", "successful", 1
		if i%11 == 0 {
			status, outcome, final = "Sending", "pending", 0
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payments (consent_id, payee_name, payee_iban, amount_minor, currency,
			purpose_code, reference, idempotency_key, request_bytes, request_exp_ms, status, bank_status, outcome, reserves, final,
			bank_payment_id, created_ms, updated_ms)
			VALUES ('c1', ?, 'AE070331234567890123456', ?, 'AED', 'TOF', ?, ?, ?, ?, ?, 'AcceptedSettlementCompleted', ?, 1, ?, ?, ?, ?)`,
			fmt.Sprintf("Payee %03d", i%300), 100+i, fmt.Sprint("ref ", i), fmt.Sprint("key-", i), request, 5000+i,
			status, outcome, final, fmt.Sprint("bank-", i), 1000+i, 2000+i); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// Every column of every payment, with the request as hex, read the way each schema stores it.
	const cols = `p.id, p.consent_id, COALESCE(p.payee_id, 0), p.payee_name, p.payee_iban, p.amount_minor, p.currency,
		p.purpose_code, p.reference, p.idempotency_key, p.request_exp_ms, p.sca_receipt, p.status, p.bank_status, p.outcome,
		p.reserves, p.final, COALESCE(p.bank_payment_id, ''), p.reject_code, p.reject_message, p.created_ms, p.updated_ms`
	before := dumpRows(t, old, `SELECT `+cols+`, hex(p.request_bytes) FROM payments p ORDER BY p.id`)
	db.Close()
	if len(before) != n {
		t.Fatalf("seeded %d payments, want %d", len(before), n)
	}

	var told []LedgerUpgrade
	l, err := OpenLedger(ctx, dir, LedgerOptions{OnUpgrade: func(u LedgerUpgrade) { told = append(told, u) }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if len(told) != 2 {
		t.Fatalf("OnUpgrade called %d times (%+v), want before and after", len(told), told)
	}
	if u := told[0]; u.From != 7 || u.To != SchemaVersion || u.Payments != n || u.Done {
		t.Errorf("before the migration: %+v, want from 7 to %d, %d payments, not done", u, SchemaVersion, n)
	}
	if u := told[1]; u.From != 7 || u.To != SchemaVersion || u.Payments != n || !u.Done || u.Took <= 0 {
		t.Errorf("after the migration: %+v, want done with its duration", u)
	}
	after := dumpRows(t, l, `SELECT `+cols+`, hex(r.request_bytes) FROM payments p JOIN payment_requests r ON r.payment_id = p.id ORDER BY p.id`)
	if !slices.Equal(before, after) {
		for i := range min(len(before), len(after)) {
			if before[i] != after[i] {
				t.Fatalf("payment row %d changed by the upgrade:\nbefore %.200s\nafter  %.200s", i+1, before[i], after[i])
			}
		}
		t.Fatalf("%d payments before the upgrade, %d after", len(before), len(after))
	}
	assertUpgradedInRollbackJournal(t, l, dir, "delete")
	l.Close()

	// Current already: nothing to tell.
	told = nil
	again, err := OpenLedger(ctx, dir, LedgerOptions{OnUpgrade: func(u LedgerUpgrade) { told = append(told, u) }})
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
	fresh, err := OpenLedger(ctx, filepath.Join(t.TempDir(), "new"), LedgerOptions{OnUpgrade: func(u LedgerUpgrade) { told = append(told, u) }})
	if err != nil {
		t.Fatal(err)
	}
	fresh.Close()
	if len(told) != 0 {
		t.Errorf("OnUpgrade called for a current and a new ledger: %+v", told)
	}
}

// dumpRows renders each row of q as one string, for comparing a table before and after.
func dumpRows(t *testing.T, l *Ledger, q string) []string {
	t.Helper()
	rows, err := l.db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%#v", vals))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
