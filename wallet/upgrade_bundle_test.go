package wallet

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// upgradeReceipt is payment i's SCA receipt in the upgrade tests: mostly bundles of three
// (benchReceipt's), and among the payments of their own some receipts no bundle may come
// from: none, one that does not decode but names a bundle, a bundle that is not a string, an
// empty bundle, and one that names a bundle only inside another value.
func upgradeReceipt(i int) string {
	if b, _ := benchBundle(i); b != "" {
		return benchReceipt(i)
	}
	switch i % 50 {
	case 5:
		return ""
	case 6:
		return `{"bundle":"b0a1d1e0-0000-4000-8000-00000000dead"` // cut short
	case 7:
		return `{"bundle":42,"bundleItem":1}`
	case 8:
		return `{"bundle":"","factors":["knowledge"]}`
	case 9:
		return `{"deviceBindingId":"x \"bundle\":\"b0a1d1e0-0000-4000-8000-000000000000\""}`
	}
	return benchReceipt(i)
}

// TestUpgradeToV10RecordsEachPaymentsBundle opens a schema-9 ledger holding payments with SCA
// receipts, bundled and not, with this build: the upgrade is announced (from 9, with the number
// of payments) before it starts and after it is done; every payment keeps every column and its
// exact request bytes; each payment's recorded bundle is the one its receipt names (none for a
// receipt that names none, or does not decode); a bundle's payments are then found through the
// index, in the bundle's order, and so is the bundle of a payment recorded after the upgrade.
func TestUpgradeToV10RecordsEachPaymentsBundle(t *testing.T) {
	ctx := context.Background()
	const n = 3000
	old, dir := ledgerV9WithReceipts(t, n, upgradeReceipt)
	const cols = `p.id, p.consent_id, COALESCE(p.payee_id, 0), p.payee_name, p.payee_iban, p.amount_minor, p.currency,
		p.purpose_code, p.reference, p.idempotency_key, p.request_exp_ms, p.sca_receipt, p.status, p.bank_status, p.outcome,
		p.reserves, p.final, COALESCE(p.bank_payment_id, ''), p.reject_code, p.reject_message, p.created_ms, p.updated_ms,
		hex(r.request_bytes)`
	const all = `SELECT ` + cols + ` FROM payments p JOIN payment_requests r ON r.payment_id = p.id ORDER BY p.id`
	before := dumpRows(t, old, all)
	old.Close()
	if len(before) != n {
		t.Fatalf("seeded %d payments, want %d", len(before), n)
	}

	var told []LedgerUpgrade
	l, err := OpenLedger(ctx, dir, LedgerOptions{OnUpgrade: func(u LedgerUpgrade) { told = append(told, u) }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if len(told) != 2 || told[0] != (LedgerUpgrade{From: 9, To: SchemaVersion, Payments: n}) ||
		!told[1].Done || told[1].From != 9 || told[1].Payments != n || told[1].Took <= 0 {
		t.Fatalf("OnUpgrade was told %+v, want before and after the upgrade from 9 with %d payments", told, n)
	}
	assertUpgradedInRollbackJournal(t, l, dir, "delete")
	if after := dumpRows(t, l, all); !slices.Equal(before, after) {
		t.Fatalf("the upgrade changed the payments: %d rows before, %d after, or a row differs", len(before), len(after))
	}

	// Each payment's bundle is the one Receipt reads from its receipt, or none.
	rows, err := l.db.QueryContext(ctx, `SELECT id, sca_receipt, COALESCE(bundle, '') FROM payments ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	bundles := map[string][]int64{}
	for rows.Next() {
		var id int64
		var receipt, bundle string
		if err := rows.Scan(&id, &receipt, &bundle); err != nil {
			t.Fatal(err)
		}
		want := ""
		if r, err := (Payment{SCAReceipt: receipt}).Receipt(); err == nil {
			want = r.Bundle
		}
		if bundle != want {
			t.Fatalf("payment %d (receipt %.80q) is recorded in bundle %q, its receipt says %q", id, receipt, bundle, want)
		}
		if bundle != "" {
			bundles[bundle] = append(bundles[bundle], id)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(bundles) < 8 {
		t.Fatalf("only %d bundles recorded: the seed has more", len(bundles))
	}
	for id, ids := range bundles {
		ps, err := l.PaymentsOfBundle(ctx, id)
		if err != nil || len(ps) != 3 || len(ids) != 3 {
			t.Fatalf("bundle %s: %d payments found, %d recorded, %v", id, len(ps), len(ids), err)
		}
		for i, p := range ps {
			if r, _ := p.Receipt(); p.ID != ids[i] || r.BundleItem != i+1 {
				t.Fatalf("bundle %s: payment %d is %d (item %d), want %d", id, i+1, p.ID, r.BundleItem, ids[i])
			}
		}
	}
	if plan := queryPlan(t, l, paymentFrom+` WHERE bundle = ? ORDER BY id`, "x"); !strings.Contains(plan, "payments_by_bundle") {
		t.Fatalf("a bundle's payments are not looked up by the index: %s", plan)
	}

	// Recorded after the upgrade: the insert writes the bundle.
	const later = "b0a1d1e0-0000-4000-8000-00000000beef"
	var made []int64
	for item := 1; item <= 2; item++ {
		p := testPayment("c1", "7.00")
		p.SCAReceipt = fmt.Sprintf(`{"challengeTime":"2026-03-15T10:00:00Z","factors":["knowledge"],"bundle":%q,"bundleItem":%d}`, later, item)
		if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
			t.Fatal(err)
		}
		made = append(made, p.ID)
	}
	single := testPayment("c1", "8.00")
	single.SCAReceipt = `{"factors":["knowledge"]}`
	if err := l.ReservePayment(ctx, single, Limits{}); err != nil {
		t.Fatal(err)
	}
	ps, err := l.PaymentsOfBundle(ctx, later)
	if err != nil || len(ps) != 2 || ps[0].ID != made[0] || ps[1].ID != made[1] {
		t.Fatalf("the bundle recorded after the upgrade: %d payments, %v", len(ps), err)
	}
	var none int
	if err := l.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM payments WHERE id = ? AND bundle IS NULL`, single.ID).Scan(&none); err != nil || none != 1 {
		t.Fatalf("a payment of its own recorded after the upgrade has a bundle (%d, %v)", none, err)
	}
	// A receipt that changed (the wallet never does it) moves its payment out of the bundle.
	if _, err := l.db.ExecContext(ctx, `UPDATE payments SET sca_receipt = '{"factors":["knowledge"]}' WHERE id = ?`, made[1]); err != nil {
		t.Fatal(err)
	}
	if ps, err := l.PaymentsOfBundle(ctx, later); err != nil || len(ps) != 1 || ps[0].ID != made[0] {
		t.Fatalf("the bundle after one receipt no longer names it: %d payments, %v", len(ps), err)
	}
}

const bundleUpgradeCrashEnv = "PAYTERM_WALLET_BUNDLE_UPGRADE_CRASH_CHILD"

// TestUpgradeToV10KilledMidwayKeepsEveryRow: payterm killed (SIGKILL) while migration 10 back-
// fills the bundles of a schema-9 ledger in which every payment is bundled (so the back-fill
// rewrites every row and the rollback journal grows) loses nothing: the next open rolls the
// journal back and upgrades again; every payment is there, column for column, with its bundle
// recorded. At least one kill must land mid-upgrade, or the test proves nothing and fails.
func TestUpgradeToV10KilledMidwayKeepsEveryRow(t *testing.T) {
	if spec := os.Getenv(bundleUpgradeCrashEnv); spec != "" {
		upgradeChild(spec)
	}
	ctx := context.Background()
	const n = 3000
	bundled := func(i int) string { return seedReceipt(i, fmt.Sprintf("b0a1d1e0-0000-4000-8000-%012d", i/3), i%3+1) }
	const cols = `p.id, p.idempotency_key, p.amount_minor, p.sca_receipt, p.created_ms, p.status, hex(r.request_bytes)`
	const all = `SELECT ` + cols + ` FROM payments p JOIN payment_requests r ON r.payment_id = p.id ORDER BY p.id`
	midway := 0
	for _, at := range []int64{1, 256 << 10, 1 << 20} {
		old, dir := ledgerV9WithReceipts(t, n, bundled)
		before := dumpRows(t, old, all)
		old.Close()
		if killUpgradeAt(t, "TestUpgradeToV10KilledMidwayKeepsEveryRow", bundleUpgradeCrashEnv, dir, at) {
			midway++
		}
		l, err := OpenLedger(ctx, dir, LedgerOptions{})
		if err != nil {
			t.Fatalf("open after a kill at %d journal bytes: %v", at, err)
		}
		after := dumpRows(t, l, all)
		var unrecorded int
		qerr := l.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM payments WHERE bundle IS NULL`).Scan(&unrecorded)
		var check string
		cerr := l.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check)
		l.Close()
		if len(before) != n || !slices.Equal(before, after) {
			t.Fatalf("after a kill at %d journal bytes: %d payments before, %d after, or rows changed", at, len(before), len(after))
		}
		if qerr != nil || unrecorded != 0 {
			t.Fatalf("after a kill at %d journal bytes: %d payments without their bundle (%v)", at, unrecorded, qerr)
		}
		if cerr != nil || check != "ok" {
			t.Fatalf("integrity after a kill at %d journal bytes: %q %v", at, check, cerr)
		}
	}
	if midway == 0 {
		t.Fatal("no kill landed during the upgrade: the test proved nothing")
	}
	t.Logf("%d of 3 kills landed mid-upgrade", midway)
}

// queryPlan is SQLite's plan for q with args, its steps joined by "; ".
func queryPlan(t *testing.T, l *Ledger, q string, args ...any) string {
	t.Helper()
	rows, err := l.db.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(steps, "; ")
}

// FuzzReceiptBundleSQLMatchesGo: for any receipt the wallet writes (json.Marshal of an
// SCAReceipt, whatever its bundle id holds: escapes, invalid UTF-8, NUL, quotes), migration
// 10's back-fill and triggers (receiptBundleSQL) record the bundle Payment.Receipt reads from
// it, so PaymentsOfBundle finds every payment whose receipt names the bundle.
func FuzzReceiptBundleSQLMatchesGo(f *testing.F) {
	// SQLite alone (the ledger's driver): the expression needs no table, and no ledger's
	// connections outlive a fuzz worker.
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	f.Add("b0a1d1e0-0000-4000-8000-000000000001", 1, "eyJhbGciOiJFUzI1NiJ9.e30.sig")
	f.Add("", 0, "")
	f.Add(`"bundle":"x"`, 2, `"bundle":"y"`)
	f.Add("<&>\u2028\x00\xff", 3, "\\u0000")
	f.Add("Ünïcödé 🙂", -1, "")
	f.Fuzz(func(t *testing.T, bundle string, item int, auth string) {
		raw, err := json.Marshal(SCAReceipt{Factors: []string{"knowledge"}, AuthenticationValue: auth, Bundle: bundle, BundleItem: item})
		if err != nil {
			t.Skip()
		}
		var fromSQL sql.NullString
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := db.QueryRowContext(ctx, `SELECT `+receiptBundleSQL+` FROM (SELECT ? AS sca_receipt)`, string(raw)).Scan(&fromSQL); err != nil {
			t.Fatalf("receipt %q: %v", raw, err)
		}
		fromGo := ""
		if r, err := (Payment{SCAReceipt: string(raw)}).Receipt(); err == nil {
			fromGo = r.Bundle
		}
		if fromSQL.String != fromGo || fromSQL.Valid != (fromGo != "") {
			t.Fatalf("receipt %q: the back-fill records %q (valid %v), the insert %q", raw, fromSQL.String, fromSQL.Valid, fromGo)
		}
	})
}
