package wallet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/payterm/payterm/money"
)

// Usage is what already counts against the limits: every payment that is not provably failed
// (see PaymentStatus.Reserves), in the calendar day and month of the ledger's time zone, and
// over the life of one consent.
type Usage struct {
	// Currency is the currency of Day, Month and Consent: each currency is limited on its
	// own, and no sum adds two. DayCount counts the day's payments in every currency.
	Currency string
	Day      money.Amount
	DayCount int
	Month    money.Amount
	Consent  money.Amount
}

// dayStart and monthStart are the starts of the calendar windows containing t in loc.
func dayStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

func monthStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
}

// queryer is what both *sql.DB and *sql.Tx offer, so the limit check reads the same figures
// inside the reserving transaction as outside it.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// WindowSum returns the reserved value and count of payments created at or after since.
// The covering index payments_by_created makes it proportional to the rows in the window,
// not to the size of the ledger.
func (l *Ledger) WindowSum(ctx context.Context, since time.Time, currency string) (money.Amount, int, error) {
	return windowSum(ctx, l.db, since, currency)
}

// windowSum sums the reserving payments in one currency since a time (no sum ever adds two
// currencies); currency "" counts payments of every currency, and its sum is meaningless.
func windowSum(ctx context.Context, q queryer, since time.Time, currency string) (money.Amount, int, error) {
	var sum int64
	var n int
	query, args := `SELECT COALESCE(SUM(amount_minor), 0), COUNT(*) FROM payments
		WHERE created_ms >= ? AND reserves = 1`, []any{toMS(since)}
	if currency != "" {
		query, args = `SELECT COALESCE(SUM(amount_minor), 0), COUNT(*) FROM payments
		WHERE currency = ? AND created_ms >= ? AND reserves = 1`, []any{currency, toMS(since)}
	}
	if err := q.QueryRowContext(ctx, query, args...).Scan(&sum, &n); err != nil {
		return money.Zero, 0, fmt.Errorf("sum payments since %s: %w", since.Format(time.RFC3339), err)
	}
	a, err := money.FromMinor(sum)
	if err != nil {
		return money.Zero, 0, fmt.Errorf("sum payments: %w", err)
	}
	return a, n, nil
}

// ConsentTotal returns the reserved value and count of all payments under one consent, from
// the running totals the triggers of migration 2 maintain.
func (l *Ledger) ConsentTotal(ctx context.Context, consentID string) (money.Amount, int, error) {
	return consentTotal(ctx, l.db, consentID)
}

func consentTotal(ctx context.Context, q queryer, consentID string) (money.Amount, int, error) {
	var sum int64
	var n int
	err := q.QueryRowContext(ctx, `SELECT reserved_minor, reserved_count FROM consent_totals WHERE consent_id = ?`,
		consentID).Scan(&sum, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return money.Zero, 0, nil
	}
	if err != nil {
		return money.Zero, 0, fmt.Errorf("read consent total: %w", err)
	}
	a, err := money.FromMinor(sum)
	if err != nil {
		return money.Zero, 0, fmt.Errorf("read consent total: %w", err)
	}
	return a, n, nil
}

// ConsentPaid is what a consent has paid, one total per currency (sorted by code): the number
// and sum of its payments the bank accepted (outcome successful), so Sum and Paid are the same.
// ConsentTotal is what the consent total limit counts (every payment not failed, a queued one
// included); "paid to date" is only what was paid, and never adds two currencies (a SpareBank 1
// link pays NOK at home and EUR over SEPA).
func (l *Ledger) ConsentPaid(ctx context.Context, consentID string) ([]CurrencyTotal, error) {
	// consent_paid is kept by triggers (migration 9): one row per currency, not a sum of every
	// payment. A currency whose payments all left "successful" keeps a row of zero: skipped.
	rows, err := l.db.QueryContext(ctx, `SELECT currency, paid_count, paid_minor FROM consent_paid
		WHERE consent_id = ? AND paid_count > 0 ORDER BY currency`, consentID)
	if err != nil {
		return nil, fmt.Errorf("read consent paid: %w", err)
	}
	defer rows.Close()
	var out []CurrencyTotal
	for rows.Next() {
		var t CurrencyTotal
		var sum int64
		if err := rows.Scan(&t.Currency, &t.Count, &sum); err != nil {
			return nil, fmt.Errorf("read consent paid: %w", err)
		}
		if t.Sum, err = money.FromMinor(sum); err != nil {
			return nil, fmt.Errorf("read consent paid: %s: %w", t.Currency, err)
		}
		t.Paid = t.Sum
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read consent paid: %w", err)
	}
	return out, nil
}

// Usage returns the figures the limits are checked against, as of now.
func (l *Ledger) Usage(ctx context.Context, consentID string) (Usage, error) {
	return usage(ctx, l.db, consentID, l.now(), l.loc)
}

// usage is in the consent's currency (AED for "": the wallet-wide view); the limits apply in
// each currency on its own.
func usage(ctx context.Context, q queryer, consentID string, now time.Time, loc *time.Location) (Usage, error) {
	var u Usage
	var err error
	u.Currency = "AED"
	if consentID != "" {
		if err := q.QueryRowContext(ctx, `SELECT currency FROM consents WHERE id = ?`, consentID).Scan(&u.Currency); err != nil &&
			!errors.Is(err, sql.ErrNoRows) {
			return Usage{}, fmt.Errorf("read consent currency: %w", err)
		}
	}
	if u.Day, _, err = windowSum(ctx, q, dayStart(now, loc), u.Currency); err != nil {
		return Usage{}, err
	}
	if _, u.DayCount, err = windowSum(ctx, q, dayStart(now, loc), ""); err != nil {
		return Usage{}, err
	}
	if u.Month, _, err = windowSum(ctx, q, monthStart(now, loc), u.Currency); err != nil {
		return Usage{}, err
	}
	if consentID != "" {
		if u.Consent, _, err = consentTotal(ctx, q, consentID); err != nil {
			return Usage{}, err
		}
	}
	return u, nil
}
