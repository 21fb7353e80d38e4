package lfi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Test keys are generated once per test binary: RSA generation is the slow part.
var (
	keysOnce                              sync.Once
	tppKey, bankSig, bankEnc, bankEnc2, x *rsa.PrivateKey
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		gen := func() *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			return k
		}
		tppKey, bankSig, bankEnc, bankEnc2, x = gen(), gen(), gen(), gen(), gen()
	})
}

func testSigner(t testing.TB) *Signer {
	t.Helper()
	testKeys(t)
	s, err := NewSigner(tppKey, "tpp-kid")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var testNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// stubLFI is a minimal TLS server for unit tests of this package's own rules (error
// mapping, retries, redaction, caching). It is not a model of the bank: behaviour against
// the real rules is tested against sandbox.New in the integration tests.
type stubLFI struct {
	t        testing.TB
	srv      *httptest.Server
	mu       sync.Mutex
	sigKid   string
	sigKey   *rsa.PrivateKey
	encKid   string
	encKey   *rsa.PublicKey
	jwksHits int
	discHits int
	issuer   string
	routes   map[string]http.HandlerFunc // "METHOD /path"
	now      time.Time                   // time the stub signs responses at
}

func newStubLFI(t testing.TB) *stubLFI {
	t.Helper()
	testKeys(t)
	b := &stubLFI{t: t, sigKid: "bank-sig-1", sigKey: bankSig, encKid: "bank-enc-1", encKey: &bankEnc.PublicKey, routes: map[string]http.HandlerFunc{}, now: testNow}
	b.srv = httptest.NewTLSServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	b.issuer = b.srv.URL + "/issuer"
	return b
}

func (b *stubLFI) serve(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		b.discHits++
		doc := map[string]any{"issuer": b.issuer, "authorization_endpoint": b.srv.URL + "/auth",
			"pushed_authorization_request_endpoint": b.srv.URL + "/as/par", "token_endpoint": b.srv.URL + "/as/token",
			"jwks_uri": b.srv.URL + "/jwks"}
		b.mu.Unlock()
		w.Header().Set("Cache-Control", "max-age=900")
		_ = json.NewEncoder(w).Encode(doc)
		return
	case "/jwks":
		b.jwksHits++
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &b.sigKey.PublicKey, KeyID: b.sigKid, Use: "sig", Algorithm: "PS256"},
			{Key: b.encKey, KeyID: b.encKid, Use: "enc", Algorithm: "RSA-OAEP-256"},
		}}
		b.mu.Unlock()
		w.Header().Set("Cache-Control", "max-age=900")
		_ = json.NewEncoder(w).Encode(set)
		return
	}
	h := b.routes[r.Method+" "+r.URL.Path]
	b.mu.Unlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h(w, r)
}

func (b *stubLFI) route(method, path string, h http.HandlerFunc) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.routes[method+" "+path] = h
}

// sign signs claims with the given key and kid (bank key by default).
func signWith(t testing.TB, key *rsa.PrivateKey, kid string, claims any) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := sig.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (b *stubLFI) signed(message any) string {
	b.mu.Lock()
	key, kid, now, iss := b.sigKey, b.sigKid, b.now, b.issuer
	b.mu.Unlock()
	// As a bank signs: iss is its issuer, aud our client id (newStubClient's).
	return signWith(b.t, key, kid, map[string]any{"iss": iss, "aud": []string{"client-1"}, "iat": now.Unix(), "nbf": now.Unix() - 10,
		"exp": now.Add(5 * time.Minute).Unix(), "message": message})
}

func (b *stubLFI) writeJWT(w http.ResponseWriter, status int, message any) {
	w.Header().Set("Content-Type", "application/jwt")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.signed(message)))
}

// tokenRoute serves a client_credentials token and counts calls.
func (b *stubLFI) tokenRoute(tok string, calls *int) {
	b.route("POST", "/as/token", func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		*calls++
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":600}`, tok)
	})
}

type recorder struct {
	mu        sync.Mutex
	exchanges []Exchange
	sleeps    []time.Duration
}

func (r *recorder) observe(e Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exchanges = append(r.exchanges, e)
}

func (r *recorder) sleep(_ context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sleeps = append(r.sleeps, d)
	return nil
}

func newStubClient(t testing.TB, b *stubLFI, rec *recorder, clock func() time.Time) *Client {
	t.Helper()
	if clock == nil {
		clock = func() time.Time { return testNow }
	}
	c, err := New(Config{DiscoveryURL: b.srv.URL + "/.well-known/openid-configuration", Issuer: b.issuer,
		ResourceBaseURL: b.srv.URL + "/open-finance/payment/v2.1", ClientID: "client-1", Signer: testSigner(t),
		HTTPClient: b.srv.Client(), Clock: clock, Sleep: rec.sleep, Observer: rec.observe})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func paymentMessage(id string) map[string]any {
	return map[string]any{
		"Data": map[string]any{"PaymentId": id, "ConsentId": "c-1", "Status": "Pending",
			"StatusUpdateDateTime": "2026-11-22T10:00:00+00:00", "CreationDateTime": "2026-11-22T10:00:00+00:00",
			"Instruction":        map[string]any{"Amount": map[string]any{"Amount": "10.00", "Currency": "AED"}},
			"PaymentPurposeCode": "MWP", "OpenFinanceBilling": map[string]any{"Type": "PushP2P"}},
		"Links": map[string]any{"Self": "https://rs/open-finance/payment/v2.1/payments/" + id,
			"Related": "https://rs/open-finance/payment/v2.1/payment-consents/c-1"},
		"Meta": map[string]any{},
	}
}
