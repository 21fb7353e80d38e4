package wallet

import (
	"context"
	"testing"
)

// TestConsentPaidCountsOnlyAcceptedPayments: "paid to date" is what the bank accepted. A queued
// payment (Prepared, never sent), a pending one and a rejected one are not paid, while the
// consent total limit (ConsentTotal) still counts every payment not failed.
func TestConsentPaidCountsOnlyAcceptedPayments(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newTestLedger(t)
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	add := func(amount string, st PaymentStatus, currency ...string) {
		t.Helper()
		p := testPayment("c1", amount)
		if len(currency) > 0 {
			p.Currency = currency[0]
		}
		if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
			t.Fatal(err)
		}
		if st != PaymentPrepared {
			if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: st}); err != nil {
				t.Fatal(err)
			}
		}
	}
	add("10.00", PaymentSettled)
	add("2.50", PaymentExecuted)
	add("100.00", PaymentPrepared) // queued: the bank never got it
	add("7.00", PaymentProcessing)
	add("40.00", PaymentRejected)
	add("3.00", PaymentSettled, "EUR") // never added to the AED
	paid, err := l.ConsentPaid(ctx, "c1")
	if err != nil || len(paid) != 2 ||
		paid[0] != (CurrencyTotal{Currency: "AED", Count: 2, Sum: paid[0].Paid, Paid: paid[0].Paid}) || paid[0].Paid.String() != "12.50" ||
		paid[1].Currency != "EUR" || paid[1].Count != 1 || paid[1].Paid.String() != "3.00" {
		t.Fatalf("ConsentPaid = %+v, %v; want AED 12.50 in 2 and EUR 3.00 in 1", paid, err)
	}
	reserved, rn, err := l.ConsentTotal(ctx, "c1")
	if err != nil || reserved.String() != "122.50" || rn != 5 {
		t.Fatalf("ConsentTotal = %s in %d, %v; want 122.50 in 5 (the limit counts every payment not failed)", reserved, rn, err)
	}
	if paid, err := l.ConsentPaid(ctx, "none"); err != nil || len(paid) != 0 {
		t.Fatalf("ConsentPaid of a consent without payments = %+v, %v", paid, err)
	}
}

// TestHistoryTotalsFollowTheFilter: the totals count and add up exactly the rows the filter
// matches, one total per currency, with the accepted part.
func TestHistoryTotalsFollowTheFilter(t *testing.T) {
	ctx := context.Background()
	l, clock, _ := newTestLedger(t)
	for _, id := range []string{"c1", "c2"} {
		if err := l.InsertConsent(ctx, testConsent(id)); err != nil {
			t.Fatal(err)
		}
	}
	add := func(consent, amount, currency string, st PaymentStatus) {
		t.Helper()
		clock.Advance(1)
		p := testPayment(consent, amount)
		p.Currency = currency
		if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
			t.Fatal(err)
		}
		if st != PaymentPrepared {
			if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: st}); err != nil {
				t.Fatal(err)
			}
		}
	}
	add("c1", "10.00", "AED", PaymentSettled)
	add("c1", "5.25", "AED", PaymentRejected)
	add("c2", "1.00", "AED", PaymentProcessing)
	add("c2", "3.00", "EUR", PaymentSettled)

	all, err := l.HistoryTotals(ctx, HistoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Currency != "AED" || all[0].Count != 3 || all[0].Sum.String() != "16.25" || all[0].Paid.String() != "10.00" ||
		all[1].Currency != "EUR" || all[1].Count != 1 || all[1].Sum.String() != "3.00" || all[1].Paid.String() != "3.00" {
		t.Fatalf("all totals = %+v", all)
	}
	failed, err := l.HistoryTotals(ctx, HistoryFilter{Outcome: OutcomeFailed})
	if err != nil || len(failed) != 1 || failed[0].Count != 1 || failed[0].Sum.String() != "5.25" || !failed[0].Paid.IsZero() {
		t.Fatalf("failed totals = %+v, %v", failed, err)
	}
	c2, err := l.HistoryTotals(ctx, HistoryFilter{ConsentID: "c2"})
	if err != nil || len(c2) != 2 || c2[0].Count != 1 || c2[1].Count != 1 {
		t.Fatalf("c2 totals = %+v, %v", c2, err)
	}
	none, err := l.HistoryTotals(ctx, HistoryFilter{PayeeName: "nobody"})
	if err != nil || len(none) != 0 {
		t.Fatalf("no match totals = %+v, %v", none, err)
	}
}
