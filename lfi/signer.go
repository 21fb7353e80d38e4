package lfi

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// minRSABits is the UAE Trust Framework and FAPI 2.0 minimum key size.
const minRSABits = 2048

// Signer makes PS256 compact JWS with the TPP's signing kid over any crypto.Signer holding
// an RSA key, so the private key can live in memory today and in an HSM later.
type Signer struct {
	key crypto.Signer
	kid string
	pub *rsa.PublicKey
	js  jose.Signer
}

// NewSigner wraps key (an RSA crypto.Signer of at least 2048 bits) with the Trust Framework
// kid of its signing certificate.
func NewSigner(key crypto.Signer, kid string) (*Signer, error) {
	if key == nil {
		return nil, errors.New("new signer: nil key")
	}
	if kid == "" {
		return nil, errors.New("new signer: empty kid")
	}
	pub, ok := key.Public().(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("new signer: key is %T, want an RSA key (PS256 only)", key.Public())
	}
	if pub.N.BitLen() < minRSABits {
		return nil, fmt.Errorf("new signer: RSA key is %d bits, at least %d required", pub.N.BitLen(), minRSABits)
	}
	s := &Signer{key: key, kid: kid, pub: pub}
	js, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS256, Key: opaquePS256{s}}, nil)
	if err != nil {
		return nil, fmt.Errorf("new signer: %w", err)
	}
	s.js = js
	return s, nil
}

// KeyID is the kid written in every JWS header.
func (s *Signer) KeyID() string { return s.kid }

// Public is the RSA public key matching the signatures.
func (s *Signer) Public() *rsa.PublicKey { return s.pub }

// String never shows key material.
func (s *Signer) String() string { return "lfi.Signer{kid:" + s.kid + "}" }

// Sign returns the compact PS256 JWS of payload with header {"alg":"PS256","kid":…}.
func (s *Signer) Sign(payload []byte) (string, error) {
	obj, err := s.js.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign PS256: %w", err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("serialize JWS: %w", err)
	}
	return out, nil
}

// SignClaims marshals claims to JSON and signs them.
func (s *Signer) SignClaims(claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	return s.Sign(payload)
}

// opaquePS256 adapts Signer to go-jose's OpaqueSigner.
type opaquePS256 struct{ s *Signer }

func (o opaquePS256) Public() *jose.JSONWebKey {
	return &jose.JSONWebKey{Key: o.s.pub, KeyID: o.s.kid, Algorithm: string(jose.PS256), Use: "sig"}
}

func (o opaquePS256) Algs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{jose.PS256} }

func (o opaquePS256) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	if alg != jose.PS256 {
		return nil, fmt.Errorf("signing algorithm %q not allowed, PS256 only", alg)
	}
	digest := sha256.Sum256(payload)
	// Go 1.26 crypto ignores the reader for RSA; an HSM signer may still use it.
	sig, err := o.s.key.Sign(rand.Reader, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
	if err != nil {
		return nil, fmt.Errorf("PS256 sign with kid %s: %w", o.s.kid, err)
	}
	return sig, nil
}
