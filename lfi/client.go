package lfi

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/payterm/payterm/internal/ctxsleep"
)

// Config wires one bank. Every endpoint except the resource base comes from discovery.
type Config struct {
	// DiscoveryURL is the bank's .well-known/openid-configuration URL.
	DiscoveryURL string
	// Issuer is the issuer we expect the discovery document to state, exactly.
	Issuer string
	// ResourceBaseURL is the payment API base, e.g. https://rs1.bank/open-finance/payment/v2.1.
	ResourceBaseURL string
	// ClientID is our Trust Framework client_id.
	ClientID string
	// Signer signs client assertions, PII and request bodies with our signing kid.
	Signer *Signer
	// HTTPClient is the mTLS client (NewMTLSClient). Required.
	HTTPClient *http.Client
	// CoPBaseURL is the Confirmation of Payee API base at the API Hub, e.g.
	// https://rs1.bank/open-finance/confirmation-of-payee/v2.1; "" means the standard path on
	// the host of ResourceBaseURL.
	CoPBaseURL string
	// ResponseIssuer is what the iss claim of every signed resource response must equal; ""
	// means the Issuer (the discovered issuer). A bank that signs with another identifier (its
	// resource server URL, its organisation id) is configured with it here.
	ResponseIssuer string

	// Clock defaults to time.Now.
	Clock func() time.Time
	// Rand feeds interaction ids and jti values; defaults to crypto/rand.
	Rand io.Reader
	// Sleep waits between attempts; defaults to a context-aware timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Observer, if set, receives every HTTP exchange.
	Observer Observer
	// MaxAttempts bounds tries per call for retryable failures (default 3).
	MaxAttempts int
	// MaxRetryAfter is the longest Retry-After we wait for inside a call (default 30 s);
	// longer ones are returned to the caller as ErrRateLimited. WithMaxWait overrides it per
	// call. Every later call waits for the same Retry-After too (wait.go).
	MaxRetryAfter time.Duration
}

// Client talks to one LFI. It is safe for concurrent use.
type Client struct {
	cfg     Config
	base    *url.URL
	clock   func() time.Time
	rand    io.Reader
	randMu  sync.Mutex
	sleep   func(ctx context.Context, d time.Duration) error
	observe Observer

	disc   cached[*Discovery]
	keys   cached[*keySet]
	ccTok  ccTokenCache
	copTok ccTokenCache // scope confirmation-of-payee (cop.go)
	copMu  sync.Mutex
	copLFI map[string]*Client // CoP target LFIs by discovery URL (cop.go)
	hold   holdOff            // the bank's last Retry-After (wait.go)
}

// New checks cfg and returns a Client. It makes no network call.
func New(cfg Config) (*Client, error) {
	if cfg.HTTPClient == nil {
		return nil, errors.New("lfi config: HTTPClient is required (use NewMTLSClient)")
	}
	if cfg.Signer == nil {
		return nil, errors.New("lfi config: Signer is required")
	}
	if strings.TrimSpace(cfg.ClientID) == "" || strings.TrimSpace(cfg.ClientID) != cfg.ClientID {
		return nil, errors.New("lfi config: ClientID is empty or has surrounding spaces")
	}
	if cfg.Issuer == "" {
		return nil, errors.New("lfi config: Issuer is required")
	}
	if _, err := httpsURL("DiscoveryURL", cfg.DiscoveryURL); err != nil {
		return nil, fmt.Errorf("lfi config: %w", err)
	}
	base, err := httpsURL("ResourceBaseURL", cfg.ResourceBaseURL)
	if err != nil {
		return nil, fmt.Errorf("lfi config: %w", err)
	}
	if base.RawQuery != "" || base.Fragment != "" {
		return nil, errors.New("lfi config: ResourceBaseURL must not have a query or fragment")
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	if cfg.CoPBaseURL != "" {
		cop, err := httpsURL("CoPBaseURL", cfg.CoPBaseURL)
		if err != nil {
			return nil, fmt.Errorf("lfi config: %w", err)
		}
		if cop.RawQuery != "" || cop.Fragment != "" {
			return nil, errors.New("lfi config: CoPBaseURL must not have a query or fragment")
		}
	}
	c := &Client{cfg: cfg, base: base, clock: cfg.Clock, rand: cfg.Rand, sleep: cfg.Sleep, observe: cfg.Observer}
	if c.clock == nil {
		c.clock = time.Now
	}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	if c.sleep == nil {
		c.sleep = ctxsleep.For
	}
	if c.cfg.MaxAttempts <= 0 {
		c.cfg.MaxAttempts = 3
	}
	if c.cfg.MaxRetryAfter <= 0 {
		c.cfg.MaxRetryAfter = 30 * time.Second
	}
	return c, nil
}

// ClientID is the configured client_id.
func (c *Client) ClientID() string { return c.cfg.ClientID }

// Issuer is the configured (and, once discovered, verified) issuer.
func (c *Client) Issuer() string { return c.cfg.Issuer }

// Signer is the configured signer, for callers that sign their own objects (request object).
func (c *Client) Signer() *Signer { return c.cfg.Signer }

// Now is the injected clock.
func (c *Client) Now() time.Time { return c.clock() }

// NewUUID returns a random UUID from the injected source (interaction ids, jti, keys).
func (c *Client) NewUUID() (string, error) {
	c.randMu.Lock()
	defer c.randMu.Unlock()
	u, err := uuid.NewRandomFromReader(c.rand)
	if err != nil {
		return "", fmt.Errorf("generate UUID: %w", err)
	}
	return u.String(), nil
}

func httpsURL(name, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s is not a URL: %w", name, err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%s must be an absolute https URL", name)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s must not carry credentials", name)
	}
	return u, nil
}

// resourceURL joins the configured base with path segments, each escaped.
func (c *Client) resourceURL(segments ...string) string {
	u := *c.base
	raw, esc := u.Path, u.EscapedPath()
	for _, s := range segments {
		raw += "/" + s
		esc += "/" + url.PathEscape(s)
	}
	u.Path, u.RawPath = raw, esc
	return u.String()
}
