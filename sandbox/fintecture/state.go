package fintecture

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/payterm/payterm/internal/atomicfile"
)

// Session is one payment session as the hub holds it. It names the payer and the payee: the
// hub's own data, kept in its data dir, never in a verdict.
type Session struct {
	ID            string    `json:"id"`
	State         string    `json:"state"`
	RedirectURI   string    `json:"redirect_uri"`
	OriginURI     string    `json:"origin_uri,omitempty"`
	Amount        string    `json:"amount"`
	Currency      string    `json:"currency"`
	Communication string    `json:"communication"`
	PayeeName     string    `json:"payee_name,omitempty"`
	PayeeIBAN     string    `json:"payee_iban,omitempty"`
	PayerName     string    `json:"payer_name"`
	Status        string    `json:"status"`
	Created       time.Time `json:"created"`
	Updated       time.Time `json:"updated"`
	// PageToken is put in the Connect page's form: an outcome is taken only from that form.
	PageToken string `json:"page_token"`
	RequestID string `json:"request_id"`
}

// final reports a status that never changes again (for an Immediate Transfer).
func final(status string) bool {
	switch status {
	case StatusCreated, StatusUnsuccessful, StatusCancelled, StatusExpired:
		return true
	}
	return false
}

// The session statuses the hub sets (doc.fintecture.com payment-session-status).
const (
	StatusProviderRequired = "provider_required"
	StatusCreated          = "payment_created"
	StatusUnsuccessful     = "payment_unsuccessful"
	StatusCancelled        = "payment_cancelled"
	StatusExpired          = "payment_expired"
)

// state is what survives a restart: the sessions and the X-Request-IDs that opened one.
type state struct {
	dir      string
	Sessions map[string]*Session  `json:"sessions"`
	Used     map[string]time.Time `json:"used_request_ids"`
}

const stateFile = "state.json"

func loadState(dir string) (*state, error) {
	st := &state{dir: dir, Sessions: map[string]*Session{}, Used: map[string]time.Time{}}
	if dir == "" {
		return st, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the data dir: %w", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stateFile, err)
	}
	if err := json.Unmarshal(raw, st); err != nil {
		return nil, fmt.Errorf("%s is corrupt (move it away to start afresh): %w", stateFile, err)
	}
	if st.Sessions == nil {
		st.Sessions = map[string]*Session{}
	}
	if st.Used == nil {
		st.Used = map[string]time.Time{}
	}
	return st, nil
}

// save writes the state atomically (atomicfile: temp file, fsync, rename, fsync of the dir).
// The caller holds the hub's lock.
func (s *state) save() error {
	if s.dir == "" {
		return nil
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(s.dir, stateFile), raw)
}
