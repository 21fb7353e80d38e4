package sca

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/payterm/payterm/keystore"
)

// Keystore entry names.
const (
	nameWrapSecret = "sca.wrap-secret"
	nameTOTPSeed   = "sca.totp-seed"
	nameMACKey     = "sca.state-mac-key"
	nameState      = "sca.state"
)

// MaxFailures is the number of failed authentications (Authenticate and VerifyPIN together,
// see the package doc for what a success clears) after which payments are blocked (RTS Art.
// 4(3)(b): at most five).
const MaxFailures = 5

// MaxRecoveryFailures bounds wrong recovery attempts; after that only Reset remains.
const MaxRecoveryFailures = 5

// Config wires an Authenticator. Time, randomness and the KDF cost are injected so tests are
// deterministic and fast.
type Config struct {
	DataDir string         // holds sca/device.json and sca/state.json
	Store   keystore.Store // wrap secret, TOTP seed, state MAC key and keystore copy of the state
	Clock   func() time.Time
	Rand    io.Reader
	// PINKDF is the argon2id cost of the PIN; zero means keystore.RFC9106Second. Below the
	// OWASP minimum it is refused unless AllowWeakKDF (tests only).
	PINKDF       keystore.KDFParams
	AllowWeakKDF bool
	// Factors must be two factors from different categories; nil means DefaultFactors.
	Factors []FactorType
	// Issuer and AccountName label the authenticator-app entry; defaults "payterm", "wallet".
	Issuer      string
	AccountName string
	Logger      *slog.Logger
}

// Authenticator is the wallet's own SCA for one data dir. Safe for concurrent use within a
// process; across processes the counters are guarded by an flock on the data dir (Unix).
type Authenticator struct {
	dir      string
	store    keystore.Store
	clock    func() time.Time
	rand     io.Reader
	kdf      keystore.KDFParams
	weak     bool
	factors  []FactorType
	issuer   string
	account  string
	log      *slog.Logger
	mu       sync.Mutex
	pending  *Enrolment
	enrolTTL time.Duration
	// smu guards pre, the PIN stretched ahead of Authenticate (Prestretch); stretchSem lets
	// one prestretch derive at a time.
	smu        sync.Mutex
	pre        *stretch
	stretchSem chan struct{}
}

// Open checks the configuration and returns an Authenticator; it does not touch secrets.
func Open(c Config) (*Authenticator, error) {
	if c.DataDir == "" || c.Store == nil {
		return nil, errors.New("sca: data dir and keystore are required")
	}
	if c.Factors == nil {
		c.Factors = DefaultFactors
	}
	if err := CheckFactors(c.Factors); err != nil {
		return nil, err
	}
	a := &Authenticator{
		dir: filepath.Join(c.DataDir, "sca"), store: c.Store, clock: c.Clock, rand: c.Rand,
		kdf: c.PINKDF, weak: c.AllowWeakKDF, factors: c.Factors, issuer: c.Issuer,
		account: c.AccountName, log: c.Logger, enrolTTL: 10 * time.Minute, stretchSem: make(chan struct{}, 1),
	}
	if a.clock == nil {
		a.clock = time.Now
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	if a.kdf == (keystore.KDFParams{}) {
		a.kdf = keystore.RFC9106Second
	}
	if err := a.kdf.Check(a.weak); err != nil {
		return nil, fmt.Errorf("sca: PIN KDF: %w", err)
	}
	if a.issuer == "" {
		a.issuer = "payterm"
	}
	if a.account == "" {
		a.account = "wallet"
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	return a, nil
}

func (a *Authenticator) devicePath() string { return filepath.Join(a.dir, "device.json") }
func (a *Authenticator) statePath() string  { return filepath.Join(a.dir, "state.json") }

// ErrNotEnrolled: no device key yet; run the enrolment first.
var ErrNotEnrolled = errors.New("sca: not enrolled; set a PIN and an authenticator app first")

// loadDevice reads and checks device.json; (nil, ErrNotEnrolled) when absent.
func (a *Authenticator) loadDevice() (*deviceFile, error) {
	raw, err := keystore.ReadPrivateFile(a.devicePath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotEnrolled
	}
	if err != nil {
		return nil, fmt.Errorf("sca: read device key: %w", err)
	}
	var d deviceFile
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("sca: device key file is damaged: %w", ErrTampered)
	}
	if err := d.check(a.weak); err != nil {
		return nil, fmt.Errorf("sca: device key file: %v: %w", err, ErrTampered)
	}
	return &d, nil
}

func (a *Authenticator) saveDevice(d *deviceFile) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("sca: encode device key: %w", err)
	}
	if err := os.MkdirAll(a.dir, 0o700); err != nil {
		return fmt.Errorf("sca: create %s: %w", a.dir, err)
	}
	return keystore.WriteFileAtomic(a.devicePath(), raw)
}

// Status is what the UI and risk/ may know without any secret.
type Status struct {
	Enrolled          bool
	Blocked           bool // MaxFailures reached, or the state was tampered with
	Tampered          bool // the counters failed their integrity check
	RemainingAttempts int  // before the block
	DeviceBindingID   string
	BoundAt           time.Time
	StoreKind         keystore.Kind
	Err               error // why Status is incomplete (e.g. keystore unavailable), nil if fine
}

// Status reports enrolment and blocking state.
func (a *Authenticator) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := Status{StoreKind: a.store.Kind()}
	d, err := a.loadDevice()
	if errors.Is(err, ErrNotEnrolled) {
		return s
	}
	if err != nil {
		s.Enrolled, s.Blocked, s.Tampered, s.Err = true, true, errors.Is(err, ErrTampered), err
		return s
	}
	s.Enrolled, s.DeviceBindingID, s.BoundAt = true, d.BindingID, d.BoundAt
	c, err := a.loadCounters(d.BindingID)
	if err != nil {
		s.Blocked, s.Tampered, s.Err = true, errors.Is(err, ErrTampered), err
		return s
	}
	s.RemainingAttempts = max(0, MaxFailures-c.Failures)
	s.Blocked = s.RemainingAttempts == 0
	return s
}

func removeIfExists(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
