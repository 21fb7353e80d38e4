package xs2a

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/payterm/payterm/internal/httpsig"
)

// Config wires one bank.
type Config struct {
	Profile Profile
	// BaseURL is the API root under which the bank serves /v1/… (https, no query), e.g.
	// https://api.bank.example/psd2.
	BaseURL string
	// HTTPClient is the mTLS client (NewMTLSClient). Required.
	HTTPClient *http.Client
	// Certificate is the QSealC sent as TPP-Signature-Certificate; its serial and issuer make
	// the keyId. Key is its private key (any crypto.Signer, RSA ≥ 2048).
	Certificate *x509.Certificate
	Key         crypto.Signer
	// RedirectURI and NokRedirectURI are the default TPP-Redirect-URI / TPP-Nok-Redirect-URI.
	RedirectURI    string
	NokRedirectURI string
	// AllowEmbedded lets BuildStartAuthorisation/BuildUpdatePSUData carry the PSU's online
	// banking password (the Embedded approach). Off by default: a PISP handling bank
	// credentials takes on PSD2 Art. 66(3) duties.
	AllowEmbedded bool
	// OAuthClientID is the client_id the bank registered for this TPP, sent in the OAuth SCA
	// approach's authorization and token requests (the QWAC authenticates it: RFC 8705).
	OAuthClientID string

	Clock    func() time.Time // default time.Now
	Rand     io.Reader        // X-Request-IDs; default crypto/rand
	Observer Observer
}

// Client builds and sends the requests of one bank. It is safe for concurrent use.
type Client struct {
	cfg     Config
	base    *url.URL
	signer  *httpsig.Signer
	certB64 string
	clock   func() time.Time
	rand    io.Reader
	randMu  sync.Mutex
}

// New checks cfg and returns a Client. It makes no network call.
func New(cfg Config) (*Client, error) {
	if cfg.HTTPClient == nil {
		return nil, errors.New("xs2a config: HTTPClient is required (use NewMTLSClient)")
	}
	if cfg.Profile.Name == "" || len(cfg.Profile.Products) == 0 {
		return nil, errors.New("xs2a config: Profile is required (Generic, SpareBank1 or BankOfGeorgia)")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Scheme != "https" || base.Host == "" || base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, errors.New("xs2a config: BaseURL must be an https URL without user, query or fragment")
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""
	if cfg.Certificate == nil || cfg.Key == nil {
		return nil, errors.New("xs2a config: Certificate and Key (the QSealC and its key) are required")
	}
	pub, ok := cfg.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cfg.Certificate.PublicKey) {
		return nil, errors.New("xs2a config: Key does not match Certificate")
	}
	keyID, err := httpsig.CertKeyID(cfg.Certificate, cfg.Profile.KeyID)
	if err != nil {
		return nil, fmt.Errorf("xs2a config: %w", err)
	}
	signer, err := httpsig.NewSigner(cfg.Profile.Signing, keyID, cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("xs2a config: %w", err)
	}
	for _, u := range []struct{ name, v string }{{"RedirectURI", cfg.RedirectURI}, {"NokRedirectURI", cfg.NokRedirectURI}} {
		if u.v != "" {
			if err := checkRedirectURI(u.v); err != nil {
				return nil, fmt.Errorf("xs2a config: %s %w", u.name, err)
			}
		}
	}
	if cfg.OAuthClientID != "" {
		if err := headerValue(cfg.OAuthClientID); err != nil || len(cfg.OAuthClientID) > 256 {
			return nil, errors.New("xs2a config: OAuthClientID must be printable ASCII, at most 256 characters")
		}
	}
	c := &Client{cfg: cfg, base: base, signer: signer, certB64: base64.StdEncoding.EncodeToString(cfg.Certificate.Raw), clock: cfg.Clock, rand: cfg.Rand}
	if c.clock == nil {
		c.clock = time.Now
	}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	return c, nil
}

// Profile returns the configured profile.
func (c *Client) Profile() Profile { return c.cfg.Profile }

// KeyID returns the keyId the client signs with.
func (c *Client) KeyID() string { return c.signer.KeyID }

// SignedByUs reports whether r carries this client's TPP-Signature-Certificate. A request
// stored under an earlier certificate (the QSealC was renewed, or issued again, between the
// write-ahead record and the send) would be refused as CERTIFICATE_INVALID: it must be built
// again under the current one before it leaves.
func (c *Client) SignedByUs(r *Request) bool {
	return r != nil && r.Header.Get("TPP-Signature-Certificate") == c.certB64
}

func checkRedirectURI(v string) error {
	if err := headerValue(v); err != nil {
		return err
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) || u.Fragment != "" {
		return errors.New("must be an https URL (http only on a loopback address) without a fragment")
	}
	return nil
}

// isLoopback reports a host name that can only mean this machine: localhost, 127.0.0.0/8
// and ::1 (u.Hostname(), so IPv6 without brackets).
func isLoopback(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (c *Client) newRequestID() (string, error) {
	c.randMu.Lock()
	defer c.randMu.Unlock()
	u, err := uuid.NewRandomFromReader(c.rand)
	if err != nil {
		return "", fmt.Errorf("X-Request-ID: %w", err)
	}
	return u.String(), nil
}

// checkAPILink makes sure a link handed back by the core is still one of the bank's API
// links (same scheme and host as BaseURL), whatever was stored.
func (c *Client) checkAPILink(l Link) (*url.URL, error) {
	if browserLinks[l.Name] {
		return nil, inputErr("link", "%s is shown to the customer, not called by the client", clip(l.Name))
	}
	u, err := url.Parse(l.Href)
	if err != nil || !u.IsAbs() || !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host) || u.User != nil || u.Fragment != "" {
		return nil, inputErr("link", "the link is not on the bank's API host: use a link from this bank's answer")
	}
	return u, nil
}
