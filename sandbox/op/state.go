package op

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/payterm/payterm/internal/atomicfile"
)

// Authorization is one bundle: the payments under one authorizationId and where its SCA is.
type Authorization struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"` // Unauthorized, Authorizing, Authorized, Rejected, Revoked, PartiallyRevoked
	PaymentIDs []string  `json:"payment_ids"`
	Created    time.Time `json:"created"`
	// Payer is who approved it (the page's user), or who created it in the exemption flow.
	Payer string `json:"payer,omitempty"`
	// Exemption: created with the payer's refreshed token, to be authorised by the
	// exemption engine (jwt-bearer), never by the page.
	Exemption bool `json:"exemption,omitempty"`
}

// exemptions counts one payer's exemption payments since the last SCA. Other counts the
// ones made "through other channels" (injected), which the wallet cannot see.
type exemptions struct {
	Count      int       `json:"count"`
	SumCents   int64     `json:"sum_cents"`
	OtherCount int       `json:"other_count"`
	OtherCents int64     `json:"other_cents"`
	Since      time.Time `json:"since"`
}

// Payment is one SEPA payment as the bank holds it (the payer's and payee's data: the bank's
// own, kept in its data dir, never in a verdict).
type Payment struct {
	ID        string    `json:"id"`
	AuthID    string    `json:"authorization_id"`
	Status    string    `json:"status"` // Unauthorized … Completed
	AmountEUR string    `json:"amount_eur"`
	PayeeIBAN string    `json:"payee_iban"`
	PayeeName string    `json:"payee_name"`
	PayerIBAN string    `json:"payer_iban,omitempty"`
	Message   string    `json:"message,omitempty"`
	Reference string    `json:"reference,omitempty"`
	Count     int       `json:"count"`
	Key       string    `json:"idempotency_key"`
	BodyHash  string    `json:"body_sha256"`
	Created   time.Time `json:"created"`
	Modified  time.Time `json:"modified"`
	// Debited counts the times money left the payer's account for this payment: the
	// journeys' proof that nothing is paid twice.
	Debited int `json:"debited"`
	// Foreign: a foreign payment's amount, currency, payee bank and address (nil: SEPA, in
	// AmountEUR).
	Foreign *ForeignDetails `json:"foreign,omitempty"`
}

// Shown is the amount with its currency, for the authorize page.
func (p Payment) Shown() string {
	if p.Foreign != nil {
		return p.Foreign.Amount + " " + p.Foreign.Currency
	}
	return p.AmountEUR + " EUR"
}

// Submission is one submission of a payment.
type Submission struct {
	PaymentID string    `json:"payment_id"`
	ID        string    `json:"id"`
	ArchiveID string    `json:"archive_id"`
	Status    string    `json:"status"` // Accepted, Pending, Error, Submitted, Credited, Rejected
	Created   time.Time `json:"created"`
	Modified  time.Time `json:"modified"`
	// Then and ThenAt: an Accepted submission becomes Then at ThenAt (read on the next GET).
	Then   string    `json:"then,omitempty"`
	ThenAt time.Time `json:"then_at,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

// code is an authorization code handed to the redirect_uri.
type code struct {
	AuthID      string    `json:"authorization_id"`
	RedirectURI string    `json:"redirect_uri"`
	Nonce       string    `json:"nonce"`
	Exp         time.Time `json:"exp"`
	Used        bool      `json:"used"`
}

// refresh is a refresh token (stored by its SHA-256) and the SCA it came from.
type refresh struct {
	AuthID string    `json:"authorization_id"`
	Payer  string    `json:"payer"`
	SCAAt  time.Time `json:"sca_at"`
	Exp    time.Time `json:"exp"`
}

// pending is an authorize page shown and not yet answered.
type pending struct {
	AuthID      string    `json:"authorization_id"`
	RedirectURI string    `json:"redirect_uri"`
	State       string    `json:"state"`
	Nonce       string    `json:"nonce"`
	Exp         time.Time `json:"exp"`
}

type state struct {
	dir            string
	Authorizations map[string]*Authorization `json:"authorizations"`
	Payments       map[string]*Payment       `json:"payments"`
	Submissions    map[string]*Submission    `json:"submissions"` // paymentId/submissionId
	Keys           map[string]string         `json:"idempotency_keys"`
	Codes          map[string]*code          `json:"codes"`
	Refresh        map[string]*refresh       `json:"refresh_tokens"`
	Pages          map[string]*pending       `json:"pages"`
	Exempt         map[string]*exemptions    `json:"exemptions"`
	// UserTokens are the payer's access tokens by their digest: OP keeps them over its own
	// restarts (the exemption grant's token has no refresh token; a bank that forgot it would
	// strand a payment it had approved). Client tokens stay in memory.
	UserTokens map[string]*token `json:"user_tokens"`
}

const stateFile = "state.json"

func loadState(dir string) (*state, error) {
	st := &state{dir: dir}
	if dir != "" {
		raw, err := os.ReadFile(filepath.Join(dir, stateFile))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", stateFile, err)
		default:
			if err := json.Unmarshal(raw, st); err != nil {
				return nil, fmt.Errorf("%s is corrupt (move it away to start afresh): %w", stateFile, err)
			}
		}
	}
	if st.Authorizations == nil {
		st.Authorizations = map[string]*Authorization{}
	}
	if st.Payments == nil {
		st.Payments = map[string]*Payment{}
	}
	if st.Submissions == nil {
		st.Submissions = map[string]*Submission{}
	}
	if st.Keys == nil {
		st.Keys = map[string]string{}
	}
	if st.Codes == nil {
		st.Codes = map[string]*code{}
	}
	if st.Refresh == nil {
		st.Refresh = map[string]*refresh{}
	}
	if st.Exempt == nil {
		st.Exempt = map[string]*exemptions{}
	}
	if st.Pages == nil {
		st.Pages = map[string]*pending{}
	}
	if st.UserTokens == nil {
		st.UserTokens = map[string]*token{}
	}
	return st, nil
}

// save writes the state atomically (atomicfile: temp file, fsync, rename, fsync of the dir).
// The caller holds the bank's lock.
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
