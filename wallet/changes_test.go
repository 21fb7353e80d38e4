package wallet

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestLedgerReportsEachChange: every committed write of a payment or a consent is reported once,
// after the commit; a write that changes nothing, and one that fails, report nothing.
func TestLedgerReportsEachChange(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var got []Change
	l, err := OpenLedger(ctx, filepath.Join(t.TempDir(), "data"), LedgerOptions{OnChange: func(c Change) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, c)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	take := func() []Change {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
	want := func(what string, w ...Change) {
		t.Helper()
		if g := take(); !slices.Equal(g, w) {
			t.Errorf("%s reported %+v, want %+v", what, g, w)
		}
	}
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	want("a new consent", Change{ConsentChanged, "c1"})
	if err := l.SetConsentPaused(ctx, "c1", true); err != nil {
		t.Fatal(err)
	}
	want("a pause", Change{ConsentChanged, "c1"})
	if err := l.SetConsentStatus(ctx, "c1", ConsentExpired, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	want("a synced status", Change{ConsentChanged, "c1"})
	if err := l.MarkConsentSynced(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	want("a sync that changed nothing")
	if err := l.SetConsentStatus(ctx, "nope", ConsentExpired, "", time.Now()); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	want("a failed write")

	if err := l.InsertConsent(ctx, testConsent("c2")); err != nil {
		t.Fatal(err)
	}
	take()
	p := testPayment("c2", "10.00")
	if err := l.ReservePayment(ctx, p, Limits{}); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(p.ID, 10)
	want("a new payment", Change{PaymentChanged, id})
	if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentSending}); err != nil {
		t.Fatal(err)
	}
	want("a new status", Change{PaymentChanged, id})
	if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentSending}); err != nil {
		t.Fatal(err)
	}
	want("the same status again")
	if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentSettled, BankPaymentID: "b1"}); err != nil {
		t.Fatal(err)
	}
	want("a final status", Change{PaymentChanged, id})
	if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentRejected}); err == nil {
		t.Fatal("a final payment changed")
	}
	want("a refused change of a final payment")
}
