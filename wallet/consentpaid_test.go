package wallet

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// paidByScan is what ConsentPaid answered before migration 9: the sum of every accepted payment
// of the consent, per currency, as "currency:count:minor" lines in currency order.
func paidByScan(t *testing.T, l *Ledger, consentID string) string {
	t.Helper()
	rows, err := l.db.QueryContext(context.Background(), `SELECT currency, COUNT(*), SUM(amount_minor) FROM payments
		WHERE consent_id = ? AND outcome = 'successful' GROUP BY currency ORDER BY currency`, consentID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := ""
	for rows.Next() {
		var cur string
		var n, sum int64
		if err := rows.Scan(&cur, &n, &sum); err != nil {
			t.Fatal(err)
		}
		out += fmt.Sprintf("%s:%d:%d\n", cur, n, sum)
	}
	return out
}

func paidKept(t *testing.T, l *Ledger, consentID string) string {
	t.Helper()
	paid, err := l.ConsentPaid(context.Background(), consentID)
	if err != nil {
		t.Fatal(err)
	}
	out := ""
	for _, p := range paid {
		if p.Sum != p.Paid {
			t.Fatalf("%s: Sum %s and Paid %s differ", p.Currency, p.Sum, p.Paid)
		}
		out += fmt.Sprintf("%s:%d:%d\n", p.Currency, p.Count, p.Paid.Minor())
	}
	return out
}

// TestConsentPaidKeptMatchesAFullScan: the totals the triggers keep (migration 9) equal a sum
// over every payment after each write, for two consents and two currencies, through status
// changes that enter "successful", leave it (a settled payment the bank later rejects) and
// never touch it.
func TestConsentPaidKeptMatchesAFullScan(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newTestLedger(t)
	for _, id := range []string{"c1", "c2"} {
		if err := l.InsertConsent(ctx, testConsent(id)); err != nil {
			t.Fatal(err)
		}
	}
	rnd := rand.New(rand.NewPCG(17, 1))
	statuses := []PaymentStatus{PaymentProcessing, PaymentSettled, PaymentExecuted, PaymentRejected, PaymentSettled}
	var ids []int64
	for i := range 60 {
		p := testPayment([]string{"c1", "c2"}[i%2], fmt.Sprintf("%d.%02d", 1+rnd.IntN(500), rnd.IntN(100)))
		if i%3 == 0 {
			p.Currency = "EUR"
		}
		if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
		// Change some earlier payment's status; a refused change (a final payment) is fine.
		id := ids[rnd.IntN(len(ids))]
		_ = l.UpdatePaymentStatus(ctx, id, StatusUpdate{Status: statuses[rnd.IntN(len(statuses))]})
		if i%10 == 9 {
			// A settled payment the bank turns to rejected: it leaves "paid to date".
			if _, err := l.db.ExecContext(ctx, `UPDATE payments SET status = 'Rejected', outcome = 'failed', reserves = 0
				WHERE id = (SELECT id FROM payments WHERE outcome = 'successful' ORDER BY id LIMIT 1)`); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []string{"c1", "c2"} {
			if kept, scan := paidKept(t, l, c), paidByScan(t, l, c); kept != scan {
				t.Fatalf("after payment %d, %s: kept\n%s\na full scan says\n%s", i, c, kept, scan)
			}
		}
	}
	if paidByScan(t, l, "c1") == "" || paidByScan(t, l, "c2") == "" {
		t.Fatal("no consent paid anything: the test proves nothing")
	}
}

// TestMigrationFillsConsentPaid: a version-8 ledger with accepted, pending and failed payments
// in two currencies opens with this build with its paid totals filled from what it holds.
func TestMigrationFillsConsentPaid(t *testing.T) {
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
	if err := old.migrateTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	if err := old.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		amount, currency string
		st               PaymentStatus
	}{{"10.00", "AED", PaymentSettled}, {"2.50", "AED", PaymentExecuted}, {"7.00", "AED", PaymentProcessing},
		{"40.00", "AED", PaymentRejected}, {"3.00", "EUR", PaymentSettled}} {
		p := testPayment("c1", tc.amount)
		p.Currency = tc.currency
		if err := old.ReservePayment(ctx, p, Limits{}); err != nil {
			t.Fatalf("payment %d: %v", i, err)
		}
		if err := old.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: tc.st}); err != nil {
			t.Fatalf("payment %d: %v", i, err)
		}
	}
	db.Close()
	l, err := OpenLedger(ctx, dir, LedgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := paidKept(t, l, "c1"); got != "AED:2:1250\nEUR:1:300\n" {
		t.Fatalf("migrated paid totals:\n%s", got)
	}
}
