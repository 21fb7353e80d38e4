package xs2a

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// TPP is a registered third party provider.
type TPP struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	RedirectURIs []string  `json:"redirect_uris"`
	QWACSerial   string    `json:"qwac_serial,omitempty"`
	QSealCSerial string    `json:"qsealc_serial,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

type certRecord struct {
	TPPID string   `json:"tpp_id"`
	Kind  certKind `json:"kind"`
}

// payment is one payment resource.
type payment struct {
	ID        string          `json:"id"`
	TPPID     string          `json:"tpp_id"`
	Service   string          `json:"service"`
	Product   string          `json:"product"`
	Body      json.RawMessage `json:"body"` // the initiation as received (validated)
	Currency  string          `json:"currency"`
	Minor     int64           `json:"minor"`
	Approach  Approach        `json:"approach"`
	Status    string          `json:"status"`
	CreatedAt time.Time       `json:"created_at"`
	// StatusAt is when Status was entered (the settlement timeline counts from it).
	StatusAt time.Time `json:"status_at"`
	// FundsAvailable is set once the funds check ran.
	FundsAvailable *bool  `json:"funds_available,omitempty"`
	NoFundsFault   bool   `json:"no_funds_fault,omitempty"`
	RejectNoFunds  bool   `json:"reject_no_funds,omitempty"`
	PSUID          string `json:"psu_id,omitempty"`
	RedirectURI    string `json:"redirect_uri,omitempty"`
	NokRedirectURI string `json:"nok_redirect_uri,omitempty"`
	// Fingerprint identifies a logical duplicate (SpareBank 1).
	Fingerprint string   `json:"fingerprint,omitempty"`
	Auths       []string `json:"auths,omitempty"`
	CancelAuths []string `json:"cancel_auths,omitempty"`
	// CancelPending: DELETE answered 202; the payment is cancelled when a cancellation
	// authorisation finalises.
	CancelPending bool `json:"cancel_pending,omitempty"`
}

// authorisation is one (cancellation-)authorisation sub-resource.
type authorisation struct {
	ID        string    `json:"id"`
	PaymentID string    `json:"payment_id"`
	Cancel    bool      `json:"cancel,omitempty"`
	Approach  Approach  `json:"approach"`
	SCAStatus string    `json:"sca_status"` // BG camelCase; spelled per profile on the wire
	CreatedAt time.Time `json:"created_at"`
	Deadline  time.Time `json:"deadline"`
	PSUID     string    `json:"psu_id,omitempty"`
	Attempts  int       `json:"attempts,omitempty"`
	Method    string    `json:"method,omitempty"`
	// DecoupledAt is when the simulated bank app approves (zero: waits for an admin call).
	DecoupledAt time.Time `json:"decoupled_at,omitempty"`
	// PageToken opens the redirect page; Confirmation is the confirmationCode the redirect back
	// carries when the authorisation needs confirming.
	PageToken         string `json:"page_token,omitempty"`
	NeedsConfirmation bool   `json:"needs_confirmation,omitempty"`
	Confirmation      string `json:"confirmation,omitempty"`
	RedirectURI       string `json:"redirect_uri,omitempty"`
	NokRedirectURI    string `json:"nok_redirect_uri,omitempty"`
}

// psuSession is a SpareBank 1 PSU session (PSU-ID + TPP-Session-ID).
type psuSession struct {
	ID        string    `json:"id"`
	TPPID     string    `json:"tpp_id"`
	PSUID     string    `json:"psu_id"`
	ExpiresAt time.Time `json:"expires_at"`
	// Pending sessions wait for the page: State is the page's key, RedirectURI where it returns.
	Pending     bool   `json:"pending,omitempty"`
	RedirectURI string `json:"redirect_uri,omitempty"`
}

// oauthCode is an authorization code of the OAuth SCA approach (stored by hash).
type oauthCode struct {
	TPPID         string    `json:"tpp_id"`
	AuthID        string    `json:"auth_id"`
	RedirectURI   string    `json:"redirect_uri"`
	CodeChallenge string    `json:"code_challenge"`
	ExpiresAt     time.Time `json:"expires_at"`
}

// accessToken is a token issued by POST /oauth/token (kept by its SHA-256): for one payment
// of one TPP, until it expires.
type accessToken struct {
	TPPID     string    `json:"tpp_id"`
	PaymentID string    `json:"payment_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

type state struct {
	Gen        int64                     `json:"journal_gen"`
	TPPs       map[string]*TPP           `json:"tpps"`
	Certs      map[string]*certRecord    `json:"certs"`
	Payments   map[string]*payment       `json:"payments"`
	Auths      map[string]*authorisation `json:"auths"`
	Sessions   map[string]*psuSession    `json:"sessions"`
	Codes      map[string]*oauthCode     `json:"codes"`
	Tokens     map[string]*accessToken   `json:"tokens"`
	RequestIDs map[string]time.Time      `json:"request_ids"`
	Balances   map[string]int64          `json:"balances"`
}

func newState(balances map[string]int64) *state {
	return &state{TPPs: map[string]*TPP{}, Certs: map[string]*certRecord{}, Payments: map[string]*payment{},
		Auths: map[string]*authorisation{}, Sessions: map[string]*psuSession{}, Codes: map[string]*oauthCode{}, Tokens: map[string]*accessToken{},
		RequestIDs: map[string]time.Time{}, Balances: balances}
}

// Record kinds in the journal.
const (
	recTPP     = "tpp"
	recCert    = "cert"
	recPayment = "payment"
	recAuth    = "auth"
	recSession = "session"
	recCode    = "code"
	recToken   = "token"
	recReqID   = "reqid"
	recBalance = "balance"
)

type recKey struct{ kind, id string }

// journalFile is the append-only change log: one fsync'd line per request that changed state,
// holding the changed records (null for a deleted one). Load replays it over state.json.
type journalFile struct {
	dir   string
	f     *os.File
	size  int64
	dirty map[recKey]bool
	// written counts every byte ever appended; synced how many of them are durable (an fsync
	// or a full snapshot covered them). Answers wait until synced passes their own line, so
	// concurrent requests share one fsync (group commit).
	written int64
	synced  atomic.Int64
	syncMu  sync.Mutex
}

const (
	stateFile     = "state.json"
	journalName   = "journal.jsonl"
	journalFoldAt = 4 << 20
)

type journalLine struct {
	Gen  int64        `json:"gen"`
	Recs []journalRec `json:"recs"`
}

type journalRec struct {
	Kind string          `json:"k"`
	ID   string          `json:"id"`
	Val  json.RawMessage `json:"v"`
}

func loadState(dir string, balances map[string]int64, now time.Time) (*state, *journalFile, error) {
	st := newState(balances)
	j := &journalFile{dir: dir, dirty: map[recKey]bool{}}
	if dir == "" {
		return st, j, nil
	}
	raw, err := os.ReadFile(filepath.Join(dir, stateFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, nil, fmt.Errorf("read xs2a state: %w", err)
	default:
		loaded := newState(nil)
		if err := json.Unmarshal(raw, loaded); err != nil {
			return nil, nil, fmt.Errorf("xs2a state.json is corrupt: %w", err)
		}
		st = loaded
		st.fillNil()
	}
	if jr, err := os.ReadFile(filepath.Join(dir, journalName)); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(jr))
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var line journalLine
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				break // a torn last line: the request it belonged to was never answered
			}
			if line.Gen != st.Gen {
				continue // older than the snapshot
			}
			for _, r := range line.Recs {
				if err := st.apply(r); err != nil {
					return nil, nil, fmt.Errorf("xs2a journal: %w", err)
				}
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("read xs2a journal: %w", err)
	}
	st.pruneRequestIDs(now)
	// Fold: a fresh snapshot of a new generation, then an empty journal.
	if err := saveSnapshot(dir, st); err != nil {
		return nil, nil, err
	}
	if err := os.Remove(filepath.Join(dir, journalName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	return st, j, nil
}

func (st *state) fillNil() {
	fresh := newState(map[string]int64{})
	if st.TPPs == nil {
		st.TPPs = fresh.TPPs
	}
	if st.Certs == nil {
		st.Certs = fresh.Certs
	}
	if st.Payments == nil {
		st.Payments = fresh.Payments
	}
	if st.Auths == nil {
		st.Auths = fresh.Auths
	}
	if st.Sessions == nil {
		st.Sessions = fresh.Sessions
	}
	if st.Codes == nil {
		st.Codes = fresh.Codes
	}
	if st.Tokens == nil {
		st.Tokens = fresh.Tokens
	}
	if st.RequestIDs == nil {
		st.RequestIDs = fresh.RequestIDs
	}
	if st.Balances == nil {
		st.Balances = fresh.Balances
	}
}

// pruneRequestIDs drops X-Request-IDs whose window has passed (their expiry is stored), and
// access tokens that expired: neither can change an answer any more.
func (st *state) pruneRequestIDs(now time.Time) {
	for k, exp := range st.RequestIDs {
		if !now.Before(exp) {
			delete(st.RequestIDs, k)
		}
	}
	for k, t := range st.Tokens {
		if !now.Before(t.ExpiresAt) {
			delete(st.Tokens, k)
		}
	}
}

func applyRec[T any](m map[string]*T, r journalRec) error {
	if string(r.Val) == "null" || len(r.Val) == 0 {
		delete(m, r.ID)
		return nil
	}
	v := new(T)
	if err := json.Unmarshal(r.Val, v); err != nil {
		return fmt.Errorf("%s %s: %w", r.Kind, r.ID, err)
	}
	m[r.ID] = v
	return nil
}

func (st *state) apply(r journalRec) error {
	switch r.Kind {
	case recTPP:
		return applyRec(st.TPPs, r)
	case recCert:
		return applyRec(st.Certs, r)
	case recPayment:
		return applyRec(st.Payments, r)
	case recAuth:
		return applyRec(st.Auths, r)
	case recSession:
		return applyRec(st.Sessions, r)
	case recCode:
		return applyRec(st.Codes, r)
	case recToken:
		return applyRec(st.Tokens, r)
	case recReqID:
		if string(r.Val) == "null" {
			delete(st.RequestIDs, r.ID)
			return nil
		}
		var t time.Time
		if err := json.Unmarshal(r.Val, &t); err != nil {
			return err
		}
		st.RequestIDs[r.ID] = t
	case recBalance:
		var v int64
		if err := json.Unmarshal(r.Val, &v); err != nil {
			return err
		}
		st.Balances[r.ID] = v
	default:
		return fmt.Errorf("unknown record kind %q", r.Kind)
	}
	return nil
}

func (st *state) record(k recKey) any {
	var v any
	var ok bool
	switch k.kind {
	case recTPP:
		v, ok = st.TPPs[k.id]
	case recCert:
		v, ok = st.Certs[k.id]
	case recPayment:
		v, ok = st.Payments[k.id]
	case recAuth:
		v, ok = st.Auths[k.id]
	case recSession:
		v, ok = st.Sessions[k.id]
	case recCode:
		v, ok = st.Codes[k.id]
	case recToken:
		v, ok = st.Tokens[k.id]
	case recReqID:
		v, ok = st.RequestIDs[k.id]
	case recBalance:
		v, ok = st.Balances[k.id]
	}
	if !ok {
		return nil
	}
	return v
}

func saveSnapshot(dir string, st *state) error {
	st.Gen++
	raw, err := json.Marshal(st)
	if err != nil {
		st.Gen--
		return fmt.Errorf("encode xs2a state: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, stateFile), raw); err != nil {
		st.Gen--
		return fmt.Errorf("save xs2a state: %w", err)
	}
	return nil
}

// touchLocked marks a record changed; commitLocked writes every marked record.
func (b *Bank) touchLocked(kind, id string) { b.journal.dirty[recKey{kind, id}] = true }

// commitLocked appends the changed records and makes them durable before returning (for the
// pages, the token endpoint, registration and the Go/admin controls).
func (b *Bank) commitLocked() error {
	if err := b.appendLocked(); err != nil {
		return err
	}
	j := b.journal
	if j.f == nil || j.synced.Load() >= j.written {
		return nil
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync xs2a journal: %w", err)
	}
	j.synced.Store(j.written)
	return nil
}

// syncJournal makes every line appended so far durable, sharing one fsync between the
// requests that wait together (the API answers call it before they are written).
func (b *Bank) syncJournal() error {
	j := b.journal
	b.mu.Lock()
	target := j.written
	b.mu.Unlock()
	if j.synced.Load() >= target {
		return nil
	}
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if j.synced.Load() >= target {
		return nil // another request's fsync covered this line
	}
	b.mu.Lock()
	f, upTo := j.f, j.written
	b.mu.Unlock()
	if f == nil {
		return nil // a fold wrote everything into a durable snapshot
	}
	if err := f.Sync(); err != nil {
		if errors.Is(err, os.ErrClosed) {
			return nil // folded meanwhile: the snapshot holds the line
		}
		return fmt.Errorf("sync xs2a journal: %w", err)
	}
	for {
		cur := j.synced.Load()
		if cur >= upTo || j.synced.CompareAndSwap(cur, upTo) {
			return nil
		}
	}
}

// appendLocked writes one journal line with the changed records (not yet fsync'd: see
// syncJournal), or folds everything into state.json when the journal has grown large.
func (b *Bank) appendLocked() error {
	j := b.journal
	if len(j.dirty) == 0 {
		return nil
	}
	if j.dir == "" {
		clear(j.dirty)
		return nil
	}
	if j.size > journalFoldAt {
		return b.foldLocked()
	}
	line := journalLine{Gen: b.st.Gen}
	for k := range j.dirty {
		v, err := json.Marshal(b.st.record(k))
		if err != nil {
			return err
		}
		line.Recs = append(line.Recs, journalRec{Kind: k.kind, ID: k.id, Val: v})
	}
	raw, err := json.Marshal(line)
	if err != nil {
		return err
	}
	raw = append(raw, '\n')
	if j.f == nil {
		f, err := os.OpenFile(filepath.Join(j.dir, journalName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("open xs2a journal: %w", err)
		}
		j.f = f
	}
	if _, err := j.f.Write(raw); err != nil {
		return fmt.Errorf("append xs2a journal: %w", err)
	}
	j.size += int64(len(raw))
	j.written += int64(len(raw))
	clear(j.dirty)
	return nil
}

// foldLocked writes a full snapshot of a new generation and empties the journal.
func (b *Bank) foldLocked() error {
	j := b.journal
	b.st.pruneRequestIDs(b.now())
	if err := saveSnapshot(j.dir, b.st); err != nil {
		return err
	}
	if j.f != nil {
		j.f.Close()
		j.f = nil
	}
	if err := os.Remove(filepath.Join(j.dir, journalName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	j.size = 0
	j.synced.Store(j.written) // the snapshot is durable and holds every line
	clear(j.dirty)
	return nil
}

func (b *Bank) closeStateLocked() error {
	j := b.journal
	if j.dir == "" {
		return nil
	}
	var err error
	if j.size > 0 || len(j.dirty) > 0 {
		err = b.foldLocked()
	}
	if j.f != nil {
		err = errors.Join(err, j.f.Close())
		j.f = nil
	}
	return err
}
