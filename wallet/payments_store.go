package wallet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/payterm/payterm/money"
)

// Payment is one payment as the ledger records it.
type Payment struct {
	ID        int64 // local ledger id, stable, increasing
	ConsentID string
	PayeeID   int64 // 0 when the creditor is not a saved payee
	PayeeName string
	PayeeIBAN string
	Amount    money.Amount
	Currency  string
	Purpose   string
	Reference string
	// IdempotencyKey and Request are the write-ahead record: the exact signed bytes and the
	// key they are always sent with. RequestExp is the signed JWT's exp: after it a resend
	// would be refused, so only reconciliation remains.
	IdempotencyKey string
	Request        []byte
	RequestExp     time.Time
	// SCAReceipt is the evidence of the SCA that authorised this payment (JSON, no secrets).
	SCAReceipt string
	Status     PaymentStatus
	// BankStatus is the bank's own word for Status (AcceptedCreditSettlementCompleted, ACSC);
	// empty before the bank has the payment.
	BankStatus string
	// Final: the payment never changes again (the bank said so, or it failed).
	Final bool
	// ProviderState is the provider's memory of the payment (provider.State.Blob).
	ProviderState []byte
	BankPaymentID string
	RejectCode    string
	RejectMessage string
	Created       time.Time
	Updated       time.Time
}

// StatusChange is one transition on a payment's timeline.
type StatusChange struct {
	At         time.Time
	Status     PaymentStatus
	BankStatus string // the bank's word, when the change came from the bank
	Note       string
}

// Attempt is one HTTP exchange about a payment (a send, a reconcile, a status poll).
type Attempt struct {
	At            time.Time
	Kind          string // "send", "lookup-key", "get"
	InteractionID string
	HTTPStatus    int
	Outcome       string
}

// insertPaymentTx writes the write-ahead record with status Prepared and its first event.
func insertPaymentTx(ctx context.Context, tx *sql.Tx, p *Payment, nowMS int64) error {
	if !p.Amount.IsPositive() {
		return errors.New("record payment: the amount must be positive")
	}
	if p.IdempotencyKey == "" || len(p.Request) == 0 || p.ConsentID == "" {
		return errors.New("record payment: consent, idempotency key and signed request are required")
	}
	p.Status = PaymentPrepared
	var payee any
	if p.PayeeID != 0 {
		payee = p.PayeeID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO payments (consent_id, payee_id, payee_name, payee_iban,
		amount_minor, currency, purpose_code, reference, idempotency_key, request_exp_ms,
		sca_receipt, status, outcome, reserves, final, created_ms, updated_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ConsentID, payee, p.PayeeName, p.PayeeIBAN, p.Amount.Minor(), p.Currency, p.Purpose, p.Reference,
		p.IdempotencyKey, toMS(p.RequestExp), p.SCAReceipt, string(p.Status),
		string(p.Status.Outcome()), boolInt(p.Status.Reserves()), boolInt(p.Status.Final()), nowMS, nowMS)
	if err != nil {
		return fmt.Errorf("record payment: %w", err)
	}
	if p.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("record payment: %w", err)
	}
	// The signed bytes go in the same transaction as the row: the write-ahead record is both or
	// neither. They live apart so history pages never read them (migration 8).
	if _, err := tx.ExecContext(ctx, `INSERT INTO payment_requests (payment_id, request_bytes) VALUES (?, ?)`,
		p.ID, p.Request); err != nil {
		return fmt.Errorf("record payment request: %w", err)
	}
	p.Created, p.Updated = fromMS(nowMS), fromMS(nowMS)
	return addEventTx(ctx, tx, p.ID, nowMS, p.Status, "", "signed request stored")
}

func addEventTx(ctx context.Context, tx *sql.Tx, id, atMS int64, s PaymentStatus, bankStatus, note string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO payment_events (payment_id, at_ms, status, bank_status, note) VALUES (?, ?, ?, ?, ?)`,
		id, atMS, string(s), bankStatus, note); err != nil {
		return fmt.Errorf("record payment event: %w", err)
	}
	return nil
}

// StatusUpdate is what changed about a payment.
type StatusUpdate struct {
	Status PaymentStatus
	// BankStatus is the bank's word for Status; Final that the bank's status never changes
	// again (a status that is final by itself needs no flag); ProviderState replaces the
	// provider's memory of the payment when not nil. All three only with a bank status.
	BankStatus    string
	Final         bool
	ProviderState []byte
	Note          string
	BankPaymentID string // set once, when the bank's PaymentId becomes known
	RejectCode    string
	RejectMessage string
}

// UpdatePaymentStatus moves a payment to a new status and appends the transition to its
// timeline. A final payment never changes again; repeating the current status with nothing new
// records nothing, so polling does not flood the timeline.
func (l *Ledger) UpdatePaymentStatus(ctx context.Context, id int64, u StatusUpdate) error {
	wrote := false
	err := l.withTx(ctx, func(tx *sql.Tx) error {
		var cur, curBank, bankID string
		var final int
		err := tx.QueryRowContext(ctx, `SELECT status, bank_status, final, COALESCE(bank_payment_id, '') FROM payments WHERE id = ?`, id).
			Scan(&cur, &curBank, &final, &bankID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("update payment: %w", ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("update payment: %w", err)
		}
		if final == 1 {
			if PaymentStatus(cur) == u.Status && (u.BankStatus == "" || u.BankStatus == curBank) {
				return nil
			}
			return fmt.Errorf("update payment: status %s is final, cannot become %s", cur, u.Status)
		}
		if u.BankPaymentID != "" && bankID != "" && u.BankPaymentID != bankID {
			return fmt.Errorf("update payment: the bank reported a different PaymentId for the same payment")
		}
		newBankID := bankID
		if newBankID == "" {
			newBankID = u.BankPaymentID
		}
		if PaymentStatus(cur) == u.Status && u.BankStatus == curBank && newBankID == bankID && u.RejectCode == "" && u.ProviderState == nil {
			return nil
		}
		nowMS := toMS(l.now())
		var bankArg any
		if newBankID != "" {
			bankArg = newBankID
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET status = ?, bank_status = ?, outcome = ?, reserves = ?, final = ?,
			bank_payment_id = ?, reject_code = CASE WHEN ? = '' THEN reject_code ELSE ? END,
			reject_message = CASE WHEN ? = '' THEN reject_message ELSE ? END,
			provider_state = CASE WHEN ? IS NULL THEN provider_state ELSE ? END, updated_ms = ? WHERE id = ?`,
			string(u.Status), u.BankStatus, string(u.Status.Outcome()), boolInt(u.Status.Reserves()), boolInt(u.Final || u.Status.Final()),
			bankArg, u.RejectCode, u.RejectCode, u.RejectMessage, u.RejectMessage, u.ProviderState, u.ProviderState, nowMS, id); err != nil {
			return fmt.Errorf("update payment: %w", err)
		}
		wrote = true
		if PaymentStatus(cur) == u.Status && u.BankStatus == curBank && newBankID == bankID && u.RejectCode == "" {
			return nil // only the provider's memory changed: not a step of the timeline
		}
		return addEventTx(ctx, tx, id, nowMS, u.Status, u.BankStatus, u.Note)
	})
	if err == nil && wrote {
		l.paymentChanged(id)
	}
	return err
}

// ReplaceRequest stores new exact request bytes (and their exp) for a payment the bank has
// provably not got, under the same idempotency key, before they are sent: the write-ahead rule
// holds for a resend too. Only a Prepared payment's request may change.
func (l *Ledger) ReplaceRequest(ctx context.Context, id int64, request []byte, exp time.Time, note string) error {
	if len(request) == 0 {
		return errors.New("replace request: the signed request is empty")
	}
	return l.withTx(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT status FROM payments WHERE id = ?`, id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("replace request: %w", ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("replace request: %w", err)
		}
		if PaymentStatus(cur) != PaymentPrepared {
			return fmt.Errorf("replace request: payment is %s; only a payment the bank has not got may change its request", cur)
		}
		nowMS := toMS(l.now())
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET request_exp_ms = ?, updated_ms = ? WHERE id = ?`,
			toMS(exp), nowMS, id); err != nil {
			return fmt.Errorf("replace request: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE payment_requests SET request_bytes = ? WHERE payment_id = ?`, request, id)
		if err != nil {
			return fmt.Errorf("replace request: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("replace request: payment %d has no stored request (%d rows, %v)", id, n, err)
		}
		return addEventTx(ctx, tx, id, nowMS, PaymentPrepared, "", note)
	})
}

// RecordAttempt appends one HTTP exchange to a payment's log (interaction ids for support).
func (l *Ledger) RecordAttempt(ctx context.Context, id int64, a Attempt) error {
	if a.At.IsZero() {
		a.At = l.now()
	}
	// A log row for support (logDB): it rides on the next synchronous commit, which for a
	// send is the bank's answer recorded right after it.
	if _, err := l.logPool().ExecContext(ctx, `INSERT INTO payment_attempts (payment_id, at_ms, kind, interaction_id, http_status, outcome)
		VALUES (?, ?, ?, ?, ?, ?)`, id, toMS(a.At), a.Kind, a.InteractionID, a.HTTPStatus, a.Outcome); err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	return nil
}

// paymentFrom reads a whole payment: its row and its signed request (payment_requests, apart
// so that history pages, which never need the bytes, do not read them). A LEFT JOIN, so a
// payment whose request went missing is an error (scanPayment) rather than a row silently
// left out of OpenPayments.
const paymentFrom = `SELECT id, consent_id, COALESCE(payee_id, 0), payee_name, payee_iban, amount_minor,
	currency, purpose_code, reference, idempotency_key, request_bytes, request_exp_ms, sca_receipt, status,
	bank_status, final, provider_state, COALESCE(bank_payment_id, ''), reject_code, reject_message, created_ms, updated_ms
	FROM payments LEFT JOIN payment_requests ON payment_requests.payment_id = payments.id`

// Payment reads one payment by its ledger id.
func (l *Ledger) Payment(ctx context.Context, id int64) (Payment, error) {
	return l.paymentWhere(ctx, "id = ?", id)
}

// PaymentByKey reads one payment by its idempotency key.
func (l *Ledger) PaymentByKey(ctx context.Context, key string) (Payment, error) {
	return l.paymentWhere(ctx, "idempotency_key = ?", key)
}

func (l *Ledger) paymentWhere(ctx context.Context, where string, arg any) (Payment, error) {
	row := l.db.QueryRowContext(ctx, paymentFrom+` WHERE `+where, arg)
	p, err := scanPayment(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Payment{}, fmt.Errorf("payment: %w", ErrNotFound)
	}
	return p, err
}

// OpenPayments lists every payment that is not final, oldest first: what start-up resumes.
func (l *Ledger) OpenPayments(ctx context.Context) ([]Payment, error) {
	rows, err := l.db.QueryContext(ctx, paymentFrom+` WHERE final = 0 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list open payments: %w", err)
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list open payments: %w", err)
	}
	return out, nil
}

// Timeline returns a payment's status transitions, oldest first.
func (l *Ledger) Timeline(ctx context.Context, id int64) ([]StatusChange, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT at_ms, status, bank_status, note FROM payment_events WHERE payment_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("read timeline: %w", err)
	}
	defer rows.Close()
	var out []StatusChange
	for rows.Next() {
		var at int64
		var c StatusChange
		if err := rows.Scan(&at, &c.Status, &c.BankStatus, &c.Note); err != nil {
			return nil, fmt.Errorf("read timeline: %w", err)
		}
		c.At = fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Attempts returns a payment's HTTP exchanges, oldest first.
func (l *Ledger) Attempts(ctx context.Context, id int64) ([]Attempt, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT at_ms, kind, interaction_id, http_status, outcome FROM payment_attempts WHERE payment_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var at int64
		var a Attempt
		if err := rows.Scan(&at, &a.Kind, &a.InteractionID, &a.HTTPStatus, &a.Outcome); err != nil {
			return nil, fmt.Errorf("read attempts: %w", err)
		}
		a.At = fromMS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

func scanPayment(r rowScanner) (Payment, error) {
	var (
		p                      Payment
		minor, expMS, cMS, uMS int64
		status                 string
		final                  int
	)
	err := r.Scan(&p.ID, &p.ConsentID, &p.PayeeID, &p.PayeeName, &p.PayeeIBAN, &minor, &p.Currency,
		&p.Purpose, &p.Reference, &p.IdempotencyKey, &p.Request, &expMS, &p.SCAReceipt, &status,
		&p.BankStatus, &final, &p.ProviderState, &p.BankPaymentID, &p.RejectCode, &p.RejectMessage, &cMS, &uMS)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Payment{}, err
		}
		return Payment{}, fmt.Errorf("read payment: %w", err)
	}
	if p.Amount, err = money.FromMinor(minor); err != nil {
		return Payment{}, fmt.Errorf("read payment %d: %w", p.ID, err)
	}
	if len(p.Request) == 0 {
		return Payment{}, fmt.Errorf("read payment %d: its signed request is missing from the ledger", p.ID)
	}
	p.Status, p.Final = PaymentStatus(status), final == 1
	p.RequestExp, p.Created, p.Updated = fromMS(expMS), fromMS(cMS), fromMS(uMS)
	return p, nil
}
