package wallet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RiskCounters are the history figures the Risk block reports
// (TransactionIndicators.PaymentProcess and AccountRiskIndicators.TransactionHistory).
type RiskCounters struct {
	SessionAttempts       int // SCA attempts in the current session, including this one
	SessionFailedAttempts int
	Last24hAttempts       int
	Last24hFailedAttempts int
	// TransactionsLastDay and TransactionsLastYear count payments that reached the ledger and
	// did not provably fail, over the last 24 h and 365 days.
	TransactionsLastDay  int
	TransactionsLastYear int
}

// RecordSCAAttempt logs one SCA attempt for the Risk counters. sessionID identifies the
// wallet session (a new one per start/unlock).
func (l *Ledger) RecordSCAAttempt(ctx context.Context, sessionID string, ok bool) error {
	// A log row (logDB): the sca package's own counters, fsynced before every check, are what
	// blocks guessing; these only feed the risk data sent with the next payments.
	if _, err := l.logPool().ExecContext(ctx, `INSERT INTO sca_attempts (at_ms, session_id, ok) VALUES (?, ?, ?)`,
		toMS(l.now()), sessionID, boolInt(ok)); err != nil {
		return fmt.Errorf("record SCA attempt: %w", err)
	}
	return nil
}

// RiskCounters reads the counters for the given session as of now.
func (l *Ledger) RiskCounters(ctx context.Context, sessionID string) (RiskCounters, error) {
	now := l.now()
	var c RiskCounters
	dayAgo := toMS(now.Add(-24 * time.Hour))
	if err := l.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(1 - ok), 0) FROM sca_attempts WHERE session_id = ?`,
		sessionID).Scan(&c.SessionAttempts, &c.SessionFailedAttempts); err != nil {
		return RiskCounters{}, fmt.Errorf("read session attempts: %w", err)
	}
	if err := l.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(1 - ok), 0) FROM sca_attempts WHERE at_ms >= ?`,
		dayAgo).Scan(&c.Last24hAttempts, &c.Last24hFailedAttempts); err != nil {
		return RiskCounters{}, fmt.Errorf("read 24 h attempts: %w", err)
	}
	var err error
	if _, c.TransactionsLastDay, err = windowSum(ctx, l.db, now.Add(-24*time.Hour), ""); err != nil {
		return RiskCounters{}, err
	}
	if _, c.TransactionsLastYear, err = windowSum(ctx, l.db, now.AddDate(-1, 0, 0), ""); err != nil {
		return RiskCounters{}, err
	}
	return c, nil
}

const settingOnboardedAt = "onboarded_at"

// The ledger's onboarding time records when the wizard was first finished (a consent was
// recorded): `payterm status` reports it as "onboarded", and ClearOnboarded undoes it for a
// reset. The Risk blocks' UserOnboardingDateTime is not this time but the SCA enrolment.

// MarkOnboarded records the onboarding time once; later calls keep the first time.
func (l *Ledger) MarkOnboarded(ctx context.Context) error {
	if _, err := l.db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`,
		settingOnboardedAt, l.now().UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("record onboarding: %w", err)
	}
	return nil
}

// ClearOnboarded forgets the onboarding time (`payterm reset`): the wallet counts as not
// onboarded until the next consent is recorded, which marks a new time. Idempotent.
func (l *Ledger) ClearOnboarded(ctx context.Context) error {
	if _, err := l.db.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, settingOnboardedAt); err != nil {
		return fmt.Errorf("clear onboarding: %w", err)
	}
	return nil
}

// OnboardedAt returns when onboarding finished, or the zero time before it has.
func (l *Ledger) OnboardedAt(ctx context.Context) (time.Time, error) {
	v, ok, err := l.Setting(ctx, settingOnboardedAt)
	if err != nil || !ok {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("read onboarding time: %w", err)
	}
	return t, nil
}

// Setting reads a small persisted setting.
func (l *Ledger) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := l.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read setting: %w", err)
	}
	return v, true, nil
}

// SetSetting writes a small persisted setting.
func (l *Ledger) SetSetting(ctx context.Context, key, value string) error {
	if _, err := l.db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("write setting: %w", err)
	}
	return nil
}
