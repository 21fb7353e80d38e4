package wallet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Payee is a saved creditor for one consent. Name and IBAN are PII.
type Payee struct {
	ID        int64
	ConsentID string
	Name      string
	IBAN      string
	Kind      string // "retail" or "corporate"
	// Wire is the creditor as sent at consent time (AEDomesticCreditor JSON); the payment's
	// creditor is copied from it so it matches byte for byte.
	Wire []byte
}

// AddPayee saves a payee for a consent, or returns the existing one with the same IBAN.
func (l *Ledger) AddPayee(ctx context.Context, p Payee) (Payee, error) {
	if p.ConsentID == "" || p.Name == "" || p.IBAN == "" {
		return Payee{}, errors.New("add payee: consent, name and IBAN are required")
	}
	if p.Kind == "" {
		p.Kind = "retail"
	}
	err := l.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		p.ID, err = addPayeeTx(ctx, tx, p, toMS(l.now()))
		return err
	})
	if err != nil {
		return Payee{}, err
	}
	return p, nil
}

func addPayeeTx(ctx context.Context, tx *sql.Tx, p Payee, nowMS int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM payees WHERE consent_id = ? AND iban = ?`, p.ConsentID, p.IBAN).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("add payee: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO payees (consent_id, name, iban, kind, wire_json, created_ms) VALUES (?, ?, ?, ?, ?, ?)`,
		p.ConsentID, p.Name, p.IBAN, p.Kind, string(p.Wire), nowMS)
	if err != nil {
		return 0, fmt.Errorf("add payee: %w", err)
	}
	id, err = res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("add payee: %w", err)
	}
	return id, nil
}

// Payees lists the payees of a consent in the order they were added.
func (l *Ledger) Payees(ctx context.Context, consentID string) ([]Payee, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT id, consent_id, name, iban, kind, wire_json FROM payees WHERE consent_id = ? ORDER BY id`, consentID)
	if err != nil {
		return nil, fmt.Errorf("list payees: %w", err)
	}
	defer rows.Close()
	var out []Payee
	for rows.Next() {
		var p Payee
		var wire string
		if err := rows.Scan(&p.ID, &p.ConsentID, &p.Name, &p.IBAN, &p.Kind, &wire); err != nil {
			return nil, fmt.Errorf("list payees: %w", err)
		}
		p.Wire = []byte(wire)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list payees: %w", err)
	}
	return out, nil
}

// Payee reads one payee.
func (l *Ledger) Payee(ctx context.Context, id int64) (Payee, error) {
	var p Payee
	var wire string
	err := l.db.QueryRowContext(ctx, `SELECT id, consent_id, name, iban, kind, wire_json FROM payees WHERE id = ?`, id).
		Scan(&p.ID, &p.ConsentID, &p.Name, &p.IBAN, &p.Kind, &wire)
	p.Wire = []byte(wire)
	if errors.Is(err, sql.ErrNoRows) {
		return Payee{}, fmt.Errorf("payee: %w", ErrNotFound)
	}
	if err != nil {
		return Payee{}, fmt.Errorf("payee: %w", err)
	}
	return p, nil
}
