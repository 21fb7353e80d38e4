package wallet

import (
	"context"
	"testing"
	"time"
)

func TestHistoryKeysetPagingAndFilters(t *testing.T) {
	ctx := context.Background()
	l, clock, _ := newTestLedger(t)
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	if err := l.InsertConsent(ctx, testConsent("c2")); err != nil {
		t.Fatal(err)
	}
	bob, err := l.AddPayee(ctx, Payee{ConsentID: "c1", Name: "Bob 100%_Co", IBAN: "AE460090000000123456789"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 25 {
		clock.Advance(time.Hour)
		p := testPayment("c1", "1.00")
		if i%5 == 0 {
			p.ConsentID = "c2"
		}
		if i%2 == 1 {
			p.PayeeID, p.PayeeName = bob.ID, bob.Name
		}
		if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentRejected}); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, p.ID)
	}
	// Walk all pages backwards in time, then one page forwards again.
	var seen []int64
	q := HistoryQuery{Limit: 10}
	for {
		page, err := l.History(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Rows {
			seen = append(seen, r.ID)
		}
		if !page.More {
			break
		}
		q.After = page.Rows[len(page.Rows)-1].ID
	}
	if len(seen) != 25 {
		t.Fatalf("paged %d rows, want 25", len(seen))
	}
	for i := range seen {
		if seen[i] != ids[24-i] {
			t.Fatalf("row %d = id %d, want %d (newest first)", i, seen[i], ids[24-i])
		}
	}
	back, err := l.History(ctx, HistoryQuery{Before: ids[9], Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Rows) != 3 || back.Rows[0].ID != ids[12] || back.Rows[2].ID != ids[10] || !back.More {
		t.Errorf("Before page = %v more=%v; want ids %d..%d newest first, more", rowIDs(back.Rows), back.More, ids[12], ids[10])
	}
	if _, err := l.History(ctx, HistoryQuery{After: 1, Before: 2}); err == nil {
		t.Error("After and Before together were accepted")
	}

	count := func(f HistoryFilter) int {
		t.Helper()
		n, err := l.CountPayments(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		page, err := l.History(ctx, HistoryQuery{Filter: f, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Rows) != n {
			t.Errorf("filter %+v: page has %d rows, count says %d", f, len(page.Rows), n)
		}
		return n
	}
	if n := count(HistoryFilter{ConsentID: "c2"}); n != 5 {
		t.Errorf("consent filter = %d, want 5", n)
	}
	if n := count(HistoryFilter{PayeeID: bob.ID}); n != 12 {
		t.Errorf("payee filter = %d, want 12", n)
	}
	// LIKE wildcards in the search text are literal.
	if n := count(HistoryFilter{PayeeName: "100%_c"}); n != 12 {
		t.Errorf("payee name filter = %d, want 12", n)
	}
	if n := count(HistoryFilter{PayeeName: "%"}); n != 12 {
		t.Errorf("payee name '%%' = %d, want 12 (literal)", n)
	}
	if n := count(HistoryFilter{Outcome: OutcomeFailed}); n != 9 {
		t.Errorf("failed filter = %d, want 9", n)
	}
	if n := count(HistoryFilter{Outcome: OutcomePending}); n != 16 {
		t.Errorf("pending filter = %d, want 16", n)
	}
	from := time.Date(2026, 3, 15, 10, 0, 0, 0, dubai).Add(5 * time.Hour)
	if n := count(HistoryFilter{From: from, To: from.Add(3 * time.Hour)}); n != 3 {
		t.Errorf("date filter = %d, want 3", n)
	}
}

func rowIDs(rows []PaymentRow) []int64 {
	var out []int64
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}
