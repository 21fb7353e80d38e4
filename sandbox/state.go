package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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
	// TransportCertThumbprint is the x5t#S256 (RFC 8705) of the one transport certificate the
	// client may present (rule 1): a re-registration with a new CSR replaces it, which revokes
	// the old certificate. Empty only in a record written before certificates were bound; the
	// first certificate such a client presents is then bound (register.go).
	TransportCertThumbprint string `json:"transport_cert_x5t_s256,omitempty"`
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
	// PaymentCount and PaymentFils are the consent's PaymentConsumption: its payments the bank
	// did not reject. RecentPayments holds the ids of its latest maxRelatedPayments payments,
	// oldest first (Links.Related). All three follow from the payments, so the journal does not
	// carry them with each payment: replaying a payment updates them (bankState.addPayment).
	PaymentCount   int64    `json:"payment_count,omitempty"`
	PaymentFils    int64    `json:"payment_fils,omitempty"`
	RecentPayments []string `json:"recent_payments,omitempty"`
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
	Seq               int64           `json:"seq,omitempty"` // creation order, from 1 (bankState.NextSeq)
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

// stateVersion 2 keeps payments out of state.json (they are journaled, then archived) and
// stores each consent's consumption counters; a version 1 file is migrated at load.
const stateVersion = 2

// maxRelatedPayments bounds Links.Related of a consent (consents.go).
const maxRelatedPayments = 100

// bankState is everything that survives a restart. Tokens and codes are stored by their
// SHA-256 so the file never holds a usable credential. Payments and Idempotency hold only the
// records of the current journal generation (all of them for a bank without a data dir); a
// compaction moves them to the archive (archive.go).
type bankState struct {
	Version     int                       `json:"version"`
	Clients     map[string]*Client        `json:"clients"`
	Consents    map[string]*consentRecord `json:"consents"`
	PARs        map[string]*parRecord     `json:"pars"`
	Codes       map[string]*codeRecord    `json:"codes"`
	Access      map[string]*tokenRecord   `json:"access_tokens"`
	Refresh     map[string]*tokenRecord   `json:"refresh_tokens"`
	Payments    map[string]*paymentRecord `json:"payments,omitempty"`
	Idempotency map[string]*idemRecord    `json:"idempotency,omitempty"`
	JTIs        map[string]time.Time      `json:"jtis"`
	BalanceFils int64                     `json:"balance_fils"`
	// NextSeq numbers the next payment (paymentRecord.Seq).
	NextSeq int64 `json:"next_seq,omitempty"`
	// JournalGen numbers the journal generation that continues this snapshot: a compaction
	// starts a new generation and writes a snapshot of everything before it, and load replays
	// only lines of this generation or a later one. A crash after the snapshot but before the
	// old journal was removed would otherwise replay older versions of records (and an older
	// balance) over the newer snapshot.
	JournalGen int64 `json:"journal_gen,omitempty"`
	// ArchivedIdemNewest is the creation time of the newest idempotency record in the archive
	// when the snapshot was taken: once 24 h have passed since, a new key is not looked up in
	// the archive records of earlier runs.
	ArchivedIdemNewest time.Time `json:"archived_idem_newest,omitzero"`
}

func newBankState(balanceFils int64) *bankState {
	return &bankState{
		Version:     stateVersion,
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
		NextSeq:     1,
	}
}

// addPayment records a new payment (created now, or replayed from the journal) and updates
// its consent's consumption and recent list.
func (st *bankState) addPayment(p *paymentRecord) {
	if _, known := st.Payments[p.PaymentID]; known {
		st.Payments[p.PaymentID] = p
		return
	}
	if p.Seq == 0 { // a version 1 journal line
		p.Seq = st.NextSeq
	}
	if p.Seq >= st.NextSeq {
		st.NextSeq = p.Seq + 1
	}
	st.Payments[p.PaymentID] = p
	if c := st.Consents[p.ConsentID]; c != nil {
		c.notePayment(p)
	}
}

// notePayment counts p in the consent's consumption (unless the bank rejected it) and appends
// it to the recent list. The list is never changed in place (a snapshot copy may share it).
func (c *consentRecord) notePayment(p *paymentRecord) {
	if p.Reject == nil {
		c.PaymentCount++
		c.PaymentFils += p.AmountFils
	}
	r := c.RecentPayments
	if len(r) >= maxRelatedPayments {
		r = r[len(r)-maxRelatedPayments+1:]
	}
	c.RecentPayments = append(r, p.PaymentID)
}

// loadState reads state.json and replays the journal over it.
func loadState(dir string, balanceFils int64) (*bankState, error) {
	st, _, err := readState(dir, balanceFils)
	return st, err
}

// readState reads state.json (migrating version 1) and replays the journal files over it: the
// previous generation's first (left by a compaction that a crash interrupted), then the
// current one. fold reports that the files must be folded into a new snapshot before this run
// appends (a journal was present, or the state was migrated).
func readState(dir string, balanceFils int64) (st *bankState, fold bool, err error) {
	st = newBankState(balanceFils)
	if dir == "" {
		return st, false, nil
	}
	raw, err := os.ReadFile(filepath.Join(dir, stateFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, false, fmt.Errorf("read sandbox state: %w", err)
	default:
		st.Version, st.NextSeq = 0, 0
		if err := json.Unmarshal(raw, st); err != nil {
			return nil, false, fmt.Errorf("parse sandbox state %s: %w", stateFile, err)
		}
		if st.Version != 1 && st.Version != stateVersion {
			return nil, false, fmt.Errorf("sandbox state version %d is not supported", st.Version)
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
		if st.NextSeq < 1 {
			st.NextSeq = 1
		}
		if st.Version == 1 {
			st.migrateV1()
			fold = true
		}
	}
	for _, name := range []string{journalPrevFile, journalFile} {
		present, err := replayJournal(filepath.Join(dir, name), st)
		if err != nil {
			return nil, false, err
		}
		fold = fold || present
	}
	return st, fold, nil
}

// migrateV1 numbers a version 1 snapshot's payments in creation order and computes each
// consent's consumption and recent list from them (version 1 kept every payment in
// state.json and derived both on each request). It runs once; the fold then archives them.
func (st *bankState) migrateV1() {
	all := make([]*paymentRecord, 0, len(st.Payments))
	for _, p := range st.Payments {
		all = append(all, p)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].CreatedAt.Equal(all[j].CreatedAt) {
			return all[i].PaymentID < all[j].PaymentID
		}
		return all[i].CreatedAt.Before(all[j].CreatedAt)
	})
	for _, c := range st.Consents {
		c.PaymentCount, c.PaymentFils, c.RecentPayments = 0, 0, nil
	}
	st.Payments = map[string]*paymentRecord{}
	st.NextSeq = 1
	for _, p := range all {
		p.Seq = 0
		st.addPayment(p)
	}
	st.Version = stateVersion
}

// cloneSmall copies what a snapshot holds (everything but the payments and idempotency
// records, which go to the archive), record by record, so it can be encoded without the lock
// while handlers change the live records. Caller holds b.mu.
func (st *bankState) cloneSmall() *bankState {
	out := *st
	out.Clients = copyRecords(st.Clients)
	out.Consents = copyRecords(st.Consents)
	out.PARs = copyRecords(st.PARs)
	out.Codes = copyRecords(st.Codes)
	out.Access = copyRecords(st.Access)
	out.Refresh = copyRecords(st.Refresh)
	out.JTIs = make(map[string]time.Time, len(st.JTIs))
	for k, v := range st.JTIs {
		out.JTIs[k] = v
	}
	out.Payments, out.Idempotency = nil, nil
	return &out
}

func copyRecords[T any](m map[string]*T) map[string]*T {
	out := make(map[string]*T, len(m))
	for k, v := range m {
		c := *v
		out[k] = &c
	}
	return out
}

// maybePruneLocked prunes at most once a minute of bank time: pruning scans every token, code
// and request record, too much for each request of the authorization flow.
func (b *Bank) maybePruneLocked() {
	now := b.nowLocked()
	if now.Before(b.pruneAt) && now.After(b.pruneAt.Add(-pruneEvery)) {
		return // pruned less than a minute ago (a clock moved back prunes again)
	}
	b.pruneLocked()
	b.pruneAt = now.Add(pruneEvery)
}

const pruneEvery = time.Minute

// pruneLocked drops records nobody can use any more, so the state stays small.
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
