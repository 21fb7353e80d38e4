//go:build !cgo

package pkcs11key

import (
	"crypto"
	"fmt"
)

// Token is a PKCS#11 token; without cgo none can be opened.
type Token struct{}

// Open fails with ErrNoCgo: loading a PKCS#11 module needs cgo (miekg/pkcs11 calls dlopen).
func Open(cfg Config) (*Token, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w; build it with CGO_ENABLED=1 (and a C compiler) to use [pkcs11]", ErrNoCgo)
}

// Close does nothing.
func (t *Token) Close() error { return nil }

// Find fails with ErrNoCgo.
func (t *Token) Find(KeyRef) (crypto.Signer, error) { return nil, ErrNoCgo }

// FindOrGenerate fails with ErrNoCgo.
func (t *Token) FindOrGenerate(KeyRef, int) (crypto.Signer, bool, error) { return nil, false, ErrNoCgo }

// Generate fails with ErrNoCgo.
func (t *Token) Generate(KeyRef, int) (crypto.Signer, error) { return nil, ErrNoCgo }
