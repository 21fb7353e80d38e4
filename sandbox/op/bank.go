// Package op is payterm's strict embedded OP bank (PSD2 PIS v1, seed 000): the token endpoint
// (client credentials, authorization code, refresh token) and the payments API behind mTLS and
// x-api-key, detached-JWS verification of every payment against the client's registered JWKS,
// x-idempotency-key with OP's DuplicatePayment rules, bundles (one authorizationId), the
// authorize page that checks the request object and lets the tester pick which payments to
// approve, ID tokens with correct hashes, 45-day refresh tokens, submissions with OP's state
// machine and the x-sandbox-scenario faults, the Helsinki midnight rule on the injected clock,
// every answer signed with x-jws-signature, state persisted, and a verdict per request. It
// shares no code with payterm's client (provider/op): its JOSE code is its own (ojws).
package op

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/payterm/payterm/sandbox/op/ojws"
)

// Config is one bank serving one registered client application.
type Config struct {
	// DataDir holds state.json and the bank's signing key; "" keeps everything in memory.
	DataDir string
	// The registration: client_id, client_secret, the API key, the client's JWKS (its QSealC
	// public keys: detached JWS and request objects), the client certificate it presents over
	// mTLS (pinned by SHA-256), and the redirect addresses.
	ClientID     string
	ClientSecret string
	APIKey       string
	ClientJWKS   []byte
	ClientCert   *x509.Certificate
	RedirectURIs []string
	// Issuer is the iss of ID tokens (the authorize origin) and Audience the aud request
	// objects must carry (the API host); both default to the bank's own URL.
	Issuer   string
	Audience string
	// TokenLife (default 1 h), CodeLife (default 5 min), RefreshLife (default 45 days).
	TokenLife   time.Duration
	CodeLife    time.Duration
	RefreshLife time.Duration
	// PayerAccounts are the IBANs each payer (the authorize page's user; "sandbox-user" by
	// default) holds at the bank: the exemption engine's own-account category and payer check.
	PayerAccounts map[string][]string
	// Clock and Rand are injected for tests.
	Clock    func() time.Time
	Rand     io.Reader
	ErrorLog *log.Logger
}

// Bank is a runnable embedded OP.
type Bank struct {
	cfg        Config
	clientKeys map[string]ojws.Key
	certPin    [32]byte
	signer     *ojws.Signer
	url        string

	mu       sync.Mutex
	tokens   map[string]*token // access tokens (client tokens live in memory only: a restart logs the client out; the payer's are also in st.UserTokens)
	st       *state
	verdicts []Verdict
	// faults: answers dropped after processing (the next N API calls; the next N submissions).
	dropNext, dropSubmit int
	// accounts: the IBANs each payer holds (Config.PayerAccounts, SetPayerAccounts).
	accounts map[string][]string
}

// token is one access token the bank issued.
type token struct {
	Kind   string // "client" or "user"
	AuthID string // user tokens: the authorization they act for
	Payer  string // user tokens: whose
	Exp    time.Time
}

const (
	maxBody     = 64 << 10
	maxVerdicts = 2000
)

// New checks cfg, loads the state and the bank's key. Nothing listens.
func New(cfg Config) (*Bank, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" || cfg.APIKey == "" || cfg.ClientCert == nil {
		return nil, errors.New("op bank: the registration (client_id, client_secret, api key, client certificate) is required")
	}
	keys, err := ojws.ParseJWKS(cfg.ClientJWKS)
	if err != nil {
		return nil, fmt.Errorf("op bank: the client's JWKS: %w", err)
	}
	if len(cfg.RedirectURIs) == 0 {
		return nil, errors.New("op bank: at least one redirect_uri must be registered")
	}
	for _, r := range cfg.RedirectURIs {
		if !strings.HasPrefix(r, "https://") {
			return nil, fmt.Errorf("op bank: redirect_uri %q is not https (OP registers https only)", r)
		}
	}
	if cfg.TokenLife == 0 {
		cfg.TokenLife = time.Hour
	}
	if cfg.CodeLife == 0 {
		cfg.CodeLife = 5 * time.Minute
	}
	if cfg.RefreshLife == 0 {
		cfg.RefreshLife = 45 * 24 * time.Hour
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	key, err := loadKey(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("op bank: %w", err)
	}
	st, err := loadState(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("op bank: %w", err)
	}
	return &Bank{cfg: cfg, clientKeys: keys, certPin: sha256.Sum256(cfg.ClientCert.Raw),
		signer: &ojws.Signer{Key: key, KID: "op-sandbox-" + fingerprint(&key.PublicKey), Rand: cfg.Rand},
		tokens: map[string]*token{}, st: st, accounts: copyAccounts(cfg.PayerAccounts)}, nil
}

func copyAccounts(m map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range m {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func fingerprint(k *ecdsa.PublicKey) string {
	b, _ := x509.MarshalPKIXPublicKey(k)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:4])
}

// loadKey reads (or makes, 0600) the bank's ES256 key: answers and ID tokens stay verifiable
// across restarts.
func loadKey(dir string) (*ecdsa.PrivateKey, error) {
	if dir == "" {
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := filepath.Join(dir, "bank-key.pem")
	raw, err := os.ReadFile(p)
	if err == nil {
		blk, _ := pem.Decode(raw)
		if blk == nil {
			return nil, errors.New("bank-key.pem is not PEM")
		}
		return x509.ParseECPrivateKey(blk.Bytes)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, _ := x509.MarshalECPrivateKey(k)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	return k, nil
}

// JWKS is the bank's public JWKS (payment answers and ID tokens are signed with one key).
func (b *Bank) JWKS() []byte { return b.signer.JWKS() }

// SetURL names the base address (API, token and authorize share it).
func (b *Bank) SetURL(u string) { b.url = strings.TrimSuffix(u, "/") }

// URL is the base address.
func (b *Bank) URL() string { return b.url }

func (b *Bank) issuer() string {
	if b.cfg.Issuer != "" {
		return b.cfg.Issuer
	}
	return b.url
}

func (b *Bank) audience() string {
	if b.cfg.Audience != "" {
		return b.cfg.Audience
	}
	return b.url
}

// TLSConfig is the server side of mTLS: a client certificate is asked for (not required at
// the handshake, so the API can answer a missing one with a verdict; the browser pages need
// none).
func TLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
}

// Handler is the bank's HTTP surface.
func (b *Bank) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", b.tokenEndpoint)
	mux.HandleFunc("GET /oauth/authorize", b.authorizePage)
	mux.HandleFunc("POST /oauth/authorize", b.authorizeAnswer)
	mux.HandleFunc("GET /oauth/jwks", b.jwks)
	mux.HandleFunc("POST /payments-psd2/v1/sepa-payments", b.createPayment)
	mux.HandleFunc("GET /payments-psd2/v1/sepa-payments/{id}", b.getPayment)
	mux.HandleFunc("DELETE /payments-psd2/v1/sepa-payments/{id}", b.deletePayment)
	mux.HandleFunc("GET /payments-psd2/v1/authorizations/{id}", b.getAuthorization)
	mux.HandleFunc("DELETE /payments-psd2/v1/authorizations/{id}", b.deleteAuthorization)
	mux.HandleFunc("PUT /payments-psd2/v1/sepa-payments/{id}/submissions/{sid}", b.putSubmission)
	mux.HandleFunc("GET /payments-psd2/v1/sepa-payments/{id}/submissions/{sid}", b.getSubmission)
	mux.HandleFunc("POST /payments-psd2/v1/foreign-payments", b.createForeignPayment)
	mux.HandleFunc("GET /payments-psd2/v1/foreign-payments/{id}", b.getPayment)
	mux.HandleFunc("DELETE /payments-psd2/v1/foreign-payments/{id}", b.deletePayment)
	mux.HandleFunc("PUT /payments-psd2/v1/foreign-payments/{id}/submissions/{sid}", b.putSubmission)
	mux.HandleFunc("GET /payments-psd2/v1/foreign-payments/{id}/submissions/{sid}", b.getSubmission)
	return mux
}

func (b *Bank) jwks(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(b.JWKS())
}

// randomID is a random UUID-shaped id. A failing source aborts the request rather than hand
// out a guessable id.
func (b *Bank) randomID() string {
	x := make([]byte, 16)
	if _, err := io.ReadFull(b.cfg.Rand, x); err != nil {
		if b.cfg.ErrorLog != nil {
			b.cfg.ErrorLog.Printf("randomness failed: %v", err)
		}
		panic(http.ErrAbortHandler)
	}
	x[6] = x[6]&0x0f | 0x40
	x[8] = x[8]&0x3f | 0x80
	h := hex.EncodeToString(x)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// DropNextSubmitAnswers makes the bank process the next n PUTs of a submission and close the
// connection without an answer.
func (b *Bank) DropNextSubmitAnswers(n int) {
	b.mu.Lock()
	b.dropSubmit = n
	b.mu.Unlock()
}

// DropNextAnswers makes the bank process the next n API requests and close the connection
// without an answer (a lost answer).
func (b *Bank) DropNextAnswers(n int) {
	b.mu.Lock()
	b.dropNext = n
	b.mu.Unlock()
}
