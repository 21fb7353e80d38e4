package lfi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

func TestNewRejectsBadConfig(t *testing.T) {
	b := newStubLFI(t)
	good := Config{DiscoveryURL: b.srv.URL + "/.well-known/openid-configuration", Issuer: b.issuer,
		ResourceBaseURL: b.srv.URL + "/rs", ClientID: "c", Signer: testSigner(t), HTTPClient: b.srv.Client()}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Config){
		"http discovery":  func(c *Config) { c.DiscoveryURL = "http://x/.well-known/openid-configuration" },
		"no issuer":       func(c *Config) { c.Issuer = "" },
		"base with query": func(c *Config) { c.ResourceBaseURL += "?a=1" },
		"no client":       func(c *Config) { c.HTTPClient = nil },
		"no signer":       func(c *Config) { c.Signer = nil },
		"client id space": func(c *Config) { c.ClientID = " c" },
		"creds in URL":    func(c *Config) { c.ResourceBaseURL = "https://u:p@host/rs" },
	} {
		cfg := good
		mut(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDiscoveryChecksIssuerAndCaches(t *testing.T) {
	b := newStubLFI(t)
	now := testNow
	rec := &recorder{}
	c := newStubClient(t, b, rec, func() time.Time { return now })
	d, err := c.Discovery(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.TokenEndpoint != b.srv.URL+"/as/token" || d.PushedAuthorizationRequestEndpoint != b.srv.URL+"/as/par" {
		t.Errorf("endpoints not taken from the document: %+v", d)
	}
	now = now.Add(899 * time.Second)
	if _, err := c.Discovery(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b.discHits != 1 {
		t.Errorf("fetched %d times within max-age, want 1", b.discHits)
	}
	now = now.Add(2 * time.Second)
	if _, err := c.Discovery(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b.discHits != 2 {
		t.Errorf("fetched %d times after max-age, want 2", b.discHits)
	}

	// A document for another issuer (FAPI "discovery-issuer-mismatch") is refused.
	cfg := c.cfg
	cfg.Issuer = b.issuer + "/"
	c2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Discovery(context.Background()); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("issuer mismatch: err = %v", err)
	}
}

func TestDecodeDiscoveryRejects(t *testing.T) {
	base := map[string]any{"issuer": "https://i", "authorization_endpoint": "https://a/auth",
		"pushed_authorization_request_endpoint": "https://as/par", "token_endpoint": "https://as/token", "jwks_uri": "https://k/jwks"}
	enc := func(mut func(map[string]any)) []byte {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		mut(m)
		b, _ := json.Marshal(m)
		return b
	}
	if _, err := decodeDiscovery(enc(func(map[string]any) {}), "https://i"); err != nil {
		t.Fatal(err)
	}
	// The embedded sandbox's consent page is plain http on loopback; only there is http allowed.
	if _, err := decodeDiscovery(enc(func(m map[string]any) { m["authorization_endpoint"] = "http://127.0.0.1:8080/auth" }), "https://i"); err != nil {
		t.Errorf("loopback http authorization endpoint: %v", err)
	}
	for name, mut := range map[string]func(map[string]any){
		"http token":      func(m map[string]any) { m["token_endpoint"] = "http://as/token" },
		"missing par":     func(m map[string]any) { delete(m, "pushed_authorization_request_endpoint") },
		"relative jwks":   func(m map[string]any) { m["jwks_uri"] = "/jwks" },
		"no S256":         func(m map[string]any) { m["code_challenge_methods_supported"] = []string{"plain"} },
		"no pkjwt":        func(m map[string]any) { m["token_endpoint_auth_methods_supported"] = []string{"client_secret_basic"} },
		"issuer trailing": func(m map[string]any) { m["issuer"] = "https://i/" },
		"http auth":       func(m map[string]any) { m["authorization_endpoint"] = "http://bank.example/auth" },
	} {
		if _, err := decodeDiscovery(enc(mut), "https://i"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCacheTTL(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"max-age=900":             900 * time.Second,
		"public, max-age=60":      time.Minute,
		"no-store":                0,
		"max-age=60, no-cache":    0,
		"max-age=-1":              defaultCacheTTL,
		"max-age=abc":             defaultCacheTTL,
		"":                        defaultCacheTTL,
		"max-age=99999999999999":  maxCacheTTL,
		`max-age="30"`:            30 * time.Second,
		"MAX-AGE=5":               5 * time.Second,
		"max-age=5, max-age=7000": 7000 * time.Second,
	} {
		h := http.Header{}
		if in != "" {
			h.Set("Cache-Control", in)
		}
		if got := cacheTTL(h); got != want {
			t.Errorf("cacheTTL(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"2": 2 * time.Second, "0": 0, "-5": 0, "x": 0, "": 0,
		testNow.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		testNow.Add(-time.Hour).Format(http.TimeFormat):       0,
		"99999999": 24 * time.Hour,
	} {
		h := http.Header{}
		if in != "" {
			h.Set("Retry-After", in)
		}
		if got := retryAfter(h, testNow); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestJWKSSelection(t *testing.T) {
	testKeys(t)
	b, _ := json.Marshal(map[string]any{"keys": []any{
		jwk(t, &bankSig.PublicKey, "s1", "sig", "PS256"),
		jwk(t, &bankEnc.PublicKey, "e1", "enc", "RSA-OAEP-256"),
		jwk(t, &bankEnc2.PublicKey, "s2", "sig", "RS256"), // wrong alg for verification
		jwk(t, &x.PublicKey, "e2", "sig", "RSA-OAEP-256"), // enc alg on a sig key
		map[string]any{"kty": "EC", "crv": "P-256", "kid": "ec", "use": "sig", "x": "AA", "y": "AA"},
	}})
	ks, err := parseJWKS(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks.sig) != 1 || ks.sig["s1"] == nil {
		t.Errorf("sig keys = %v, want only s1", ks.sig)
	}
	if len(ks.enc) != 1 || ks.enc[0].KeyID != "e1" {
		t.Errorf("enc keys = %v, want only e1", ks.enc)
	}
	priv, _ := json.Marshal(map[string]any{"keys": []any{jwk(t, bankSig, "p", "sig", "PS256")}})
	if _, err := parseJWKS(priv); err == nil {
		t.Error("a JWKS with a private key was accepted")
	}
}

func jwk(t *testing.T, key any, kid, use, alg string) map[string]any {
	t.Helper()
	b, err := (&jose.JSONWebKey{Key: key, KeyID: kid, Use: use, Algorithm: alg}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func TestCreatePaymentRetriesSameBytesAndKey(t *testing.T) {
	b := newStubLFI(t)
	rec := &recorder{}
	c := newStubClient(t, b, rec, nil)
	var mu sync.Mutex
	var bodies [][]byte
	var keys, iids []string
	b.route("POST", "/open-finance/payment/v2.1/payments", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, body)
		keys = append(keys, r.Header.Get("X-Idempotency-Key"))
		iids = append(iids, r.Header.Get("X-Fapi-Interaction-Id"))
		n := len(bodies)
		mu.Unlock()
		if n < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("Content-Type") != "application/jwt" || r.Header.Get("X-Fapi-Auth-Date") != "Sun, 22 Nov 2026 09:58:00 GMT" ||
			r.Header.Get("X-Fapi-Customer-Ip-Address") != "203.0.113.7" || r.Header.Get("Authorization") != "Bearer user-token" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Idempotency-Key", r.Header.Get("X-Idempotency-Key"))
		w.Header().Set("Location", "/open-finance/payment/v2.1/payments/p-1")
		b.writeJWT(w, http.StatusCreated, paymentMessage("p-1"))
	})
	body, err := c.SignPayment([]byte(`{"Data":{"ConsentId":"c-1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.CreatePayment(context.Background(), "user-token", SignedPayment{IdempotencyKey: "key-1", Body: body,
		AuthDate: testNow.Add(-2 * time.Minute), CustomerIP: "203.0.113.7", UserAgent: "payterm/1"})
	if err != nil {
		t.Fatal(err)
	}
	if p.PaymentID != "p-1" || p.Status != PaymentPending || p.Location == "" {
		t.Errorf("payment = %+v", p)
	}
	if len(bodies) != 3 {
		t.Fatalf("%d attempts, want 3", len(bodies))
	}
	for i := range bodies {
		if !bytes.Equal(bodies[i], body) || keys[i] != "key-1" {
			t.Errorf("attempt %d changed the body or key", i+1)
		}
	}
	if iids[0] == iids[1] || iids[1] == iids[2] {
		t.Errorf("interaction ids reused across attempts: %v", iids)
	}
	for _, id := range iids {
		if u, err := uuid.Parse(id); err != nil || u.Version() != 4 {
			t.Errorf("x-fapi-interaction-id %q is not a UUIDv4", id)
		}
	}
	if len(rec.sleeps) != 2 || rec.sleeps[0] >= rec.sleeps[1] {
		t.Errorf("sleeps = %v, want 2 growing backoffs", rec.sleeps)
	}
	var attempts []int
	for _, e := range rec.exchanges {
		if e.Op == "create payment" {
			attempts = append(attempts, e.Attempt)
			if e.InteractionID != iids[e.Attempt-1] {
				t.Errorf("exchange %d shows interaction id %q, the request carried %q", e.Attempt, e.InteractionID, iids[e.Attempt-1])
			}
		}
	}
	if fmt.Sprint(attempts) != "[1 2 3]" {
		t.Errorf("observer saw attempts %v, want [1 2 3]", attempts)
	}
	if p.InteractionID != iids[2] {
		t.Errorf("payment interaction id %q, want the last attempt's %q", p.InteractionID, iids[2])
	}
}

func TestCreatePaymentOutcomeUnknownAfterLast5xx(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	calls := 0
	b.route("POST", "/open-finance/payment/v2.1/payments", func(w http.ResponseWriter, r *http.Request) {
		calls++
		b.writeJWT(w, http.StatusInternalServerError, map[string]any{"Errors": []any{map[string]any{"Code": "GenericError", "Message": "boom"}}})
	})
	body, _ := c.SignPayment([]byte(`{"Data":{}}`))
	_, err := c.CreatePayment(context.Background(), "tok", SignedPayment{IdempotencyKey: "k", Body: body, AuthDate: testNow, CustomerIP: "::1"})
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	var be *BankError
	if !errors.As(err, &be) || be.Code() != "GenericError" || be.HTTPStatus != 500 {
		t.Errorf("err = %#v", err)
	}
	if calls != 3 {
		t.Errorf("%d attempts, want 3", calls)
	}
}

func TestPARAndAuthCodeNotRetriedOn5xx(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	par, tok := 0, 0
	b.route("POST", "/as/par", func(w http.ResponseWriter, r *http.Request) { par++; w.WriteHeader(502) })
	b.route("POST", "/as/token", func(w http.ResponseWriter, r *http.Request) { tok++; w.WriteHeader(500) })
	if _, err := c.PAR(context.Background(), "a.b.c"); !errors.Is(err, ErrOutcomeUnknown) || par != 1 {
		t.Errorf("PAR: err %v after %d attempts, want outcome unknown after 1", err, par)
	}
	if _, err := c.TokenAuthorizationCode(context.Background(), "code", "https://cb", strings.Repeat("v", 43)); err == nil || tok != 1 {
		t.Errorf("token: err %v after %d attempts, want 1", err, tok)
	}
	if _, err := c.TokenRefresh(context.Background(), "rt"); err == nil || tok != 2 {
		t.Errorf("refresh: %d attempts in total, want 2", tok)
	}
	if _, err := c.TokenClientCredentials(context.Background()); err == nil || tok != 5 {
		t.Errorf("client_credentials: %d attempts in total, want 5 (retried)", tok)
	}
}

func TestGarbageTokenResponseIsUnverifiable(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	for _, body := range []string{`<html>`, `{"access_token":"a\nb","token_type":"Bearer"}`, `{"access_token":"a","token_type":"mac"}`,
		`{"access_token":"a","token_type":"Bearer","expires_in":"600"}`} {
		b.route("POST", "/as/token", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) })
		if _, err := c.TokenAuthorizationCode(context.Background(), "code", "https://cb", "v"); !errors.Is(err, ErrUnverifiable) {
			t.Errorf("%s: err = %v, want ErrUnverifiable", body, err)
		}
	}
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	b := newStubLFI(t)
	rec := &recorder{}
	c := newStubClient(t, b, rec, nil)
	n := 0
	b.route("POST", "/as/par", func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":90}`)
	})
	res, err := c.PAR(context.Background(), "a.b.c")
	if err != nil {
		t.Fatal(err)
	}
	if res.RequestURI != "urn:ietf:params:oauth:request_uri:abc" || !res.ExpiresAt.Equal(testNow.Add(90*time.Second)) {
		t.Errorf("PAR result = %+v", res)
	}
	if len(rec.sleeps) != 1 || rec.sleeps[0] != 7*time.Second {
		t.Errorf("sleeps = %v, want [7s]", rec.sleeps)
	}

	// A Retry-After beyond MaxRetryAfter is handed back, not slept through.
	b.route("GET", "/open-finance/payment/v2.1/payments/p-9", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	calls := 0
	b.tokenRoute("cc", &calls)
	rec.sleeps = nil
	_, err = c.GetPayment(context.Background(), "p-9")
	var be *BankError
	if !errors.Is(err, ErrRateLimited) || !errors.As(err, &be) || be.RetryAfter != time.Hour {
		t.Errorf("err = %v, want ErrRateLimited with RetryAfter 1h", err)
	}
	if len(rec.sleeps) != 0 {
		t.Errorf("slept %v", rec.sleeps)
	}
}

func TestSignedErrorMapping(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	status, msg := 400, any(map[string]any{"Errors": []any{map[string]any{"Code": "JWE.InvalidHeader", "Message": "kid AE070331234567890123456 unknown", "Path": "Data.PersonalIdentifiableInformation"}}})
	b.route("POST", "/open-finance/payment/v2.1/payments", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Fapi-Interaction-Id", r.Header.Get("X-Fapi-Interaction-Id"))
		b.writeJWT(w, status, msg)
	})
	if _, err := c.EncryptionKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	hitsBefore := b.jwksHits
	body, _ := c.SignPayment([]byte(`{"Data":{}}`))
	sp := SignedPayment{IdempotencyKey: "k", Body: body, AuthDate: testNow, CustomerIP: "10.0.0.1"}
	_, err := c.CreatePayment(context.Background(), "tok", sp)
	var be *BankError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want *BankError", err)
	}
	if be.HTTPStatus != 400 || be.Code() != "JWE.InvalidHeader" || be.Errors[0].Path != "Data.PersonalIdentifiableInformation" || be.InteractionID == "" {
		t.Errorf("BankError = %+v", be)
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		t.Error("a verified 400 must be a definite failure, not unknown")
	}
	if strings.Contains(err.Error(), "AE07") {
		t.Errorf("error string carries the bank's free text (possible PII): %q", err)
	}
	// JWE.InvalidHeader means our enc kid is stale: the JWKS is refetched on next use.
	if _, err := c.EncryptionKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b.jwksHits != hitsBefore+1 {
		t.Errorf("JWKS hits %d → %d, want a refetch after JWE.InvalidHeader", hitsBefore, b.jwksHits)
	}

	// Status-only answers.
	for st, sentinel := range map[int]error{401: ErrUnauthorized, 404: ErrNotFound} {
		status, msg = st, nil
		b.route("POST", "/open-finance/payment/v2.1/payments", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) })
		if _, err := c.CreatePayment(context.Background(), "tok", sp); !errors.Is(err, sentinel) {
			t.Errorf("HTTP %d: err = %v", st, err)
		}
	}
}

func TestUnverifiableResponsesAreNeverTrusted(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	good := b.signed(paymentMessage("p-1"))
	for name, h := range map[string]http.HandlerFunc{
		"wrong key": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(201)
			_, _ = io.WriteString(w, signWith(t, x, "bank-sig-1", map[string]any{"exp": testNow.Add(time.Minute).Unix(), "message": paymentMessage("p-1")}))
		},
		"plain JSON": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(201)
			_ = json.NewEncoder(w).Encode(paymentMessage("p-1"))
		},
		"unsigned error": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"message":{"Errors":[{"Code":"Consent.Invalid","Message":"x"}]}}`)
		},
		"garbage body verified": func(w http.ResponseWriter, r *http.Request) {
			b.writeJWT(w, 201, map[string]any{"Data": map[string]any{"PaymentId": 7}})
		},
		"200 not 201": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			_, _ = io.WriteString(w, good)
		},
		"echoed other key": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Idempotency-Key", "other")
			w.WriteHeader(201)
			_, _ = io.WriteString(w, good)
		},
	} {
		b.route("POST", "/open-finance/payment/v2.1/payments", h)
		body, _ := c.SignPayment([]byte(`{"Data":{}}`))
		p, err := c.CreatePayment(context.Background(), "tok", SignedPayment{IdempotencyKey: "k", Body: body, AuthDate: testNow, CustomerIP: "10.0.0.1"})
		if p != nil || !errors.Is(err, ErrUnverifiable) || !errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("%s: payment %v, err %v; want nil and ErrUnverifiable", name, p, err)
		}
	}
}

func TestSigningKeyRotationRefetchesOnce(t *testing.T) {
	b := newStubLFI(t)
	rec := &recorder{}
	c := newStubClient(t, b, rec, nil)
	calls := 0
	b.tokenRoute("cc", &calls)
	b.route("GET", "/open-finance/payment/v2.1/payments/p-1", func(w http.ResponseWriter, r *http.Request) {
		b.writeJWT(w, 200, paymentMessage("p-1"))
	})
	if _, err := c.GetPayment(context.Background(), "p-1"); err != nil {
		t.Fatal(err)
	}
	// The bank rotates its signing key: the unknown kid triggers exactly one refetch.
	b.mu.Lock()
	b.sigKid, b.sigKey = "bank-sig-2", bankEnc2
	hits := b.jwksHits
	b.mu.Unlock()
	if _, err := c.GetPayment(context.Background(), "p-1"); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if b.jwksHits != hits+1 {
		t.Errorf("JWKS fetched %d times, want 1", b.jwksHits-hits)
	}
	last := rec.exchanges[len(rec.exchanges)-1]
	if last.Verification == nil || !last.Verification.OK || !last.Verification.Refetch {
		t.Errorf("verification = %+v, want OK after refetch", last.Verification)
	}
	// A kid that is in no JWKS: one refetch, then refused.
	b.route("GET", "/open-finance/payment/v2.1/payments/p-2", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, signWith(t, x, "ghost", map[string]any{"exp": testNow.Add(time.Minute).Unix(), "message": paymentMessage("p-2")}))
	})
	hits = b.jwksHits
	if _, err := c.GetPayment(context.Background(), "p-2"); !errors.Is(err, ErrUnverifiable) {
		t.Errorf("unknown kid: err = %v", err)
	}
	if b.jwksHits != hits+1 {
		t.Errorf("JWKS fetched %d times for an unknown kid, want 1", b.jwksHits-hits)
	}
}

func TestClientCredentialsTokenCachedAndRenewedOn401(t *testing.T) {
	b := newStubLFI(t)
	now := testNow
	c := newStubClient(t, b, &recorder{}, func() time.Time { return now })
	calls := 0
	b.tokenRoute("cc-1", &calls)
	seen := 0
	b.route("GET", "/open-finance/payment/v2.1/payments/p-1", func(w http.ResponseWriter, r *http.Request) {
		seen++
		if seen == 3 {
			w.WriteHeader(401)
			return
		}
		b.writeJWT(w, 200, paymentMessage("p-1"))
	})
	for range 2 {
		if _, err := c.GetPayment(context.Background(), "p-1"); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Errorf("%d token calls for 2 reads, want 1 (cached)", calls)
	}
	if _, err := c.GetPayment(context.Background(), "p-1"); err != nil {
		t.Fatalf("after 401: %v", err)
	}
	if calls != 2 {
		t.Errorf("%d token calls, want a new token after the 401", calls)
	}
	now = now.Add(600 * time.Second)
	b.mu.Lock()
	b.now = now
	b.mu.Unlock()
	if _, err := c.GetPayment(context.Background(), "p-1"); err != nil {
		t.Fatal(err)
	}
	if calls != 3 {
		t.Errorf("%d token calls, want a new token after expiry", calls)
	}
}

func TestGetPaymentByIdempotencyKey(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	calls := 0
	b.tokenRoute("cc", &calls)
	b.route("GET", "/open-finance/payment/v2.1/payments", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Idempotency-Key") != "key-7" {
			w.WriteHeader(404)
			return
		}
		// The lookup schema is not wrapped in message; accept both.
		_, _ = io.WriteString(w, signWith(t, bankSig, "bank-sig-1", map[string]any{"iss": b.issuer, "exp": testNow.Add(time.Minute).Unix(),
			"Data": map[string]any{}, "Links": map[string]any{"Self": "https://elsewhere.example/open-finance/payment/v2.1/payments/p-7"}}))
	})
	b.route("GET", "/open-finance/payment/v2.1/payments/p-7", func(w http.ResponseWriter, r *http.Request) {
		b.writeJWT(w, 200, paymentMessage("p-7"))
	})
	p, err := c.GetPaymentByIdempotencyKey(context.Background(), "key-7")
	if err != nil {
		t.Fatal(err)
	}
	if p.PaymentID != "p-7" {
		t.Errorf("payment = %+v", p)
	}
	if _, err := c.GetPaymentByIdempotencyKey(context.Background(), "key-8"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown key: err = %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"", "has space", strings.Repeat("k", 41)} {
		if _, err := c.GetPaymentByIdempotencyKey(context.Background(), bad); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
}

func TestNetworkErrorRetriedOnlyWhenIdempotent(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	calls := 0
	b.tokenRoute("cc", &calls)
	drop := func(w http.ResponseWriter, r *http.Request) {
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		_ = conn.Close()
	}
	n := 0
	b.route("GET", "/open-finance/payment/v2.1/payment-consents/c-1", func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 1 {
			drop(w, r)
			return
		}
		b.writeJWT(w, 200, consentMessage("c-1"))
	})
	cons, err := c.GetConsent(context.Background(), "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if cons.Status != ConsentAuthorized || !cons.IsDelegatedAuthentication || !cons.ConsentScheduleEmpty || n != 2 {
		t.Errorf("consent %+v after %d attempts", cons, n)
	}
	p := 0
	b.route("PATCH", "/open-finance/payment/v2.1/payment-consents/c-1", func(w http.ResponseWriter, r *http.Request) { p++; drop(w, r) })
	_, err = c.RevokeConsent(context.Background(), "c-1", RevokedByTPPInitiatedUser)
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, ErrOutcomeUnknown) || p != 1 {
		t.Errorf("revoke: err %v after %d attempts; want one attempt, outcome unknown", err, p)
	}
}

func TestRevokeConsentSendsSignedPatch(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	calls := 0
	b.tokenRoute("cc", &calls)
	var got map[string]any
	b.route("PATCH", "/open-finance/payment/v2.1/payment-consents/c-1", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v, err := VerifyCompact(body, &tppKey.PublicKey, VerifyOptions{Now: testNow, Issuer: "client-1"})
		if err != nil || r.Header.Get("Content-Type") != "application/jwt" || r.Header.Get("Authorization") != "Bearer cc" {
			w.WriteHeader(400)
			return
		}
		_ = json.Unmarshal(v.Payload, &got)
		w.WriteHeader(204)
	})
	if iid, err := c.RevokeConsent(context.Background(), "c-1", RevokedByTPPInitiatedUser); err != nil || iid == "" {
		t.Fatal(err)
	}
	msg, _ := json.Marshal(got["message"])
	if string(msg) != `{"Data":{"RevokedBy":"TPP.InitiatedByUser","Status":"Revoked"}}` || got["jti"] == nil {
		t.Errorf("PATCH claims = %v", got)
	}
	if _, err := c.RevokeConsent(context.Background(), "c-1", "LFI"); err == nil {
		t.Error("RevokedBy LFI accepted")
	}
}

func consentMessage(id string) map[string]any {
	return map[string]any{
		"Data": map[string]any{"ConsentId": id, "Status": "Authorized", "CreationDateTime": "2026-11-01T10:00:00+00:00",
			"StatusUpdateDateTime": "2026-11-01T10:00:00+00:00", "ExpirationDateTime": "2027-03-01T00:00:00+00:00",
			"ControlParameters":  map[string]any{"IsDelegatedAuthentication": true, "ConsentSchedule": map[string]any{}},
			"PaymentPurposeCode": "MWP", "IsSingleAuthorization": true},
		"Links": map[string]any{"Self": "https://rs/open-finance/payment/v2.1/payment-consents/" + id, "Related": []string{}},
	}
}

func TestTokenCallsSendAssertionAndForm(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	var forms []url.Values
	b.route("POST", "/as/token", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			w.WriteHeader(415)
			return
		}
		_ = r.ParseForm()
		forms = append(forms, r.PostForm)
		if r.PostForm.Get("grant_type") == "refresh_token" {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"refresh token rt-secret was rotated"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		cons, _ := json.Marshal(consentMessage("c-1"))
		_, _ = fmt.Fprintf(w, `{"access_token":"at","token_type":"bearer","expires_in":600,"refresh_token":"rt2","scope":"payments openid","state":"s",
			"authorization_details":[{"type":"urn:openfinanceuae:service-initiation-consent:v2.1","consent":%s}]}`, cons)
	})
	tr, err := c.TokenAuthorizationCode(context.Background(), "the-code", "https://tpp/cb", "verifier")
	if err != nil {
		t.Fatal(err)
	}
	if tr.AccessToken.Reveal() != "at" || tr.RefreshToken.Reveal() != "rt2" || len(tr.AuthorizationDetails) != 1 ||
		tr.AuthorizationDetails[0].Consent.Status != ConsentAuthorized || !tr.ExpiresAt.Equal(testNow.Add(600*time.Second)) {
		t.Errorf("token response = %+v", tr)
	}
	f := forms[0]
	for k, v := range map[string]string{"grant_type": "authorization_code", "code": "the-code", "redirect_uri": "https://tpp/cb",
		"code_verifier": "verifier", "client_id": "client-1", "client_assertion_type": clientAssertionType} {
		if f.Get(k) != v {
			t.Errorf("form %s = %q, want %q", k, f.Get(k), v)
		}
	}
	v, err := VerifyCompact([]byte(f.Get("client_assertion")), &tppKey.PublicKey, VerifyOptions{Now: testNow, Issuer: "client-1"})
	if err != nil {
		t.Fatal(err)
	}
	var cl assertionClaims
	if err := json.Unmarshal(v.Payload, &cl); err != nil {
		t.Fatal(err)
	}
	if cl.Sub != "client-1" || cl.Aud != b.issuer || cl.Iat != testNow.Unix() || cl.Exp-cl.Iat != 300 || cl.Jti == "" {
		t.Errorf("assertion claims = %+v", cl)
	}

	_, err = c.TokenRefresh(context.Background(), "rt-secret")
	var oe *OAuthError
	if !errors.As(err, &oe) || oe.Code != "invalid_grant" || oe.HTTPStatus != 400 || oe.InteractionID == "" {
		t.Fatalf("refresh err = %v", err)
	}
	if strings.Contains(err.Error(), "rt-secret") {
		t.Errorf("error string leaks: %q", err)
	}
	a2 := forms[1].Get("client_assertion")
	v2, err := VerifyCompact([]byte(a2), &tppKey.PublicKey, VerifyOptions{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	var cl2 assertionClaims
	if err := json.Unmarshal(v2.Payload, &cl2); err != nil || cl2.Jti == "" {
		t.Fatalf("second assertion claims = %+v, %v", cl2, err)
	}
	if cl2.Jti == cl.Jti {
		t.Error("jti reused across token calls")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestRequestThatCannotBeBuiltIsNotAnUnknownOutcome(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	if _, err := c.Discovery(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.rand = failingReader{}
	body, _ := c.SignPayment([]byte(`{"Data":{}}`))
	_, err := c.CreatePayment(context.Background(), "tok", SignedPayment{IdempotencyKey: "k", Body: body, AuthDate: testNow, CustomerIP: "10.0.0.1"})
	if err == nil || errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "entropy exhausted") {
		t.Errorf("err = %v; want a plain error (nothing was sent)", err)
	}
}

func TestJWKSCachedForMaxAge(t *testing.T) {
	b := newStubLFI(t)
	now := testNow
	c := newStubClient(t, b, &recorder{}, func() time.Time { return now })
	for range 3 {
		if _, err := c.EncryptionKey(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if b.jwksHits != 1 {
		t.Errorf("JWKS fetched %d times within max-age, want 1", b.jwksHits)
	}
	now = now.Add(901 * time.Second)
	if _, err := c.EncryptionKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b.jwksHits != 2 {
		t.Errorf("JWKS fetched %d times after max-age, want 2", b.jwksHits)
	}
}

func TestCreatePaymentValidatesInputBeforeSending(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	sent := 0
	b.route("POST", "/open-finance/payment/v2.1/payments", func(w http.ResponseWriter, r *http.Request) { sent++ })
	good := SignedPayment{IdempotencyKey: "k", Body: []byte("a.b.c"), AuthDate: testNow, CustomerIP: "10.0.0.1"}
	for name, mut := range map[string]func(*SignedPayment){
		"long key":      func(p *SignedPayment) { p.IdempotencyKey = strings.Repeat("k", 41) },
		"key space":     func(p *SignedPayment) { p.IdempotencyKey = "a b" },
		"JSON body":     func(p *SignedPayment) { p.Body = []byte(`{"Data":{}}`) },
		"no auth date":  func(p *SignedPayment) { p.AuthDate = time.Time{} },
		"bad IP":        func(p *SignedPayment) { p.CustomerIP = "localhost" },
		"UA newline":    func(p *SignedPayment) { p.UserAgent = "a\r\nX-Evil: 1" },
		"UA non-ASCII":  func(p *SignedPayment) { p.UserAgent = "agent\u00e9" },
		"empty payload": func(p *SignedPayment) { p.Body = nil },
	} {
		p := good
		mut(&p)
		if _, err := c.CreatePayment(context.Background(), "tok", p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := c.CreatePayment(context.Background(), "", good); err == nil {
		t.Error("empty token accepted")
	}
	if sent != 0 {
		t.Errorf("%d invalid payments reached the bank", sent)
	}
}
