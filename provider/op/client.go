// Package op is payterm's client of OP Financial Group's PSD2 Payment Initiation API v1
// (seed 000; psd2-providers.md §1): a client-credentials token over mTLS, SEPA payments created
// with an x-idempotency-key and a detached x-jws-signature over the exact body, one or more
// payments in a bundle (one authorizationId) approved once at OP through an OIDC request
// object and the authorize redirect (response_type=code), the code exchanged and its ID token
// checked, one PUT …/submissions/{submissionId} per payment, and the submission polled to its
// end. Every answer's x-jws-signature is verified before the answer is read. It implements
// provider.Bank and provider.Approver for one payment, and Bundle for several.
package op

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
)

// Config wires one OP client application.
type Config struct {
	// Name is the bank's name as the wallet shows it ("OP").
	Name string
	// APIBase is the mTLS API host (https://mtls-apis.psd2-sandbox.op.fi); PIS calls go under
	// /payments-psd2/v1 and the token endpoint is /oauth/token on it.
	APIBase string
	// AuthorizeURL is OP's browser authorize endpoint (https://authorize.psd2-sandbox.op.fi/oauth/authorize).
	AuthorizeURL string
	// Issuer is the iss OP's ID tokens carry (default: the origin of AuthorizeURL, as the demo).
	Issuer string
	// Audience is the request object's aud (default: the origin of APIBase).
	Audience string
	// ClientID, ClientSecret and APIKey are the registration's credentials.
	ClientID     string
	ClientSecret string
	APIKey       string
	// Key (ECDSA P-256 → ES256, RSA ≥ 2048 → RS256) and KeyID: the QSealC key published in
	// the registered JWKS; it signs request bodies (detached JWS) and request objects.
	Key   crypto.Signer
	KeyID string
	// RedirectURI is registered with OP (https); OP sends the browser back to it with code
	// and state.
	RedirectURI string
	// PaymentKeys verify the x-jws-signature of every API answer; IDTokenKeys verify ID
	// tokens. Both are OP's published JWKS.
	PaymentKeys *jose.JSONWebKeySet
	IDTokenKeys *jose.JSONWebKeySet
	// ClientCert (the QWAC) and RootCAs make the mTLS client when HTTP is nil.
	ClientCert *tls.Certificate
	RootCAs    *x509.CertPool
	HTTP       *http.Client
	// CustomerIP and UserAgent fill the FAPI customer headers (optional).
	CustomerIP string
	UserAgent  string
	// TryExemption makes Send try OP's exemption flow first for a payment below 30 EUR when
	// a bank approval from the last 45 days is held: Send creates it with the payer's refreshed
	// token (CreateExempt), and Approve asks OP to waive its approval before it shows OP's
	// page; when OP refuses, the same payment goes on through the default flow (OP's page).
	// OP alone decides.
	TryExemption bool
	// OwnAccounts are the payer's own accounts at OP (IBANs: the link's account and any others
	// the payer listed). With TryExemption, a SEPA transfer between two of them tries the
	// exemption whatever its amount (OP's own-account category; OP decides).
	OwnAccounts []string
	// SandboxScenario is sent as x-sandbox-scenario on every submission (OP's sandbox and
	// the embedded bank only; "" elsewhere).
	SandboxScenario string
	// Observer (optional) sees every exchange, secrets removed (the inspector).
	Observer Observer
	// Tokens keeps the payer's tokens across restarts (the core's secret store): a payment
	// approved at OP can then still be submitted after a restart. Nil keeps them in memory only.
	Tokens TokenKeeper
	// Clock and Rand are injected for tests.
	Clock func() time.Time
	Rand  io.Reader
}

// Bank is one OP client application as a payterm bank.
type Bank struct {
	cfg Config
	key *signingKey

	mu       sync.Mutex
	token    string
	tokenExp time.Time
	// users are the payer's tokens per authorizationId (never in the core's Blob; kept by
	// Config.Tokens when set).
	users map[string]*userToken
	// keepMu orders keepTokens' snapshots.
	keepMu sync.Mutex
}

// userToken is what the code exchange (or a refresh) gave for one authorization.
type userToken struct {
	access, refresh string
	exp             time.Time
	refreshExp      time.Time // 45 days after the SCA
}

// RefreshLife is how long OP's refresh tokens live at most.
const RefreshLife = 45 * 24 * time.Hour

const (
	pisPath     = "/payments-psd2/v1"
	tokenMargin = time.Minute
	pollAfter   = 2 * time.Second
	storedLife  = 24 * time.Hour
)

// New checks cfg. It makes no network call.
func New(cfg Config) (*Bank, error) {
	if cfg.Name == "" {
		return nil, errors.New("op: the bank needs a name")
	}
	name := safetext.Line(cfg.Name)
	fail := func(format string, a ...any) error {
		return fmt.Errorf("op bank %q: "+format, append([]any{name}, a...)...)
	}
	if err := checkHost(cfg.APIBase); err != nil {
		return nil, fail("api base: %v", err)
	}
	if err := checkAbs(cfg.AuthorizeURL); err != nil {
		return nil, fail("authorize url: %v", err)
	}
	if err := checkAbs(cfg.RedirectURI); err != nil {
		return nil, fail("redirect_uri must be an absolute https address registered with OP: %v", err)
	}
	if cfg.Issuer == "" {
		u, _ := url.Parse(cfg.AuthorizeURL)
		cfg.Issuer = u.Scheme + "://" + u.Host
	}
	if cfg.Audience == "" {
		cfg.Audience = strings.TrimSuffix(cfg.APIBase, "/")
	}
	if !printableID(cfg.ClientID, 256) {
		return nil, fail("client_id must be printable ASCII without spaces")
	}
	if cfg.ClientSecret == "" || strings.ContainsAny(cfg.ClientSecret, "\r\n") {
		return nil, fail("client_secret is missing or holds a line break")
	}
	if !printableToken(cfg.APIKey, 512) {
		return nil, fail("api_key must be printable ASCII without spaces")
	}
	k, err := newSigningKey(cfg.Key, cfg.KeyID)
	if err != nil {
		return nil, fail("%v", err)
	}
	if cfg.PaymentKeys == nil || len(cfg.PaymentKeys.Keys) == 0 || cfg.IDTokenKeys == nil || len(cfg.IDTokenKeys.Keys) == 0 {
		return nil, fail("OP's payment-signature and ID-token keys (JWKS) are required: answers are never read unverified")
	}
	if cfg.HTTP == nil {
		if cfg.ClientCert == nil {
			return nil, fail("a client certificate (QWAC) is required: OP's API is mTLS only")
		}
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
			Certificates: []tls.Certificate{*cfg.ClientCert}, RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}}}
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Bank{cfg: cfg, key: k, users: map[string]*userToken{}}, nil
}

func checkAbs(s string) error {
	if s == "" || len(s) > 2048 || !safetext.Clean(s) || strings.ContainsAny(s, " \t") {
		return errors.New("empty, too long or not plain text")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return errors.New("not an absolute address")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return errors.New("not https")
	}
	return nil
}

func checkHost(s string) error {
	if err := checkAbs(s); err != nil {
		return err
	}
	u, _ := url.Parse(s)
	if u.Scheme != "https" {
		return errors.New("OP's API is mTLS: https only")
	}
	if u.RawQuery != "" || (u.Path != "" && u.Path != "/") {
		return errors.New("must be a host only")
	}
	return nil
}

func isLoopback(h string) bool { return h == "localhost" || h == "127.0.0.1" || h == "::1" }

func (b *Bank) api(path string) string { return strings.TrimSuffix(b.cfg.APIBase, "/") + path }

func (b *Bank) uuid() (string, error) {
	id, err := uuid.NewRandomFromReader(b.cfg.Rand)
	if err != nil {
		return "", fmt.Errorf("randomness failed: %w", err)
	}
	return id.String(), nil
}

// tokenCall posts one grant to /oauth/token with the client's credentials (mTLS).
// Its x-fapi-interaction-id lets the inspector pair it with what the bank saw.
func (b *Bank) tokenCall(ctx context.Context, form url.Values) (t Token, err error) {
	form.Set("client_id", b.cfg.ClientID)
	form.Set("client_secret", b.cfg.ClientSecret)
	id, err := b.uuid()
	if err != nil {
		return Token{}, notSent("make an x-fapi-interaction-id", err, provider.ErrNotProcessed)
	}
	status := 0
	var body []byte
	defer func() { b.observeToken(form, id, status, body, err) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.api("/oauth/token"), strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, notSent("token request", err, provider.ErrNotProcessed)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("x-fapi-interaction-id", id)
	resp, err := b.cfg.HTTP.Do(req)
	if err != nil {
		return Token{}, notSent("OP's token endpoint did not answer", &TransportError{err}, provider.ErrNotProcessed)
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	body, err = readBounded(resp.Body)
	if err != nil {
		return Token{}, notSent("OP's token answer could not be read", &TransportError{err}, provider.ErrNotProcessed)
	}
	if resp.StatusCode != http.StatusOK {
		ae := DecodeAPIError(resp.StatusCode, body)
		return Token{}, &callError{Msg: "OP refused the token request (" + form.Get("grant_type") + ")", Err: ae, Means: []error{provider.ErrNotProcessed},
			Log: attemptOf("", resp.StatusCode, ae)}
	}
	t, err = DecodeToken(body)
	if err != nil {
		return Token{}, notSent("OP's token answer is unreadable", err, provider.ErrNotProcessed)
	}
	return t, nil
}

// clientToken is the client-credentials token (scope payments), reused until a minute before
// it ends.
func (b *Bank) clientToken(ctx context.Context) (string, error) {
	b.mu.Lock()
	if b.token != "" && b.cfg.Clock().Add(tokenMargin).Before(b.tokenExp) {
		t := b.token
		b.mu.Unlock()
		return t, nil
	}
	b.mu.Unlock()
	t, err := b.tokenCall(ctx, url.Values{"grant_type": {"client_credentials"}, "scope": {"payments"}})
	if err != nil {
		return "", err
	}
	b.mu.Lock()
	b.token, b.tokenExp = t.AccessToken, b.cfg.Clock().Add(time.Duration(t.ExpiresIn)*time.Second)
	b.mu.Unlock()
	return t.AccessToken, nil
}

func (b *Bank) dropToken() {
	b.mu.Lock()
	b.token = ""
	b.mu.Unlock()
}

// answer is one verified answer of OP's API.
type answer struct {
	status int
	hdr    http.Header
	body   []byte
	id     string // the x-fapi-interaction-id sent
}

// call sends one API request with the FAPI headers and verifies the answer's x-jws-signature
// before anything reads it. extra holds the call's own headers (x-idempotency-key,
// x-jws-signature, x-sandbox-scenario).
func (b *Bank) call(ctx context.Context, method, path, token string, body []byte, extra http.Header) (a answer, err error) {
	var sent http.Header
	checked := false
	var verr error
	defer func() {
		if sent != nil {
			b.observeCall(method, path, sent, body, a, err, checked, verr)
		}
	}()
	id, err := b.uuid()
	if err != nil {
		return answer{}, notSent("make an x-fapi-interaction-id", err, provider.ErrNotProcessed)
	}
	var r io.Reader
	if body != nil {
		r = strings.NewReader(string(body))
	}
	req, err := http.NewRequestWithContext(ctx, method, b.api(path), r)
	if err != nil {
		return answer{}, notSent("build the request", err, provider.ErrNotProcessed)
	}
	if method == http.MethodPut && body == nil {
		req.ContentLength = 0
		req.Body = http.NoBody
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("x-api-key", b.cfg.APIKey)
	req.Header.Set("x-fapi-interaction-id", id)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.cfg.CustomerIP != "" {
		req.Header.Set("x-fapi-customer-ip-address", b.cfg.CustomerIP)
	}
	if b.cfg.UserAgent != "" {
		req.Header.Set("x-customer-user-agent", b.cfg.UserAgent)
	}
	sent = req.Header.Clone()
	resp, err := b.cfg.HTTP.Do(req)
	if err != nil {
		return answer{id: id}, &TransportError{err}
	}
	defer resp.Body.Close()
	raw, err := readBounded(resp.Body)
	if err != nil {
		return answer{status: resp.StatusCode, id: id}, &TransportError{err}
	}
	a = answer{status: resp.StatusCode, hdr: resp.Header, body: raw, id: id}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusUnauthorized {
		// A gateway's refusal (throttling, an outage, a token refused) is not signed by
		// the payments service; it is read only for its status.
		return a, nil
	}
	checked = true
	if verr = verifyDetached(resp.Header.Get("x-jws-signature"), raw, b.cfg.PaymentKeys); verr != nil {
		return a, verr
	}
	return a, nil
}

func retryAfter(h http.Header) int {
	if h == nil {
		return 0
	}
	n, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || n < 0 || n > 3600 {
		return 0
	}
	return n
}

// SubmissionID is the submissionId payterm uses for the n-th submission of a payment: a UUID
// derived from the paymentId, so a submission whose answer was lost is sent again under the
// same id (OP makes no duplicate of it) even after a restart.
func SubmissionID(paymentID string, n int) string {
	sum := sha256.Sum256([]byte("payterm op submission\x00" + paymentID + "\x00" + strconv.Itoa(n)))
	id, _ := uuid.FromBytes(sum[:16])
	id[6] = (id[6] & 0x0f) | 0x80 // version 8: custom, not random
	id[8] = (id[8] & 0x3f) | 0x80
	return id.String()
}
