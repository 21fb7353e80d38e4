package wallet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/payterm/payterm/money"
)

// Limits are the TPP-side limits. Under delegated SCA the bank enforces none, so these are the
// user's safety net. A zero amount or count means "no limit".
type Limits struct {
	PerPayment   money.Amount
	PerDay       money.Amount
	PerMonth     money.Amount
	PerDayCount  int
	ConsentTotal money.Amount
}

// LimitsFromStrings builds Limits from settings text (the config file's [limits]): amounts as
// typed ("5000", "5,000.00"), "" for no limit; a count of 0 for no limit.
func LimitsFromStrings(perPayment, perDay, perMonth string, perDayCount int, consentTotal string) (Limits, error) {
	var l Limits
	fields := []struct {
		name string
		text string
		dst  *money.Amount
	}{
		{"per_payment", perPayment, &l.PerPayment},
		{"per_day", perDay, &l.PerDay},
		{"per_month", perMonth, &l.PerMonth},
		{"consent_total", consentTotal, &l.ConsentTotal},
	}
	for _, f := range fields {
		if f.text == "" {
			continue
		}
		a, err := money.ParseInput(f.text)
		if err != nil {
			return Limits{}, fmt.Errorf("limit %s: %w", f.name, err)
		}
		*f.dst = a
	}
	if perDayCount < 0 {
		return Limits{}, errors.New("limit per_day_count: must be 0 (no limit) or more")
	}
	l.PerDayCount = perDayCount
	return l, nil
}

// limitsScope is the row holding the user's edited limits; they apply to every consent, so a
// renewed consent keeps them.
const limitsScope = "default"

// Limits returns the persisted limits, or defaults when the user never edited them.
func (l *Ledger) Limits(ctx context.Context, defaults Limits) (Limits, error) {
	return readLimits(ctx, l.db, defaults)
}

func readLimits(ctx context.Context, q queryer, defaults Limits) (Limits, error) {
	var pp, pd, pm, ct int64
	var out Limits
	err := q.QueryRowContext(ctx, `SELECT per_payment, per_day, per_month, per_day_count, consent_total
		FROM limits WHERE scope = ?`, limitsScope).Scan(&pp, &pd, &pm, &out.PerDayCount, &ct)
	if errors.Is(err, sql.ErrNoRows) {
		return defaults, nil
	}
	if err != nil {
		return Limits{}, fmt.Errorf("read limits: %w", err)
	}
	for _, f := range []struct {
		v   int64
		dst *money.Amount
	}{{pp, &out.PerPayment}, {pd, &out.PerDay}, {pm, &out.PerMonth}, {ct, &out.ConsentTotal}} {
		if *f.dst, err = money.FromMinor(f.v); err != nil {
			return Limits{}, fmt.Errorf("read limits: %w", err)
		}
	}
	if out.PerDayCount < 0 {
		return Limits{}, errors.New("read limits: stored per-day count is negative")
	}
	return out, nil
}

// SetLimits persists edited limits; they replace the defaults from then on.
func (l *Ledger) SetLimits(ctx context.Context, lim Limits) error {
	if lim.PerDayCount < 0 {
		return errors.New("set limits: the per-day count must be 0 (no limit) or more")
	}
	if _, err := l.db.ExecContext(ctx, `INSERT INTO limits (scope, per_payment, per_day, per_month, per_day_count,
		consent_total, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (scope) DO UPDATE SET per_payment = excluded.per_payment, per_day = excluded.per_day,
		per_month = excluded.per_month, per_day_count = excluded.per_day_count,
		consent_total = excluded.consent_total, updated_ms = excluded.updated_ms`,
		limitsScope, lim.PerPayment.Minor(), lim.PerDay.Minor(), lim.PerMonth.Minor(), lim.PerDayCount,
		lim.ConsentTotal.Minor(), toMS(l.now())); err != nil {
		return fmt.Errorf("set limits: %w", err)
	}
	return nil
}

// Headroom is what the limits still allow, for the UI.
type Headroom struct {
	Limits Limits
	Used   Usage
	// Remaining value per window; money.Max when that limit is off.
	Day, Month, Consent money.Amount
	// Count is the number of payments still allowed today; -1 when that limit is off.
	Count int
	// MaxPayment is the largest single payment every limit allows now (Zero when blocked).
	MaxPayment money.Amount
}

func headroom(lim Limits, u Usage) Headroom {
	left := func(limit, used money.Amount) money.Amount {
		if limit.IsZero() {
			return money.Max
		}
		return limit.SubFloor(used)
	}
	h := Headroom{Limits: lim, Used: u,
		Day: left(lim.PerDay, u.Day), Month: left(lim.PerMonth, u.Month), Consent: left(lim.ConsentTotal, u.Consent),
		Count: -1}
	h.MaxPayment = money.Min(money.Min(h.Day, h.Month), h.Consent)
	if !lim.PerPayment.IsZero() {
		h.MaxPayment = money.Min(h.MaxPayment, lim.PerPayment)
	}
	if lim.PerDayCount > 0 {
		h.Count = max(lim.PerDayCount-u.DayCount, 0)
		if h.Count == 0 {
			h.MaxPayment = money.Zero
		}
	}
	return h
}

// LimitError is a payment a limit refuses. It names the limit and what is still allowed, never
// the payee.
type LimitError struct {
	Limit   string       // "per_payment", "per_day", "per_month", "per_day_count", "consent_total"
	Allowed money.Amount // the most that limit still allows for one payment
}

func (e *LimitError) Error() string {
	switch e.Limit {
	case "per_payment":
		return fmt.Sprintf("the amount is above the per-payment limit of %s AED", e.Allowed.Display())
	case "per_day":
		return fmt.Sprintf("the amount is above what today's limit still allows (%s AED)", e.Allowed.Display())
	case "per_month":
		return fmt.Sprintf("the amount is above what this month's limit still allows (%s AED)", e.Allowed.Display())
	case "per_day_count":
		return "the daily number of payments is reached"
	case "consent_total":
		return fmt.Sprintf("the amount is above what this consent's total limit still allows (%s AED)", e.Allowed.Display())
	}
	return "a payment limit refuses this amount"
}

// check returns a *LimitError when amount does not fit within h.
func (h Headroom) check(amount money.Amount) error {
	switch {
	case !h.Limits.PerPayment.IsZero() && amount.Cmp(h.Limits.PerPayment) > 0:
		return &LimitError{Limit: "per_payment", Allowed: h.Limits.PerPayment}
	case h.Count == 0:
		return &LimitError{Limit: "per_day_count"}
	case amount.Cmp(h.Day) > 0:
		return &LimitError{Limit: "per_day", Allowed: h.Day}
	case amount.Cmp(h.Month) > 0:
		return &LimitError{Limit: "per_month", Allowed: h.Month}
	case amount.Cmp(h.Consent) > 0:
		return &LimitError{Limit: "consent_total", Allowed: h.Consent}
	}
	return nil
}

// Headroom reports the limits, what is used and what is left, for a consent ("" = no consent
// total).
func (l *Ledger) Headroom(ctx context.Context, consentID string, defaults Limits) (Headroom, error) {
	lim, err := readLimits(ctx, l.db, defaults)
	if err != nil {
		return Headroom{}, err
	}
	u, err := usage(ctx, l.db, consentID, l.now(), l.loc)
	if err != nil {
		return Headroom{}, err
	}
	return headroom(lim, u), nil
}

// CheckLimits is the check before SCA: it changes nothing. The binding check is the one in
// ReservePayment, which runs again inside the transaction that records the payment.
func (l *Ledger) CheckLimits(ctx context.Context, consentID string, amount money.Amount, defaults Limits) (Headroom, error) {
	h, err := l.Headroom(ctx, consentID, defaults)
	if err != nil {
		return Headroom{}, err
	}
	return h, h.check(amount)
}

// ReservePayment checks the limits and records the payment's write-ahead record (status
// Prepared) in one write transaction. The transaction takes the write lock at BEGIN
// (BEGIN IMMEDIATE), so two payments racing for the last of a limit are serialised: the second
// sees the first one's reservation and is refused. On success p.ID, p.Status and p.Created are
// set; the record is durable (synchronous=FULL) before this returns.
func (l *Ledger) ReservePayment(ctx context.Context, p *Payment, defaults Limits) error {
	return l.withTx(ctx, func(tx *sql.Tx) error {
		lim, err := readLimits(ctx, tx, defaults)
		if err != nil {
			return err
		}
		now := l.now()
		u, err := usage(ctx, tx, p.ConsentID, now, l.loc)
		if err != nil {
			return err
		}
		if err := headroom(lim, u).check(p.Amount); err != nil {
			return err
		}
		return insertPaymentTx(ctx, tx, p, toMS(now))
	})
}

// Headroom reports the limits in force, what is used and what is left for a consent
// ("" = no consent total), for the limits screen and the review step.
func (w *Wallet) Headroom(ctx context.Context, consentID string) (Headroom, error) {
	return w.cfg.Ledger.Headroom(ctx, consentID, w.cfg.Limits)
}

// SetLimits persists edited limits; they apply from the next check on.
func (w *Wallet) SetLimits(ctx context.Context, lim Limits) error {
	return w.cfg.Ledger.SetLimits(ctx, lim)
}
