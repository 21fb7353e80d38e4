package uae

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/lfi"
)

// ConsentTokens implements Tokens with one consent.TokenManager per consent over a
// consent.TokenStore (the keystore in production).
type ConsentTokens struct {
	store      consent.TokenStore
	refreshFor RefreshFor
	clock      func() time.Time

	mu       sync.Mutex
	managers map[string]*consent.TokenManager
}

// RefreshFor finds the refresh grant of the bank a consent was given at, usually
// (*consent.LFIBank).Refresh of that bank. Each consent's refresh token goes only to its bank.
type RefreshFor func(ctx context.Context, consentID string) (consent.RefreshFunc, error)

// RefreshByBank is the RefreshFor of a wallet with several banks: bankOf reads the consent's
// bank (from the ledger) and the refresh goes there, never to another bank.
func RefreshByBank(bankOf func(ctx context.Context, consentID string) (string, error), refresh map[string]consent.RefreshFunc) RefreshFor {
	return func(ctx context.Context, consentID string) (consent.RefreshFunc, error) {
		bank, err := bankOf(ctx, consentID)
		if err != nil {
			return nil, err
		}
		f, ok := refresh[bank]
		if !ok {
			return nil, fmt.Errorf("the consent's bank %q is not configured", bank)
		}
		return f, nil
	}
}

// OneBank is the RefreshFor of a single bank.
func OneBank(f consent.RefreshFunc) RefreshFor {
	return func(context.Context, string) (consent.RefreshFunc, error) { return f, nil }
}

// NewConsentTokens wires the token managers.
func NewConsentTokens(store consent.TokenStore, refreshFor RefreshFor, clock func() time.Time) *ConsentTokens {
	if clock == nil {
		clock = time.Now
	}
	return &ConsentTokens{store: store, refreshFor: refreshFor, clock: clock, managers: map[string]*consent.TokenManager{}}
}

// refresh resolves the consent's bank when a refresh is due, not when the manager is made:
// Adopt runs before the consent is in the ledger.
func (t *ConsentTokens) refresh(consentID string) consent.RefreshFunc {
	return func(ctx context.Context, refreshToken lfi.Secret) (consent.Grant, error) {
		f, err := t.refreshFor(ctx, consentID)
		if err != nil {
			return consent.Grant{}, fmt.Errorf("refresh: %w", err)
		}
		return f(ctx, refreshToken)
	}
}

// Adopt hands the grant of a just-finished onboarding to the consent's manager, so the first
// payment does not need a refresh. Its refresh token must already be in the store.
func (t *ConsentTokens) Adopt(consentID string, g consent.Grant) error {
	m, err := consent.NewTokenManager(consent.TokenManagerConfig{ConsentID: consentID, Store: t.store,
		Refresh: t.refresh(consentID), Clock: t.clock, Initial: &g})
	if err != nil {
		return fmt.Errorf("token manager: %w", err)
	}
	t.mu.Lock()
	t.managers[consentID] = m
	t.mu.Unlock()
	return nil
}

func (t *ConsentTokens) manager(consentID string) (*consent.TokenManager, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m, ok := t.managers[consentID]; ok {
		return m, nil
	}
	m, err := consent.NewTokenManager(consent.TokenManagerConfig{ConsentID: consentID, Store: t.store,
		Refresh: t.refresh(consentID), Clock: t.clock})
	if err != nil {
		return nil, fmt.Errorf("token manager: %w", err)
	}
	t.managers[consentID] = m
	return m, nil
}

// AccessToken returns a fresh access token for the consent.
func (t *ConsentTokens) AccessToken(ctx context.Context, consentID string) (lfi.Secret, error) {
	m, err := t.manager(consentID)
	if err != nil {
		return "", err
	}
	return m.AccessToken(ctx)
}

// Invalidate drops the consent's cached access token.
func (t *ConsentTokens) Invalidate(consentID string) {
	t.mu.Lock()
	m := t.managers[consentID]
	t.mu.Unlock()
	if m != nil {
		m.Invalidate()
	}
}

// Forget deletes the consent's refresh token and its cached access token.
func (t *ConsentTokens) Forget(ctx context.Context, consentID string) error {
	t.mu.Lock()
	delete(t.managers, consentID)
	t.mu.Unlock()
	if err := t.store.Delete(ctx, consentID); err != nil && !errors.Is(err, consent.ErrNoRefreshToken) {
		return fmt.Errorf("forget tokens: %w", err)
	}
	return nil
}
