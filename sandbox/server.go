// Package sandbox is a strict, embedded UAE Open Finance v2.1 bank (LFI + API Hub) simulator:
// discovery, PAR, the consent page, token, and the payment resource server, each enforcing the
// rules of uae-spec.md §11. It shares no code with the client side (lfi, consent, wallet...).
package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ResourceBasePath is the canonical v2.1 payment API base (uae-spec §0.3).
const ResourceBasePath = "/open-finance/payment/v2.1"

// GuideBasePath is the base the DSCA guides' code uses (uae-spec §0.3 C1); served only with
// Config.GuidePathAlias.
const GuideBasePath = "/open-finance/v2.1"

// Bank is one running sandbox bank.
type Bank struct {
	cfg Config

	mu           sync.Mutex // guards st, sig, enc, and the fields below up to hooks
	st           *bankState
	clockOffset  atomic.Int64 // admin clock offset (ns); atomic so now() never takes mu
	sig, enc     *bankKey
	inflight     map[string]bool // idempotency keys being processed
	sessions     authSessions
	idemPruneAt  time.Time // when the oldest idempotency record leaves its 24 h window (zero: none known)
	pruneAt      time.Time // next time commitLocked prunes (state.go)
	dirty        dirtySet  // records changed since the last journal line (delta.go)
	balanceDirty bool      // the balance changed outside the payment path since the last line

	// With a data dir (journal.go): the journal writer, the archive of older payments, the
	// compaction in progress and a failure that stops every later change.
	jw           *journalWriter
	arch         *archive
	compaction   *compaction
	compactBytes int64
	compactions  int
	storeErr     error
	// archivedIdem holds the creation time of each idempotency record this run archived,
	// within its window; with st.ArchivedIdemNewest it spares a new key (every payment) an
	// archive lookup that cannot find anything.
	archivedIdem       map[string]time.Time
	preStartIdemNewest time.Time // st.ArchivedIdemNewest as loaded

	copOnce sync.Once
	copSt   *copState // Confirmation of Payee directory and answers (cop.go)

	wrongSigMu sync.Mutex
	wrongSig   *bankKey // a key the JWKS never publishes (faults); made on first use (keys.go)

	ca        *sandboxCA
	serverTLS tls.Certificate

	verdicts *verdictFeed
	faults   *faultQueue
	hooks    testHooks

	started                       bool
	servers                       []*http.Server
	pageSrv                       *http.Server // the consent page's host, among servers
	listeners                     []*limitListener
	issuer, authURL, asURL, rsURL string
	adminURL                      string
}

// testHooks let tests hold the bank at a chosen point; all nil in production.
type testHooks struct {
	compacting    func() // a compaction, before it archives
	acceptBlocked func() // a listener waits for a free connection slot
}

// New loads (or creates, for a fresh data dir) the bank. It opens no port until Start. Its
// cost does not grow with the number of payments: it reads the keys, the snapshot and at
// most two journals, and opens the archive.
func New(cfg Config) (*Bank, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("sandbox config: %w", err)
	}
	b := &Bank{cfg: cfg, verdicts: newVerdictFeed(500), faults: &faultQueue{}, inflight: map[string]bool{},
		compactBytes: journalCompactBytes, archivedIdem: map[string]time.Time{}}
	if cfg.DataDir != "" {
		if err := mkdirPrivate(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	if b.ca, err = loadOrCreateCA(cfg.DataDir, cfg.Rand, cfg.Clock); err != nil {
		return nil, err
	}
	if b.sig, err = loadOrCreateKey(cfg.DataDir, "sig-key.pem", cfg.Rand, "sig", "PS256"); err != nil {
		return nil, err
	}
	if b.enc, err = loadOrCreateKey(cfg.DataDir, "enc-key.pem", cfg.Rand, "enc", "RSA-OAEP-256"); err != nil {
		return nil, err
	}
	if b.serverTLS, err = b.ca.loadOrCreateServerCert(cfg.DataDir); err != nil {
		return nil, err
	}
	var fold bool
	if b.st, fold, err = readState(cfg.DataDir, cfg.BalanceFils); err != nil {
		return nil, err
	}
	b.preStartIdemNewest = b.st.ArchivedIdemNewest
	// Records whose window passed while the bank was down (or that the journal replayed) go now.
	b.pruneIdempotencyLocked(cfg.Clock(), true)
	if cfg.DataDir != "" {
		if b.arch, err = openArchive(cfg.DataDir); err != nil {
			return nil, err
		}
		// A journal left by the last run is folded into a snapshot (and its payments
		// archived) before this run appends: appending after a torn last line would glue
		// the next entry onto it and make both unreadable. Its size is bounded by the
		// compaction threshold, not by the number of payments.
		if fold {
			if err := b.compactNow(); err != nil {
				b.arch.close()
				return nil, fmt.Errorf("fold the journal into %s: %w", stateFile, err)
			}
		}
		b.jw = newJournalWriter(filepath.Join(cfg.DataDir, journalFile))
	}
	if err := b.loadClientFiles(); err != nil {
		b.closeStore()
		return nil, err
	}
	if err := b.cop().loadError; err != nil {
		b.closeStore()
		return nil, fmt.Errorf("the Confirmation of Payee answers: %w", err)
	}
	return b, nil
}

// now is the bank's clock: the injected clock plus the admin offset.
func (b *Bank) now() time.Time {
	return b.cfg.Clock().Add(time.Duration(b.clockOffset.Load()))
}

// nowLocked is now() for callers that already hold b.mu.
func (b *Bank) nowLocked() time.Time { return b.now() }

// Start opens the four listeners and serves until Close.
func (b *Bank) Start() error {
	if b.started {
		return errors.New("sandbox already started")
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
		{b.cfg.IssuerAddr, true, b.issuerMux(), &b.issuer},
		{b.cfg.AuthorizeAddr, b.cfg.AuthorizeTLS, b.authorizeMux(), &b.authURL},
		{b.cfg.ASAddr, true, b.asMux(), &b.asURL},
		{b.cfg.ResourceAddr, true, b.resourceMux(), &b.rsURL},
	}
	if b.cfg.AdminToken != "" {
		if b.cfg.AdminAddr == "" {
			b.cfg.AdminAddr = "127.0.0.1:0"
		}
		hosts = append(hosts, host{b.cfg.AdminAddr, false, b.adminMux(), &b.adminURL})
	}
	var lns []*limitListener
	for _, h := range hosts {
		raw, err := net.Listen("tcp", h.addr)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("sandbox listen on %s: %w", h.addr, err)
		}
		ln := newLimitListener(raw, b.cfg.MaxConns, b.hooks.acceptBlocked)
		lns = append(lns, ln)
		scheme := "http"
		if h.tls {
			scheme = "https"
		}
		*h.url = scheme + "://" + ln.Addr().String()
	}
	for i, h := range hosts {
		srv := &http.Server{
			Handler: h.handler,
			// A client that stalls its headers or body, or keeps an idle connection open,
			// holds one of MaxConns slots only this long. The slow fault extends the
			// deadlines of its own request (middleware.go).
			ReadHeaderTimeout: min(10*time.Second, b.cfg.ReadTimeout),
			ReadTimeout:       b.cfg.ReadTimeout,
			WriteTimeout:      b.cfg.WriteTimeout,
			IdleTimeout:       b.cfg.IdleTimeout,
			// HTTP/1.1 only: the drop-connection fault needs Hijack, which HTTP/2 lacks.
			TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
			// net/http's own errors (TLS handshake failures) would otherwise print on the
			// terminal the wallet's UI owns.
			ErrorLog: b.cfg.ErrorLog,
		}
		var ln net.Listener = lns[i]
		if h.tls {
			ln = tls.NewListener(ln, tlsCfg)
		}
		b.servers = append(b.servers, srv)
		if h.url == &b.authURL {
			b.pageSrv = srv
		}
		go srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed on Close
	}
	b.listeners = lns
	b.started = true
	return nil
}

// pageGrace bounds how long Close waits for the page host's connections.
const pageGrace = 250 * time.Millisecond

// Close stops every listener and, with a data dir, compacts the journal (so state.json and
// the archive alone hold the bank: what one journal holds, not every payment).
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
	b.servers, b.listeners = nil, nil
	b.started = false
	if b.jw != nil {
		if b.jw.bytes() > 0 {
			errs = append(errs, b.compactNow())
		}
	}
	errs = append(errs, b.closeStore())
	return errors.Join(errs...)
}

// closeStore closes the journal and the archive (after a running compaction ends).
func (b *Bank) closeStore() error {
	b.mu.Lock()
	for b.compaction != nil {
		done := b.compaction.done
		b.mu.Unlock()
		<-done
		b.mu.Lock()
	}
	jw, arch := b.jw, b.arch
	b.jw, b.arch = nil, nil
	if b.storeErr == nil {
		b.storeErr = errors.New("the bank is closed")
	}
	b.mu.Unlock()
	var errs []error
	if jw != nil {
		errs = append(errs, jw.close())
	}
	if arch != nil {
		errs = append(errs, arch.close())
	}
	return errors.Join(errs...)
}

// Issuer is the AS issuer identifier (the aud of request objects and client assertions).
func (b *Bank) Issuer() string { return b.issuer }

// DiscoveryURL is where the OpenID discovery document is served.
func (b *Bank) DiscoveryURL() string { return b.issuer + "/.well-known/openid-configuration" }

// ResourceBaseURL is the payment API base (what the Trust Framework's ApiEndpoint would list).
func (b *Bank) ResourceBaseURL() string { return b.rsURL + ResourceBasePath }

// RegistrationURL is the HTTPS Trust Framework stand-in registration endpoint.
func (b *Bank) RegistrationURL() string { return b.issuer + "/tf/register" }

// AdminURL is the admin API base ("" unless AdminToken was set).
func (b *Bank) AdminURL() string { return b.adminURL }

// CACertPEM is the sandbox CA certificate, for clients to trust the bank's TLS.
func (b *Bank) CACertPEM() []byte { return append([]byte(nil), b.ca.certPEM...) }

// RootCAs is a pool holding the sandbox CA.
func (b *Bank) RootCAs() *x509.CertPool { return b.ca.pool() }

// clientFromCert maps the verified client certificate of r to a registered client (rule 1):
// the CN names the client, and the certificate must be the one bound to it (its x5t#S256),
// so a certificate replaced by a re-registration, or issued by the CA to someone else with
// the same CN, is refused.
func (b *Bank) clientFromCert(r *http.Request) (*Client, *x509.Certificate, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, nil, errors.New("no client certificate presented")
	}
	// VerifyClientCertIfGiven already checked the chain to the sandbox CA.
	cert := r.TLS.PeerCertificates[0]
	cn := cert.Subject.CommonName
	tp := certThumbprint(cert)
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.st.Clients[cn]
	if !ok {
		return nil, nil, errors.New("client certificate CN is not a registered client_id")
	}
	if c.TransportCertThumbprint == "" {
		// A client registered before certificates were bound: its first certificate binds.
		bound := *c
		bound.TransportCertThumbprint = tp
		b.st.Clients[cn] = &bound
		b.touchLocked(kindClient, cn)
		if err := b.commitLocked(); err != nil {
			b.st.Clients[cn] = c
			return nil, nil, fmt.Errorf("bind the client certificate: %w", err)
		}
		c = &bound
	}
	if c.TransportCertThumbprint != tp {
		return nil, nil, errors.New("client certificate is not the one registered for this client_id (revoked by a re-registration, or issued to another registrant)")
	}
	return c, cert, nil
}

func mkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create sandbox data dir: %w", err)
	}
	return nil
}

// resourcePath joins the base path.
func resourcePath(p string) string { return ResourceBasePath + "/" + strings.TrimPrefix(p, "/") }
