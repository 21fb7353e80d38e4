package wallet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The ledger benchmarks run each query at 10,000 and 100,000 payments; compare the two sizes
// from the same run (a page and a day's window must cost the same at both sizes):
//
//	go test -run '^$' -bench 'Ledger' -benchtime=200x ./wallet
//
// Seeded payments are 10 minutes apart (144 per day), so a day window holds the same number
// of rows at both sizes, as in real use; the ledger size is what varies.
var benchSizes = []int{10_000, 100_000}

const benchSpacing = 10 * time.Minute

// seedLedger is a ledger of n payments at the current schema: seeded at schema 7, as a wallet
// made before the request bytes moved out and the name index came, then migrated in place
// the way OpenLedger migrates it.
func seedLedger(b *testing.B, n int) (*Ledger, *testClock, int64) {
	b.Helper()
	ctx := context.Background()
	l, clock, payeeID := seedLedgerV7(b, n)
	if err := l.migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := l.db.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return l, clock, payeeID
}

// ledgerAtVersion makes a ledger at schema version v in a new data dir, holding consent "c1",
// and returns it open (closed at the end of the test) with its clock and data dir.
func ledgerAtVersion(b testing.TB, v int) (*Ledger, *testClock, string) {
	b.Helper()
	ctx := context.Background()
	clock := &testClock{t: time.Date(2026, 3, 15, 10, 0, 0, 0, dubai)}
	dir := filepath.Join(b.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	db, err := openDB(dir)
	if err != nil {
		b.Fatal(err)
	}
	l := &Ledger{db: db, now: clock.Now, loc: dubai}
	b.Cleanup(func() { l.Close() })
	if err := l.migrateTo(ctx, v); err != nil {
		b.Fatal(err)
	}
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		b.Fatal(err)
	}
	return l, clock, dir
}

// seedLedgerV7 is a ledger at schema version 7 (the signed request inside each payments row,
// no name index) holding n payments with 3,000-byte requests.
func seedLedgerV7(b *testing.B, n int) (*Ledger, *testClock, int64) {
	b.Helper()
	ctx := context.Background()
	l, clock, _ := ledgerAtVersion(b, 7)
	payee, err := l.AddPayee(ctx, Payee{ConsentID: "c1", Name: "Bob", IBAN: "AE460090000000123456789"})
	if err != nil {
		b.Fatal(err)
	}
	start := clock.Now().Add(-time.Duration(n) * benchSpacing)
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO payments (consent_id, payee_id, payee_name, payee_iban,
		amount_minor, currency, purpose_code, idempotency_key, request_bytes, request_exp_ms, status, outcome,
		reserves, final, bank_payment_id, created_ms, updated_ms)
		VALUES ('c1', ?, ?, 'AE460090000000123456789', ?, 'AED', 'TOF', ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	request := make([]byte, 3000) // the size of a real signed request with its JWE
	for i := range n {
		at := toMS(start.Add(time.Duration(i) * benchSpacing))
		status := PaymentSettled
		if i%10 == 0 {
			status = PaymentRejected
		}
		var payeeID any
		name := benchPayeeName(i)
		if i%4 == 0 {
			payeeID, name = payee.ID, "Bob"
		}
		if _, err := stmt.ExecContext(ctx, payeeID, name, 100+i%5000, fmt.Sprintf("seed-%07d", i), request, at+300_000,
			string(status), string(status.Outcome()), boolInt(status.Reserves()), fmt.Sprintf("bank-%07d", i), at, at); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := l.db.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return l, clock, payee.ID
}

// benchPayeeName gives the payments not paid to the saved payee "Bob" (three in four) one of
// 750 merchant names (i%4 != 0 leaves 750 of the 1,000), as a wallet used for years has: a
// search for one of them matches 100 of 100,000 payments.
func benchPayeeName(i int) string {
	return fmt.Sprintf("Merchant %04d Trading LLC", i%benchNames)
}

const benchNames = 1000

func BenchmarkLedger(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			l, _, payeeID := seedLedger(b, n)
			b.Run("InsertAndStatusUpdate", func(b *testing.B) {
				for range b.N {
					p := testPayment("c1", "10.00")
					if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
						b.Fatal(err)
					}
					if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentProcessing, BankPaymentID: p.IdempotencyKey}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("NewestPage", func(b *testing.B) {
				for range b.N {
					if page, err := l.History(ctx, HistoryQuery{Limit: 50}); err != nil || len(page.Rows) != 50 {
						b.Fatal(err)
					}
				}
			})
			b.Run("DeepPage", func(b *testing.B) {
				// A page from the middle of the history, as reached by scrolling.
				for range b.N {
					if page, err := l.History(ctx, HistoryQuery{After: int64(n / 2), Limit: 50}); err != nil || len(page.Rows) != 50 {
						b.Fatal(err)
					}
				}
			})
			b.Run("PayeePage", func(b *testing.B) {
				for range b.N {
					if page, err := l.History(ctx, HistoryQuery{Filter: HistoryFilter{PayeeID: payeeID}, Limit: 50}); err != nil || len(page.Rows) != 50 {
						b.Fatal(err)
					}
				}
			})
			b.Run("FailedPage", func(b *testing.B) {
				for range b.N {
					if page, err := l.History(ctx, HistoryQuery{Filter: HistoryFilter{Outcome: OutcomeFailed}, Limit: 50}); err != nil || len(page.Rows) != 50 {
						b.Fatal(err)
					}
				}
			})
			b.Run("WindowSumsDayMonth", func(b *testing.B) {
				for range b.N {
					if _, err := l.Usage(ctx, ""); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("ConsentTotal", func(b *testing.B) {
				for range b.N {
					if _, _, err := l.ConsentTotal(ctx, "c1"); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
