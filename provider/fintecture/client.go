// Package fintecture is payterm's client of Fintecture's payment sessions (seed 004): an
// access token from POST /oauth/accesstoken, an Immediate Transfer session from POST
// /pis/v2/connect signed with an HTTP signature over (request-target), date, digest and
// x-request-id, the Connect page handed to the payer, and the session's status read with
// GET /pis/v2/payments/{session_id}. It implements provider.Bank and provider.Approver.
package fintecture

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/payterm/payterm/internal/ctxsleep"
	"github.com/payterm/payterm/internal/httpsig"
	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
)

// Payer is the payer as Fintecture's session meta wants it: psu_name, psu_email and psu_ip
// are required in production (the SDK's validation). Personal data: never logged.
type Payer struct {
	Name  string
	Email string
	IP    string
}

// Config wires one Fintecture application.
type Config struct {
	// Name is the bank's name as the wallet shows it ("Fintecture").
	Name string
	// APIBase is the API host (https://api-sandbox.fintecture.com); OAuthBase the token host
	// (https://oauth-sandbox.fintecture.com in the SDK; APIBase when empty). https, or http on
	// a loopback host (the embedded hub).
	APIBase   string
	OAuthBase string
	// AppID is the application id (the Signature keyId); AppSecret its secret (Basic auth of
	// the token call); Key the application's RSA private key (≥ 2048 bits; an HSM works).
	AppID     string
	AppSecret string
	Key       crypto.Signer
	// RedirectURI is registered in Fintecture's console: Connect sends the browser back to it
	// with state, session_id and status. OriginURI (optional) is where a payer who cancels in
	// Connect returns.
	RedirectURI string
	OriginURI   string
	// Payer fills the session's meta.
	Payer Payer
	// Currencies the application pays in (default EUR).
	Currencies []string
	// DateSkew is how far the hub lets a request's Date be from its clock (default 30 s).
	DateSkew time.Duration
	// HTTP is the client used for every call (default: a client with a 30 s timeout).
	HTTP *http.Client
	// Observer (optional) sees every exchange, secrets removed (the inspector).
	Observer Observer
	// Clock, Rand (X-Request-ID, state) and Sleep (the hub's waits) are injected for tests.
	Clock func() time.Time
	Rand  io.Reader
	Sleep func(ctx context.Context, d time.Duration) error
}

const (
	defaultSkew = 30 * time.Second
	// sendMargin: a stored request leaves only while its Date has at least this long before
	// the hub's skew runs out.
	sendMargin = 5 * time.Second
	// tokenMargin: a token is renewed this long before it expires.
	tokenMargin = time.Minute
	pollAfter   = 2 * time.Second
	// storedLife bounds how long a stored session request may still be sent (re-signed when
	// its Date is stale); the core's own SCA lifetime ends it first.
	storedLife = time.Hour
)

// Bank is one Fintecture application as a payterm bank.
type Bank struct {
	cfg    Config
	signer *httpsig.Signer

	mu        sync.Mutex
	token     string
	tokenExp  time.Time
	busyUntil time.Time
	// lost are the states of sessions whose connect answer was lost in this run: the same
	// session request is never sent again (it may have opened a session).
	lost map[string]bool
}

// New checks cfg. It makes no network call.
func New(cfg Config) (*Bank, error) {
	name := safetext.Line(cfg.Name)
	if cfg.Name == "" {
		return nil, errors.New("fintecture: the bank needs a name")
	}
	if err := checkBase(cfg.APIBase); err != nil {
		return nil, fmt.Errorf("fintecture bank %q: api base: %w", name, err)
	}
	if cfg.OAuthBase == "" {
		cfg.OAuthBase = cfg.APIBase
	}
	if err := checkBase(cfg.OAuthBase); err != nil {
		return nil, fmt.Errorf("fintecture bank %q: oauth base: %w", name, err)
	}
	if !printableID(cfg.AppID, 256) {
		return nil, fmt.Errorf("fintecture bank %q: app_id must be printable ASCII without spaces", name)
	}
	if cfg.AppSecret == "" || strings.ContainsAny(cfg.AppSecret, "\r\n") {
		return nil, fmt.Errorf("fintecture bank %q: app_secret is missing or holds a line break", name)
	}
	if cfg.RedirectURI == "" || checkPageURL(cfg.RedirectURI) != nil {
		return nil, fmt.Errorf("fintecture bank %q: redirect_uri must be an absolute https address registered in the console", name)
	}
	if cfg.OriginURI != "" && checkPageURL(cfg.OriginURI) != nil {
		return nil, fmt.Errorf("fintecture bank %q: origin_uri must be an absolute https address", name)
	}
	signer, err := httpsig.NewSigner(httpsig.Fintecture(), cfg.AppID, cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("fintecture bank %q: %w", name, err)
	}
	if len(cfg.Currencies) == 0 {
		cfg.Currencies = []string{"EUR"}
	}
	for _, c := range cfg.Currencies {
		if !isCurrencyCode(c) {
			return nil, fmt.Errorf("fintecture bank %q: currency %q is not an ISO 4217 code", name, safetext.Short(c, 8))
		}
	}
	if cfg.DateSkew == 0 {
		cfg.DateSkew = defaultSkew
	}
	if cfg.DateSkew <= sendMargin {
		return nil, fmt.Errorf("fintecture bank %q: DateSkew must be more than %s", name, sendMargin)
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Sleep == nil {
		cfg.Sleep = ctxsleep.For
	}
	signer.Rand = cfg.Rand
	return &Bank{cfg: cfg, signer: signer, lost: map[string]bool{}}, nil
}

func checkBase(s string) error {
	if err := checkPageURL(s); err != nil {
		return err
	}
	u, _ := url.Parse(s)
	if u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return errors.New("must be a host only, without a path, a query or a fragment (the signature covers the path)")
	}
	return nil
}

// base joins a base address and a path.
func base(b, path string) string { return strings.TrimSuffix(b, "/") + path }

// newRequestID is a UUID v4 from the injected randomness.
func (b *Bank) newRequestID() (string, error) {
	id, err := uuid.NewRandomFromReader(b.cfg.Rand)
	if err != nil {
		return "", fmt.Errorf("make an X-Request-ID: %w", err)
	}
	return id.String(), nil
}

// newState is 32 random hex characters: the query state that ties the callback to the session.
func (b *Bank) newState() (string, error) {
	buf := make([]byte, 16)
	if _, err := io.ReadFull(b.cfg.Rand, buf); err != nil {
		return "", fmt.Errorf("make a state: %w", err)
	}
	return fmt.Sprintf("%x", buf), nil
}

// accessToken returns the application token, fetching one when none is held or it expires
// within tokenMargin. The token call carries no payment: it may be repeated freely.
func (b *Bank) accessToken(ctx context.Context) (string, error) {
	b.mu.Lock()
	if b.token != "" && b.cfg.Clock().Add(tokenMargin).Before(b.tokenExp) {
		t := b.token
		b.mu.Unlock()
		return t, nil
	}
	b.mu.Unlock()
	form := url.Values{"grant_type": {"client_credentials"}, "app_id": {b.cfg.AppID}, "scope": {"PIS"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base(b.cfg.OAuthBase, "/oauth/accesstoken"), strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(b.cfg.AppID+":"+b.cfg.AppSecret)))
	resp, err := b.cfg.HTTP.Do(req)
	if err != nil {
		b.observeToken(0, nil, transportErr(err))
		return "", &callError{Msg: "Fintecture's token endpoint did not answer", Err: transportErr(err), Means: []error{provider.ErrNotProcessed}}
	}
	defer resp.Body.Close()
	body, err := readBounded(resp.Body)
	if err != nil {
		b.observeToken(resp.StatusCode, nil, err)
		return "", &callError{Msg: "Fintecture's token answer could not be read", Err: err, Means: []error{provider.ErrNotProcessed}}
	}
	if resp.StatusCode != http.StatusOK {
		ae := DecodeAPIError(resp.StatusCode, body)
		ae.RetryAfter = retryAfter(resp.Header)
		b.observeToken(resp.StatusCode, body, ae)
		return "", &callError{Msg: "Fintecture refused the application's credentials", Err: ae, Means: []error{provider.ErrNotProcessed}}
	}
	tok, err := DecodeToken(body)
	b.observeToken(resp.StatusCode, body, err)
	if err != nil {
		return "", &callError{Msg: "Fintecture's token answer is unreadable", Err: err, Means: []error{provider.ErrNotProcessed}}
	}
	b.mu.Lock()
	b.token, b.tokenExp = tok.AccessToken, b.cfg.Clock().Add(time.Duration(tok.ExpiresIn)*time.Second)
	b.mu.Unlock()
	return tok.AccessToken, nil
}

// dropToken forgets the token after the hub refused it.
func (b *Bank) dropToken() {
	b.mu.Lock()
	b.token, b.tokenExp = "", time.Time{}
	b.mu.Unlock()
}

// signed is one signed request: the exact bytes and headers that leave.
type signed struct {
	Method    string `json:"method"`
	Target    string `json:"target"` // path and raw query, exactly as signed and sent
	Body      []byte `json:"body,omitempty"`
	Date      string `json:"date"`
	RequestID string `json:"request_id"`
	Digest    string `json:"digest,omitempty"`
	Signature string `json:"signature"`
}

// sign signs method target body at the clock's time under a fresh X-Request-ID.
func (b *Bank) sign(method, target string, body []byte) (*signed, error) {
	id, err := b.newRequestID()
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Date", b.cfg.Clock().UTC().Format(http.TimeFormat))
	h.Set("X-Request-ID", id)
	res, err := b.signer.Sign(method, target, h, body)
	if err != nil {
		return nil, err
	}
	return &signed{Method: method, Target: target, Body: body, Date: h.Get("Date"), RequestID: id, Digest: res.Digest, Signature: res.Header}, nil
}

// exchange sends s with the bearer token and returns the status, headers and bounded body.
// The observer (the inspector) sees it, without the token.
func (b *Bank) exchange(ctx context.Context, s *signed, token string) (status int, hdr http.Header, body []byte, err error) {
	defer func() {
		op := OpStatus
		if s.Method == http.MethodPost {
			op = OpConnect
		}
		b.observeSigned(op, s, status, body, err)
	}()
	return b.send(ctx, s, token)
}

func (b *Bank) send(ctx context.Context, s *signed, token string) (int, http.Header, []byte, error) {
	var body io.Reader
	if s.Body != nil {
		body = strings.NewReader(string(s.Body))
	}
	req, err := http.NewRequestWithContext(ctx, s.Method, base(b.cfg.APIBase, ""), body)
	if err != nil {
		return 0, nil, nil, err
	}
	u, err := url.Parse(base(b.cfg.APIBase, s.Target))
	if err != nil {
		return 0, nil, nil, err
	}
	req.URL = u
	if u.RequestURI() != s.Target {
		return 0, nil, nil, errors.New("the request target would not be sent as it was signed")
	}
	req.Header.Set("Accept", "application/json")
	if s.Body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Digest", s.Digest)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Date", s.Date)
	req.Header.Set("X-Request-ID", s.RequestID)
	req.Header.Set("Signature", s.Signature)
	resp, err := b.cfg.HTTP.Do(req)
	if err != nil {
		return 0, nil, nil, transportErr(err)
	}
	defer resp.Body.Close()
	raw, err := readBounded(resp.Body)
	if err != nil {
		return resp.StatusCode, resp.Header, nil, transportErr(err)
	}
	return resp.StatusCode, resp.Header, raw, nil
}

// TransportError: no whole answer arrived (the connection failed, timed out or was cut).
type TransportError struct{ Err error }

func (e *TransportError) Error() string { return "no answer from Fintecture: " + safetext.Error(e.Err) }
func (e *TransportError) Unwrap() error { return e.Err }

// transportErr keeps the cause without the address (*url.Error quotes the whole URL, with the
// session's state).
func transportErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &TransportError{Err: err}
}

// retryAfter reads Retry-After in seconds (0 when absent or not a number 0..3600).
func retryAfter(h http.Header) int {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || n < 0 || n > 3600 {
		return 0
	}
	return n
}
