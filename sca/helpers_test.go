package sca

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/keystore"
	"github.com/pquerna/otp/totp"
)

// cheapKDF keeps tests fast; Open refuses it without AllowWeakKDF.
var cheapKDF = keystore.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

// Seeded secrets: odd values so a grep for them cannot hit by accident.
const (
	testPIN    PIN = "730461"
	otherPIN   PIN = "582913"
	testIBAN       = "AE070331234567890123456"
	testName       = "Fatima Al Zahra Trading"
	testConsID     = "consent-7c1f0e"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer collects log output from every goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// env is one installation: a data dir, its keystore and a clock. open() plays a process start.
type env struct {
	t     testing.TB
	dir   string
	clock *clock
	logs  *syncBuffer
}

func newEnv(t testing.TB) *env {
	return &env{t: t, dir: t.TempDir(), clock: newClock(), logs: &syncBuffer{}}
}

// asKeyring makes the encrypted-file store stand for an OS keyring, a store outside the data
// dir: the counters then live in two copies (keystore and sca/state.json), the protocol most
// tests here exercise. fileStore is the store as production uses it without a keyring.
type asKeyring struct{ keystore.Store }

func (asKeyring) Kind() keystore.Kind { return keystore.KindKeyring }

// store opens the data dir's keystore afresh, as a new process would, standing for an OS
// keyring (asKeyring).
func (e *env) store() keystore.Store {
	e.t.Helper()
	return asKeyring{e.fileStore()}
}

// fileStore opens the data dir's encrypted-file keystore afresh, as a new process would.
func (e *env) fileStore() keystore.Store {
	e.t.Helper()
	s, err := keystore.Open(keystore.Options{
		DataDir: e.dir, Mode: keystore.ModeFile, FileKDF: cheapKDF, AllowWeakKDF: true,
		MachineSecret: func() ([]byte, error) { return []byte("test-machine"), nil },
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) open() *Authenticator {
	e.t.Helper()
	a, err := Open(Config{
		DataDir: e.dir, Store: e.store(), Clock: e.clock.Now, PINKDF: cheapKDF, AllowWeakKDF: true,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// enrol runs the full enrolment and returns the TOTP secret and the recovery code.
func (e *env) enrol(a *Authenticator) (string, RecoveryCode) {
	e.t.Helper()
	en, err := a.BeginEnrolment(testPIN)
	if err != nil {
		e.t.Fatal(err)
	}
	rc, err := a.ConfirmEnrolment(en, e.code(en.Secret(), 0))
	if err != nil {
		e.t.Fatal(err)
	}
	e.clock.Add(30 * time.Second) // the enrolment used this step's code
	return en.Secret(), rc
}

// code is the TOTP code for the step offset steps away from now.
func (e *env) code(secret string, offset int) OTP {
	e.t.Helper()
	c, err := totp.GenerateCode(secret, e.clock.Now().Add(time.Duration(offset)*30*time.Second))
	if err != nil {
		e.t.Fatal(err)
	}
	return OTP(c)
}

func testIntent() Intent {
	return Intent{ConsentID: testConsID, Amount: "10.00", Currency: "AED", CreditorIBAN: testIBAN,
		CreditorName: testName, IdempotencyKey: "3f1e8a52-6b7d-4c19-9e0a-2d5b7c8f1a64"}
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
