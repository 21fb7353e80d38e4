package sca

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payterm/payterm/keystore"
	"github.com/zalando/go-keyring"
)

// The same rules hold when the secrets live in the OS keyring (go-keyring's in-memory mock):
// a blocked wallet stays blocked across restarts.
func TestOnKeyringBlockSurvivesRestart(t *testing.T) {
	keyring.MockInit()
	e := newEnv(t)
	open := func() *Authenticator {
		s, err := keystore.Open(keystore.Options{DataDir: e.dir, Mode: keystore.ModeKeyring})
		if err != nil {
			t.Fatal(err)
		}
		if s.Kind() != keystore.KindKeyring {
			t.Fatalf("kind %v", s.Kind())
		}
		a, err := Open(Config{DataDir: e.dir, Store: s, Clock: e.clock.Now, PINKDF: cheapKDF, AllowWeakKDF: true})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	secret, _ := e.enrol(open())
	if _, err := open().Authenticate(testIntent(), testPIN, e.code(secret, 0)); err != nil {
		t.Fatal(err)
	}
	for range MaxFailures {
		_, _ = open().Authenticate(testIntent(), otherPIN, e.code(secret, 1))
	}
	e.clock.Add(time.Minute)
	if _, err := open().Authenticate(testIntent(), testPIN, e.code(secret, 0)); !errors.Is(err, ErrBlocked) {
		t.Fatalf("after restart: %v", err)
	}
	if st := open().Status(); st.StoreKind != keystore.KindKeyring || !st.Blocked {
		t.Fatalf("status %+v", st)
	}
}

// failingStore fails every Set once armed: Authenticate must not hand out Evidence when it
// cannot record the attempt.
type failingStore struct {
	keystore.Store
	fail atomic.Bool
}

func (f *failingStore) Set(name string, v []byte) error {
	if f.fail.Load() {
		return keystore.ErrUnavailable
	}
	return f.Store.Set(name, v)
}

func TestAuthenticateFailsClosedWhenStateCannotBeSaved(t *testing.T) {
	e := newEnv(t)
	fs := &failingStore{Store: e.store()}
	a, err := Open(Config{DataDir: e.dir, Store: fs, Clock: e.clock.Now, PINKDF: cheapKDF, AllowWeakKDF: true,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := e.enrol(a)
	fs.fail.Store(true)
	ev, err := a.Authenticate(testIntent(), testPIN, e.code(secret, 0))
	if err == nil || ev != nil || !errors.Is(err, keystore.ErrUnavailable) {
		t.Fatalf("evidence %v, err %v", ev, err)
	}
}

func TestEvidenceConsumedByOnlyOneOfManyPayments(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	ev, err := a.Authenticate(testIntent(), testPIN, e.code(secret, 0))
	if err != nil {
		t.Fatal(err)
	}
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if ev.Consume(testIntent(), e.clock.Now()) == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d payments consumed one evidence", ok.Load())
	}
}

// Two wallet instances on one data dir (separate Authenticators, so separate in-process
// mutexes) never lose a failed attempt: the data-dir lock serialises their read-modify-write
// of the counters. (They share one keystore handle because go-keyring's mock is not safe for
// concurrent use; real keyrings are.)
func TestConcurrentInstancesCountEveryFailure(t *testing.T) {
	e := newEnv(t)
	store := e.store()
	open := func() *Authenticator {
		a, err := Open(Config{DataDir: e.dir, Store: store, Clock: e.clock.Now, PINKDF: cheapKDF, AllowWeakKDF: true})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	secret, _ := e.enrol(open())
	code := e.code(secret, 0)
	var wg sync.WaitGroup
	for range 2 {
		a := open()
		wg.Go(func() {
			for range 2 {
				_, _ = a.Authenticate(testIntent(), otherPIN, code)
			}
		})
	}
	wg.Wait()
	if st := open().Status(); st.RemainingAttempts != MaxFailures-4 {
		t.Fatalf("%d attempts left after 4 failures from two instances", st.RemainingAttempts)
	}
}
