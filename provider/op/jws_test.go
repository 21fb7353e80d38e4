package op

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// The hash examples of ../shared/specs/psd2/vectors.md: seed 000's worked s_hash, and OIDC
// Core's appendix c_hash and at_hash.
func TestHalfHashVectors(t *testing.T) {
	for _, c := range []struct{ value, want string }{
		{"bb16b497-097f-4528-9380-4305eb760232", "mHx3-CzvXrrDYpBNouXYdQ"},
		{"Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk", "LDktKdoQak3Pk0cnXxCltA"},
		{"jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "77QmUPtjPfzWtF2AnpK9RQ"},
	} {
		for _, alg := range []string{"RS256", "ES256", "PS256"} {
			got, err := HalfHash(alg, c.value)
			if err != nil || got != c.want {
				t.Fatalf("%s(%s) = %q %v, want %q", alg, c.value, got, err, c.want)
			}
		}
	}
	// ES384 takes SHA-384's left 24 bytes, not SHA-256's.
	h384, _ := HalfHash("ES384", "bb16b497-097f-4528-9380-4305eb760232")
	if len(h384) != 32 || h384 == "mHx3-CzvXrrDYpBNouXYdQ" {
		t.Fatalf("ES384 hash %q", h384)
	}
	if _, err := HalfHash("HS256", "x"); err == nil {
		t.Fatal("HS256 accepted")
	}
}

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// verifyByHand checks a detached JWS with the standard library only (not go-jose, which the
// client signs with): header..sig over BASE64URL(header) "." BASE64URL(body).
func verifyByHand(t *testing.T, sig string, body []byte, pub crypto.PublicKey) map[string]any {
	t.Helper()
	parts := strings.Split(sig, ".")
	if len(parts) != 3 || parts[1] != "" {
		t.Fatalf("not header..signature: %q", sig)
	}
	hdrRaw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	var hdr map[string]any
	if err := json.Unmarshal(hdrRaw, &hdr); err != nil {
		t.Fatal(err)
	}
	input := parts[0] + "." + base64.RawURLEncoding.EncodeToString(body)
	digest := sha256.Sum256([]byte(input))
	s, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if len(s) != 64 || !ecdsa.Verify(k, digest[:], new(big.Int).SetBytes(s[:32]), new(big.Int).SetBytes(s[32:])) {
			t.Fatal("ES256 signature does not verify by hand")
		}
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], s); err != nil {
			t.Fatal("RS256 signature does not verify by hand")
		}
	}
	return hdr
}

func TestDetachedSignatureVerifiesByHandAndWithGoJose(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, c := range []struct {
		key crypto.Signer
		alg string
	}{{ecKey(t), "ES256"}, {rk, "RS256"}} {
		k, err := newSigningKey(c.key, "qseal-1")
		if err != nil {
			t.Fatal(err)
		}
		body := []byte(`{"amountEUR":"4.00","payee":{"iban":"FI4950009420028730","name":"Test_Person"}}`)
		sig, err := k.detached(body)
		if err != nil {
			t.Fatal(err)
		}
		hdr := verifyByHand(t, sig, body, c.key.Public())
		if hdr["alg"] != c.alg || hdr["kid"] != "qseal-1" || len(hdr) != 2 {
			t.Fatalf("protected header %v", hdr)
		}
		// go-jose (which the client does not sign with) agrees.
		obj, err := jose.ParseDetached(sig, body, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(c.alg)})
		if err != nil {
			t.Fatal(err)
		}
		if err := obj.DetachedVerify(body, c.key.Public()); err != nil {
			t.Fatal(err)
		}
		// Many signatures: r and s with leading zero bytes are padded, not shortened.
		for i := range 64 {
			b := append(body, byte(i))
			s, err := k.detached(b)
			if err != nil {
				t.Fatal(err)
			}
			verifyByHand(t, s, b, c.key.Public())
		}
		// One byte more in the body and it no longer verifies.
		if err := verifyDetached(sig, append(body, ' '), &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: c.key.Public(), KeyID: "qseal-1"}}}); err == nil {
			t.Fatal("a changed body verified")
		}
		if err := verifyDetached(sig, body, &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: c.key.Public(), KeyID: "qseal-1"}}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSigningKeyRefusesWeakKeys(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for _, k := range []crypto.Signer{small, p384} {
		if _, err := newSigningKey(k, "kid"); err == nil {
			t.Fatalf("%T accepted", k)
		}
	}
	if _, err := newSigningKey(ecKey(t), "a kid"); err == nil {
		t.Fatal("kid with a space accepted")
	}
}

func TestVerifyDetachedRefuses(t *testing.T) {
	k := ecKey(t)
	sk, _ := newSigningKey(k, "op-1")
	body := []byte(`{"status":"Accepted"}`)
	sig, _ := sk.detached(body)
	keys := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.Public(), KeyID: "op-1"}}}
	other := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ecKey(t).Public(), KeyID: "op-1"}}}
	wrongKid := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.Public(), KeyID: "op-2"}}}
	attached := strings.Replace(sig, "..", "."+base64.RawURLEncoding.EncodeToString(body)+".", 1)
	for name, c := range map[string]struct {
		sig  string
		keys *jose.JSONWebKeySet
	}{"none": {"", keys}, "other key": {sig, other}, "kid": {sig, wrongKid}, "attached": {attached, keys}, "garbage": {"a..b", keys}} {
		if err := verifyDetached(c.sig, body, c.keys); err == nil {
			t.Fatalf("%s: verified", name)
		}
	}
}

func testBank(t *testing.T, opKey *ecdsa.PrivateKey) *Bank {
	t.Helper()
	jwks := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: opKey.Public(), KeyID: "op-1", Algorithm: "ES256"}}}
	b, err := New(Config{Name: "OP", APIBase: "https://mtls-apis.op.example", AuthorizeURL: "https://authorize.op.example/oauth/authorize",
		ClientID: "client-1", ClientSecret: "secret", APIKey: "key-1", Key: ecKey(t), KeyID: "tpp-1",
		RedirectURI: "https://wallet.example/op/back", PaymentKeys: jwks, IDTokenKeys: jwks, HTTP: &httpNoNet,
		Clock: func() time.Time { return time.Unix(1_800_000_000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The authorize address's query values equal the request object's claims (OP requires it),
// the request object asks for code (not code id_token), acr SCA, authorizationId essential.
func TestAuthorizeURLMatchesTheRequestObject(t *testing.T) {
	b := testBank(t, ecKey(t))
	raw, err := b.authorizeURL("auth-1", "st-1", "n-1")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	obj, err := jose.ParseSigned(q.Get("request"), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if obj.Signatures[0].Header.KeyID != "tpp-1" || obj.Signatures[0].Header.ExtraHeaders["typ"] != "JWT" {
		t.Fatalf("header %+v", obj.Signatures[0].Header)
	}
	payload, err := obj.Verify(b.cfg.Key.Public())
	if err != nil {
		t.Fatal(err)
	}
	var ro map[string]any
	json.Unmarshal(payload, &ro)
	for _, k := range []string{"response_type", "client_id", "scope"} {
		if q.Get(k) != ro[k] || len(q[k]) != 1 {
			t.Fatalf("%s: query %q, JWT %v", k, q.Get(k), ro[k])
		}
	}
	if len(q) != 4 || ro["response_type"] != "code" || ro["scope"] != "openid payments" || ro["state"] != "st-1" || ro["nonce"] != "n-1" ||
		ro["redirect_uri"] != "https://wallet.example/op/back" || ro["iss"] != "client-1" || ro["aud"] != "https://mtls-apis.op.example" {
		t.Fatalf("request object %v / query %v", ro, q)
	}
	claims := ro["claims"].(map[string]any)
	idt := claims["id_token"].(map[string]any)
	ui := claims["userinfo"].(map[string]any)
	for _, a := range []any{idt["authorizationId"], ui["authorizationId"]} {
		m := a.(map[string]any)
		if m["value"] != "auth-1" || m["essential"] != true {
			t.Fatalf("authorizationId claim %v", m)
		}
	}
	acr := idt["acr"].(map[string]any)
	if acr["essential"] != true || acr["values"].([]any)[0] != ACRSCA {
		t.Fatalf("acr %v", acr)
	}
}
