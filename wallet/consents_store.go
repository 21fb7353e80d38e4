package wallet

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound reports a consent, payee or payment the ledger does not hold.
var ErrNotFound = errors.New("not found")

// ConsentStatus is the bank's consent status (AEConsentStatusCodes). Paused is not one of them:
// it is a local flag.
type ConsentStatus string

// The API consent statuses.
const (
	ConsentAwaitingAuthorization ConsentStatus = "AwaitingAuthorization"
	ConsentAuthorized            ConsentStatus = "Authorized"
	ConsentSuspended             ConsentStatus = "Suspended"
	ConsentRejected              ConsentStatus = "Rejected"
	ConsentRevoked               ConsentStatus = "Revoked"
	ConsentExpired               ConsentStatus = "Expired"
	ConsentConsumed              ConsentStatus = "Consumed"
)

// Known reports whether s is one of the statuses the standard defines.
func (s ConsentStatus) Known() bool {
	switch s {
	case ConsentAwaitingAuthorization, ConsentAuthorized, ConsentSuspended, ConsentRejected,
		ConsentRevoked, ConsentExpired, ConsentConsumed:
		return true
	}
	return false
}

// Terminal reports whether no transition leaves s (uae-spec §8).
func (s ConsentStatus) Terminal() bool {
	switch s {
	case ConsentRejected, ConsentRevoked, ConsentExpired, ConsentConsumed:
		return true
	}
	return false
}

// BeneficiaryModel is how payees are bound to a consent.
type BeneficiaryModel string

// The three beneficiary models of a delegated-SCA consent.
const (
	BeneficiaryOpen BeneficiaryModel = "open" // no creditors: the wallet picks at payment time
	BeneficiaryOne  BeneficiaryModel = "one"  // exactly one creditor
	BeneficiaryList BeneficiaryModel = "list" // two to ten creditors
)

// Creditor is one creditor fixed in the consent. Name and IBAN are PII.
type Creditor struct {
	Name string `json:"name"`
	IBAN string `json:"iban"`
	Kind string `json:"kind,omitempty"` // "retail" or "corporate"
	// Wire is the AEDomesticCreditor JSON exactly as sent in the consent PII.
	Wire json.RawMessage `json:"wire,omitempty"`
}

// Consent is one payment consent as the ledger records it.
type Consent struct {
	ID            string
	Bank          string // the id of the bank it was given at (config [bank]/[[banks]] id)
	Status        ConsentStatus
	StatusUpdated time.Time
	RevokedBy     string
	Paused        bool // local only: never sent to the bank, never shown as Suspended
	Created       time.Time
	Expires       time.Time
	Model         BeneficiaryModel
	Creditors     []Creditor
	DebtorAccount string // optional IBAN (PII)
	DebtorName    string // its holder's name as typed (PII); "" only without DebtorAccount, or from before it was kept
	PurposeCode   string
	// BaseConsentID is the root of the renewal chain ("" for a first consent); RenewedFrom is
	// the consent this one replaced.
	BaseConsentID string
	RenewedFrom   string
	LastSynced    time.Time
	// Kind is what the grant is at its bank: a consent authorised there (UAE), or a link the
	// wallet keeps to the payer's account at a bank that has no grants (Berlin Group: the bank
	// approves each payment). A link has no expiry and nothing to sync.
	Kind GrantKind
	// Currency is what the grant pays in (ISO 4217): AED for a UAE consent.
	Currency string
}

// GrantKind is provider.GrantKind as the ledger stores it.
type GrantKind string

// Grant kinds.
const (
	GrantConsent GrantKind = "consent"
	GrantLink    GrantKind = "link"
)

// Root returns the id of the first consent of this consent's renewal chain.
func (c Consent) Root() string {
	if c.BaseConsentID != "" {
		return c.BaseConsentID
	}
	return c.ID
}

func currencyOr(c string) string {
	if c == "" {
		return "AED"
	}
	return c
}

func kindOfGrant(k GrantKind) GrantKind {
	if k == "" {
		return GrantConsent
	}
	return k
}

// InsertConsent records a new consent.
func (l *Ledger) InsertConsent(ctx context.Context, c Consent) error {
	if c.ID == "" || c.Bank == "" {
		return errors.New("insert consent: id and bank are required")
	}
	if !c.Status.Known() {
		return fmt.Errorf("insert consent: unknown status %q", c.Status)
	}
	creditors, err := json.Marshal(nonNilCreditors(c.Creditors))
	if err != nil {
		return fmt.Errorf("insert consent: encode creditors: %w", err)
	}
	if c.Created.IsZero() {
		c.Created = l.now()
	}
	err = l.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO consents (id, bank, status, status_updated_ms,
		revoked_by, paused, created_ms, expires_ms, beneficiary_model, creditors_json, debtor_account,
		debtor_name, purpose_code, base_consent_id, renewed_from, last_synced_ms, kind, currency)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Bank, string(c.Status), toMS(c.StatusUpdated), c.RevokedBy, boolInt(c.Paused),
			toMS(c.Created), toMS(c.Expires), string(c.Model), string(creditors), c.DebtorAccount,
			c.DebtorName, c.PurposeCode, c.BaseConsentID, c.RenewedFrom, toMS(c.LastSynced), string(kindOfGrant(c.Kind)), currencyOr(c.Currency))
		if err != nil {
			return fmt.Errorf("insert consent: %w", err)
		}
		// The consent's creditors are its payees: a payment must name one of them.
		for _, cr := range c.Creditors {
			if _, err := addPayeeTx(ctx, tx, Payee{ConsentID: c.ID, Name: cr.Name, IBAN: cr.IBAN, Kind: kindOr(cr.Kind), Wire: cr.Wire}, toMS(l.now())); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		l.changed(ConsentChanged, c.ID)
	}
	return err
}

func kindOr(k string) string {
	if k == "" {
		return "retail"
	}
	return k
}

const consentColumns = `id, bank, status, status_updated_ms, revoked_by, paused, created_ms,
	expires_ms, beneficiary_model, creditors_json, debtor_account, debtor_name, purpose_code,
	base_consent_id, renewed_from, last_synced_ms, kind, currency`

// Consent reads one consent.
func (l *Ledger) Consent(ctx context.Context, id string) (Consent, error) {
	row := l.db.QueryRowContext(ctx, `SELECT `+consentColumns+` FROM consents WHERE id = ?`, id)
	c, err := scanConsent(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Consent{}, fmt.Errorf("consent: %w", ErrNotFound)
	}
	return c, err
}

// Consents lists every consent, newest first.
func (l *Ledger) Consents(ctx context.Context) ([]Consent, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT `+consentColumns+` FROM consents ORDER BY created_ms DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list consents: %w", err)
	}
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list consents: %w", err)
	}
	return out, nil
}

// SetConsentStatus records the bank's status of a consent as of at, and when it was synced.
func (l *Ledger) SetConsentStatus(ctx context.Context, id string, s ConsentStatus, revokedBy string, at time.Time) error {
	if !s.Known() {
		return fmt.Errorf("set consent status: unknown status %q", s)
	}
	err := l.updateConsent(ctx, `UPDATE consents SET status = ?, revoked_by = ?, status_updated_ms = ?,
		last_synced_ms = ? WHERE id = ?`, string(s), revokedBy, toMS(at), toMS(l.now()), id)
	if err == nil {
		l.changed(ConsentChanged, id)
	}
	return err
}

// MarkConsentSynced records that the bank was asked and the status did not change.
func (l *Ledger) MarkConsentSynced(ctx context.Context, id string) error {
	return l.updateConsent(ctx, `UPDATE consents SET last_synced_ms = ? WHERE id = ?`, toMS(l.now()), id)
}

// RenameBank records every consent of bank from under bank id to instead; it returns how many
// moved. The app uses it once for consents an older payterm recorded under the bank's name.
func (l *Ledger) RenameBank(ctx context.Context, from, to string) (int64, error) {
	if from == "" || to == "" {
		return 0, errors.New("rename bank: empty bank id")
	}
	res, err := l.db.ExecContext(ctx, `UPDATE consents SET bank = ? WHERE bank = ?`, to, from)
	if err != nil {
		return 0, fmt.Errorf("rename bank: %w", err)
	}
	return res.RowsAffected()
}

// SetConsentPaused sets the local Paused flag.
func (l *Ledger) SetConsentPaused(ctx context.Context, id string, paused bool) error {
	err := l.updateConsent(ctx, `UPDATE consents SET paused = ? WHERE id = ?`, boolInt(paused), id)
	if err == nil {
		l.changed(ConsentChanged, id)
	}
	return err
}

func (l *Ledger) updateConsent(ctx context.Context, query string, args ...any) error {
	res, err := l.db.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("update consent: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update consent: %w", err)
	} else if n == 0 {
		return fmt.Errorf("update consent: %w", ErrNotFound)
	}
	return nil
}

type rowScanner interface{ Scan(dest ...any) error }

func scanConsent(r rowScanner) (Consent, error) {
	var (
		c                                  Consent
		status, model, creditors, kind     string
		statusMS, createdMS, expMS, syncMS int64
		paused                             int
	)
	err := r.Scan(&c.ID, &c.Bank, &status, &statusMS, &c.RevokedBy, &paused, &createdMS, &expMS,
		&model, &creditors, &c.DebtorAccount, &c.DebtorName, &c.PurposeCode, &c.BaseConsentID, &c.RenewedFrom, &syncMS, &kind, &c.Currency)
	if err != nil {
		return Consent{}, fmt.Errorf("read consent: %w", err)
	}
	c.Status, c.Model, c.Paused, c.Kind = ConsentStatus(status), BeneficiaryModel(model), paused == 1, GrantKind(kind)
	c.StatusUpdated, c.Created, c.Expires, c.LastSynced = fromMS(statusMS), fromMS(createdMS), fromMS(expMS), fromMS(syncMS)
	if err := json.Unmarshal([]byte(creditors), &c.Creditors); err != nil {
		return Consent{}, fmt.Errorf("read consent creditors: %w", err)
	}
	return c, nil
}

func nonNilCreditors(c []Creditor) []Creditor {
	if c == nil {
		return []Creditor{}
	}
	return c
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
