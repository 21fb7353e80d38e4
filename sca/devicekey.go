package sca

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/payterm/payterm/keystore"
)

// The device key (P-256) is this installation's possession-bound signing key. It is stored in
// the data dir wrapped twice with AES-256-GCM:
//   - under KEK_pin = HKDF(argon2id(PIN, salt) ‖ wrap secret), used for every payment;
//   - under KEK_rec = HKDF(recovery code ‖ wrap secret), used only by Recover.
//
// The 256-bit wrap secret lives in the keystore, never in the data dir, so a copied data dir
// cannot be brute-forced offline over the PIN space, and the keyring alone lacks the
// ciphertext and the PIN.

const (
	deviceFileVersion = 1
	wrapSecretBytes   = 32
	pinKEKInfo        = "payterm sca device-key pin kek v1"
	recoveryKEKInfo   = "payterm sca device-key recovery kek v1"
	deviceAADTag      = "payterm sca device key v1\x00"
)

type wrappedKey struct {
	Nonce  []byte `json:"nonce"`
	Sealed []byte `json:"sealed"`
}

// deviceFile is <data dir>/sca/device.json. Its public half (binding id, public JWK, bound
// time) is readable without the PIN because risk/ reports it.
type deviceFile struct {
	Version      int                `json:"v"`
	KDF          keystore.KDFParams `json:"kdf"`
	Salt         []byte             `json:"salt"`
	PINWrap      wrappedKey         `json:"pinWrap"`
	RecoveryWrap wrappedKey         `json:"recoveryWrap"`
	PublicJWK    json.RawMessage    `json:"jwk"`
	BindingID    string             `json:"bindingId"`
	BoundAt      time.Time          `json:"boundAt"`
}

// newDeviceKey generates the P-256 key and its binding id (RFC 7638 thumbprint, base64url).
func newDeviceKey(rand io.Reader) (*ecdsa.PrivateKey, string, json.RawMessage, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand)
	if err != nil {
		return nil, "", nil, fmt.Errorf("sca: generate device key: %w", err)
	}
	id, jwk, err := publicJWK(&priv.PublicKey)
	if err != nil {
		return nil, "", nil, err
	}
	return priv, id, jwk, nil
}

func publicJWK(pub *ecdsa.PublicKey) (string, json.RawMessage, error) {
	k := jose.JSONWebKey{Key: pub, Algorithm: string(jose.ES256), Use: "sig"}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", nil, fmt.Errorf("sca: device key thumbprint: %w", err)
	}
	raw, err := k.MarshalJSON()
	if err != nil {
		return "", nil, fmt.Errorf("sca: device key JWK: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), raw, nil
}

func (d *deviceFile) aad(purpose string) ([]byte, error) {
	kdf, err := json.Marshal(d.KDF)
	if err != nil {
		return nil, err
	}
	aad := []byte(deviceAADTag + purpose + "\x00" + d.BindingID + "\x00" + d.BoundAt.UTC().Format(time.RFC3339Nano) + "\x00")
	aad = append(aad, kdf...)
	return append(aad, d.PublicJWK...), nil
}

func pinKEK(kdf keystore.KDFParams, pin PIN, salt, wrapSecret []byte) ([]byte, error) {
	stretched := kdf.Derive([]byte(pin), salt)
	defer clear(stretched)
	return pinKEKFrom(stretched, salt, wrapSecret)
}

// pinKEKFrom is pinKEK from argon2id's output, computed here or ahead of time (Prestretch).
func pinKEKFrom(stretched, salt, wrapSecret []byte) ([]byte, error) {
	in := append(append(make([]byte, 0, len(stretched)+len(wrapSecret)), stretched...), wrapSecret...)
	defer clear(in)
	return hkdf.Key(sha256.New, in, salt, pinKEKInfo, 32)
}

func recoveryKEK(code, salt, wrapSecret []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, append(append([]byte{}, code...), wrapSecret...), salt, recoveryKEKInfo, 32)
}

func seal(rand io.Reader, kek, plain, aad []byte) (wrappedKey, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return wrappedKey{}, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return wrappedKey{}, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return wrappedKey{}, fmt.Errorf("nonce: %w", err)
	}
	return wrappedKey{Nonce: nonce, Sealed: gcm.Seal(nil, nonce, plain, aad)}, nil
}

var errUnwrap = errors.New("device key does not unwrap")

func open(kek []byte, w wrappedKey, aad []byte) ([]byte, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(w.Nonce) != gcm.NonceSize() {
		return nil, errUnwrap
	}
	plain, err := gcm.Open(nil, w.Nonce, w.Sealed, aad)
	if err != nil {
		return nil, errUnwrap
	}
	return plain, nil
}

// wrap seals priv under both KEKs into d (d's public fields must already be set).
func (d *deviceFile) wrap(rand io.Reader, priv *ecdsa.PrivateKey, pin PIN, recovery, wrapSecret []byte) error {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("sca: encode device key: %w", err)
	}
	defer clear(der)
	kek, err := pinKEK(d.KDF, pin, d.Salt, wrapSecret)
	if err != nil {
		return fmt.Errorf("sca: derive device key wrap: %w", err)
	}
	defer clear(kek)
	aad, err := d.aad("pin")
	if err != nil {
		return err
	}
	if d.PINWrap, err = seal(rand, kek, der, aad); err != nil {
		return fmt.Errorf("sca: wrap device key: %w", err)
	}
	rkek, err := recoveryKEK(recovery, d.Salt, wrapSecret)
	if err != nil {
		return fmt.Errorf("sca: derive recovery wrap: %w", err)
	}
	defer clear(rkek)
	if aad, err = d.aad("recovery"); err != nil {
		return err
	}
	if d.RecoveryWrap, err = seal(rand, rkek, der, aad); err != nil {
		return fmt.Errorf("sca: wrap device key for recovery: %w", err)
	}
	return nil
}

// unwrapWithPIN returns the device key, or errUnwrap for a wrong PIN (or a wrong wrap secret
// or an edited file: indistinguishable by design).
func (d *deviceFile) unwrapWithPIN(pin PIN, wrapSecret []byte) (*ecdsa.PrivateKey, error) {
	stretched := d.KDF.Derive([]byte(pin), d.Salt)
	defer clear(stretched)
	return d.unwrapStretched(stretched, wrapSecret)
}

// unwrapStretched is unwrapWithPIN from argon2id(PIN) under d's salt and costs.
func (d *deviceFile) unwrapStretched(stretched, wrapSecret []byte) (*ecdsa.PrivateKey, error) {
	kek, err := pinKEKFrom(stretched, d.Salt, wrapSecret)
	if err != nil {
		return nil, err
	}
	defer clear(kek)
	aad, err := d.aad("pin")
	if err != nil {
		return nil, err
	}
	return d.unwrap(kek, d.PINWrap, aad)
}

func (d *deviceFile) unwrapWithRecovery(code, wrapSecret []byte) (*ecdsa.PrivateKey, error) {
	kek, err := recoveryKEK(code, d.Salt, wrapSecret)
	if err != nil {
		return nil, err
	}
	defer clear(kek)
	aad, err := d.aad("recovery")
	if err != nil {
		return nil, err
	}
	return d.unwrap(kek, d.RecoveryWrap, aad)
}

func (d *deviceFile) unwrap(kek []byte, w wrappedKey, aad []byte) (*ecdsa.PrivateKey, error) {
	der, err := open(kek, w, aad)
	if err != nil {
		return nil, err
	}
	defer clear(der)
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errUnwrap
	}
	priv, ok := k.(*ecdsa.PrivateKey)
	if !ok || priv.Curve != elliptic.P256() {
		return nil, errUnwrap
	}
	id, _, err := publicJWK(&priv.PublicKey)
	if err != nil || id != d.BindingID {
		return nil, errUnwrap
	}
	return priv, nil
}

// check validates a device file read from disk (untrusted input).
func (d *deviceFile) check(allowWeak bool) error {
	if d.Version != deviceFileVersion {
		return fmt.Errorf("unsupported device file version %d", d.Version)
	}
	if err := d.KDF.Check(allowWeak); err != nil {
		return err
	}
	if len(d.Salt) != 16 || d.BindingID == "" || d.BoundAt.IsZero() {
		return errors.New("device file is incomplete")
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(d.PublicJWK); err != nil {
		return errors.New("device file has no valid public key")
	}
	pub, ok := k.Key.(*ecdsa.PublicKey)
	if !ok {
		return errors.New("device public key is not P-256")
	}
	id, _, err := publicJWK(pub)
	if err != nil || id != d.BindingID {
		return errors.New("device binding id does not match the public key")
	}
	return nil
}
