package consent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/payterm/payterm/lfi"
)

// RefreshMargin: an access token with less than this left is refreshed before use, so it cannot
// expire between our check and the bank's.
const RefreshMargin = 60 * time.Second

// ErrNoRefreshToken is what a TokenStore's Load wraps when nothing is stored for the consent.
var ErrNoRefreshToken = errors.New("no refresh token stored for this consent")

// ErrRefreshTokenNotSaved: the bank rotated the refresh token but storing the new one failed.
// The new token is kept in memory and saving is retried on the next call; the new access token
// is not handed out until the refresh token is safely stored.
var ErrRefreshTokenNotSaved = errors.New("could not save the rotated refresh token")

// ErrConsentInactive: the bank refused the refresh token (invalid_grant) — the consent was
// revoked, suspended or has expired. The user has to authorise a new consent (or wait for a
// suspension to be lifted).
var ErrConsentInactive = errors.New("the bank no longer accepts this consent's refresh token (revoked, suspended or expired)")

// TokenStore keeps a consent's refresh token across runs (keystore/ implements it on the OS
// keyring). Save must be durable when it returns: the old token may already be dead at the bank.
type TokenStore interface {
	Save(ctx context.Context, consentID string, refreshToken lfi.Secret) error
	// Load returns an error wrapping ErrNoRefreshToken when nothing is stored.
	Load(ctx context.Context, consentID string) (lfi.Secret, error)
	Delete(ctx context.Context, consentID string) error
}

// Grant is one token endpoint answer, reduced to what the manager needs.
type Grant struct {
	AccessToken  lfi.Secret
	RefreshToken lfi.Secret // empty when the bank did not rotate it
	ExpiresIn    time.Duration
	// ExpiresAt, when set, is when the access token expires by the bank client's clock
	// (lfi computes it when the answer arrives); it is preferred over ExpiresIn for Initial.
	ExpiresAt time.Time
}

// RefreshFunc calls the token endpoint with grant_type=refresh_token.
type RefreshFunc func(ctx context.Context, refreshToken lfi.Secret) (Grant, error)

// TokenManagerConfig wires a TokenManager.
type TokenManagerConfig struct {
	ConsentID string
	Store     TokenStore
	Refresh   RefreshFunc
	Clock     func() time.Time // default time.Now
	// Initial is the grant from onboarding, if this process just did it; its refresh token must
	// already be in Store. Without it the first AccessToken call refreshes.
	Initial *Grant
}

// TokenManager hands out a fresh access token for one consent. Concurrent callers share one
// refresh. A rotated refresh token is saved before the new access token is used.
type TokenManager struct {
	consentID string
	store     TokenStore
	refresh   RefreshFunc
	clock     func() time.Time

	mu        sync.Mutex
	access    lfi.Secret
	expiresAt time.Time
	unsaved   lfi.Secret // rotated refresh token whose Save failed
	// pendingAccess/pendingExpiry: the access token held back until unsaved is stored.
	pendingAccess lfi.Secret
	pendingExpiry time.Time
	inflight      *refreshCall
}

type refreshCall struct {
	done   chan struct{}
	access lfi.Secret
	err    error
}

// NewTokenManager checks cfg.
func NewTokenManager(cfg TokenManagerConfig) (*TokenManager, error) {
	if err := validateUUID("ConsentId", cfg.ConsentID); err != nil {
		return nil, fmt.Errorf("token manager: %w", err)
	}
	if cfg.Store == nil || cfg.Refresh == nil {
		return nil, errors.New("token manager: Store and Refresh are required")
	}
	m := &TokenManager{consentID: cfg.ConsentID, store: cfg.Store, refresh: cfg.Refresh, clock: cfg.Clock}
	if m.clock == nil {
		m.clock = time.Now
	}
	if cfg.Initial != nil && !cfg.Initial.AccessToken.IsZero() {
		m.access = cfg.Initial.AccessToken
		m.expiresAt = cfg.Initial.ExpiresAt
		if m.expiresAt.IsZero() {
			m.expiresAt = m.clock().Add(cfg.Initial.ExpiresIn)
		}
	}
	return m, nil
}

// AccessToken returns a token valid for at least RefreshMargin, refreshing first if needed.
func (m *TokenManager) AccessToken(ctx context.Context) (lfi.Secret, error) {
	m.mu.Lock()
	if m.unsaved.IsZero() && !m.access.IsZero() && m.clock().Add(RefreshMargin).Before(m.expiresAt) {
		tok := m.access
		m.mu.Unlock()
		return tok, nil
	}
	return m.joinRefresh(ctx) // unlocks m.mu
}

// Invalidate drops the cached access token (after the bank answered 401 to it), so the next
// AccessToken call refreshes.
func (m *TokenManager) Invalidate() {
	m.mu.Lock()
	m.access, m.expiresAt = "", time.Time{}
	m.mu.Unlock()
}

// joinRefresh starts a refresh or waits for the one in flight. Called with m.mu held.
func (m *TokenManager) joinRefresh(ctx context.Context) (lfi.Secret, error) {
	call := m.inflight
	if call == nil {
		call = &refreshCall{done: make(chan struct{})}
		m.inflight = call
		// Detached from the caller's context: once the bank rotates the token, the new one
		// must be saved even if this caller gives up.
		go m.runRefresh(context.WithoutCancel(ctx), call)
	}
	m.mu.Unlock()
	select {
	case <-call.done:
		return call.access, call.err
	case <-ctx.Done():
		return "", fmt.Errorf("refresh access token: %w", ctx.Err())
	}
}

func (m *TokenManager) runRefresh(ctx context.Context, call *refreshCall) {
	access, err := m.doRefresh(ctx)
	m.mu.Lock()
	m.inflight = nil
	call.access, call.err = access, err
	m.mu.Unlock()
	close(call.done)
}

func (m *TokenManager) doRefresh(ctx context.Context) (lfi.Secret, error) {
	m.mu.Lock()
	unsaved, pendingAccess, pendingExpiry := m.unsaved, m.pendingAccess, m.pendingExpiry
	m.mu.Unlock()
	if !unsaved.IsZero() {
		// A previous refresh rotated the token but could not store it: store it first. The
		// token we hold is the only live one, so it must not be refreshed away unsaved.
		if err := m.store.Save(ctx, m.consentID, unsaved); err != nil {
			return "", fmt.Errorf("%w: %w", ErrRefreshTokenNotSaved, err)
		}
		m.mu.Lock()
		m.unsaved, m.pendingAccess, m.pendingExpiry = "", "", time.Time{}
		if m.clock().Add(RefreshMargin).Before(pendingExpiry) {
			m.access, m.expiresAt = pendingAccess, pendingExpiry
			m.mu.Unlock()
			return pendingAccess, nil
		}
		m.mu.Unlock()
	}

	refreshToken, err := m.store.Load(ctx, m.consentID)
	if err != nil {
		return "", fmt.Errorf("load refresh token: %w", err)
	}
	if refreshToken.IsZero() {
		return "", fmt.Errorf("load refresh token: %w", ErrNoRefreshToken)
	}
	start := m.clock()
	g, err := m.refresh(ctx, refreshToken)
	if err != nil {
		var oe *lfi.OAuthError
		if errors.As(err, &oe) && oe.Code == "invalid_grant" {
			return "", fmt.Errorf("refresh access token: %w: %w", ErrConsentInactive, err)
		}
		return "", fmt.Errorf("refresh access token: %w", err)
	}
	if g.AccessToken.IsZero() || g.ExpiresIn <= 0 {
		return "", errors.New("refresh access token: the bank's answer has no access token or lifetime")
	}
	if !g.RefreshToken.IsZero() && g.RefreshToken != refreshToken {
		if err := m.store.Save(ctx, m.consentID, g.RefreshToken); err != nil {
			m.mu.Lock()
			m.unsaved, m.pendingAccess, m.pendingExpiry = g.RefreshToken, g.AccessToken, start.Add(g.ExpiresIn)
			m.access, m.expiresAt = "", time.Time{}
			m.mu.Unlock()
			return "", fmt.Errorf("%w: %w", ErrRefreshTokenNotSaved, err)
		}
	}
	m.mu.Lock()
	// Count the lifetime from when we asked, not when we got the answer.
	m.access, m.expiresAt = g.AccessToken, start.Add(g.ExpiresIn)
	m.mu.Unlock()
	return g.AccessToken, nil
}
