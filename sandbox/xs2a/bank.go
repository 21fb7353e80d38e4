// Package xs2a is a strict, embedded Berlin Group NextGenPSD2 (XS2A 1.3.9) bank for payment
// initiation, with profiles for the generic framework, SpareBank 1 (seed 002) and Bank of
// Georgia (seed 003). It checks every request the way a strict bank does (signatures, digest,
// certificates, headers, body), drives the SCA state machines (redirect page, OAuth code flow,
// decoupled, embedded), settles payments on an injected clock and reports, per request, which
// rule passed or failed (verdicts). It imports nothing from the client side (xs2a,
// internal/httpsig, internal/iban, lfi, …): the tie-breaker between the two is the official
// OpenAPI file, not shared code. See README.md for the numbered rules.
package xs2a

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Bank. Zero values are safe defaults unless noted.
type Config struct {
	// Profile is the bank's reading of the framework (default ProfileBG()).
	Profile *Profile
	// DataDir holds the CA, state.json and journal.jsonl; "" is an ephemeral bank.
	DataDir string
	// Clock (default time.Now) and Rand (default crypto/rand) are injected.
	Clock func() time.Time
	Rand  io.Reader
	// APIAddr (HTTPS, mTLS) and BrowserAddr (the SCA pages) default to 127.0.0.1:0.
	APIAddr, BrowserAddr string
	// BrowserTLS serves the SCA pages over HTTPS (the bank's CA) instead of loopback http.
	BrowserTLS bool
	// AdminToken enables the admin API on AdminAddr (loopback only, Bearer token).
	AdminToken, AdminAddr string
	// ErrorLog receives net/http server errors (default discarded).
	ErrorLog *log.Logger

	// DateSkew bounds |Date − now| on signed requests (default 30s).
	DateSkew time.Duration
	// RequestIDWindow is how long an X-Request-ID stays used (default 24h).
	RequestIDWindow time.Duration
	// SCATimeout: an authorisation not finalised by then fails and the payment is RJCT
	// (default 5m).
	SCATimeout time.Duration
	// DecoupledAfter: a decoupled authorisation is approved by the simulated bank app this long
	// after the PSU is identified (default 5s); 0 with DecoupledManual waits for Approve/Deny.
	DecoupledAfter  time.Duration
	DecoupledManual bool
	// ProcessAfter: authorised (ACTC) → funds checked, debited (ACSP) (default 1s);
	// SettleAfter: ACSP → ACSC (default 2s); CreditAfter: ACSC → ACCC where the profile reports it
	// (default 2s); FundsWait: how long a payment waits at ACCP for funds before RJCT (default 10m).
	ProcessAfter, SettleAfter, CreditAfter, FundsWait time.Duration
	// BalanceMinor is the PSU's starting balance in minor units per currency (default
	// 25,000.00 in every currency a product offers). Only a fresh data dir uses it.
	BalanceMinor map[string]int64
	// EmbeddedPassword and EmbeddedTAN are the simulated PSU's credentials for the embedded
	// approach (defaults "12345" and "123456", as adorsys's ModelBank).
	EmbeddedPassword, EmbeddedTAN string
	// EmbeddedMethods are the SCA methods offered (default SMS_OTP and PUSH_OTP; one method
	// skips the selection step).
	EmbeddedMethods []string
	// MaxAttempts is how many wrong passwords/TANs fail an authorisation (default 5, RTS Art. 4).
	MaxAttempts int
	// SessionLifetime is how long a SpareBank 1 PSU session lasts (default 1h).
	SessionLifetime time.Duration
	// RequireConfirmation makes every redirect/OAuth authorisation end at unconfirmed with a
	// confirmation link (BG 1.3.8+); the fault FaultConfirmation does it for the next few.
	RequireConfirmation bool
	// AutoApprove approves redirect, OAuth and session pages without showing them.
	AutoApprove bool
}

func (c Config) withDefaults() (Config, error) {
	if c.Profile == nil {
		p := ProfileBG()
		c.Profile = &p
	}
	if err := c.Profile.validate(); err != nil {
		return c, err
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	for _, a := range []*string{&c.APIAddr, &c.BrowserAddr} {
		if *a == "" {
			*a = "127.0.0.1:0"
		}
	}
	if c.ErrorLog == nil {
		c.ErrorLog = log.New(io.Discard, "", 0)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.DateSkew, 30*time.Second)
	def(&c.RequestIDWindow, 24*time.Hour)
	def(&c.SCATimeout, 5*time.Minute)
	if !c.DecoupledManual {
		def(&c.DecoupledAfter, 5*time.Second)
	}
	def(&c.ProcessAfter, time.Second)
	def(&c.SettleAfter, 2*time.Second)
	def(&c.CreditAfter, 2*time.Second)
	def(&c.FundsWait, 10*time.Minute)
	def(&c.SessionLifetime, time.Hour)
	for _, d := range []time.Duration{c.DateSkew, c.RequestIDWindow, c.SCATimeout, c.DecoupledAfter, c.ProcessAfter, c.SettleAfter, c.CreditAfter, c.FundsWait, c.SessionLifetime} {
		if d < 0 {
			return c, errors.New("xs2a sandbox durations must not be negative")
		}
	}
	if c.EmbeddedPassword == "" {
		c.EmbeddedPassword = "12345"
	}
	if c.EmbeddedTAN == "" {
		c.EmbeddedTAN = "123456"
	}
	if len(c.EmbeddedMethods) == 0 {
		c.EmbeddedMethods = []string{"SMS_OTP", "PUSH_OTP"}
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 5
	}
	return c, nil
}

// String redacts the admin token and the simulated PSU's credentials.
func (c Config) String() string {
	name := "bg"
	if c.Profile != nil {
		name = c.Profile.Name
	}
	return fmt.Sprintf("xs2a.Config{Profile:%s DataDir:%q AutoApprove:%v}", name, c.DataDir, c.AutoApprove)
}

// Bank is one running XS2A sandbox bank.
type Bank struct {
	cfg  Config
	prof Profile

	mu          sync.Mutex // guards st, journal, dirty
	st          *state
	journal     *journalFile
	clockOffset atomic.Int64

	ca        *bankCA
	serverTLS tls.Certificate

	// sealCache maps a TPP-Signature-Certificate value to its parsed, chain-checked certificate.
	sealCache  sync.Map
	sealCacheN atomic.Int64

	verdicts *verdictFeed
	faults   *faultQueue
	pages    pageSessions

	started                    bool
	servers                    []*http.Server
	pageSrv                    *http.Server // the SCA pages' host, among servers
	apiURL, browserURL, admURL string
}

// New loads (or creates, for a fresh data dir) the bank. It opens no port until Start.
func New(cfg Config) (*Bank, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("xs2a sandbox config: %w", err)
	}
	b := &Bank{cfg: cfg, prof: *cfg.Profile, verdicts: newVerdictFeed(500), faults: &faultQueue{}}
	if cfg.DataDir != "" {
		if err := mkdirPrivate(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	if b.ca, err = loadOrCreateCA(cfg.DataDir, cfg.Rand, cfg.Clock, b.prof); err != nil {
		return nil, err
	}
	if b.serverTLS, err = b.ca.loadOrCreateServerCert(cfg.DataDir); err != nil {
		return nil, err
	}
	if b.st, b.journal, err = loadState(cfg.DataDir, b.defaultBalances(), cfg.Clock()); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Bank) defaultBalances() map[string]int64 {
	if b.cfg.BalanceMinor != nil {
		out := map[string]int64{}
		for k, v := range b.cfg.BalanceMinor {
			out[k] = v
		}
		return out
	}
	out := map[string]int64{}
	for _, p := range b.prof.Products {
		for _, c := range p.Currencies {
			out[c] = 25_000_00
		}
	}
	return out
}

// now is the bank's clock: the injected clock plus the admin offset.
func (b *Bank) now() time.Time { return b.cfg.Clock().Add(time.Duration(b.clockOffset.Load())) }

// Now is the bank's current time.
func (b *Bank) Now() time.Time { return b.now() }

// AdvanceClock moves the bank's clock (settlement, timeouts, Date skew) by d.
func (b *Bank) AdvanceClock(d time.Duration) { b.clockOffset.Add(int64(d)) }

// Profile is the profile the bank runs.
func (b *Bank) Profile() Profile { return b.prof }

// Start opens the API (HTTPS + mTLS), browser and (with AdminToken) admin listeners.
func (b *Bank) Start() error {
	if b.started {
		return errors.New("xs2a sandbox already started")
	}
	tlsCfg := &tls.Config{
		Certificates: []tls.Certificate{b.serverTLS},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    b.ca.pool(),
		MinVersion:   tls.VersionTLS12,
	}
	type host struct {
		addr    string
		tls     bool
		handler http.Handler
		url     *string
	}
	hosts := []host{
		{b.cfg.APIAddr, true, b.apiMux(), &b.apiURL},
		{b.cfg.BrowserAddr, b.cfg.BrowserTLS, b.browserMux(), &b.browserURL},
	}
	if b.cfg.AdminToken != "" {
		addr := b.cfg.AdminAddr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		hosts = append(hosts, host{addr, false, b.adminMux(), &b.admURL})
	}
	var lns []net.Listener
	for _, h := range hosts {
		ln, err := net.Listen("tcp", h.addr)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("xs2a sandbox listen on %s: %w", h.addr, err)
		}
		lns = append(lns, ln)
		scheme := "http"
		if h.tls {
			scheme = "https"
		}
		*h.url = scheme + "://" + ln.Addr().String()
	}
	for i, h := range hosts {
		srv := &http.Server{
			Handler:           h.handler,
			ReadHeaderTimeout: 10 * time.Second,
			// HTTP/1.1 only: the dropped-answer fault hijacks the connection.
			TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
			ErrorLog:     b.cfg.ErrorLog,
		}
		ln := lns[i]
		if h.tls {
			ln = tls.NewListener(ln, tlsCfg)
		}
		b.servers = append(b.servers, srv)
		if h.url == &b.browserURL {
			b.pageSrv = srv
		}
		go srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed on Close
	}
	b.started = true
	return nil
}

// pageGrace bounds how long Close waits for the page host's connections.
const pageGrace = 250 * time.Millisecond

// Close stops the listeners and folds the journal into state.json.
func (b *Bank) Close() error {
	var errs []error
	for _, s := range b.servers {
		// Requests in progress get 2 s; the page host a quarter second: a browser
		// keeps connections open, and opens spare ones, that no request will use, and a graceful
		// shutdown waits for those (a new one up to 5 s) — payterm would hang on its way out.
		grace := 2 * time.Second
		if s == b.pageSrv {
			grace = pageGrace
		}
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		if err := s.Shutdown(ctx); err != nil {
			errs = append(errs, s.Close())
		}
		cancel()
	}
	b.servers, b.started = nil, false
	b.mu.Lock()
	errs = append(errs, b.closeStateLocked())
	b.mu.Unlock()
	return errors.Join(errs...)
}

// BaseURL is the API base a client appends /v1/… to (it includes the profile's prefix).
func (b *Bank) BaseURL() string { return b.apiURL + b.prof.PathPrefix }

// APIURL is the API host's origin (https://127.0.0.1:port).
func (b *Bank) APIURL() string { return b.apiURL }

// BrowserURL is the origin of the bank's SCA pages.
func (b *Bank) BrowserURL() string { return b.browserURL }

// AdminURL is the admin API's origin ("" without AdminToken).
func (b *Bank) AdminURL() string { return b.admURL }

// RegistrationURL is where a TPP registers over HTTPS (no client certificate needed).
func (b *Bank) RegistrationURL() string { return b.apiURL + "/tpp/register" }

// OAuthMetadataURL is the RFC 8414 metadata document (the scaOAuth link target).
func (b *Bank) OAuthMetadataURL() string { return b.apiURL + "/.well-known/oauth-authorization-server" }

// CACertPEM is the bank's CA (QTSP stand-in): trust it for the bank's TLS; it issues the
// TPPs' QWAC and QSealC.
func (b *Bank) CACertPEM() []byte { return append([]byte(nil), b.ca.certPEM...) }

// RootCAs is a pool holding the bank's CA.
func (b *Bank) RootCAs() *x509.CertPool { return b.ca.pool() }
