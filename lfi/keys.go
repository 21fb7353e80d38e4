package lfi

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// EncryptionKey is the LFI's RSA key for PII (use=enc, RSA-OAEP-256).
type EncryptionKey struct {
	KeyID string
	Key   *rsa.PublicKey
}

// keySet is the LFI's JWKS split by use. Keys of other types or uses are ignored.
type keySet struct {
	sig map[string]*rsa.PublicKey
	enc []EncryptionKey
}

// maxJWKSKeys bounds the work a hostile JWKS can cause.
const maxJWKSKeys = 64

// parseJWKS decodes a JWKS. Verification keys need use=sig and alg PS256 (or no alg);
// encryption keys need use=enc and alg RSA-OAEP-256 (or no alg). Private members are refused.
func parseJWKS(body []byte) (*keySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decode JWKS: %w", err)
	}
	if len(doc.Keys) > maxJWKSKeys {
		return nil, fmt.Errorf("JWKS has %d keys, more than %d", len(doc.Keys), maxJWKSKeys)
	}
	ks := &keySet{sig: map[string]*rsa.PublicKey{}}
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue // unsupported key types (e.g. AKP, OKP variants) are not ours to use
		}
		if !k.IsPublic() {
			return nil, errors.New("JWKS contains a private key")
		}
		pub, ok := k.Key.(*rsa.PublicKey)
		if !ok || k.KeyID == "" || pub.N.BitLen() < minRSABits {
			continue
		}
		if err := checkKID(k.KeyID); err != nil {
			return nil, fmt.Errorf("JWKS: %w", err) // the inspector prints kids; a bank's are ASCII
		}
		switch {
		case k.Use == "sig" && (k.Algorithm == "" || k.Algorithm == string(jose.PS256)):
			if _, dup := ks.sig[k.KeyID]; dup {
				return nil, fmt.Errorf("JWKS has two signing keys with kid %q", safeToken(k.KeyID))
			}
			ks.sig[k.KeyID] = pub
		case k.Use == "enc" && (k.Algorithm == "" || k.Algorithm == string(jose.RSA_OAEP_256)):
			ks.enc = append(ks.enc, EncryptionKey{KeyID: k.KeyID, Key: pub})
		}
	}
	return ks, nil
}

// jwks returns the cached key set; force refetches it.
func (c *Client) jwks(ctx context.Context, force bool) (*keySet, bool, error) {
	return c.keys.get(ctx, c.clock(), force, c.fetchJWKS)
}

func (c *Client) fetchJWKS(ctx context.Context) (*keySet, time.Duration, error) {
	d, err := c.Discovery(ctx)
	if err != nil {
		return nil, 0, err
	}
	var ks *keySet
	var ttl time.Duration
	err = c.do(ctx, call{op: "JWKS", method: http.MethodGet, url: d.JWKSURI,
		header: http.Header{"Accept": {"application/json, application/jwk-set+json"}}, idempotent: true},
		func(r *response) error {
			r.ex.ResponseJSON = redactJSON(r.body)
			if r.status != http.StatusOK {
				return &BankError{Op: "JWKS", HTTPStatus: r.status, InteractionID: r.interactionID}
			}
			var err error
			if ks, err = parseJWKS(r.body); err != nil {
				return err
			}
			ttl = cacheTTL(r.header)
			return nil
		})
	return ks, ttl, err
}

// EncryptionKey returns the LFI's current use=enc key (the first listed, when several).
func (c *Client) EncryptionKey(ctx context.Context) (EncryptionKey, error) {
	ks, _, err := c.jwks(ctx, false)
	if err != nil {
		return EncryptionKey{}, fmt.Errorf("LFI encryption key: %w", err)
	}
	if len(ks.enc) == 0 {
		return EncryptionKey{}, errors.New("LFI encryption key: the JWKS has no RSA use=enc key")
	}
	return ks.enc[0], nil
}

// ForgetKeys drops the cached JWKS so the next use refetches it. The client calls it itself
// when the bank reports JWE.InvalidHeader (our enc kid is stale after a rotation).
func (c *Client) ForgetKeys() { c.keys.forget() }

// verificationKey finds the use=sig key for kid, refetching the JWKS at most once when the
// kid is unknown (the bank rotated its signing key).
func (c *Client) verificationKey(ctx context.Context, kid string) (*rsa.PublicKey, bool, error) {
	ks, fetched, err := c.jwks(ctx, false)
	if err != nil {
		return nil, false, err
	}
	if k, ok := ks.sig[kid]; ok {
		return k, false, nil
	}
	if fetched { // just fetched: a second fetch would return the same set
		return nil, false, fmt.Errorf("kid %q is %w", safeToken(kid), errUnknownKid)
	}
	ks, _, err = c.jwks(ctx, true)
	if err != nil {
		return nil, true, err
	}
	if k, ok := ks.sig[kid]; ok {
		return k, true, nil
	}
	return nil, true, fmt.Errorf("kid %q is %w (refetched)", safeToken(kid), errUnknownKid)
}
