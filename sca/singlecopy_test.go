package sca

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/payterm/payterm/keystore"
)

func (e *env) openFile() *Authenticator {
	e.t.Helper()
	a, err := Open(Config{DataDir: e.dir, Store: e.fileStore(), Clock: e.clock.Now, PINKDF: cheapKDF, AllowWeakKDF: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// TestFileStoreKeepsOneCopy: with the encrypted-file keystore in the data dir, Authenticate
// writes the counters to the keystore only (sca/state.json stays as the enrolment wrote it),
// and the guarantees hold on that one copy: each failure is counted across restarts before the
// check, a success resets, a used code is refused after a restart, and an edited or missing
// keystore copy is tampering.
func TestFileStoreKeepsOneCopy(t *testing.T) {
	e := newEnv(t)
	a := e.openFile()
	secret, _ := e.enrol(a)
	if !a.singleCopy() {
		t.Fatal("the encrypted file in the data dir is not treated as the single copy")
	}
	witness, err := os.ReadFile(a.statePath())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		var ae *AuthError
		if _, err := e.openFile().Authenticate(testIntent(), otherPIN, e.code(secret, 0)); !errors.As(err, &ae) || ae.Remaining != MaxFailures-1-i {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if st := e.openFile().Status(); st.RemainingAttempts != MaxFailures-2 {
		t.Fatalf("after two failures and a restart: %+v", st)
	}
	code := e.code(secret, 0)
	if _, err := e.openFile().Authenticate(testIntent(), testPIN, code); err != nil {
		t.Fatal(err)
	}
	if st := e.openFile().Status(); st.RemainingAttempts != MaxFailures {
		t.Fatalf("a success did not reset: %+v", st)
	}
	e.clock.Add(10 * time.Second)
	if _, err := e.openFile().Authenticate(testIntent(), testPIN, code); err == nil {
		t.Fatal("the code just used was accepted again after a restart")
	}
	if now, err := os.ReadFile(a.statePath()); err != nil || !bytes.Equal(now, witness) {
		t.Fatalf("sca/state.json was rewritten (%v): the file store keeps one copy", err)
	}

	s := e.fileStore()
	if err := s.Set(nameState, []byte(`{"state":{"failures":0},"mac":""}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.openFile().Authenticate(testIntent(), testPIN, e.code(secret, 1)); !errors.Is(err, ErrTampered) {
		t.Fatalf("edited keystore copy: %v, want ErrTampered", err)
	}
	if err := s.Delete(nameState); err != nil {
		t.Fatal(err)
	}
	if _, err := e.openFile().Authenticate(testIntent(), testPIN, e.code(secret, 1)); !errors.Is(err, ErrTampered) {
		t.Fatalf("missing keystore copy: %v, want ErrTampered", err)
	}
}

// TestFileStoreThenKeyring: counters kept in the file store alone, then the secrets move to the
// OS keyring (asKeyring over the same secrets): the older witness is repaired from the newer
// keystore copy, with the failures counted so far, and is not taken for tampering.
func TestFileStoreThenKeyring(t *testing.T) {
	e := newEnv(t)
	secret, _ := e.enrol(e.openFile())
	for range 3 {
		_, _ = e.openFile().Authenticate(testIntent(), otherPIN, e.code(secret, 0))
	}
	a := e.open() // the keystore now stands for a keyring: two copies again
	if a.singleCopy() {
		t.Fatal("a keyring store was treated as the single copy")
	}
	if st := a.Status(); st.Tampered || st.RemainingAttempts != MaxFailures-3 {
		t.Fatalf("after the move: %+v, want %d attempts left and no tampering", st, MaxFailures-3)
	}
	raw, err := os.ReadFile(a.statePath())
	if err != nil {
		t.Fatal(err)
	}
	key, err := e.fileStore().Get(nameMACKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := openCounters(key, raw, a.Status().DeviceBindingID)
	if err != nil || c.Failures != 3 {
		t.Fatalf("witness after the move: %+v, %v; want it repaired to 3 failures", c, err)
	}
}

// TestFileStoreElsewhereKeepsTwoCopies: an encrypted-file store that is not the data dir's
// own file (its secrets.enc is absent here) is not assumed to sit beside the witness.
func TestFileStoreElsewhereKeepsTwoCopies(t *testing.T) {
	e := newEnv(t)
	other := newEnv(t)
	a, err := Open(Config{DataDir: e.dir, Store: other.fileStore(), Clock: e.clock.Now, PINKDF: cheapKDF, AllowWeakKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.store.Kind() != keystore.KindEncryptedFile {
		t.Fatalf("kind %v", a.store.Kind())
	}
	e.enrol(a)
	if a.singleCopy() {
		t.Fatal("a file store outside the data dir was treated as the single copy")
	}
}
