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

	mu           sync.Mutex // guards st, sig, enc
	st           *bankState
	clockOffset  atomic.Int64 // admin clock offset (ns); atomic so now() never takes mu
	sig, enc     *bankKey
	wrongSig     *bankKey        // a key the JWKS never publishes, for the wrong-key fault
	inflight     map[string]bool // idempotency keys being processed
	sessions     authSessions
	journal      *os.File  // open append-only journal (nil until the first append)
	idemPruneAt  time.Time // when the oldest idempotency record leaves its 24 h window (zero: none known)
	journalBytes int64
	dirty        dirtySet // records changed since the last save or journal line (delta.go)

	ca        *sandboxCA
	serverTLS tls.Certificate

	verdicts *verdictFeed
	faults   *faultQueue

	started                       bool
	servers                       []*http.Server
	issuer, authURL, asURL, rsURL string
	adminURL                      string
}

// New loads (or creates, for a fresh data dir) the bank. It opens no port until Start.
func New(cfg Config) (*Bank, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("sandbox config: %w", err)
	}
	b := &Bank{cfg: cfg, verdicts: newVerdictFeed(500), faults: &faultQueue{}, inflight: map[string]bool{}}
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
	if b.wrongSig, err = newBankKey(cfg.Rand, "sig", "PS256"); err != nil {
		return nil, err
	}
	if b.st, err = loadState(cfg.DataDir, cfg.BalanceFils); err != nil {
		return nil, err
	}
	// Records whose window passed while the bank was down (or that the journal replayed) go now.
	b.pruneIdempotencyLocked(cfg.Clock(), true)
	if err := b.foldJournal(); err != nil {
		return nil, err
	}
	if err := b.loadClientFiles(); err != nil {
		return nil, err
	}
	if b.serverTLS, err = b.ca.serverCert(); err != nil {
		return nil, err
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
	var lns []net.Listener
	for _, h := range hosts {
		ln, err := net.Listen("tcp", h.addr)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("sandbox listen on %s: %w", h.addr, err)
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
			// HTTP/1.1 only: the drop-connection fault needs Hijack, which HTTP/2 lacks.
			TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
			// net/http's own errors (TLS handshake failures) would otherwise print on the
			// terminal the wallet's UI owns.
			ErrorLog: b.cfg.ErrorLog,
		}
		ln := lns[i]
		if h.tls {
			ln = tls.NewListener(ln, tlsCfg)
		}
		b.servers = append(b.servers, srv)
		go srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed on Close
	}
	b.started = true
	return nil
}

// Close stops every listener.
func (b *Bank) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var errs []error
	for _, s := range b.servers {
		if err := s.Shutdown(ctx); err != nil {
			errs = append(errs, s.Close())
		}
	}
	b.servers = nil
	b.started = false
	b.mu.Lock()
	if b.cfg.DataDir != "" && (b.journalBytes > 0 || !b.dirty.empty()) {
		// Fold the journal into state.json on a clean stop, so the files read as one snapshot.
		errs = append(errs, b.saveLocked())
	}
	if b.journal != nil {
		errs = append(errs, b.journal.Close())
		b.journal = nil
	}
	b.mu.Unlock()
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

// clientFromCert maps the verified client certificate of r to a registered client (rule 1).
func (b *Bank) clientFromCert(r *http.Request) (*Client, *x509.Certificate, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, nil, errors.New("no client certificate presented")
	}
	// VerifyClientCertIfGiven already checked the chain to the sandbox CA.
	cert := r.TLS.PeerCertificates[0]
	cn := cert.Subject.CommonName
	b.mu.Lock()
	c, ok := b.st.Clients[cn]
	b.mu.Unlock()
	if !ok {
		return nil, nil, errors.New("client certificate CN is not a registered client_id")
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
