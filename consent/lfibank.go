package consent

import (
	"context"
	"fmt"
	"time"

	"github.com/payterm/payterm/lfi"
)

// LFIBank adapts *lfi.Client to the Bank the onboarding flow needs, and provides the
// RefreshFunc for a TokenManager.
type LFIBank struct{ c *lfi.Client }

// NewLFIBank wraps c.
func NewLFIBank(c *lfi.Client) *LFIBank { return &LFIBank{c: c} }

// ClientID is our Trust Framework client_id.
func (b *LFIBank) ClientID() string { return b.c.ClientID() }

// Issuer is the issuer of the discovery document (lfi checks it equals the configured one).
func (b *LFIBank) Issuer(ctx context.Context) (string, error) {
	d, err := b.c.Discovery(ctx)
	if err != nil {
		return "", err
	}
	return d.Issuer, nil
}

// AuthorizationEndpoint comes from discovery, never from the issuer.
func (b *LFIBank) AuthorizationEndpoint(ctx context.Context) (string, error) {
	d, err := b.c.Discovery(ctx)
	if err != nil {
		return "", err
	}
	return d.AuthorizationEndpoint, nil
}

// SealPII signs and encrypts the PII to the bank's current enc key.
func (b *LFIBank) SealPII(ctx context.Context, pii []byte) (string, error) {
	return b.c.SealPII(ctx, pii)
}

// SignClaims signs with the client's PS256 signer.
func (b *LFIBank) SignClaims(claims any) (string, error) { return b.c.Signer().SignClaims(claims) }

// ForgetKeys drops the cached JWKS, so the next seal refetches it (after an enc-key rotation).
func (b *LFIBank) ForgetKeys() { b.c.ForgetKeys() }

// PushAuthorizationRequest posts the request object to /par.
func (b *LFIBank) PushAuthorizationRequest(ctx context.Context, requestObject string) (string, time.Duration, error) {
	r, err := b.c.PAR(ctx, requestObject)
	if err != nil {
		return "", 0, err
	}
	return r.RequestURI, time.Duration(r.ExpiresIn) * time.Second, nil
}

// ExchangeCode calls /token with the code and the PKCE verifier.
func (b *LFIBank) ExchangeCode(ctx context.Context, code AuthCode, verifier CodeVerifier, redirectURI string) (TokenResult, error) {
	tr, err := b.c.TokenAuthorizationCode(ctx, code.Reveal(), redirectURI, verifier.Reveal())
	if err != nil {
		return TokenResult{}, err
	}
	out := TokenResult{Grant: grantOf(tr), Scope: tr.Scope, IDToken: tr.IDToken}
	for _, ad := range tr.AuthorizationDetails {
		st := ConsentState{Type: ad.Type}
		if ad.Consent != nil {
			st.ConsentID, st.Status, st.ExpirationDateTime = ad.Consent.ConsentID, string(ad.Consent.Status), ad.Consent.ExpirationDateTime
		}
		out.Consents = append(out.Consents, st)
	}
	return out, nil
}

// VerifyIDToken checks an id_token with the bank's JWKS, discovered issuer and our client_id.
func (b *LFIBank) VerifyIDToken(ctx context.Context, idToken lfi.Secret, want lfi.IDTokenExpectations) (*lfi.IDToken, error) {
	return b.c.VerifyIDToken(ctx, idToken, want)
}

// RevokeConsent revokes a consent at the bank (signed PATCH with a client_credentials token).
// lfi does not retry it: a 5xx or lost answer leaves the outcome unknown and is an error here.
func (b *LFIBank) RevokeConsent(ctx context.Context, consentID, revokedBy string) error {
	_, err := b.c.RevokeConsent(ctx, consentID, revokedBy)
	return err
}

// Refresh is a RefreshFunc for TokenManager.
func (b *LFIBank) Refresh(ctx context.Context, refreshToken lfi.Secret) (Grant, error) {
	tr, err := b.c.TokenRefresh(ctx, refreshToken)
	if err != nil {
		return Grant{}, fmt.Errorf("refresh: %w", err)
	}
	return grantOf(tr), nil
}

func grantOf(tr *lfi.TokenResponse) Grant {
	return Grant{AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken,
		ExpiresIn: time.Duration(tr.ExpiresIn) * time.Second, ExpiresAt: tr.ExpiresAt}
}
