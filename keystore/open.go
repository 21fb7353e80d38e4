package keystore

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Mode is the secret_store setting.
type Mode string

// Modes, spelled as in config.toml.
const (
	ModeAuto    Mode = "auto"    // OS keyring; the encrypted file only when the keyring is unavailable
	ModeKeyring Mode = "keyring" // OS keyring or fail
	ModeFile    Mode = "file"    // encrypted file in the data dir
)

// markerName records that a data dir's secrets live in the keyring, so a keyring that is
// merely locked today does not silently switch the wallet to an empty file store.
const markerName = "keystore.kind"

// Options configure Open.
type Options struct {
	DataDir string
	Mode    Mode // "" means ModeAuto
	// Rand feeds salts, nonces and chunk generations; nil means crypto/rand.
	Rand io.Reader
	// FileKDF are the argon2id costs of a new encrypted file; zero means RFC9106Second.
	FileKDF KDFParams
	// AllowWeakKDF lets tests use parameters below the OWASP minimum. Never set in production.
	AllowWeakKDF bool
	// UsePassphrase makes a new encrypted file need a passphrase too, and adds one to an
	// existing file that has none (re-encrypted once). Without it the file is bound only to
	// this machine and user; see the package doc. A file that has a passphrase keeps it.
	UsePassphrase bool
	// Passphrase asks the user for it, only when the file store is used: choose is true when
	// a new one is being set (the caller confirms it and applies its policy), false when an
	// existing file is opened. nil means there is no way to ask.
	Passphrase func(choose bool) ([]byte, error)
	// MachineSecret returns the machine binding of the file store key; nil reads the OS
	// machine id. Tests inject one to simulate "the data dir was copied to another machine".
	MachineSecret func() ([]byte, error)

	keyring backend // tests only: a failing keyring wrapper
}

func (o *Options) fileKDF() KDFParams {
	if o.FileKDF == (KDFParams{}) {
		return RFC9106Second
	}
	return o.FileKDF
}

func (o *Options) backend() backend {
	if o.keyring != nil {
		return o.keyring
	}
	return goKeyring{}
}

func (o *Options) uid() int { return os.Getuid() }

func (o *Options) machineSecret() ([]byte, error) {
	if o.MachineSecret != nil {
		return o.MachineSecret()
	}
	return defaultMachineSecret()
}

// defaultMachineSecret reads the systemd/D-Bus machine id; elsewhere it falls back to the
// host name, which binds far more weakly (documented).
func defaultMachineSecret() ([]byte, error) {
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(p); err == nil && len(bytes.TrimSpace(b)) > 0 {
			return bytes.TrimSpace(b), nil
		}
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		return nil, fmt.Errorf("no machine id and no host name: %v", err)
	}
	return []byte("host:" + h), nil
}

// fallbackStore wraps the file store chosen because the keyring failed, keeping the reason.
type fallbackStore struct {
	*fileStore
	reason error
}

// FallbackReason returns why the encrypted file is in use when the keyring was wanted
// (ModeAuto and the keyring failed), or nil.
func FallbackReason(s Store) error {
	if f, ok := s.(*fallbackStore); ok {
		return f.reason
	}
	return nil
}

// Open picks the store for a data dir:
//   - ModeKeyring: the OS keyring, or an error wrapping ErrUnavailable;
//   - ModeFile: the encrypted file;
//   - ModeAuto: the OS keyring when it works; when any keyring operation fails with something
//     other than not-found, the encrypted file — unless this data dir kept its secrets in the
//     keyring before, in which case Open fails (ErrUnavailable) rather than hide them.
//
// When the keyring is used and an encrypted file from an earlier fallback exists, its secrets
// are moved into the keyring and the file is removed.
func Open(o Options) (Store, error) {
	if o.DataDir == "" {
		return nil, errors.New("keystore: no data dir")
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Mode == "" {
		o.Mode = ModeAuto
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("keystore: create data dir: %w", err)
	}
	switch o.Mode {
	case ModeFile:
		return openFileStore(o.DataDir, &o)
	case ModeKeyring, ModeAuto:
	default:
		return nil, fmt.Errorf("keystore: unknown secret store mode %q (want auto, keyring or file)", o.Mode)
	}
	ks, err := newKeyringStore(o.DataDir, o.Rand, o.backend())
	if err != nil {
		return nil, err
	}
	probeErr := ks.probe()
	if probeErr == nil {
		if err := writeMarker(o.DataDir); err != nil {
			return nil, err
		}
		if err := migrateFileToKeyring(ks, &o); err != nil {
			return nil, err
		}
		return ks, nil
	}
	if o.Mode == ModeKeyring {
		return nil, probeErr
	}
	if usedKeyringBefore(o.DataDir) {
		return nil, fmt.Errorf("keystore: this wallet's secrets are in the OS keyring, which cannot be used now (unlock it and retry): %w", probeErr)
	}
	fs, err := openFileStore(o.DataDir, &o)
	if err != nil {
		return nil, err
	}
	return &fallbackStore{fileStore: fs, reason: probeErr}, nil
}

func writeMarker(dataDir string) error {
	p := filepath.Join(dataDir, markerName)
	if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) == "keyring" {
		return nil
	}
	if err := WriteFileAtomic(p, []byte("keyring\n")); err != nil {
		return fmt.Errorf("keystore: record store kind: %w", err)
	}
	return nil
}

func usedKeyringBefore(dataDir string) bool {
	_, err := os.Stat(filepath.Join(dataDir, markerName))
	return err == nil
}

// migrateFileToKeyring copies every secret of a leftover encrypted file into the keyring and
// removes the file only after every copy succeeded; a crash midway repeats the copy next time.
func migrateFileToKeyring(ks *keyringStore, o *Options) error {
	path := filepath.Join(o.DataDir, FileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	// The file is about to be emptied into the keyring: never ask to add a passphrase to it.
	read := *o
	read.UsePassphrase = false
	fs, err := openFileStore(o.DataDir, &read)
	if err != nil {
		return fmt.Errorf("keystore: move file secrets to the keyring: %w", err)
	}
	for _, name := range fs.names() {
		v, err := fs.Get(name)
		if err != nil {
			return fmt.Errorf("keystore: move file secrets to the keyring: %w", err)
		}
		err = ks.Set(name, v)
		clear(v)
		if err != nil {
			return fmt.Errorf("keystore: move file secrets to the keyring: %w", err)
		}
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("keystore: remove migrated secrets file: %w", err)
	}
	return nil
}
