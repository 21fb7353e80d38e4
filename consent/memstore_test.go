package consent

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/payterm/payterm/lfi"
)

// memStore is an in-memory TokenStore for tests; failSave makes Save fail on demand.
type memStore struct {
	mu       sync.Mutex
	tokens   map[string]lfi.Secret
	saves    []lfi.Secret
	failSave bool
}

func newMemStore() *memStore { return &memStore{tokens: map[string]lfi.Secret{}} }

func (s *memStore) Save(_ context.Context, id string, tok lfi.Secret) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failSave {
		return errors.New("keyring locked")
	}
	s.tokens[id] = tok
	s.saves = append(s.saves, tok)
	return nil
}

func (s *memStore) Load(_ context.Context, id string) (lfi.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := s.tokens[id]
	if !ok {
		return "", fmt.Errorf("load %s: %w", id, ErrNoRefreshToken)
	}
	return tok, nil
}

func (s *memStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, id)
	return nil
}

func (s *memStore) get(id string) lfi.Secret {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[id]
}

func (s *memStore) setFail(b bool) {
	s.mu.Lock()
	s.failSave = b
	s.mu.Unlock()
}
