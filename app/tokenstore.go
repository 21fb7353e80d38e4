package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/lfi"
)

// tokenStore keeps each consent's refresh token in the keystore (OS keyring, or the encrypted
// file). Entry names are a digest of the consent id: keystore names are restricted to
// [a-z0-9._-] and a bank's consent ids are not.
type tokenStore struct{ s keystore.Store }

var _ consent.TokenStore = tokenStore{}

func refreshName(consentID string) string {
	sum := sha256.Sum256([]byte(consentID))
	return "consent.rt." + hex.EncodeToString(sum[:16])
}

func (t tokenStore) Save(_ context.Context, consentID string, tok lfi.Secret) error {
	if tok.IsZero() {
		return errors.New("save refresh token: empty token")
	}
	if err := t.s.Set(refreshName(consentID), []byte(tok.Reveal())); err != nil {
		return fmt.Errorf("save refresh token: %w", err)
	}
	return nil
}

func (t tokenStore) Load(_ context.Context, consentID string) (lfi.Secret, error) {
	v, err := t.s.Get(refreshName(consentID))
	if errors.Is(err, keystore.ErrNotFound) {
		return "", fmt.Errorf("load refresh token: %w", consent.ErrNoRefreshToken)
	}
	if err != nil {
		return "", fmt.Errorf("load refresh token: %w", err)
	}
	return lfi.Secret(v), nil
}

func (t tokenStore) Delete(_ context.Context, consentID string) error {
	err := t.s.Delete(refreshName(consentID))
	if err != nil && !errors.Is(err, keystore.ErrNotFound) {
		return fmt.Errorf("delete refresh token: %w", err)
	}
	return nil
}
