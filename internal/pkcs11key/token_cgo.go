//go:build cgo

package pkcs11key

import (
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
)

// Token is one logged-in PKCS#11 token. Its signers are safe for concurrent use (crypto11
// keeps a session pool) and valid until Close.
type Token struct {
	ctx  *crypto11.Context
	name string
}

// Open loads the module, finds the token and logs in with the user PIN. The caller may clear
// cfg.PIN afterwards.
func Open(cfg Config) (*Token, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: cfg.Module, TokenLabel: cfg.TokenLabel,
		TokenSerial: cfg.TokenSerial, Pin: string(cfg.PIN)})
	if err != nil {
		return nil, classify(err, cfg)
	}
	return &Token{ctx: ctx, name: cfg.what()}, nil
}

// classify turns crypto11's and the module's errors into the sentinels, each with a sentence.
func classify(err error, cfg Config) error {
	var p11 pkcs11.Error
	switch {
	case errors.As(err, &p11) && (p11 == pkcs11.CKR_PIN_INCORRECT || p11 == pkcs11.CKR_PIN_INVALID || p11 == pkcs11.CKR_PIN_LEN_RANGE):
		return fmt.Errorf("%w: %s did not accept the PIN", ErrWrongPIN, cfg.what())
	case errors.As(err, &p11) && p11 == pkcs11.CKR_PIN_LOCKED:
		return fmt.Errorf("%w: %s locked its PIN after too many wrong tries; its security officer must unblock it", ErrPINLocked, cfg.what())
	case errors.As(err, &p11) && p11 == pkcs11.CKR_PIN_EXPIRED:
		return fmt.Errorf("%w: %s says its PIN has expired; change it with the token's tools", ErrWrongPIN, cfg.what())
	case err.Error() == "could not find PKCS#11 token": // crypto11's unexported errTokenNotFound
		return fmt.Errorf("%w: %s is not in any slot of %s", ErrTokenNotFound, cfg.what(), cfg.Module)
	case strings.HasPrefix(err.Error(), "failed to create module context"):
		// crypto11 wraps a dlopen failure ("failed to open module") and a failed C_Initialize
		// this way; the file exists (check), so it is not a module this process can use.
		return fmt.Errorf("%w: %s is not a PKCS#11 library this process can load", ErrModule, cfg.Module)
	}
	return fmt.Errorf("open %s: %w", cfg.what(), err)
}

// Close logs out and unloads the module once no other Token uses it.
func (t *Token) Close() error { return t.ctx.Close() }

// Find returns the RSA key pair ref names. Exactly one must match.
func (t *Token) Find(ref KeyRef) (crypto.Signer, error) {
	if ref.Label == "" && len(ref.ID) == 0 {
		return nil, errors.New("pkcs11: a key needs a label or an id")
	}
	var label []byte
	if ref.Label != "" {
		label = []byte(ref.Label)
	}
	keys, err := t.ctx.FindRSAKeyPairs(ref.ID, label)
	if err != nil {
		return nil, fmt.Errorf("look up the key with %s in %s: %w", ref, t.name, err)
	}
	switch len(keys) {
	case 0:
		return nil, fmt.Errorf("%w: %s holds no RSA key pair with %s", ErrKeyNotFound, t.name, ref)
	case 1:
		return keys[0], nil
	}
	return nil, fmt.Errorf("%w: %s holds %d RSA key pairs with %s; name one by its id too", ErrAmbiguousKey, t.name, len(keys), ref)
}

// FindOrGenerate returns the key pair ref names, generating an RSA key of bits in the token
// when there is none. created says which happened.
func (t *Token) FindOrGenerate(ref KeyRef, bits int) (crypto.Signer, bool, error) {
	k, err := t.Find(ref)
	if err == nil || !errors.Is(err, ErrKeyNotFound) {
		return k, false, err
	}
	k, err = t.Generate(ref, bits)
	return k, err == nil, err
}

// Generate makes a new RSA key pair in the token: a persistent token object, sensitive, not
// extractable, allowed to sign and nothing else (no decrypt, no wrap). Without ref.ID a random
// 16-byte CKA_ID is given, as crypto11 and most tools expect one.
func (t *Token) Generate(ref KeyRef, bits int) (crypto.Signer, error) {
	if ref.Label == "" && len(ref.ID) == 0 {
		return nil, errors.New("pkcs11: a new key needs a label or an id")
	}
	id := ref.ID
	if len(id) == 0 {
		id = make([]byte, 16)
		if _, err := rand.Read(id); err != nil {
			return nil, err
		}
	}
	pub, err := crypto11.NewAttributeSetWithID(id)
	if err != nil {
		return nil, err
	}
	if ref.Label != "" {
		if err := pub.Set(crypto11.CkaLabel, ref.Label); err != nil {
			return nil, err
		}
	}
	priv := pub.Copy()
	pub.AddIfNotPresent([]*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, false),
		pkcs11.NewAttribute(pkcs11.CKA_WRAP, false),
	})
	priv.AddIfNotPresent([]*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, false),
		pkcs11.NewAttribute(pkcs11.CKA_UNWRAP, false),
	})
	k, err := t.ctx.GenerateRSAKeyPairWithAttributes(pub, priv, bits)
	if err != nil {
		return nil, fmt.Errorf("generate an RSA-%d key with %s in %s: %w", bits, ref, t.name, err)
	}
	return k, nil
}
