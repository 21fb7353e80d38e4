package sca

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/payterm/payterm/keystore"
)

// counters is the SCA state that must survive restarts and resist editing: failed attempts,
// the last TOTP step accepted (replay memory), failed recovery attempts. Seq grows on every
// write so the newer of the two copies wins.
//
// Failures counts every failure, of Authenticate and of VerifyPIN; PINFailures is the part of
// it that came from VerifyPIN, the only part a correct PIN alone may clear. PINFailures is
// last and omitempty so a state sealed before it existed marshals, and so MACs, the same.
type counters struct {
	Seq              uint64 `json:"seq"`
	Failures         int    `json:"failures"`
	LastStep         uint64 `json:"lastStep"`
	RecoveryFailures int    `json:"recoveryFailures"`
	BindingID        string `json:"bindingId"`
	PINFailures      int    `json:"pinFailures,omitempty"`
}

type sealedCounters struct {
	State counters `json:"state"`
	MAC   []byte   `json:"mac"`
}

const stateMACTag = "payterm sca state v1\x00"

// ErrTampered means the counters were edited, deleted or rolled back (in the keystore or in
// the data dir) or belong to another enrolment. Payments stay blocked until Recover.
var ErrTampered = errors.New("sca: the authentication state was altered, removed or rolled back; payments are blocked until you recover with your recovery code")

func macCounters(key []byte, c counters) ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode sca state: %w", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(stateMACTag))
	m.Write(b)
	return m.Sum(nil), nil
}

func sealCounters(key []byte, c counters) ([]byte, error) {
	mac, err := macCounters(key, c)
	if err != nil {
		return nil, err
	}
	return json.Marshal(sealedCounters{State: c, MAC: mac})
}

// openCounters parses and authenticates one stored copy.
func openCounters(key, raw []byte, bindingID string) (counters, error) {
	var s sealedCounters
	if err := json.Unmarshal(raw, &s); err != nil {
		return counters{}, fmt.Errorf("%w (unreadable copy)", ErrTampered)
	}
	want, err := macCounters(key, s.State)
	if err != nil {
		return counters{}, err
	}
	if !hmac.Equal(want, s.MAC) {
		return counters{}, fmt.Errorf("%w (MAC mismatch)", ErrTampered)
	}
	if s.State.BindingID != bindingID {
		return counters{}, fmt.Errorf("%w (state of another enrolment)", ErrTampered)
	}
	if s.State.Failures < 0 || s.State.RecoveryFailures < 0 || s.State.PINFailures < 0 {
		return counters{}, fmt.Errorf("%w (negative counter)", ErrTampered)
	}
	if s.State.PINFailures > s.State.Failures {
		return counters{}, fmt.Errorf("%w (PIN failures exceed all failures)", ErrTampered)
	}
	return s.State, nil
}

// loadCounters reads both copies — the keystore entry and the witness file in the data dir —
// authenticates each with the MAC key held in the keystore, and returns the newer. Either copy
// missing or failing its MAC is tampering: rolling back one copy alone is detected because
// the other one carries a higher Seq; rolling back both needs write access to the keyring and
// the data dir at once (documented limit). The older copy is repaired.
//
// With the encrypted-file keystore in the same data dir (singleCopy), the keystore copy is the
// only one read: see singleCopy for why the witness adds nothing there.
func (a *Authenticator) loadCounters(bindingID string) (counters, error) {
	key, err := a.store.Get(nameMACKey)
	if errors.Is(err, keystore.ErrNotFound) {
		return counters{}, fmt.Errorf("%w (MAC key missing)", ErrTampered)
	}
	if err != nil {
		return counters{}, fmt.Errorf("sca: read state key: %w", err)
	}
	defer clear(key)
	fromStore, err := a.store.Get(nameState)
	if errors.Is(err, keystore.ErrNotFound) {
		return counters{}, fmt.Errorf("%w (keystore copy missing)", ErrTampered)
	}
	if err != nil {
		return counters{}, fmt.Errorf("sca: read state: %w", err)
	}
	if a.singleCopy() {
		return openCounters(key, fromStore, bindingID)
	}
	fromFile, err := keystore.ReadPrivateFile(a.statePath())
	if errors.Is(err, fs.ErrNotExist) {
		return counters{}, fmt.Errorf("%w (data dir copy missing)", ErrTampered)
	}
	if err != nil {
		return counters{}, fmt.Errorf("%w (data dir copy unreadable: %v)", ErrTampered, err)
	}
	s1, err := openCounters(key, fromStore, bindingID)
	if err != nil {
		return counters{}, err
	}
	s2, err := openCounters(key, fromFile, bindingID)
	if err != nil {
		return counters{}, err
	}
	newest := s1
	if s2.Seq > s1.Seq {
		newest = s2
	}
	if s1.Seq != s2.Seq {
		a.log.Warn("sca: state copies disagree; keeping the newer", "keystore_seq", s1.Seq, "file_seq", s2.Seq)
		if err := a.writeCounters(key, newest); err != nil {
			return counters{}, err
		}
	}
	return newest, nil
}

// saveCounters bumps Seq and writes both copies: keystore first, then the data dir, so a
// crash between the two leaves the keystore copy ahead, which loadCounters accepts. With
// singleCopy it writes the keystore copy only.
//
// Authenticate and VerifyPIN save twice, and each save is an atomic rewrite (temp file, fsync,
// rename, fsync of the directory) of every copy written; none of them can go:
//   - the save before the check makes the failure count durable before the PIN is tried, so
//     neither killing the process nor cutting the power during the check buys a free guess;
//   - the save after a success resets the count and records the TOTP step just used, the replay
//     memory: without it a power cut could let the same code be accepted again;
//   - with the keystore in the OS keyring, the data-dir copy is what makes rolling back one of
//     the two stores alone detectable (the other carries a higher Seq); with the keystore in
//     the data dir's encrypted file that second copy adds nothing (singleCopy), so it is
//     skipped: two rewrites per Authenticate instead of four.
func (a *Authenticator) saveCounters(c *counters) error {
	key, err := a.store.Get(nameMACKey)
	if err != nil {
		return fmt.Errorf("sca: read state key: %w", err)
	}
	defer clear(key)
	c.Seq++
	if a.singleCopy() {
		raw, err := sealCounters(key, *c)
		if err != nil {
			return err
		}
		if err := a.store.Set(nameState, raw); err != nil {
			return fmt.Errorf("sca: save state: %w", err)
		}
		return nil
	}
	return a.writeCounters(key, *c)
}

// singleCopy reports that the keystore is the encrypted file inside this data dir, beside the
// witness copy (sca/state.json). The witness exists to make a rollback of one store alone
// detectable; here both copies are files of the same directory, so anyone who can roll one
// back can roll back both, and the MAC'd, encrypted keystore copy alone carries the same
// guarantees. The witness is still written at enrolment and recovery (writeCounters), so a
// later move of the secrets to the OS keyring finds it, older, and repairs it (loadCounters).
func (a *Authenticator) singleCopy() bool {
	if a.store.Kind() != keystore.KindEncryptedFile {
		return false
	}
	_, err := os.Stat(filepath.Join(filepath.Dir(a.dir), keystore.FileName))
	return err == nil
}

func (a *Authenticator) writeCounters(key []byte, c counters) error {
	raw, err := sealCounters(key, c)
	if err != nil {
		return err
	}
	if err := a.store.Set(nameState, raw); err != nil {
		return fmt.Errorf("sca: save state: %w", err)
	}
	if err := keystore.WriteFileAtomic(a.statePath(), raw); err != nil {
		return fmt.Errorf("sca: save state: %w", err)
	}
	return nil
}

// stateExists reports leftovers of an enrolment, so a deleted device file cannot be used to
// enrol over an existing one silently.
func (a *Authenticator) stateExists() (bool, error) {
	_, err := a.store.Get(nameState)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, keystore.ErrNotFound) {
		return false, fmt.Errorf("sca: read state: %w", err)
	}
	_, err = os.Stat(a.statePath())
	return err == nil, nil
}
