package wallet

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// PaymentsOfBundle lists the payments of one bundle (SCAReceipt.Bundle) in the bundle's order.
// The receipt is read back and checked, so a bundle id appearing elsewhere in a receipt (it is a
// UUID the wallet minted) never adds a payment.
func (l *Ledger) PaymentsOfBundle(ctx context.Context, bundleID string) ([]Payment, error) {
	if bundleID == "" {
		return nil, nil
	}
	needle, _ := json.Marshal(bundleID)
	rows, err := l.db.QueryContext(ctx, paymentFrom+` WHERE instr(sca_receipt, ?) > 0 ORDER BY id`, `"bundle":`+string(needle))
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
