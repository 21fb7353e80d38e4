package wallet

import (
	"context"
	"fmt"
	"slices"
)

// PaymentsOfBundle lists the payments of one bundle (SCAReceipt.Bundle) in the bundle's order.
// They are found by the bundle recorded with each payment (migration 10's index), and each
// one's receipt is read back and checked, so only a payment whose receipt names the bundle is
// listed.
func (l *Ledger) PaymentsOfBundle(ctx context.Context, bundleID string) ([]Payment, error) {
	if bundleID == "" {
		return nil, nil
	}
	rows, err := l.db.QueryContext(ctx, paymentFrom+` WHERE bundle = ? ORDER BY id`, bundleID)
	if err != nil {
		return nil, fmt.Errorf("list the bundle's payments: %w", err)
	}
	defer rows.Close()
	type item struct {
		n int
		p Payment
	}
	var found []item
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		if r, err := p.Receipt(); err == nil && r.Bundle == bundleID {
			found = append(found, item{r.BundleItem, p})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the bundle's payments: %w", err)
	}
	slices.SortStableFunc(found, func(a, b item) int { return a.n - b.n })
	out := make([]Payment, len(found))
	for i, f := range found {
		out[i] = f.p
	}
	return out, nil
}
