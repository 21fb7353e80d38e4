package sandbox

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	jose "github.com/go-jose/go-jose/v4"
)

// bankKey is one of the bank's RSA keys with its RFC 7638 thumbprint as kid.
type bankKey struct {
	priv *rsa.PrivateKey
	kid  string
	use  string // "sig" or "enc"
	alg  string // "PS256" or "RSA-OAEP-256"
}

// String redacts: the private key must never reach a log.
func (k *bankKey) String() string { return "bankKey{kid:" + k.kid + ",use:" + k.use + "}" }

// signJWT signs payload as a compact JWS with typ JWT and the key's kid (alg is PS256 except
// for the id_token's wrong-alg fault).
func (k *bankKey) signJWT(alg jose.SignatureAlgorithm, payload []byte) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("signer: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return jws.CompactSerialize()
}

func (k *bankKey) publicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Use: k.use, Algorithm: k.alg}
}

// thumbprintKID returns the base64url RFC 7638 SHA-256 thumbprint of an RSA public key.
func thumbprintKID(pub *rsa.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("jwk thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

func newBankKey(rand io.Reader, use, alg string) (*bankKey, error) {
	priv, err := rsa.GenerateKey(rand, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", use, err)
	}
	kid, err := thumbprintKID(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &bankKey{priv: priv, kid: kid, use: use, alg: alg}, nil
}

// loadOrCreateKey reads an RSA key from a PKCS#8 PEM file, or makes and saves one.
// With dir == "" the key is ephemeral.
func loadOrCreateKey(dir, name string, rand io.Reader, use, alg string) (*bankKey, error) {
	if dir == "" {
		return newBankKey(rand, use, alg)
	}
	path := filepath.Join(dir, name)
	raw, err := os.ReadFile(path)
	if err == nil {
		priv, err := parseRSAKeyPEM(raw)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		kid, err := thumbprintKID(&priv.PublicKey)
		if err != nil {
			return nil, err
		}
		return &bankKey{priv: priv, kid: kid, use: use, alg: alg}, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	k, err := newBankKey(rand, use, alg)
	if err != nil {
		return nil, err
	}
	if err := writeKeyPEM(path, k.priv); err != nil {
		return nil, err
	}
	return k, nil
}

func writeKeyPEM(path string, priv *rsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("marshal key: %w", err)
	}
	return writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func parseRSAKeyPEM(raw []byte) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode(raw)
	if blk == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse PKCS#8: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("key is not RSA")
	}
	return rk, nil
}

const wrongSigKeyFile = "wrong-sig-key.pem"

// wrongKey is the signing key the JWKS never publishes (the wrong-key and unknown-kid faults).
// It is made on first use and kept with the other keys, so no start pays for it.
func (b *Bank) wrongKey() (*bankKey, error) {
	b.wrongSigMu.Lock()
	defer b.wrongSigMu.Unlock()
	if b.wrongSig == nil {
		k, err := loadOrCreateKey(b.cfg.DataDir, wrongSigKeyFile, b.cfg.Rand, "sig", "PS256")
		if err != nil {
			return nil, fmt.Errorf("wrong-key fault: %w", err)
		}
		b.wrongSig = k
	}
	return b.wrongSig, nil
}
