package keystore

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestFileHasPassphrase: the header says whether opening will ask; no file asks nothing; a
// file that is not a secrets file is an error, not a "no".
func TestFileHasPassphrase(t *testing.T) {
	for _, withPass := range []bool{false, true} {
		dir := t.TempDir()
		if has, err := FileHasPassphrase(dir); has || err != nil {
			t.Fatalf("no file: %v %v", has, err)
		}
		o := Options{DataDir: dir, Mode: ModeFile, FileKDF: KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}, AllowWeakKDF: true,
			UsePassphrase: withPass, Passphrase: func(bool) ([]byte, error) { return []byte("a passphrase"), nil },
			MachineSecret: func() ([]byte, error) { return []byte("m"), nil }}
		s, err := Open(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Set("k", []byte("v")); err != nil {
			t.Fatal(err)
		}
		if has, err := FileHasPassphrase(dir); has != withPass || err != nil {
			t.Fatalf("passphrase %v: FileHasPassphrase = %v, %v", withPass, has, err)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := FileHasPassphrase(dir); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged file: %v", err)
	}
}

func FuzzFileHasPassphrase(f *testing.F) {
	f.Add([]byte(`{"header":{"v":1,"passphrase":true}}`))
	f.Add([]byte(`{"header":{"v":2}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileName), raw, 0o600); err != nil {
			t.Fatal(err)
		}
		has, err := FileHasPassphrase(dir)
		if err != nil && has {
			t.Fatal("an error and a yes")
		}
	})
}
