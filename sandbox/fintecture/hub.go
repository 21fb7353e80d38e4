// Package fintecture is payterm's strict embedded Fintecture hub: the token endpoint, the
// payment-session endpoint POST /pis/v2/connect with Fintecture's production signature rules,
// a Connect page with the payer's outcomes, the session status endpoint, injected faults,
// state persisted in a data dir and a verdict per request. It shares no code with payterm's
// client (provider/fintecture, internal/httpsig): its signature and digest checks are its own
// (fsig), so a mistake on one side cannot hide on the other.
package fintecture

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Config is one hub serving one registered application.
type Config struct {
	// DataDir holds the persisted sessions (state.json); "" keeps everything in memory.
	DataDir string
	// AppID, AppSecret and AppKey are the registered application: its id (the signature's
	// keyId), its secret (Basic auth on the token endpoint) and its public key.
	AppID     string
	AppSecret string
	AppKey    *rsa.PublicKey
	// RedirectURIs are the addresses registered in the console; redirect_uri must be one.
	RedirectURIs []string
	// Currencies the application may pay in (default EUR).
	Currencies []string
	// DateSkew is how far a request's Date may be from the hub's clock (default 30 s).
	DateSkew time.Duration
	// TokenLife (default 1 h, as Fintecture) and SessionLife: an unfinished session expires
	// after SessionLife (default 15 min).
	TokenLife   time.Duration
	SessionLife time.Duration
	// AdminToken guards /admin (faults, verdicts); "" disables the admin API.
	AdminToken string
	// Addr to listen on (default 127.0.0.1:0).
	Addr string
	// Clock and Rand are injected for tests.
	Clock    func() time.Time
	Rand     io.Reader
	ErrorLog *log.Logger
}

// Hub is a running (or runnable) embedded Fintecture.
type Hub struct {
	cfg Config
	srv *http.Server
	ln  net.Listener
	url string

	mu       sync.Mutex
	tokens   map[string]time.Time // access token → expiry (memory: a restart logs clients out)
	st       *state
	faults   []Fault
	verdicts []Verdict
}

const (
	defaultSkew        = 30 * time.Second
	defaultTokenLife   = time.Hour
	defaultSessionLife = 15 * time.Minute
	maxVerdicts        = 2000
	maxBody            = 64 << 10
)

// New checks cfg and loads the persisted state. Nothing listens yet.
func New(cfg Config) (*Hub, error) {
	if cfg.AppID == "" || cfg.AppSecret == "" || cfg.AppKey == nil {
		return nil, errors.New("fintecture hub: the application (id, secret, public key) is required")
	}
	if cfg.AppKey.N.BitLen() < 2048 {
		return nil, errors.New("fintecture hub: the application key must be RSA of at least 2048 bits")
	}
	if len(cfg.RedirectURIs) == 0 {
		return nil, errors.New("fintecture hub: at least one redirect_uri must be registered")
	}
	for _, r := range cfg.RedirectURIs {
		if !absoluteHTTP(r) {
			return nil, fmt.Errorf("fintecture hub: registered redirect_uri %q is not an absolute http(s) address", r)
		}
	}
	if len(cfg.Currencies) == 0 {
		cfg.Currencies = []string{"EUR"}
	}
	if cfg.DateSkew == 0 {
		cfg.DateSkew = defaultSkew
	}
	if cfg.TokenLife == 0 {
		cfg.TokenLife = defaultTokenLife
	}
	if cfg.SessionLife == 0 {
		cfg.SessionLife = defaultSessionLife
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	st, err := loadState(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("fintecture hub: %w", err)
	}
	return &Hub{cfg: cfg, tokens: map[string]time.Time{}, st: st}, nil
}

// Handler is the hub's HTTP surface: the API, the Connect page and the admin API.
func (h *Hub) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/accesstoken", h.token)
	mux.HandleFunc("POST /pis/v2/connect", h.connect)
	mux.HandleFunc("GET /pis/v2/payments/{id}", h.payment)
	mux.HandleFunc("GET /connect/{id}", h.page)
	mux.HandleFunc("POST /connect/{id}", h.outcome)
	mux.HandleFunc("POST /admin/faults", h.adminFaults)
	mux.HandleFunc("GET /admin/verdicts", h.adminVerdicts)
	return mux
}

// Start listens on cfg.Addr and serves in the background.
func (h *Hub) Start() error {
	ln, err := net.Listen("tcp", h.cfg.Addr)
	if err != nil {
		return fmt.Errorf("fintecture hub: listen: %w", err)
	}
	h.ln = ln
	h.url = "http://" + ln.Addr().String()
	h.srv = &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: h.cfg.ErrorLog}
	go h.srv.Serve(ln)
	return nil
}

// Close stops serving.
func (h *Hub) Close() error {
	if h.srv == nil {
		return nil
	}
	return h.srv.Close()
}

// URL is the base address (API, OAuth and Connect share it), once started.
func (h *Hub) URL() string { return h.url }

// SetURL names the base address when the handler is served by someone else (httptest).
func (h *Hub) SetURL(u string) { h.url = strings.TrimSuffix(u, "/") }

// randomHex is n random bytes in hex. A failing source (never crypto/rand) aborts the request
// being served rather than hand out a guessable id.
func (h *Hub) randomHex(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(h.cfg.Rand, b); err != nil {
		if h.cfg.ErrorLog != nil {
			h.cfg.ErrorLog.Printf("randomness failed: %v", err)
		}
		panic(http.ErrAbortHandler)
	}
	return hex.EncodeToString(b)
}

func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil && u.Fragment == ""
}
