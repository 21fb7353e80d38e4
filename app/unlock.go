package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/payterm/payterm/keystore"
)

// The idle lock asks for the PIN alone, and sca has no PIN-only check (its PIN check is the
// unwrapping of the device key inside Authenticate, which also needs a TOTP code). So the app
// keeps its own verifier, built like sca's wrap: HMAC(key in the keystore, argon2id(PIN, salt)).
// The file in the data dir is useless without the keystore entry, and the keystore entry is
// useless without the file, so neither alone allows an offline guess at the PIN.
//
// What it protects: the screen of a running wallet. Restarting payterm shows Home without a PIN,
// and money never moves without the full SCA, so failures are counted per process only.

const (
	unlockFile    = "unlock.json"
	unlockKeyName = "app.unlock-key"
	unlockTries   = 5
)

type unlockRecord struct {
	KDF  keystore.KDFParams `json:"kdf"`
	Salt []byte             `json:"salt"`
	MAC  []byte             `json:"mac"`
}

// ErrNoVerifier: the wallet was set up without the app's verifier (or it was removed).
var errNoVerifier = errors.New("no PIN verifier for the idle lock")

type pinVerifier struct {
	path  string
	store keystore.Store
	kdf   keystore.KDFParams
	rand  io.Reader

	mu       sync.Mutex
	failures int
}

func newPINVerifier(dataDir string, store keystore.Store, kdf keystore.KDFParams, rnd io.Reader) *pinVerifier {
	return &pinVerifier{path: filepath.Join(dataDir, unlockFile), store: store, kdf: kdf, rand: rnd}
}

// set records a verifier for pin (after enrolment and after every PIN change).
func (v *pinVerifier) set(pin string) error {
	key := make([]byte, 32)
	salt := make([]byte, 16)
	if _, err := io.ReadFull(v.rand, key); err != nil {
		return fmt.Errorf("unlock key: %w", err)
	}
	if _, err := io.ReadFull(v.rand, salt); err != nil {
		return fmt.Errorf("unlock salt: %w", err)
	}
	if err := v.store.Set(unlockKeyName, key); err != nil {
		return fmt.Errorf("save unlock key: %w", err)
	}
	rec := unlockRecord{KDF: v.kdf, Salt: salt, MAC: pinMAC(key, v.kdf, pin, salt)}
	if err := writeJSONFile(v.path, rec); err != nil {
		return err
	}
	v.mu.Lock()
	v.failures = 0
	v.mu.Unlock()
	return nil
}

// check compares pin with the verifier. It returns (attempts left, error); a wrong PIN is
// (n, nil) with ok false.
func (v *pinVerifier) check(pin string) (ok bool, left int, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.failures >= unlockTries {
		return false, 0, nil
	}
	raw, err := keystore.ReadPrivateFile(v.path)
	if errors.Is(err, os.ErrNotExist) {
		return false, 0, errNoVerifier
	}
	if err != nil {
		return false, 0, fmt.Errorf("read PIN verifier: %w", err)
	}
	var rec unlockRecord
	if err := json.Unmarshal(raw, &rec); err != nil || len(rec.Salt) < 16 || len(rec.MAC) != sha256.Size {
		return false, 0, errors.New("the PIN verifier file is damaged")
	}
	if err := rec.KDF.Check(true); err != nil {
		return false, 0, fmt.Errorf("PIN verifier: %w", err)
	}
	key, err := v.store.Get(unlockKeyName)
	if errors.Is(err, keystore.ErrNotFound) {
		return false, 0, errNoVerifier
	}
	if err != nil {
		return false, 0, fmt.Errorf("read unlock key: %w", err)
	}
	if hmac.Equal(pinMAC(key, rec.KDF, pin, rec.Salt), rec.MAC) {
		v.failures = 0
		return true, unlockTries, nil
	}
	v.failures++
	return false, unlockTries - v.failures, nil
}

func pinMAC(key []byte, kdf keystore.KDFParams, pin string, salt []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(kdf.Derive([]byte(pin), salt))
	return m.Sum(nil)
}
