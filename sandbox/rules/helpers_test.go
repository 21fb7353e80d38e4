package rules

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Fixed clock and identities for every test.
var testNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

const (
	testClientID  = "tpp-client-1"
	testIssuer    = "https://auth.sandbox.payterm.test"
	testRedirect  = "https://tpp.example/callback"
	testConsentID = "b8f42378-10ac-46a1-8d20-4e020484216d"
	ibanA         = "AE070331234567890123456" // bank 033 → BOMLAEAD
	ibanB         = "AE490339876543210987654" // bank 033
	ibanC         = "AE800261111222233334444" // bank 026 → EBILAEAD
	ibanNoBIC     = "AE109991234567890123456" // bank 999, not in the table
	clientSigKid  = "client-sig"
	bankEncKid    = "bank-enc-1"
)

type testKeySet struct {
	client *rsa.PrivateKey // the TPP's signing key
	bank   *rsa.PrivateKey // the bank's encryption key
	other  *rsa.PrivateKey // an unregistered key
}

// keys are generated once per test binary: RSA-2048 generation is slow.
var keys = sync.OnceValue(func() testKeySet {
	gen := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err) // test setup only
		}
		return k
	}
	return testKeySet{client: gen(), bank: gen(), other: gen()}
})

// clientKeyFor is the client's registered JWKS: one use=sig key, plus an
// encryption key under another kid (must never verify a signature).
func clientKeyFor(kid string) (*jose.JSONWebKey, error) {
	k := keys()
	switch kid {
	case clientSigKid:
		return &jose.JSONWebKey{Key: &k.client.PublicKey, KeyID: kid, Use: "sig", Algorithm: "PS256"}, nil
	case "client-enc":
		return &jose.JSONWebKey{Key: &k.client.PublicKey, KeyID: kid, Use: "enc"}, nil
	}
	return nil, errors.New("unknown kid")
}

func bankEncKeys() map[string]*rsa.PrivateKey {
	return map[string]*rsa.PrivateKey{bankEncKid: keys().bank}
}

func sign(t testing.TB, payload []byte) string {
	t.Helper()
	return signWith(t, payload, jose.PS256, keys().client, clientSigKid, nil)
}

func signWith(t testing.TB, payload []byte, alg jose.SignatureAlgorithm, key any, kid string, extra map[jose.HeaderKey]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	for k, v := range extra {
		opts = opts.WithHeader(k, v)
	}
	sk := jose.SigningKey{Algorithm: alg, Key: key}
	if kid != "" {
		sk.Key = jose.JSONWebKey{Key: key, KeyID: kid}
	}
	s, err := jose.NewSigner(sk, opts)
	if err != nil {
		t.Fatalf("signer: %v", err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return out
}

// craftJWS builds a compact JWS with an arbitrary header and a junk signature.
func craftJWS(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc([]byte("not-a-signature"))
}

type sealOpts struct {
	alg  jose.KeyAlgorithm
	enc  jose.ContentEncryption
	kid  string
	cty  string
	zip  bool
	pub  *rsa.PublicKey
	hdrs map[jose.HeaderKey]any
}

func seal(t testing.TB, plaintext string, o sealOpts) string {
	t.Helper()
	if o.alg == "" {
		o.alg = jose.RSA_OAEP_256
	}
	if o.enc == "" {
		o.enc = jose.A256GCM
	}
	if o.kid == "" {
		o.kid = bankEncKid
	}
	if o.pub == nil {
		o.pub = &keys().bank.PublicKey
	}
	eo := &jose.EncrypterOptions{}
	if o.cty != "" {
		eo = eo.WithContentType(jose.ContentType(o.cty))
	}
	if o.zip {
		eo.Compression = jose.DEFLATE
	}
	for k, v := range o.hdrs {
		eo = eo.WithHeader(k, v)
	}
	e, err := jose.NewEncrypter(o.enc, jose.Recipient{Algorithm: o.alg, Key: o.pub, KeyID: o.kid}, eo)
	if err != nil {
		t.Fatalf("encrypter: %v", err)
	}
	obj, err := e.Encrypt([]byte(plaintext))
	if err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return out
}

// obj parses a JSON fixture into a mutable tree.
func obj(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return m
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

// set assigns v at path ("a.b[0].c") in a tree from obj; del removes it.
func set(t testing.TB, root map[string]any, path string, v any) {
	t.Helper()
	walkPath(t, root, path, v, false)
}
func del(t testing.TB, root map[string]any, path string) {
	t.Helper()
	walkPath(t, root, path, nil, true)
}

func walkPath(t testing.TB, root map[string]any, path string, v any, remove bool) {
	t.Helper()
	parts := strings.Split(path, ".")
	var cur any = root
	for i, p := range parts {
		name, idx := p, -1
		if open := strings.IndexByte(p, '['); open >= 0 {
			name = p[:open]
			n, err := strconv.Atoi(strings.TrimSuffix(p[open+1:], "]"))
			if err != nil {
				t.Fatalf("bad path %q", path)
			}
			idx = n
		}
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("path %q: %q is not an object", path, name)
		}
		last := i == len(parts)-1
		if idx < 0 {
			if last {
				if remove {
					delete(m, name)
				} else {
					m[name] = v
				}
				return
			}
			if _, ok := m[name]; !ok {
				m[name] = map[string]any{}
			}
			cur = m[name]
			continue
		}
		arr, ok := m[name].([]any)
		if !ok || idx >= len(arr) {
			t.Fatalf("path %q: no element %d", path, idx)
		}
		if last {
			if remove {
				m[name] = append(arr[:idx:idx], arr[idx+1:]...)
			} else {
				arr[idx] = v
			}
			return
		}
		cur = arr[idx]
	}
}

// wantViolation asserts err is a *Violation with exactly this rule, code and path.
func wantViolation(t testing.TB, err error, rule int, code, path string) {
	t.Helper()
	v := AsViolation(err)
	if v == nil {
		t.Fatalf("want violation rule %d %s at %q, got %v", rule, code, path, err)
	}
	if v.Rule != rule || v.Code != code || v.Path != path {
		t.Fatalf("want rule %d %s at %q, got rule %d %s at %q (%s)", rule, code, path, v.Rule, v.Code, v.Path, v.Message)
	}
	for _, pii := range []string{ibanA, ibanB, ibanC, "Ivan", "England"} {
		if strings.Contains(v.Error(), pii) {
			t.Fatalf("violation leaks PII: %s", v.Error())
		}
	}
}

func unix(d time.Duration) float64 { return float64(testNow.Add(d).Unix()) }

func ptr[T any](v T) *T { return &v }
