package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/payterm/payterm/sandbox/rules"
)

const stateFile = "state.json"

// Client is a registered TPP (the Trust Framework record the bank trusts).
type Client struct {
	ClientID     string          `json:"client_id"`
	Name         string          `json:"name"`
	SigningJWKS  json.RawMessage `json:"signing_jwks"`
	RedirectURIs []string        `json:"redirect_uris"`
	Roles        []string        `json:"roles"`
	CreatedAt    time.Time       `json:"created_at"`
}

// consentRecord is the bank's view of one payment consent.
type consentRecord struct {
	ConsentID            string          `json:"consent_id"`
	ClientID             string          `json:"client_id"`
	Status               string          `json:"status"`
	RevokedBy            string          `json:"revoked_by,omitempty"`
	CreationDateTime     time.Time       `json:"creation_date_time"`
	StatusUpdateDateTime time.Time       `json:"status_update_date_time"`
	ExpirationDateTime   time.Time       `json:"expiration_date_time"`
	AuthExpiration       *time.Time      `json:"authorization_expiration_date_time,omitempty"`
	Meta                 consentMeta     `json:"meta"`
	PII                  json.RawMessage `json:"pii"` // decrypted consent PII, kept for creditor matching
	DebtorAccount        string          `json:"debtor_account,omitempty"`
	Scope                string          `json:"scope"`
}

// consentMeta is what GET /payment-consents echoes from the request (no PII).
type consentMeta struct {
	BaseConsentID         string                         `json:"base_consent_id,omitempty"`
	IsSingleAuthorization *bool                          `json:"is_single_authorization,omitempty"`
	Permissions           []string                       `json:"permissions,omitempty"`
	PaymentPurposeCode    string                         `json:"payment_purpose_code"`
	DebtorReference       string                         `json:"debtor_reference,omitempty"`
	CreditorReference     string                         `json:"creditor_reference,omitempty"`
	SponsoredTPP          *rules.SponsoredTPPInformation `json:"sponsored_tpp,omitempty"`
	Subscription          *rules.EventSubscription       `json:"subscription,omitempty"`
}

type parRecord struct {
	ClientID      string    `json:"client_id"`
	ConsentID     string    `json:"consent_id"`
	RedirectURI   string    `json:"redirect_uri"`
	State         string    `json:"state"`
	Nonce         string    `json:"nonce"`
	CodeChallenge string    `json:"code_challenge"`
	Scope         string    `json:"scope"`
	ExpiresAt     time.Time `json:"expires_at"`
	Used          bool      `json:"used"`
}

type codeRecord struct {
	ClientID      string    `json:"client_id"`
	ConsentID     string    `json:"consent_id"`
	RedirectURI   string    `json:"redirect_uri"`
	CodeChallenge string    `json:"code_challenge"`
	Scope         string    `json:"scope"`
	State         string    `json:"state"`
	Nonce         string    `json:"nonce"`
	ExpiresAt     time.Time `json:"expires_at"`
	Used          bool      `json:"used"`
}

type tokenRecord struct {
	ClientID       string    `json:"client_id"`
	ConsentID      string    `json:"consent_id,omitempty"` // empty for client_credentials
	Scope          string    `json:"scope"`
	CertThumbprint string    `json:"cnf_x5t_s256"`
	ExpiresAt      time.Time `json:"expires_at,omitempty"` // zero for refresh tokens (consent-bound)
	FromCode       string    `json:"from_code,omitempty"`  // hash of the code it came from (rule 23 revocation)
	Revoked        bool      `json:"revoked"`
}

type paymentRecord struct {
	PaymentID         string          `json:"payment_id"`
	ConsentID         string          `json:"consent_id"`
	ClientID          string          `json:"client_id"`
	Amount            string          `json:"amount"`
	Currency          string          `json:"currency"`
	AmountFils        int64           `json:"amount_fils"`
	PurposeCode       string          `json:"purpose_code"`
	DebtorReference   string          `json:"debtor_reference,omitempty"`
	CreditorReference string          `json:"creditor_reference,omitempty"`
	Billing           json.RawMessage `json:"billing"`
	CreatedAt         time.Time       `json:"created_at"`
	Reject            *rejectReason   `json:"reject,omitempty"`
	TransactionID     string          `json:"transaction_id"`
}

type rejectReason struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

type idemRecord struct {
	ConsentID string            `json:"consent_id"`
	BodyHash  string            `json:"body_hash"`
	PaymentID string            `json:"payment_id"`
	Status    int               `json:"status"`
	Headers   map[string]string `json:"headers"`
	Body      []byte            `json:"body"`
	CreatedAt time.Time         `json:"created_at"`
}

// bankState is everything that survives a restart. Tokens and codes are stored by their
// SHA-256 so the file never holds a usable credential.
type bankState struct {
	Version     int                       `json:"version"`
	Clients     map[string]*Client        `json:"clients"`
	Consents    map[string]*consentRecord `json:"consents"`
	PARs        map[string]*parRecord     `json:"pars"`
	Codes       map[string]*codeRecord    `json:"codes"`
	Access      map[string]*tokenRecord   `json:"access_tokens"`
	Refresh     map[string]*tokenRecord   `json:"refresh_tokens"`
	Payments    map[string]*paymentRecord `json:"payments"`
	Idempotency map[string]*idemRecord    `json:"idempotency"`
	JTIs        map[string]time.Time      `json:"jtis"`
	BalanceFils int64                     `json:"balance_fils"`
	// JournalGen numbers the journal that continues this snapshot: each full save increments
	// it, and load replays only lines of the same generation. A crash after a full save but
	// before the old journal was emptied would otherwise replay older versions of records
	// (and an older balance) over the newer snapshot.
	JournalGen int64 `json:"journal_gen,omitempty"`
}

func newBankState(balanceFils int64) *bankState {
	return &bankState{
		Version:     1,
		Clients:     map[string]*Client{},
		Consents:    map[string]*consentRecord{},
		PARs:        map[string]*parRecord{},
		Codes:       map[string]*codeRecord{},
		Access:      map[string]*tokenRecord{},
		Refresh:     map[string]*tokenRecord{},
		Payments:    map[string]*paymentRecord{},
		Idempotency: map[string]*idemRecord{},
		JTIs:        map[string]time.Time{},
		BalanceFils: balanceFils,
	}
}

func loadState(dir string, balanceFils int64) (*bankState, error) {
	st := newBankState(balanceFils)
	if dir == "" {
		return st, nil
	}
	raw, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, replayJournal(dir, st)
	}
	if err != nil {
		return nil, fmt.Errorf("read sandbox state: %w", err)
	}
	if err := json.Unmarshal(raw, st); err != nil {
		return nil, fmt.Errorf("parse sandbox state %s: %w", stateFile, err)
	}
	if st.Version != 1 {
		return nil, fmt.Errorf("sandbox state version %d is not supported", st.Version)
	}
	// Maps missing from an older or hand-edited file must not be nil.
	fresh := newBankState(st.BalanceFils)
	orFresh(&st.Clients, fresh.Clients)
	orFresh(&st.Consents, fresh.Consents)
	orFresh(&st.PARs, fresh.PARs)
	orFresh(&st.Codes, fresh.Codes)
	orFresh(&st.Access, fresh.Access)
	orFresh(&st.Refresh, fresh.Refresh)
	orFresh(&st.Payments, fresh.Payments)
	orFresh(&st.Idempotency, fresh.Idempotency)
	orFresh(&st.JTIs, fresh.JTIs)
	if err := replayJournal(dir, st); err != nil {
		return nil, err
	}
	return st, nil
}

// saveLocked writes the state atomically. The caller holds b.mu.
func (b *Bank) saveLocked() error {
	b.pruneLocked() // an ephemeral bank prunes too: its maps are all it has
	if b.cfg.DataDir == "" {
		return nil
	}
	b.st.JournalGen++
	raw, err := json.Marshal(b.st)
	if err != nil {
		b.st.JournalGen--
		return fmt.Errorf("encode sandbox state: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(b.cfg.DataDir, stateFile), raw); err != nil {
		b.st.JournalGen-- // the snapshot on disk still continues with the current journal
		return err
	}
	b.dirty = dirtySet{} // state.json now holds every change
	return b.emptyJournalLocked()
}

// pruneLocked drops records nobody can use any more, so the state file stays small.
func (b *Bank) pruneLocked() {
	now := b.nowLocked()
	for k, exp := range b.st.JTIs {
		if now.After(exp.Add(b.cfg.Leeway)) {
			delete(b.st.JTIs, k)
		}
	}
	for k, p := range b.st.PARs {
		if now.After(p.ExpiresAt.Add(time.Hour)) {
			delete(b.st.PARs, k)
		}
	}
	for k, c := range b.st.Codes {
		if now.After(c.ExpiresAt.Add(24 * time.Hour)) {
			delete(b.st.Codes, k)
		}
	}
	for k, t := range b.st.Access {
		if now.After(t.ExpiresAt.Add(time.Hour)) {
			delete(b.st.Access, k)
		}
	}
	for k, t := range b.st.Refresh {
		if t.Revoked { // a revoked or rotated-out token answers invalid_grant whether kept or not
			delete(b.st.Refresh, k)
		}
	}
	b.pruneIdempotencyLocked(now, true)
}

// pruneIdempotencyLocked drops idempotency records whose 24 h window (rule 33) has passed; the
// payments they point at stay. Unless force is set it scans only when the oldest record is
// due (b.idemPruneAt), so the payment path can call it on every payment at O(1) cost.
// Caller holds b.mu.
func (b *Bank) pruneIdempotencyLocked(now time.Time, force bool) {
	if !force && (b.idemPruneAt.IsZero() || now.Before(b.idemPruneAt)) {
		return
	}
	var next time.Time
	for k, r := range b.st.Idempotency {
		due := r.CreatedAt.Add(idempotencyWindow)
		if !now.Before(due) {
			delete(b.st.Idempotency, k)
			continue
		}
		if next.IsZero() || due.Before(next) {
			next = due
		}
	}
	b.idemPruneAt = next
}

// noteIdempotencyLocked schedules the prune of a newly stored record. Caller holds b.mu.
func (b *Bank) noteIdempotencyLocked(rec *idemRecord) {
	if due := rec.CreatedAt.Add(idempotencyWindow); b.idemPruneAt.IsZero() || due.Before(b.idemPruneAt) {
		b.idemPruneAt = due
	}
}

// secretKey is how a token or code is indexed: its SHA-256, hex.
func secretKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// orFresh replaces a nil map with the fresh state's empty one.
func orFresh[M ~map[K]V, K comparable, V any](m *M, fresh M) {
	if *m == nil {
		*m = fresh
	}
}
