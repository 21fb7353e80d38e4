package keystore

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// cheapKDF keeps tests fast; production refuses it (see TestWeakKDFRefusedOutsideTests).
var cheapKDF = KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func fileOptions(dir string, machine string) Options {
	return Options{
		DataDir: dir, Mode: ModeFile, FileKDF: cheapKDF, AllowWeakKDF: true,
		MachineSecret: func() ([]byte, error) { return []byte(machine), nil },
	}
}

func TestFileStoreRoundTripPersistsEncrypted(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(fileOptions(dir, "machine-a"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind() != KindEncryptedFile {
		t.Fatalf("kind %v", s.Kind())
	}
	secret := []byte("refresh-token-7f3a9c1e5b2d4680")
	if err := s.Set("token.refresh", secret); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("other", []byte("x")); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, secret) || bytes.Contains(raw, []byte(b64.EncodeToString(secret))) {
		t.Fatal("secrets file contains the secret in clear or base64")
	}
	st, _ := os.Stat(filepath.Join(dir, FileName))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %o, want 600", st.Mode().Perm())
	}
	reopened, err := Open(fileOptions(dir, "machine-a"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := reopened.Get("token.refresh")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("after reopen: %q, %v", got, err)
	}
	if err := reopened.Delete("other"); err != nil {
		t.Fatal(err)
	}
	again, _ := Open(fileOptions(dir, "machine-a"))
	if _, err := again.Get("other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted secret: %v", err)
	}
}

func TestFileStoreCopiedToAnotherMachineDoesNotOpen(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(fileOptions(dir, "machine-a"))
	if err := s.Set("k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(fileOptions(dir, "machine-b")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("other machine: %v, want ErrCorrupt", err)
	}
}

func TestFileStorePassphraseIsRequiredAndChecked(t *testing.T) {
	dir := t.TempDir()
	o := fileOptions(dir, "m")
	var asked []bool
	o.UsePassphrase = true
	o.Passphrase = func(choose bool) ([]byte, error) { asked = append(asked, choose); return []byte("correct horse"), nil }
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set("k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 || !asked[0] {
		t.Fatalf("a new passphrase file asked %v, want one 'choose' prompt", asked)
	}
	o.Passphrase = func(bool) ([]byte, error) { return []byte("wrong horse"), nil }
	if _, err := Open(o); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := Open(fileOptions(dir, "m")); !errors.Is(err, ErrPassphraseNeeded) {
		t.Fatalf("opened a passphrase file with no way to ask: %v", err)
	}
	// A file that has a passphrase keeps needing it, even when new files would not use one.
	o.UsePassphrase = false
	o.Passphrase = func(choose bool) ([]byte, error) {
		if choose {
			t.Error("opening an existing passphrase file asked to choose a new one")
		}
		return []byte("correct horse"), nil
	}
	if s, err = Open(o); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get("k"); err != nil || string(v) != "v" {
		t.Fatalf("Get = %q, %v", v, err)
	}
}

// TestFileStoreGainsAPassphrase: UsePassphrase on a file made without one re-encrypts it once
// under the passphrase; afterwards the machine binding alone no longer opens it, and the
// secrets are all there.
func TestFileStoreGainsAPassphrase(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(fileOptions(dir, "m"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b"} {
		if err := s.Set(k, []byte("value-"+k)); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := os.ReadFile(filepath.Join(dir, FileName))
	o := fileOptions(dir, "m")
	o.UsePassphrase = true
	o.Passphrase = func(bool) ([]byte, error) { return nil, errors.New("no terminal") }
	if _, err := Open(o); err == nil {
		t.Fatal("the upgrade went on without a passphrase")
	}
	if after, _ := os.ReadFile(filepath.Join(dir, FileName)); string(after) != string(before) {
		t.Fatal("a failed upgrade changed the file")
	}
	o.Passphrase = func(choose bool) ([]byte, error) {
		if !choose {
			t.Error("the upgrade did not ask to choose a passphrase")
		}
		return []byte("battery staple"), nil
	}
	if _, err := Open(o); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(fileOptions(dir, "m")); !errors.Is(err, ErrPassphraseNeeded) {
		t.Fatalf("the machine binding alone still opens it: %v", err)
	}
	o.Passphrase = func(bool) ([]byte, error) { return []byte("battery staple"), nil }
	s, err = Open(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b"} {
		if v, err := s.Get(k); err != nil || string(v) != "value-"+k {
			t.Fatalf("after the upgrade %s = %q, %v", k, v, err)
		}
	}
}

func TestFileStoreDetectsEditsAndLooseModes(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(fileOptions(dir, "m"))
	if err := s.Set("k", []byte("value")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName)
	raw, _ := os.ReadFile(path)
	for i := range raw { // flip one byte of the sealed part (far from the header)
		j := len(raw) - 10 - i
		if raw[j] >= 'A' && raw[j] <= 'Y' {
			raw[j]++
			break
		}
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(fileOptions(dir, "m")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("edited file: %v, want ErrCorrupt", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(fileOptions(dir, "m")); err == nil {
		t.Fatal("opened a world-readable secrets file")
	}
}

func TestWeakKDFRefusedOutsideTests(t *testing.T) {
	o := fileOptions(t.TempDir(), "m")
	o.AllowWeakKDF = false
	if _, err := Open(o); err == nil {
		t.Fatal("weak argon2id parameters accepted without AllowWeakKDF")
	}
	if err := RFC9106Second.Check(false); err != nil {
		t.Fatal(err)
	}
	if err := OWASPMinimum.Check(false); err != nil {
		t.Fatal(err)
	}
	if err := (KDFParams{Time: 1 << 20, MemoryKiB: 64, Threads: 1}).Check(true); err == nil {
		t.Fatal("absurd time cost accepted")
	}
}

func TestOpenAutoFallsBackOnlyWhenKeyringUnavailable(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	o := fileOptions(dir, "m")
	o.Mode = ModeAuto
	s, err := Open(o)
	if err != nil || s.Kind() != KindKeyring || FallbackReason(s) != nil {
		t.Fatalf("working keyring: kind %v, reason %v, err %v", s.Kind(), FallbackReason(s), err)
	}

	keyring.MockInitWithError(errors.New("failed to unlock correct collection"))
	fresh := fileOptions(t.TempDir(), "m")
	fresh.Mode = ModeAuto
	s, err = Open(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind() != KindEncryptedFile || !errors.Is(FallbackReason(s), ErrUnavailable) {
		t.Fatalf("broken keyring: kind %v reason %v", s.Kind(), FallbackReason(s))
	}
	// A data dir that used the keyring before must not silently start over on a file.
	if _, err := Open(o); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("keyring data dir with locked keyring: %v, want ErrUnavailable", err)
	}
	strict := fileOptions(t.TempDir(), "m")
	strict.Mode = ModeKeyring
	if _, err := Open(strict); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("keyring mode: %v", err)
	}
	bad := fileOptions(t.TempDir(), "m")
	bad.Mode = "plaintext"
	if _, err := Open(bad); err == nil {
		t.Fatal("unknown mode accepted")
	}
}

func TestOpenMovesFallbackSecretsIntoKeyring(t *testing.T) {
	keyring.MockInitWithError(errors.New("no secret service"))
	dir := t.TempDir()
	o := fileOptions(dir, "m")
	o.Mode = ModeAuto
	o.Rand = rand.Reader
	s, err := Open(o)
	if err != nil || s.Kind() != KindEncryptedFile {
		t.Fatalf("fallback: %v %v", s, err)
	}
	big := randomBytes(t, 4000)
	if err := s.Set("big", big); err != nil {
		t.Fatal(err)
	}
	keyring.MockInit()
	s, err = Open(o)
	if err != nil || s.Kind() != KindKeyring {
		t.Fatalf("keyring back: %v %v", s, err)
	}
	got, err := s.Get("big")
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("migrated secret: %d bytes, %v", len(got), err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("secrets file still present after migration: %v", err)
	}
}

// FuzzOpenFileStore: whatever sits in secrets.enc, Open returns an error or a store and never
// panics; a store it does open stays usable. (Forged content is covered deterministically by
// TestFileStoreDetectsEditsAndLooseModes: seeds are re-generated per fuzz worker, so "the
// genuine bytes" cannot be compared here.)
func FuzzOpenFileStore(f *testing.F) {
	seedDir := f.TempDir()
	s, err := Open(fileOptions(seedDir, "m"))
	if err != nil {
		f.Fatal(err)
	}
	if err := s.Set("k", []byte("v")); err != nil {
		f.Fatal(err)
	}
	genuine, _ := os.ReadFile(filepath.Join(seedDir, FileName))
	f.Add(genuine)
	f.Add([]byte(`{"header":{"v":1,"kdf":{"t":1,"m":64,"p":1},"salt":"AAAAAAAAAAAAAAAAAAAAAA==","passphrase":false},"nonce":"","sealed":""}`))
	f.Add([]byte(`{"header":{"v":1,"kdf":{"t":4294967295,"m":4294967295,"p":255}}}`))
	f.Add([]byte("null"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileName), raw, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(fileOptions(dir, "m"))
		if err != nil {
			return
		}
		if err := s.Set("k2", []byte("w")); err != nil {
			t.Fatal(err)
		}
		again, err := Open(fileOptions(dir, "m"))
		if err != nil {
			t.Fatalf("store written by us does not reopen: %v", err)
		}
		if v, err := again.Get("k2"); err != nil || string(v) != "w" {
			t.Fatalf("reopened store lost a value: %q %v", v, err)
		}
	})
}

// TestKDFBoundsFromDisk: parameters read back from a file are bounded near what payterm writes,
// so an edited header cannot stall Open for minutes or allocate gigabytes.
func TestKDFBoundsFromDisk(t *testing.T) {
	for _, p := range []KDFParams{RFC9106Second, OWASPMinimum} {
		if err := p.Check(false); err != nil {
			t.Errorf("the parameters payterm writes must pass: %+v: %v", p, err)
		}
	}
	for _, p := range []KDFParams{
		{Time: 9, MemoryKiB: 64 * 1024, Threads: 4},
		{Time: 3, MemoryKiB: 256*1024 + 1, Threads: 4},
		{Time: 3, MemoryKiB: 64 * 1024, Threads: 17},
	} {
		if err := p.Check(true); err == nil || !strings.Contains(err.Error(), "exceed the accepted maximum") {
			t.Errorf("%+v: want the maximum refused, got %v", p, err)
		}
	}
}
