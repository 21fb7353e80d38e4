package wallet

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkPaymentsOfBundle is finding a bundle's payments (Ledger.PaymentsOfBundle: History's
// detail of a bundled payment, approving or revoking a bundle again) in a ledger of 10,000 and
// 100,000 payments, each with an SCA receipt of a real one's size (~1.1 KB) and one in 33 in a
// bundle of three. Each iteration also runs the baseline, the newest History page (a
// primary-key range read, the same at any size), and the benchmark reports both times and
// their ratio from the same run, as BenchmarkHistorySearch does:
//
//	go test -run '^$' -bench PaymentsOfBundle -benchtime=100x ./wallet
//
// Schema9 is the lookup before migration 10 (every receipt read for the bundle's id), run on
// the ledger before it is migrated; Indexed runs after (the bundle column and its index), and
// reports how long the migration took on that ledger (migrate-ms).
func BenchmarkPaymentsOfBundle(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			l, bundle := seedBundledLedgerV9(b, n)
			run := func(b *testing.B, find func(b *testing.B)) {
				var page, lookup time.Duration
				for b.Loop() {
					t0 := time.Now()
					if p, err := l.History(ctx, HistoryQuery{Limit: 50}); err != nil || len(p.Rows) != 50 {
						b.Fatal(err)
					}
					t1 := time.Now()
					find(b)
					page += t1.Sub(t0)
					lookup += time.Since(t1)
				}
				b.ReportMetric(float64(lookup.Microseconds())/1000/float64(b.N), "bundle-ms")
				b.ReportMetric(float64(page.Microseconds())/1000/float64(b.N), "page-ms")
				b.ReportMetric(float64(lookup)/float64(page), "bundle/page")
			}
			b.Run("Schema9", func(b *testing.B) {
				run(b, func(b *testing.B) { schema9PaymentsOfBundle(b, l, bundle, 3) })
			})
			t0 := time.Now()
			if err := l.migrate(ctx); err != nil {
				b.Fatal(err)
			}
			migrated := time.Since(t0)
			if _, err := l.db.ExecContext(ctx, "ANALYZE"); err != nil {
				b.Fatal(err)
			}
			b.Run("Indexed", func(b *testing.B) {
				run(b, func(b *testing.B) {
					ps, err := l.PaymentsOfBundle(ctx, bundle)
					if err != nil || len(ps) != 3 {
						b.Fatalf("%d payments in the bundle, %v", len(ps), err)
					}
				})
				b.ReportMetric(float64(migrated.Microseconds())/1000, "migrate-ms")
			})
		})
	}
}

// benchBundle is the id of the seeded bundle that payment i belongs to (with its place in it),
// or "" for a payment made on its own: payments 33k, 33k+1 and 33k+2 form bundle k, one in
// eleven k (one payment in 33 is in a bundle).
func benchBundle(i int) (string, int) {
	k, item := i/33, i%33
	if item >= 3 || k%11 != 0 {
		return "", 0
	}
	return fmt.Sprintf("b0a1d1e0-0000-4000-8000-%012d", k), item + 1
}

// benchReceipt is an SCA receipt the size of a real one (~1.1 KB: the device-key JWS is most
// of it), naming payment i's bundle when it has one.
func benchReceipt(i int) string {
	bundle, item := benchBundle(i)
	return seedReceipt(i, bundle, item)
}

// seedReceipt is benchReceipt's receipt for payment i as item item of bundle ("" for none).
func seedReceipt(i int, bundle string, item int) string {
	r := SCAReceipt{ChallengeTime: time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC), Factors: []string{"knowledge", "possession"},
		DeviceBindingID: "device-0001", AuthenticationValue: "eyJhbGciOiJFUzI1NiJ9." + strings.Repeat("x", 850) + fmt.Sprintf(".%07d", i),
		Bundle: bundle, BundleItem: item}
	if bundle != "" {
		r.BundleDigest = strings.Repeat("d", 43)
	}
	out, _ := json.Marshal(r)
	return string(out)
}

// seedBundledLedgerV9 is a ledger at schema 9 (before the bundle index) with n payments, each
// with a receipt (benchReceipt), and returns it with the id of a bundle from its middle.
func seedBundledLedgerV9(b *testing.B, n int) (*Ledger, string) {
	b.Helper()
	l, _ := ledgerV9WithReceipts(b, n, benchReceipt)
	if _, err := l.db.ExecContext(context.Background(), "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	middle, _ := benchBundle(n / 2 / 363 * 363) // a bundle's first payment: k a multiple of 11
	return l, middle
}

// ledgerV9WithReceipts makes a ledger at schema 9 (before the bundle index) in a new data dir,
// with n settled payments whose SCA receipts are receipt(i) and 3 KB signed requests, and
// returns it open (closed at the end of the test) with its data dir.
func ledgerV9WithReceipts(b testing.TB, n int, receipt func(i int) string) (*Ledger, string) {
	b.Helper()
	ctx := context.Background()
	l, clock, dir := ledgerAtVersion(b, 9)
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO payments (consent_id, payee_name, payee_iban, amount_minor, currency,
		purpose_code, idempotency_key, request_exp_ms, sca_receipt, status, outcome, reserves, final, bank_payment_id,
		created_ms, updated_ms)
		VALUES ('c1', ?, 'AE460090000000123456789', ?, 'AED', 'TOF', ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	req, err := tx.PrepareContext(ctx, `INSERT INTO payment_requests (payment_id, request_bytes) VALUES (?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	request := make([]byte, 3000) // a real signed request with its JWE
	start := clock.Now().Add(-time.Duration(n) * benchSpacing)
	for i := range n {
		at := toMS(start.Add(time.Duration(i) * benchSpacing))
		status := PaymentSettled
		res, err := ins.ExecContext(ctx, benchPayeeName(i), 100+i%5000, fmt.Sprintf("seed-%07d", i), at+300_000, receipt(i),
			string(status), string(status.Outcome()), boolInt(status.Reserves()), fmt.Sprintf("bank-%07d", i), at, at)
		if err != nil {
			b.Fatal(err)
		}
		id, _ := res.LastInsertId()
		if _, err := req.ExecContext(ctx, id, request); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return l, dir
}

// schema9PaymentsOfBundle is PaymentsOfBundle as it ran before migration 10 (every receipt
// searched for the bundle's id), kept as the "before" of BenchmarkPaymentsOfBundle.
func schema9PaymentsOfBundle(b *testing.B, l *Ledger, bundleID string, want int) {
	needle, _ := json.Marshal(bundleID)
	rows, err := l.db.QueryContext(context.Background(), paymentFrom+` WHERE instr(sca_receipt, ?) > 0 ORDER BY id`, `"bundle":`+string(needle))
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	got := 0
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			b.Fatal(err)
		}
		if r, err := p.Receipt(); err == nil && r.Bundle == bundleID {
			got++
		}
	}
	if err := rows.Err(); err != nil || got != want {
		b.Fatalf("schema 9 lookup of %s: %d payments, %v; want %d", bundleID, got, err, want)
	}
}
