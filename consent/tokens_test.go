package consent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payterm/payterm/lfi"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// rotatingBank mimics a token endpoint that rotates refresh tokens and invalidates the old one.
type rotatingBank struct {
	mu      sync.Mutex
	current lfi.Secret
	n       int
	calls   atomic.Int32
	store   *memStore // to check the store state at the moment of each call
	gate    chan struct{}
	revoked bool
}

func (b *rotatingBank) refresh(ctx context.Context, rt lfi.Secret) (Grant, error) {
	b.calls.Add(1)
	if b.gate != nil {
		<-b.gate
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.revoked || rt != b.current {
		return Grant{}, &lfi.OAuthError{Op: "token", HTTPStatus: 400, Code: "invalid_grant"}
	}
	b.n++
	b.current = lfi.Secret(fmt.Sprintf("rt-%d", b.n))
	return Grant{AccessToken: lfi.Secret(fmt.Sprintf("at-%d", b.n)), RefreshToken: b.current, ExpiresIn: 600 * time.Second}, nil
}

func newManager(t *testing.T, clock *fakeClock, store *memStore, bank *rotatingBank, initial *Grant) *TokenManager {
	t.Helper()
	m, err := NewTokenManager(TokenManagerConfig{ConsentID: testConsentID, Store: store, Refresh: bank.refresh, Clock: clock.Now, Initial: initial})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTokenManagerRefreshesAheadOfExpiry(t *testing.T) {
	clock := &fakeClock{now: testNow}
	store := newMemStore()
	bank := &rotatingBank{current: "rt-0"}
	_ = store.Save(context.Background(), testConsentID, "rt-0")
	m := newManager(t, clock, store, bank, &Grant{AccessToken: "at-0", RefreshToken: "rt-0", ExpiresIn: 600 * time.Second})
	ctx := context.Background()

	tok, err := m.AccessToken(ctx)
	if err != nil || tok != "at-0" || bank.calls.Load() != 0 {
		t.Fatalf("fresh token: %v %v calls=%d", tok.Reveal(), err, bank.calls.Load())
	}
	clock.Advance(539 * time.Second) // 61 s left: still used
	if tok, _ := m.AccessToken(ctx); tok != "at-0" || bank.calls.Load() != 0 {
		t.Fatal("refreshed with more than 60 s left")
	}
	clock.Advance(2 * time.Second) // 59 s left: refresh
	tok, err = m.AccessToken(ctx)
	if err != nil || tok != "at-1" || bank.calls.Load() != 1 {
		t.Fatalf("after refresh: %v, %v, calls=%d", tok.Reveal(), err, bank.calls.Load())
	}
	if store.get(testConsentID) != "rt-1" {
		t.Fatal("rotated refresh token not saved")
	}
	clock.Advance(541 * time.Second) // at-1 now has 59 s left
	if tok, _ := m.AccessToken(ctx); tok != "at-2" || store.get(testConsentID) != "rt-2" {
		t.Fatal("second rotation")
	}
}

func TestTokenManagerSavesBeforeUse(t *testing.T) {
	clock := &fakeClock{now: testNow}
	store := newMemStore()
	bank := &rotatingBank{current: "rt-0"}
	_ = store.Save(context.Background(), testConsentID, "rt-0")
	m := newManager(t, clock, store, bank, nil) // no access token yet: first call refreshes
	store.setFail(true)
	tok, err := m.AccessToken(context.Background())
	if !errors.Is(err, ErrRefreshTokenNotSaved) || tok != "" {
		t.Fatalf("save failure: token %q, err %v; the new access token must not be used", tok.Reveal(), err)
	}
	// The bank has rotated to rt-1; rt-0 in the store is dead. The manager must not refresh
	// again (that would send rt-0 and fail) but store rt-1 first.
	store.setFail(false)
	tok, err = m.AccessToken(context.Background())
	if err != nil || tok != "at-1" {
		t.Fatalf("retry: %q, %v", tok.Reveal(), err)
	}
	if bank.calls.Load() != 1 || store.get(testConsentID) != "rt-1" {
		t.Fatalf("calls=%d stored=%v", bank.calls.Load(), store.get(testConsentID) == "rt-1")
	}
}

func TestTokenManagerSingleFlight(t *testing.T) {
	clock := &fakeClock{now: testNow}
	store := newMemStore()
	bank := &rotatingBank{current: "rt-0", gate: make(chan struct{})}
	_ = store.Save(context.Background(), testConsentID, "rt-0")
	m := newManager(t, clock, store, bank, nil)
	const callers = 16
	var wg sync.WaitGroup
	results := make(chan string, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := m.AccessToken(context.Background())
			if err != nil {
				results <- "error: " + err.Error()
				return
			}
			results <- tok.Reveal()
		}()
	}
	// Let every caller reach the in-flight refresh, then release the bank.
	for bank.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(bank.gate)
	wg.Wait()
	close(results)
	for r := range results {
		if r != "at-1" {
			t.Errorf("caller got %s", r)
		}
	}
	if bank.calls.Load() != 1 {
		t.Errorf("refresh called %d times, want 1", bank.calls.Load())
	}
}

func TestTokenManagerCallerCancelStillSaves(t *testing.T) {
	clock := &fakeClock{now: testNow}
	store := newMemStore()
	bank := &rotatingBank{current: "rt-0", gate: make(chan struct{})}
	_ = store.Save(context.Background(), testConsentID, "rt-0")
	m := newManager(t, clock, store, bank, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := m.AccessToken(ctx); done <- err }()
	for bank.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	close(bank.gate) // the bank answers after the caller gave up
	tok, err := m.AccessToken(context.Background())
	if err != nil || tok != "at-1" || store.get(testConsentID) != "rt-1" || bank.calls.Load() != 1 {
		t.Fatalf("after cancel: %q %v calls=%d", tok.Reveal(), err, bank.calls.Load())
	}
}

func TestTokenManagerErrors(t *testing.T) {
	clock := &fakeClock{now: testNow}
	store := newMemStore()
	bank := &rotatingBank{current: "rt-0", revoked: true}
	m := newManager(t, clock, store, bank, nil)
	if _, err := m.AccessToken(context.Background()); !errors.Is(err, ErrNoRefreshToken) {
		t.Fatalf("no stored token: %v", err)
	}
	_ = store.Save(context.Background(), testConsentID, "rt-0")
	_, err := m.AccessToken(context.Background())
	if !errors.Is(err, ErrConsentInactive) {
		t.Fatalf("revoked: %v", err)
	}
	if _, err := NewTokenManager(TokenManagerConfig{ConsentID: "x", Store: store, Refresh: bank.refresh}); err == nil {
		t.Error("bad consent id accepted")
	}
	m2 := newManager(t, clock, store, &rotatingBank{current: "rt-0"}, &Grant{AccessToken: "at-0", ExpiresIn: 600 * time.Second})
	m2.Invalidate()
	if tok, err := m2.AccessToken(context.Background()); err != nil || tok != "at-1" {
		t.Fatalf("after Invalidate: %q %v", tok.Reveal(), err)
	}
}

func TestTokenManagerKeepsUnrotatedRefreshToken(t *testing.T) {
	clock := &fakeClock{now: testNow}
	store := newMemStore()
	_ = store.Save(context.Background(), testConsentID, "rt-0")
	saves := len(store.saves)
	refresh := func(context.Context, lfi.Secret) (Grant, error) {
		return Grant{AccessToken: "at-x", ExpiresIn: 600 * time.Second}, nil
	}
	m, err := NewTokenManager(TokenManagerConfig{ConsentID: testConsentID, Store: store, Refresh: refresh, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := m.AccessToken(context.Background()); err != nil || tok != "at-x" {
		t.Fatal(err)
	}
	if len(store.saves) != saves || store.get(testConsentID) != "rt-0" {
		t.Error("an unrotated refresh token must be kept as is")
	}
}
