package wallet

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/payterm/payterm/internal/ctxsleep"
	"github.com/payterm/payterm/provider"
)

// Config wires a Wallet. Ledger, at least one bank and SCA are required.
type Config struct {
	Ledger *Ledger
	// Banks are the configured banks by id (the id recorded with each consent), each behind
	// its standard's provider. Every call about a consent or one of its payments goes to the
	// consent's own bank.
	Banks map[string]provider.Bank
	SCA   Authenticator
	// Limits are the defaults from the config file; edits persisted in the ledger win.
	Limits Limits
	// SessionID identifies this run for the session counters (provider.Facts); a random one
	// by default.
	SessionID string

	Clock func() time.Time
	Rand  io.Reader
	// Sleep waits between status polls; tests make it instant. It must honour ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// TrackFor bounds how long one call keeps polling a payment (default 2 minutes); a payment
	// still not final is picked up again by Resume.
	TrackFor time.Duration
}

// Wallet is the application core the UI and the CLI drive.
type Wallet struct {
	cfg Config

	mu       sync.Mutex
	prepared map[string]*Prepared
	// inflight marks payments a call is delivering, so Resume never drives the same payment
	// twice at once in this process.
	inflight map[int64]chan struct{} // closed when the call releases the payment
	// answers are the inboxes of the deliveries waiting for the payer's answer to the bank's
	// approval step, by payment (ContinuePayment).
	answers map[int64]chan provider.Input
	// logins are the inboxes of the Submits waiting for the payer's login at the bank before
	// the payment is built (no ledger id yet), by prepared id.
	logins map[string]chan provider.Input
	// submitting counts Submit calls between recording a payment and claiming it in inflight.
	submitting int
}

// New checks cfg and returns a Wallet. It makes no network call.
func New(cfg Config) (*Wallet, error) {
	switch {
	case cfg.Ledger == nil:
		return nil, errors.New("wallet: a ledger is required")
	case len(cfg.Banks) == 0:
		return nil, errors.New("wallet: a bank client is required")
	case cfg.SCA == nil:
		return nil, errors.New("wallet: an authenticator is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Sleep == nil {
		cfg.Sleep = ctxsleep.For
	}
	if cfg.TrackFor <= 0 {
		cfg.TrackFor = 2 * time.Minute
	}
	for id, b := range cfg.Banks {
		if id == "" || b == nil {
			return nil, errors.New("wallet: every bank needs an id and a client")
		}
	}
	if cfg.SessionID == "" {
		id, err := uuid.NewRandomFromReader(cfg.Rand)
		if err != nil {
			return nil, fmt.Errorf("wallet: session id: %w", err)
		}
		cfg.SessionID = id.String()
	}
	return &Wallet{cfg: cfg, prepared: map[string]*Prepared{}, inflight: map[int64]chan struct{}{}, answers: map[int64]chan provider.Input{},
		logins: map[string]chan provider.Input{}}, nil
}

// ErrBankNotConfigured is returned for a consent whose bank is no longer configured.
var ErrBankNotConfigured = errors.New("the consent's bank is not configured")

// bankOf returns the client of the bank a consent was given at.
func (w *Wallet) bankOf(c Consent) (provider.Bank, error) {
	if b, ok := w.cfg.Banks[c.Bank]; ok {
		return b, nil
	}
	return nil, &Problem{What: fmt.Sprintf("This consent is at the bank with id %q, which is not in your config.", c.Bank),
		Next: "Add that bank back to the config (same id) to pay, sync or revoke.", Err: ErrBankNotConfigured}
}

// bankOfConsent is bankOf for a consent id.
func (w *Wallet) bankOfConsent(ctx context.Context, consentID string) (provider.Bank, error) {
	c, err := w.cfg.Ledger.Consent(ctx, consentID)
	if err != nil {
		return nil, err
	}
	return w.bankOf(c)
}

// Ledger exposes the ledger for read-only screens and export.
func (w *Wallet) Ledger() *Ledger { return w.cfg.Ledger }

func (w *Wallet) newUUID() (string, error) {
	id, err := uuid.NewRandomFromReader(w.cfg.Rand)
	if err != nil {
		return "", fmt.Errorf("generate id: %w", err)
	}
	return id.String(), nil
}

// Problem is a refusal the user can act on: what happened and what to do next. It never
// carries PII.
type Problem struct {
	What string
	Next string
	Err  error
}

func (p *Problem) Error() string {
	if p.Next == "" {
		return p.What
	}
	return p.What + " " + p.Next
}

// Unwrap exposes the cause.
func (p *Problem) Unwrap() error { return p.Err }
