package wallet

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/money"
)

func mustLimits(t *testing.T, perPayment, perDay, perMonth string, count int, total string) Limits {
	t.Helper()
	l, err := LimitsFromStrings(perPayment, perDay, perMonth, count, total)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func amt(t *testing.T, s string) money.Amount {
	t.Helper()
	a, err := money.ParseWire(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func limitOf(err error) string {
	var le *LimitError
	if errors.As(err, &le) {
		return le.Limit
	}
	return ""
}

func TestLimitsFromStrings(t *testing.T) {
	l := mustLimits(t, "5000.00", "10,000", "", 20, "")
	if l.PerPayment.String() != "5000.00" || l.PerDay.String() != "10000.00" || !l.PerMonth.IsZero() || l.PerDayCount != 20 {
		t.Errorf("limits = %+v", l)
	}
	for _, bad := range [][5]string{{"-1", "", "", "", ""}, {"", "abc", "", "", ""}, {"", "", "1.234", "", ""}, {"", "", "", "", "0"}} {
		if _, err := LimitsFromStrings(bad[0], bad[1], bad[2], 0, bad[4]); err == nil {
			t.Errorf("LimitsFromStrings(%q) accepted", bad)
		}
	}
	if _, err := LimitsFromStrings("", "", "", -1, ""); err == nil {
		t.Error("a negative count was accepted")
	}
}

func TestEachLimitRefusesAndNamesItself(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		limits Limits
		prior  []string // amounts already paid today
		amount string
		want   string
	}{
		{"per payment", mustLimits(t, "100.00", "", "", 0, ""), nil, "100.01", "per_payment"},
		{"per day", mustLimits(t, "", "100.00", "", 0, ""), []string{"60.00"}, "40.01", "per_day"},
		{"per month", mustLimits(t, "", "", "100.00", 0, ""), []string{"99.00"}, "1.01", "per_month"},
		{"per day count", mustLimits(t, "", "", "", 2, ""), []string{"1.00", "1.00"}, "1.00", "per_day_count"},
		{"consent total", mustLimits(t, "", "", "", 0, "50.00"), []string{"50.00"}, "0.01", "consent_total"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, _, _ := newTestLedger(t)
			if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
				t.Fatal(err)
			}
			for _, a := range tc.prior {
				if err := l.ReservePayment(ctx, testPayment("c1", a), tc.limits); err != nil {
					t.Fatalf("prior payment %s: %v", a, err)
				}
			}
			a := amt(t, tc.amount)
			if _, err := l.CheckLimits(ctx, "c1", a, tc.limits); limitOf(err) != tc.want {
				t.Errorf("CheckLimits err = %v, want limit %s", err, tc.want)
			}
			if err := l.ReservePayment(ctx, testPayment("c1", tc.amount), tc.limits); limitOf(err) != tc.want {
				t.Errorf("ReservePayment err = %v, want limit %s", err, tc.want)
			}
			// Exactly at the limit is allowed (one fil less than the refused amount).
			less, _ := a.Sub(amt(t, "0.01"))
			if tc.want != "per_day_count" {
				if _, err := l.CheckLimits(ctx, "c1", less, tc.limits); err != nil {
					t.Errorf("CheckLimits(%s) at the limit: %v", less, err)
				}
			}
		})
	}
}

func TestLimitErrorsCarryNoPII(t *testing.T) {
	err := &LimitError{Limit: "per_day", Allowed: amt(t, "1234.00")}
	if got := err.Error(); got != "the amount is above what today's limit still allows (1,234.00 AED)" {
		t.Errorf("message = %q", got)
	}
}

func TestWindowsFollowTheCalendar(t *testing.T) {
	ctx := context.Background()
	l, clock, _ := newTestLedger(t)
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	lim := mustLimits(t, "", "100.00", "150.00", 0, "")
	// 2026-03-15 10:00 GST.
	if err := l.ReservePayment(ctx, testPayment("c1", "100.00"), lim); err != nil {
		t.Fatal(err)
	}
	if err := l.ReservePayment(ctx, testPayment("c1", "0.01"), lim); limitOf(err) != "per_day" {
		t.Fatalf("same day: err = %v, want per_day", err)
	}
	// Midnight in Dubai (20:00 UTC) starts a new day but not a new month.
	clock.Advance(14 * time.Hour)
	h, err := l.Headroom(ctx, "c1", lim)
	if err != nil {
		t.Fatal(err)
	}
	if h.Day.String() != "100.00" || h.Month.String() != "50.00" || h.MaxPayment.String() != "50.00" || h.Count != -1 {
		t.Errorf("next day headroom = day %s month %s max %s count %d", h.Day, h.Month, h.MaxPayment, h.Count)
	}
	if err := l.ReservePayment(ctx, testPayment("c1", "50.01"), lim); limitOf(err) != "per_month" {
		t.Errorf("next day 50.01: err = %v, want per_month", err)
	}
	// April 1st: a new month.
	clock.Advance(17 * 24 * time.Hour)
	if err := l.ReservePayment(ctx, testPayment("c1", "100.00"), lim); err != nil {
		t.Errorf("new month: %v", err)
	}
}

func TestFailedPaymentsReleaseTheirReservation(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newTestLedger(t)
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	lim := mustLimits(t, "", "100.00", "", 1, "")
	p := testPayment("c1", "100.00")
	if err := l.ReservePayment(ctx, p, lim); err != nil {
		t.Fatal(err)
	}
	if err := l.ReservePayment(ctx, testPayment("c1", "1.00"), lim); err == nil {
		t.Fatal("the reservation did not count")
	}
	// Pending at the bank still counts: it may still be executed.
	if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentPending, BankPaymentID: "p1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CheckLimits(ctx, "c1", amt(t, "1.00"), lim); err == nil {
		t.Fatal("a Pending payment stopped counting")
	}
	if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentRejected, RejectCode: "AANI.AM04", RejectMessage: "Insufficient funds"}); err != nil {
		t.Fatal(err)
	}
	h, err := l.CheckLimits(ctx, "c1", amt(t, "100.00"), lim)
	if err != nil {
		t.Fatalf("after rejection: %v", err)
	}
	if h.Count != 1 || h.Day.String() != "100.00" {
		t.Errorf("headroom after rejection = count %d day %s", h.Count, h.Day)
	}
}

func TestEditedLimitsPersistAndReplaceDefaults(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newTestLedger(t)
	defaults := mustLimits(t, "5000.00", "10000.00", "50000.00", 20, "")
	got, err := l.Limits(ctx, defaults)
	if err != nil || got != defaults {
		t.Fatalf("limits before any edit = %+v, %v; want the defaults", got, err)
	}
	edited := mustLimits(t, "200.00", "", "1000.00", 0, "3000.00")
	if err := l.SetLimits(ctx, edited); err != nil {
		t.Fatal(err)
	}
	if got, err = l.Limits(ctx, defaults); err != nil || got != edited {
		t.Errorf("limits after edit = %+v, %v; want %+v", got, err, edited)
	}
	if err := l.SetLimits(ctx, Limits{PerDayCount: -1}); err == nil {
		t.Error("a negative count was persisted")
	}
}

// TestConcurrentPaymentsCannotBothSqueezeUnderTheDailyLimit races goroutines (each with its own
// pooled connection) for a daily limit that fits exactly three of them.
func TestConcurrentPaymentsCannotBothSqueezeUnderTheDailyLimit(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newTestLedger(t)
	if err := l.InsertConsent(ctx, testConsent("c1")); err != nil {
		t.Fatal(err)
	}
	lim := mustLimits(t, "", "100.00", "", 0, "")
	const racers = 12
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := testPayment("c1", "30.00")
			<-start
			// The pre-SCA check passes for everyone: nothing is reserved yet.
			if _, err := l.CheckLimits(ctx, "c1", p.Amount, lim); err != nil {
				errs[i] = err
				return
			}
			errs[i] = l.ReservePayment(ctx, p, lim)
		}()
	}
	close(start)
	wg.Wait()
	ok, refused := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case limitOf(err) == "per_day":
			refused++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 3 || refused != racers-3 {
		t.Errorf("%d reserved and %d refused; want exactly 3 reserved (90.00 of 100.00)", ok, refused)
	}
	sum, n, err := l.WindowSum(ctx, dayStart(time.Date(2026, 3, 15, 10, 0, 0, 0, dubai), dubai))
	if err != nil || sum.String() != "90.00" || n != 3 {
		t.Errorf("day sum = %s over %d, %v; want 90.00 over 3", sum, n, err)
	}
}
