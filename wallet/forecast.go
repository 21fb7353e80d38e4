package wallet

import (
	"context"
	"fmt"
	"time"

	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider"
)

// forecastWindow is how far back the ledger is read for a bank's forecast of its approval:
// the longest a bank approval is re-used (OP's refresh token lives 45 days), and a day more.
const forecastWindow = 46 * 24 * time.Hour

// approvalForecast asks a bank whose provider forecasts its approval (provider.ApprovalForecaster)
// what it may do with the payment in, given the ledger's payments under the grant in the
// window. The words are the provider's; "" when it has none, or when the ledger cannot be read
// (a forecast is never worth stopping a payment for).
func (w *Wallet) approvalForecast(ctx context.Context, bank provider.Bank, consentID string, in provider.Intent, now time.Time) string {
	f, ok := bank.(provider.ApprovalForecaster)
	if !ok {
		return ""
	}
	ps, err := w.cfg.Ledger.PaymentsSince(ctx, consentID, now.Add(-forecastWindow))
	if err != nil {
		return ""
	}
	earlier := make([]provider.Earlier, 0, len(ps))
	for _, p := range ps {
		earlier = append(earlier, provider.Earlier{Amount: provider.Money{Amount: p.Amount, Currency: p.Currency}, Created: p.Created,
			Status: provider.Status(p.Status), Blob: p.ProviderState})
	}
	return f.ForecastApproval(ctx, in, earlier, now)
}

// PaymentsSince lists the payments under a consent (or link) created at or after since, oldest
// first, without their request bytes.
func (l *Ledger) PaymentsSince(ctx context.Context, consentID string, since time.Time) ([]Payment, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT id, amount_minor, currency, status, provider_state, created_ms FROM payments
		WHERE consent_id = ? AND created_ms >= ? ORDER BY id`, consentID, toMS(since))
	if err != nil {
		return nil, fmt.Errorf("list payments: %w", err)
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		var (
			p       Payment
			minor   int64
			created int64
		)
		if err := rows.Scan(&p.ID, &minor, &p.Currency, &p.Status, &p.ProviderState, &created); err != nil {
			return nil, fmt.Errorf("list payments: %w", err)
		}
		a, err := money.FromMinor(minor)
		if err != nil {
			return nil, fmt.Errorf("list payments: payment %d: %w", p.ID, err)
		}
		p.ConsentID, p.Amount, p.Created = consentID, a, fromMS(created)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list payments: %w", err)
	}
	return out, nil
}
