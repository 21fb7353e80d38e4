package keystore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/zalando/go-keyring"
)

// Service is the keyring service every payterm secret is filed under.
const Service = "payterm"

// keyringStore keeps secrets in the OS keyring through go-keyring. Account names are
// "<data-dir id>/<name>" so two data dirs (two wallets, tests) never share a secret.
type keyringStore struct {
	ns   string
	rand io.Reader
	kr   backend
	mu   sync.Mutex
}

// backend is the slice of go-keyring we use; tests wrap it to inject failures mid-write.
type backend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// goKeyring is the real (or MockInit'd) go-keyring provider.
type goKeyring struct{}

func (goKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (goKeyring) Set(service, user, v string) error        { return keyring.Set(service, user, v) }
func (goKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

func newKeyringStore(dataDir string, rand io.Reader, kr backend) (*keyringStore, error) {
	ns, err := namespace(dataDir)
	if err != nil {
		return nil, err
	}
	return &keyringStore{ns: ns, rand: rand, kr: kr}, nil
}

// namespace derives a short, stable id for a data dir from its absolute path. Moving the
// data dir therefore detaches it from its keyring entries (documented in the package doc).
func namespace(dataDir string) (string, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", fmt.Errorf("keystore: resolve data dir: %w", err)
	}
	sum := sha256.Sum256([]byte(filepath.Clean(abs)))
	return hex.EncodeToString(sum[:8]), nil
}

func (s *keyringStore) Kind() Kind { return KindKeyring }

func (s *keyringStore) account(name string) string { return s.ns + "/" + name }

func (s *keyringStore) chunkAccount(name, gen string, i int) string {
	return s.ns + "/" + name + "#" + gen + "." + strconv.Itoa(i)
}

// kerr maps a go-keyring error: not-found stays not-found, everything else means the secure
// storage is unavailable (go-keyring has no sentinel for locked/absent/denied).
func kerr(op string, err error) error {
	if errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("keystore: %s: %w", op, ErrNotFound)
	}
	return fmt.Errorf("keystore: %s: %w: %w", op, ErrUnavailable, err)
}

func (s *keyringStore) Get(name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// A second read covers a writer in another process replacing the value between our
	// manifest read and our chunk reads (its old chunks are deleted after the flip).
	var err error
	for range 2 {
		var v []byte
		v, err = s.read(name)
		if err == nil || !errors.Is(err, ErrCorrupt) {
			return v, err
		}
	}
	return nil, err
}

func (s *keyringStore) read(name string) ([]byte, error) {
	raw, err := s.kr.Get(Service, s.account(name))
	if err != nil {
		return nil, kerr("read "+name, err)
	}
	m, err := parseManifest(raw)
	if err != nil {
		return nil, fmt.Errorf("keystore: read %s: %w", name, err)
	}
	if m.gen == "" {
		return m.inline, nil
	}
	v := make([]byte, 0, m.length)
	for i := range m.chunks {
		c, err := s.kr.Get(Service, s.chunkAccount(name, m.gen, i))
		if errors.Is(err, keyring.ErrNotFound) {
			return nil, fmt.Errorf("keystore: read %s: %w: chunk %d missing", name, ErrCorrupt, i)
		}
		if err != nil {
			return nil, kerr("read "+name, err)
		}
		part, err := b64.Strict().DecodeString(c)
		if err != nil || len(part) > chunkRawBytes {
			return nil, fmt.Errorf("keystore: read %s: %w: chunk %d malformed", name, ErrCorrupt, i)
		}
		v = append(v, part...)
	}
	if !m.sumMatches(v) {
		return nil, fmt.Errorf("keystore: read %s: %w: chunks do not match the manifest", name, ErrCorrupt)
	}
	return v, nil
}

func (s *keyringStore) Set(name string, v []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	if len(v) > maxChunks*chunkRawBytes {
		return fmt.Errorf("keystore: write %s: value of %d bytes exceeds %d", name, len(v), maxChunks*chunkRawBytes)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, oldErr := s.currentManifest(name)
	m := manifest{length: len(v), sum: sha256.Sum256(v)}
	if fitsInline(len(v)) {
		m.inline = v
	} else {
		gen := make([]byte, genBytes)
		if _, err := io.ReadFull(s.rand, gen); err != nil {
			return fmt.Errorf("keystore: write %s: generation id: %w", name, err)
		}
		m.gen = hex.EncodeToString(gen)
		m.chunks = (len(v) + chunkRawBytes - 1) / chunkRawBytes
		for i := range m.chunks {
			part := v[i*chunkRawBytes : min(len(v), (i+1)*chunkRawBytes)]
			if err := s.kr.Set(Service, s.chunkAccount(name, m.gen, i), b64.EncodeToString(part)); err != nil {
				s.deleteChunks(name, m.gen, i)
				return kerr("write "+name, err)
			}
		}
	}
	// The flip: one keyring entry now points at the new value.
	if err := s.kr.Set(Service, s.account(name), m.encode()); err != nil {
		if m.gen != "" {
			s.deleteChunks(name, m.gen, m.chunks)
		}
		return kerr("write "+name, err)
	}
	if oldErr == nil && old.gen != "" && old.gen != m.gen {
		s.deleteChunks(name, old.gen, old.chunks)
	}
	return nil
}

// currentManifest returns the manifest now stored, so its chunks can be removed after a flip.
func (s *keyringStore) currentManifest(name string) (manifest, error) {
	raw, err := s.kr.Get(Service, s.account(name))
	if err != nil {
		return manifest{}, err
	}
	return parseManifest(raw)
}

// deleteChunks removes chunks 0..n-1 of a generation; best effort, an orphan chunk is harmless
// (it is never referenced again and holds only part of an old value).
func (s *keyringStore) deleteChunks(name, gen string, n int) {
	for i := range n {
		_ = s.kr.Delete(Service, s.chunkAccount(name, gen, i))
	}
}

func (s *keyringStore) Delete(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, oldErr := s.currentManifest(name)
	if err := s.kr.Delete(Service, s.account(name)); err != nil {
		return kerr("delete "+name, err)
	}
	if oldErr == nil && old.gen != "" {
		s.deleteChunks(name, old.gen, old.chunks)
	}
	return nil
}

// probe writes, reads back and deletes a throwaway entry: a keyring that cannot do all three
// is not usable for secrets.
func (s *keyringStore) probe() error {
	// A fresh account per probe: two processes starting together must not delete each
	// other's probe and conclude the keyring is broken.
	tag := make([]byte, 6)
	if _, err := io.ReadFull(s.rand, tag); err != nil {
		return fmt.Errorf("keystore: probe: %w", err)
	}
	acct := s.ns + "/.probe-" + hex.EncodeToString(tag)
	want := "payterm keyring probe"
	if err := s.kr.Set(Service, acct, want); err != nil {
		return fmt.Errorf("keystore: probe write: %w: %w", ErrUnavailable, err)
	}
	got, err := s.kr.Get(Service, acct)
	if err != nil {
		return fmt.Errorf("keystore: probe read: %w: %w", ErrUnavailable, err)
	}
	if got != want {
		return fmt.Errorf("keystore: probe: %w: value read back differs", ErrUnavailable)
	}
	if err := s.kr.Delete(Service, acct); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("keystore: probe delete: %w: %w", ErrUnavailable, err)
	}
	return nil
}
