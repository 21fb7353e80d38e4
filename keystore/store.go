package keystore

import (
	"errors"
	"fmt"
	"regexp"
)

// Store keeps small secrets by name. Implementations are safe for concurrent use by one
// process; two processes sharing a data dir must be serialised by the caller.
type Store interface {
	// Get returns the value stored under name, or an error wrapping ErrNotFound.
	Get(name string) ([]byte, error)
	// Set replaces the value under name. A reader never observes a partial value.
	Set(name string, v []byte) error
	// Delete removes name. Deleting a missing name returns an error wrapping ErrNotFound.
	Delete(name string) error
	// Kind says which backend holds the secrets, so the UI can show it.
	Kind() Kind
}

// Kind names a backend.
type Kind int

// Backends.
const (
	KindKeyring       Kind = iota + 1 // the OS keyring (Secret Service, Keychain, Credential Manager)
	KindEncryptedFile                 // AES-256-GCM file in the data dir, used when no keyring works
)

// String is the human label the UI shows.
func (k Kind) String() string {
	switch k {
	case KindKeyring:
		return "OS keyring"
	case KindEncryptedFile:
		return "encrypted file (no OS keyring available)"
	default:
		return fmt.Sprintf("unknown store %d", int(k))
	}
}

var (
	// ErrNotFound: nothing is stored under that name.
	ErrNotFound = errors.New("keystore: secret not found")
	// ErrUnavailable: the OS keyring cannot be used (no Secret Service, locked, denied...).
	ErrUnavailable = errors.New("keystore: secure storage unavailable")
	// ErrCorrupt: stored data failed its integrity check (edited, truncated or mixed).
	ErrCorrupt = errors.New("keystore: stored secret failed its integrity check")
)

// Secret names are part of keyring account names and file-store keys: keep them boring.
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func checkName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("keystore: invalid secret name (want 1-64 of a-z 0-9 . _ -, starting alphanumeric)")
	}
	return nil
}
