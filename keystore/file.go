package keystore

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"sync"
)

// FileName is the encrypted fallback store inside the data dir.
const FileName = "secrets.enc"

const (
	fileVersion = 1
	saltBytes   = 16
	fileAADTag  = "payterm keystore file v1"
	kdfInputTag = "payterm keystore file key v1"
)

// fileHeader is authenticated (it is the AES-GCM additional data), so editing the KDF
// parameters or the passphrase flag makes decryption fail instead of silently weakening it.
type fileHeader struct {
	Version    int       `json:"v"`
	KDF        KDFParams `json:"kdf"`
	Salt       []byte    `json:"salt"`
	Passphrase bool      `json:"passphrase"`
}

type fileEnvelope struct {
	Header fileHeader `json:"header"`
	Nonce  []byte     `json:"nonce"`
	Sealed []byte     `json:"sealed"`
}

// fileStore keeps every secret in one AES-256-GCM file. The whole map is rewritten
// atomically on each change; it holds a handful of small values.
type fileStore struct {
	path    string
	rand    io.Reader
	header  fileHeader
	aead    cipher.AEAD
	mu      sync.Mutex
	entries map[string][]byte
}

// fileKeyInput is what argon2id stretches: a machine-bound secret, the user id and, when the
// caller supplies one, a passphrase. See the package doc for what each protects against.
func fileKeyInput(machine []byte, uid int, passphrase []byte) []byte {
	in := []byte(kdfInputTag)
	in = append(in, 0)
	in = append(in, machine...)
	in = append(in, 0)
	in = fmt.Appendf(in, "%d", uid)
	in = append(in, 0)
	return append(in, passphrase...)
}

func openFileStore(dataDir string, o *Options) (*fileStore, error) {
	s := &fileStore{path: filepath.Join(dataDir, FileName), rand: o.Rand, entries: map[string][]byte{}}
	raw, err := ReadPrivateFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		salt := make([]byte, saltBytes)
		if _, err := io.ReadFull(o.Rand, salt); err != nil {
			return nil, fmt.Errorf("keystore: file store salt: %w", err)
		}
		s.header = fileHeader{Version: fileVersion, KDF: o.fileKDF(), Salt: salt, Passphrase: o.UsePassphrase}
		if err := s.header.KDF.Check(o.AllowWeakKDF); err != nil {
			return nil, fmt.Errorf("keystore: file store: %w", err)
		}
		if err := s.deriveKey(o, true); err != nil {
			return nil, err
		}
		if s.header.Passphrase {
			// Written now, so the passphrase just chosen is the one asked for next time even
			// if nothing is stored before the wallet stops.
			if err := s.persist(s.entries); err != nil {
				return nil, fmt.Errorf("keystore: create the secrets file: %w", err)
			}
		}
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("keystore: open file store: %w", err)
	}
	var env fileEnvelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("keystore: file store: %w: not a payterm secrets file", ErrCorrupt)
	}
	if env.Header.Version != fileVersion {
		return nil, fmt.Errorf("keystore: file store: %w: unsupported version %d", ErrCorrupt, env.Header.Version)
	}
	if len(env.Header.Salt) != saltBytes {
		return nil, fmt.Errorf("keystore: file store: %w: bad salt", ErrCorrupt)
	}
	if err := env.Header.KDF.Check(o.AllowWeakKDF); err != nil {
		return nil, fmt.Errorf("keystore: file store: %w: %w", ErrCorrupt, err)
	}
	s.header = env.Header
	if err := s.deriveKey(o, false); err != nil {
		return nil, err
	}
	if len(env.Nonce) != s.aead.NonceSize() {
		return nil, fmt.Errorf("keystore: file store: %w: bad nonce", ErrCorrupt)
	}
	aad, err := s.aad()
	if err != nil {
		return nil, err
	}
	plain, err := s.aead.Open(nil, env.Nonce, env.Sealed, aad)
	if err != nil {
		if s.header.Passphrase {
			return nil, fmt.Errorf("keystore: file store: %w (or the file was edited, or comes from another machine or user)", ErrWrongPassphrase)
		}
		return nil, fmt.Errorf("keystore: file store: %w: wrong key (other machine or user) or edited file", ErrCorrupt)
	}
	defer clear(plain)
	if err := json.Unmarshal(plain, &s.entries); err != nil {
		return nil, fmt.Errorf("keystore: file store: %w: content is not a secret map", ErrCorrupt)
	}
	if s.entries == nil {
		s.entries = map[string][]byte{}
	}
	if o.UsePassphrase && !s.header.Passphrase {
		if err := s.addPassphrase(o); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ErrWrongPassphrase: a file that needs a passphrase did not open with the one given. It is an
// ErrCorrupt too: an edited file fails the same check.
var ErrWrongPassphrase = fmt.Errorf("%w: wrong passphrase", ErrCorrupt)

// ErrPassphraseNeeded: the file store needs a passphrase and Options.Passphrase cannot ask.
var ErrPassphraseNeeded = errors.New("keystore: the encrypted secrets file needs a passphrase and there is no way to ask for it")

// addPassphrase re-encrypts an opened file that has no passphrase under a new key that needs
// one (new salt, header flag set). The rename in persist makes it all or nothing: a crash
// leaves the old file, which the next start upgrades again.
func (s *fileStore) addPassphrase(o *Options) error {
	salt := make([]byte, saltBytes)
	if _, err := io.ReadFull(o.Rand, salt); err != nil {
		return fmt.Errorf("keystore: file store salt: %w", err)
	}
	old := s.header
	s.header = fileHeader{Version: fileVersion, KDF: o.fileKDF(), Salt: salt, Passphrase: true}
	if err := s.header.KDF.Check(o.AllowWeakKDF); err != nil {
		s.header = old
		return fmt.Errorf("keystore: file store: %w", err)
	}
	oldAEAD := s.aead
	if err := s.deriveKey(o, true); err != nil {
		s.header, s.aead = old, oldAEAD
		return err
	}
	if err := s.persist(s.entries); err != nil {
		s.header, s.aead = old, oldAEAD
		return fmt.Errorf("keystore: add a passphrase to the secrets file: %w", err)
	}
	return nil
}

// deriveKey derives the AEAD key for s.header; choose says a passphrase would be a new one.
func (s *fileStore) deriveKey(o *Options, choose bool) error {
	machine, err := o.machineSecret()
	if err != nil {
		return fmt.Errorf("keystore: file store machine binding: %w", err)
	}
	var pass []byte
	if s.header.Passphrase {
		if o.Passphrase == nil {
			return ErrPassphraseNeeded
		}
		if pass, err = o.Passphrase(choose); err != nil {
			return fmt.Errorf("keystore: file store passphrase: %w", err)
		}
		if len(pass) == 0 {
			return fmt.Errorf("keystore: file store passphrase is empty")
		}
	}
	in := fileKeyInput(machine, o.uid(), pass)
	key := s.header.KDF.Derive(in, s.header.Salt)
	clear(in)
	clear(pass)
	block, err := aes.NewCipher(key)
	clear(key)
	if err != nil {
		return fmt.Errorf("keystore: file store cipher: %w", err)
	}
	if s.aead, err = cipher.NewGCM(block); err != nil {
		return fmt.Errorf("keystore: file store cipher: %w", err)
	}
	return nil
}

func (s *fileStore) aad() ([]byte, error) {
	h, err := json.Marshal(s.header)
	if err != nil {
		return nil, fmt.Errorf("keystore: file store header: %w", err)
	}
	return append([]byte(fileAADTag+"\x00"), h...), nil
}

func (s *fileStore) Kind() Kind { return KindEncryptedFile }

func (s *fileStore) Get(name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.entries[name]
	if !ok {
		return nil, fmt.Errorf("keystore: read %s: %w", name, ErrNotFound)
	}
	return slices.Clone(v), nil
}

func (s *fileStore) Set(name string, v []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := maps.Clone(s.entries)
	next[name] = slices.Clone(v)
	if err := s.persist(next); err != nil {
		return fmt.Errorf("keystore: write %s: %w", name, err)
	}
	s.entries = next
	return nil
}

func (s *fileStore) Delete(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[name]; !ok {
		return fmt.Errorf("keystore: delete %s: %w", name, ErrNotFound)
	}
	next := maps.Clone(s.entries)
	delete(next, name)
	if err := s.persist(next); err != nil {
		return fmt.Errorf("keystore: delete %s: %w", name, err)
	}
	s.entries = next
	return nil
}

// names lists the stored secret names (for migration to the keyring).
func (s *fileStore) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.entries))
}

func (s *fileStore) persist(entries map[string][]byte) error {
	plain, err := json.Marshal(entries)
	if err != nil {
		return fmt.Errorf("encode secrets: %w", err)
	}
	defer clear(plain)
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return fmt.Errorf("nonce: %w", err)
	}
	aad, err := s.aad()
	if err != nil {
		return err
	}
	env := fileEnvelope{Header: s.header, Nonce: nonce, Sealed: s.aead.Seal(nil, nonce, plain, aad)}
	out, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("encode secrets file: %w", err)
	}
	return WriteFileAtomic(s.path, out)
}
