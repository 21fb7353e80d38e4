package wallet

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/sca"
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
	if err := l.UpdatePaymentStatus(ctx, p.ID, StatusUpdate{Status: PaymentProcessing, BankPaymentID: "p1"}); err != nil {
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
	// Lower every limit and add a consent total: no SCA needed.
	edited := mustLimits(t, "200.00", "900.00", "1000.00", 5, "3000.00")
	if err := l.SetLimits(ctx, edited, defaults, nil); err != nil {
		t.Fatal(err)
	}
	if got, err = l.Limits(ctx, defaults); err != nil || got != edited {
		t.Errorf("limits after edit = %+v, %v; want %+v", got, err, edited)
	}
	if err := l.SetLimits(ctx, Limits{PerDayCount: -1}, defaults, nil); !errors.Is(err, ErrContradictoryLimits) {
		t.Errorf("a negative count: %v", err)
	}
}

// TestLimitsContradictionsAreRefused: each contradiction of the set Validate defines is refused
// with a sentence naming both limits (with their amounts) and what to do; limits that are off,
// equal limits and the cross-consent pairs are not contradictions.
func TestLimitsContradictionsAreRefused(t *testing.T) {
	bad := []struct {
		l    Limits
		want []string
	}{
		{mustLimitsNoCheck(t, "2000.00", "1000.00", "", 0, ""), []string{"per-payment limit (2,000.00 AED) is above the daily limit (1,000.00 AED)", "Lower the per-payment limit or raise the daily one."}},
		{mustLimitsNoCheck(t, "2000.00", "", "1000.00", 0, ""), []string{"per-payment limit (2,000.00 AED) is above the monthly limit (1,000.00 AED)"}},
		{mustLimitsNoCheck(t, "", "2000.00", "1000.00", 0, ""), []string{"daily limit (2,000.00 AED) is above the monthly limit (1,000.00 AED)", "Lower the daily limit or raise the monthly one."}},
		{mustLimitsNoCheck(t, "2000.00", "", "", 0, "1000.00"), []string{"per-payment limit (2,000.00 AED) is above the consent total limit (1,000.00 AED)"}},
		{Limits{PerDayCount: -1}, []string{"daily number of payments must be from 1 to 10000"}},
		{Limits{PerDayCount: MaxPerDayCount + 1}, []string{"daily number of payments must be from 1 to 10000"}},
	}
	for _, c := range bad {
		err := c.l.Validate()
		var p *Problem
		if !errors.As(err, &p) || !errors.Is(err, ErrContradictoryLimits) {
			t.Errorf("Validate(%+v) = %v, want a *Problem with ErrContradictoryLimits", c.l, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(p.Error(), w) {
				t.Errorf("Validate(%+v) = %q, want it to say %q", c.l, p.Error(), w)
			}
		}
		if _, err := LimitsFromStrings(amountText(c.l.PerPayment), amountText(c.l.PerDay), amountText(c.l.PerMonth), c.l.PerDayCount, amountText(c.l.ConsentTotal)); c.l.PerDayCount >= 0 && !errors.Is(err, ErrContradictoryLimits) {
			t.Errorf("config limits %+v accepted: %v", c.l, err)
		}
	}
	for _, ok := range []Limits{
		{},
		mustLimitsNoCheck(t, "1000.00", "1000.00", "1000.00", 1, "1000.00"),
		mustLimitsNoCheck(t, "5000.00", "", "", 0, ""),
		mustLimitsNoCheck(t, "", "2000.00", "", MaxPerDayCount, "1000.00"), // daily vs one consent's total
		mustLimitsNoCheck(t, "100.00", "", "50000.00", 0, "1000.00"),       // monthly vs one consent's total
		mustLimitsNoCheck(t, "5000.00", "10000.00", "50000.00", 20, ""),    // the shipped defaults
	} {
		if err := ok.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", ok, err)
		}
	}
}

func mustLimitsNoCheck(t *testing.T, perPayment, perDay, perMonth string, count int, total string) Limits {
	t.Helper()
	l := Limits{PerDayCount: count}
	for _, f := range []struct {
		s   string
		dst *money.Amount
	}{{perPayment, &l.PerPayment}, {perDay, &l.PerDay}, {perMonth, &l.PerMonth}, {total, &l.ConsentTotal}} {
		if f.s != "" {
			*f.dst = amt(t, f.s)
		}
	}
	return l
}

func amountText(a money.Amount) string {
	if a.IsZero() {
		return ""
	}
	return a.String()
}

func TestRaisedNamesRaisesAndRemovals(t *testing.T) {
	from := mustLimits(t, "5000.00", "10000.00", "", 20, "")
	cases := []struct {
		to   Limits
		want string
	}{
		{from, ""},
		{mustLimits(t, "4000.00", "10000.00", "", 20, ""), ""},                // lowered
		{mustLimits(t, "4000.00", "10000.00", "90000.00", 19, "9000.00"), ""}, // lowered and added
		{mustLimits(t, "5000.01", "10000.00", "", 20, ""), "per_payment"},
		{mustLimits(t, "5000.00", "", "", 20, ""), "per_day"},
		{mustLimits(t, "5000.00", "10000.00", "", 0, ""), "per_day_count"},
		{mustLimits(t, "5000.00", "10000.00", "", 21, ""), "per_day_count"},
		{mustLimits(t, "", "", "", 0, ""), "per_payment per_day per_day_count"},
		{mustLimits(t, "100.00", "20000.00", "", 1, ""), "per_day"}, // one raised, others lowered
	}
	for _, c := range cases {
		if got := strings.Join(Raised(from, c.to), " "); got != c.want {
			t.Errorf("Raised(%+v) = %q, want %q", c.to, got, c.want)
		}
	}
	if got := from.canonical(); got != "per_payment=5000.00 per_day=10000.00 per_month=none per_day_count=20 consent_total=none" {
		t.Errorf("canonical = %q", got)
	}
}

// limitsSCA is an enrolled authenticator on the ledger's clock, and its TOTP secret.
func limitsSCA(t *testing.T, dir string, clock *testClock) (*sca.Authenticator, string) {
	t.Helper()
	a := openSCA(t, filepath.Join(dir, "sca-test"), clock.Now)
	en, err := a.BeginEnrolment(testPIN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ConfirmEnrolment(en, totpAt(t, en.Secret(), clock)); err != nil {
		t.Fatal(err)
	}
	return a, en.Secret()
}

// totpAt moves the clock to the next TOTP step and returns its code.
func totpAt(t *testing.T, secret string, clock *testClock) sca.OTP {
	t.Helper()
	clock.Advance(30 * time.Second)
	code, err := totp.GenerateCode(secret, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return sca.OTP(code)
}

// TestLedgerRaisesLimitsOnlyWithEvidenceOfThisChange is the core's own check, below any UI:
// raising or removing a limit is refused without SCA evidence, with evidence of another change,
// of the same change from limits that have moved on since, or of a payment; evidence of
// exactly this change saves it, once.
func TestLedgerRaisesLimitsOnlyWithEvidenceOfThisChange(t *testing.T) {
	ctx := context.Background()
	l, clock, dir := newTestLedger(t)
	auth, secret := limitsSCA(t, dir, clock)
	defaults := mustLimits(t, "5000.00", "10000.00", "50000.00", 20, "")
	raised := mustLimits(t, "7500.00", "10000.00", "", 20, "")
	unchanged := func(want Limits) {
		t.Helper()
		if got, err := l.Limits(ctx, defaults); err != nil || got != want {
			t.Fatalf("limits = %+v, %v; want them unchanged %+v", got, err, want)
		}
	}

	if err := l.SetLimits(ctx, raised, defaults, nil); !errors.Is(err, ErrLimitsNeedSCA) {
		t.Fatalf("raise without evidence: %v", err)
	}
	unchanged(defaults)

	other, err := auth.AuthenticateChange(limitsChange(defaults, mustLimits(t, "6000.00", "10000.00", "50000.00", 20, "")), testPIN, totpAt(t, secret, clock))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetLimits(ctx, raised, defaults, other); !errors.Is(err, sca.ErrChangeMismatch) {
		t.Fatalf("raise with evidence of another change: %v", err)
	}
	unchanged(defaults)

	payment, err := auth.Authenticate(sca.Intent{ConsentID: "c1", Amount: "10.00", Currency: "AED", CreditorIBAN: "AE070331234567890123456",
		CreditorName: "Payee", IdempotencyKey: "k-1"}, testPIN, totpAt(t, secret, clock))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetLimits(ctx, raised, defaults, payment); !errors.Is(err, sca.ErrChangeMismatch) {
		t.Fatalf("raise with a payment's evidence: %v", err)
	}
	unchanged(defaults)

	// Evidence for defaults → raised, but the limits are lowered before it is used.
	stale, err := auth.AuthenticateChange(limitsChange(defaults, raised), testPIN, totpAt(t, secret, clock))
	if err != nil {
		t.Fatal(err)
	}
	lowered := mustLimits(t, "4000.00", "10000.00", "50000.00", 20, "")
	if err := l.SetLimits(ctx, lowered, defaults, nil); err != nil {
		t.Fatalf("lowering: %v", err)
	}
	if err := l.SetLimits(ctx, raised, defaults, stale); !errors.Is(err, ErrLimitsChanged) {
		t.Fatalf("raise with evidence from limits that moved on: %v", err)
	}
	unchanged(lowered)

	ev, err := auth.AuthenticateChange(limitsChange(lowered, raised), testPIN, totpAt(t, secret, clock))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(sca.EvidenceLifetime + time.Second)
	if err := l.SetLimits(ctx, raised, defaults, ev); !errors.Is(err, sca.ErrEvidenceExpired) {
		t.Fatalf("raise with evidence older than five minutes: %v", err)
	}
	unchanged(lowered)

	ev, err = auth.AuthenticateChange(limitsChange(lowered, raised), testPIN, totpAt(t, secret, clock))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetLimits(ctx, raised, defaults, ev); err != nil {
		t.Fatalf("raise with evidence of this change: %v", err)
	}
	unchanged(raised)
	// The same evidence cannot raise again (back to the lowered limits and up once more).
	if err := l.SetLimits(ctx, lowered, defaults, nil); err != nil {
		t.Fatal(err)
	}
	if err := l.SetLimits(ctx, raised, defaults, ev); !errors.Is(err, sca.ErrEvidenceUsed) {
		t.Fatalf("evidence used twice: %v", err)
	}
	unchanged(lowered)
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
	sum, n, err := l.WindowSum(ctx, dayStart(time.Date(2026, 3, 15, 10, 0, 0, 0, dubai), dubai), "AED")
	if err != nil || sum.String() != "90.00" || n != 3 {
		t.Errorf("day sum = %s over %d, %v; want 90.00 over 3", sum, n, err)
	}
}
