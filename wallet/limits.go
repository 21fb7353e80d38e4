package wallet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/sca"
)

// Limits are the TPP-side limits. Under delegated SCA the bank enforces none, so these are the
// user's safety net. A zero amount or count means "no limit". The daily and monthly limits
// count the payments of every consent; the consent total counts one consent's.
type Limits struct {
	PerPayment   money.Amount
	PerDay       money.Amount
	PerMonth     money.Amount
	PerDayCount  int
	ConsentTotal money.Amount
}

// MaxPerDayCount is the largest daily number of payments a limit may allow.
const MaxPerDayCount = 10000

var (
	// ErrContradictoryLimits: one limit makes another one unreachable (a per-payment limit
	// above the daily limit, …) or a count is out of range. The *Problem says which and why.
	ErrContradictoryLimits = errors.New("the limits contradict each other")
	// ErrLimitsNeedSCA: raising or removing a limit was asked without the PIN and the code.
	ErrLimitsNeedSCA = errors.New("raising or removing a limit needs the PIN and the authenticator code")
	// ErrLimitsChanged: the limits in force changed between the SCA and the save, so the SCA
	// does not cover the change any more.
	ErrLimitsChanged = errors.New("the limits changed while the change was being authenticated")
)

// Validate refuses limits that contradict each other, naming both and saying what to do. The
// set: a negative daily count or one above MaxPerDayCount; a per-payment limit above the daily
// limit, the monthly limit or the consent total (no payment could ever reach it); a daily limit
// above the monthly one. Limits that are off never contradict. A daily or monthly limit above
// the consent total does not either: those count the payments of every consent.
func (l Limits) Validate() error {
	contradiction := func(what, next string) error {
		return &Problem{What: what, Next: next, Err: ErrContradictoryLimits}
	}
	if l.PerDayCount < 0 || l.PerDayCount > MaxPerDayCount {
		return contradiction(fmt.Sprintf("The daily number of payments must be from 1 to %d.", MaxPerDayCount),
			"Set a number in that range, or no limit.")
	}
	above := func(a, b money.Amount) bool { return !a.IsZero() && !b.IsZero() && a.Cmp(b) > 0 }
	pairs := []struct {
		high, low            money.Amount
		highName, lowName    string
		lowerWhat, raiseWhat string
	}{
		{l.PerPayment, l.PerDay, "per-payment", "daily", "the per-payment limit", "the daily one"},
		{l.PerPayment, l.PerMonth, "per-payment", "monthly", "the per-payment limit", "the monthly one"},
		{l.PerDay, l.PerMonth, "daily", "monthly", "the daily limit", "the monthly one"},
		{l.PerPayment, l.ConsentTotal, "per-payment", "consent total", "the per-payment limit", "the consent total"},
	}
	for _, p := range pairs {
		if above(p.high, p.low) {
			return contradiction(fmt.Sprintf("The %s limit (%s AED) is above the %s limit (%s AED), so it could never be reached.",
				p.highName, p.high.Display(), p.lowName, p.low.Display()),
				fmt.Sprintf("Lower %s or raise %s.", p.lowerWhat, p.raiseWhat))
		}
	}
	return nil
}

// limitNames are the limits in the order of the Limits fields, as LimitError and Raised name them.
var limitNames = [...]string{"per_payment", "per_day", "per_month", "per_day_count", "consent_total"}

// values returns each limit as a number (fils, or a count) in limitNames order; 0 is off.
func (l Limits) values() [len(limitNames)]int64 {
	return [...]int64{l.PerPayment.Minor(), l.PerDay.Minor(), l.PerMonth.Minor(), int64(l.PerDayCount), l.ConsentTotal.Minor()}
}

// Raised names the limits that to raises or removes compared with from, in limitNames order.
// Adding a limit where there was none, or lowering one, is not raising.
func Raised(from, to Limits) []string {
	var out []string
	f, t := from.values(), to.values()
	for i := range limitNames {
		if f[i] != 0 && (t[i] == 0 || t[i] > f[i]) {
			out = append(out, limitNames[i])
		}
	}
	return out
}

// canonical is the text the SCA of a change signs: every limit by name, "none" when off.
func (l Limits) canonical() string {
	var b strings.Builder
	amounts := []money.Amount{l.PerPayment, l.PerDay, l.PerMonth, {}, l.ConsentTotal}
	for i, name := range limitNames {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(name + "=")
		switch {
		case name == "per_day_count" && l.PerDayCount > 0:
			b.WriteString(strconv.Itoa(l.PerDayCount))
		case name != "per_day_count" && !amounts[i].IsZero():
			b.WriteString(amounts[i].String())
		default:
			b.WriteString("none")
		}
	}
	return b.String()
}

// limitsChange is what the SCA for raising or removing limits covers: from the limits in force
// to the edit.
func limitsChange(from, to Limits) sca.Change {
	return sca.Change{What: "limits", From: from.canonical(), To: to.canonical()}
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
	if err := l.Validate(); err != nil {
		return Limits{}, err
	}
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

// SetLimits persists edited limits; they replace the defaults (the limits in force while
// nothing was saved) from then on. It refuses limits that contradict each other (Validate)
// and, when to raises or removes any limit in force (Raised), anything but evidence of an SCA
// for exactly this change: ev must come from sca.AuthenticateChange over limitsChange(the
// limits in force, to), and is consumed here. The limits in force are read in the same write
// transaction, so an SCA given for a change from limits that have moved on since is refused
// (ErrLimitsChanged). Lowering or adding limits needs no evidence (ev may be nil).
func (l *Ledger) SetLimits(ctx context.Context, to, defaults Limits, ev *sca.Evidence) error {
	if err := to.Validate(); err != nil {
		return err
	}
	return l.withTx(ctx, func(tx *sql.Tx) error {
		from, err := readLimits(ctx, tx, defaults)
		if err != nil {
			return err
		}
		if len(Raised(from, to)) > 0 {
			if ev == nil {
				return needSCA()
			}
			change := limitsChange(from, to)
			if err := ev.ConsumeChange(change, l.now()); err != nil {
				if c, ok := ev.Change(); errors.Is(err, sca.ErrChangeMismatch) && ok && c.What == change.What && c.To == change.To {
					return &Problem{What: "The limits changed while you were authenticating, so nothing was saved.",
						Next: "Look at them again and repeat the change.", Err: ErrLimitsChanged}
				}
				return &Problem{What: "The authentication does not cover this change of the limits, so nothing was saved.",
					Next: "Save again and type a new code.", Err: err}
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO limits (scope, per_payment, per_day, per_month, per_day_count,
		consent_total, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (scope) DO UPDATE SET per_payment = excluded.per_payment, per_day = excluded.per_day,
		per_month = excluded.per_month, per_day_count = excluded.per_day_count,
		consent_total = excluded.consent_total, updated_ms = excluded.updated_ms`,
			limitsScope, to.PerPayment.Minor(), to.PerDay.Minor(), to.PerMonth.Minor(), to.PerDayCount,
			to.ConsentTotal.Minor(), toMS(l.now())); err != nil {
			return fmt.Errorf("set limits: %w", err)
		}
		return nil
	})
}

func needSCA() error {
	return &Problem{What: "Raising or removing a limit needs your PIN and the code from your authenticator app.",
		Next: "Type them to confirm the change.", Err: ErrLimitsNeedSCA}
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
	err := l.withTx(ctx, func(tx *sql.Tx) error {
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
	if err == nil {
		l.paymentChanged(p.ID)
	}
	return err
}

// Headroom reports the limits in force, what is used and what is left for a consent
// ("" = no consent total), for the limits screen and the review step.
func (w *Wallet) Headroom(ctx context.Context, consentID string) (Headroom, error) {
	return w.cfg.Ledger.Headroom(ctx, consentID, w.cfg.Limits)
}

// LimitPlan is an edit of the limits, checked and compared with the limits in force.
type LimitPlan struct {
	From, To Limits
	// Raised names the limits the edit raises or removes (Raised); any of them needs the SCA.
	Raised []string
}

// NeedsSCA reports whether saving the edit needs the PIN and the code.
func (p LimitPlan) NeedsSCA() bool { return len(p.Raised) > 0 }

// PlanLimits checks an edit without saving it: contradictions are refused (Validate), and the
// plan says which limits it raises or removes, so the UI asks for the SCA only then.
func (w *Wallet) PlanLimits(ctx context.Context, to Limits) (LimitPlan, error) {
	if err := to.Validate(); err != nil {
		return LimitPlan{}, err
	}
	from, err := w.cfg.Ledger.Limits(ctx, w.cfg.Limits)
	if err != nil {
		return LimitPlan{}, err
	}
	return LimitPlan{From: from, To: to, Raised: Raised(from, to)}, nil
}

// SetLimits saves edited limits; they apply from the next check on. Lowering or adding limits
// needs nothing (pin and code are ignored). Raising or removing any limit needs the wallet's
// SCA, as a payment does: the same authenticator and the same five attempts (a wrong code
// costs one), with the device key signing the change from the limits in force to the edit.
// Without a PIN and a code it is refused before any attempt is counted (ErrLimitsNeedSCA).
func (w *Wallet) SetLimits(ctx context.Context, to Limits, pin sca.PIN, code sca.OTP) error {
	plan, err := w.PlanLimits(ctx, to)
	if err != nil {
		return err
	}
	if !plan.NeedsSCA() {
		return w.cfg.Ledger.SetLimits(ctx, to, w.cfg.Limits, nil)
	}
	if pin == "" || code == "" {
		return needSCA()
	}
	ev, err := w.cfg.SCA.AuthenticateChange(limitsChange(plan.From, to), pin, code)
	if rerr := w.cfg.Ledger.RecordSCAAttempt(ctx, w.cfg.SessionID, err == nil); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("authenticate: %w", err)
	}
	return w.cfg.Ledger.SetLimits(ctx, to, w.cfg.Limits, ev)
}
