package lfi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// The id_token negative cases of the OpenID conformance suite's client tests
// (fapi2-security-profile-final-client-test-invalid-*, fapi1-advanced-final-client-test-*),
// reproduced by minting tokens with test keys.

const (
	idtIssuer   = "https://bank.example/issuer"
	idtClient   = "client-1"
	idtNonce    = "3f0e5a0c-9a43-4d63-a0f1-6c2d1f7d9b11"
	idtState    = "6a1c7e52-2b7d-4c8e-9f51-0d2a8e3b4c77"
	idtCode     = "auth-code-7Qx9"
	idtAccess   = "access-token-Zp3"
	idtSubject  = "c5c1f6f4-4f61-4c7e-8c5a-9f1d2b3e4a55"
	idtGoodKid  = "bank-sig-1"
	idtLeakMark = "LEAKMARK"
)

func idtClaims() map[string]any {
	return map[string]any{"iss": idtIssuer, "sub": idtSubject, "aud": idtClient, "iat": testNow.Unix(),
		"exp": testNow.Add(10 * time.Minute).Unix(), "nonce": idtNonce}
}

func idtOptions() IDTokenOptions {
	return IDTokenOptions{Issuer: idtIssuer, ClientID: idtClient, Now: testNow,
		Expect: IDTokenExpectations{Nonce: idtNonce, State: idtState, Code: idtCode, AccessToken: idtAccess}}
}

// idtKeys is the bank's JWKS as a lookup: only bankSig under idtGoodKid.
func idtKeys(t testing.TB) KeyLookup {
	testKeys(t)
	return func(kid string) (*rsa.PublicKey, error) {
		if kid == idtGoodKid {
			return &bankSig.PublicKey, nil
		}
		return nil, fmt.Errorf("kid %q is %w", kid, errUnknownKid)
	}
}

// mintIDToken signs claims with any go-jose algorithm; kid "" leaves it out of the header.
func mintIDToken(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims any) string {
	t.Helper()
	var k any = key
	if kid != "" {
		k = jose.JSONWebKey{Key: key, KeyID: kid}
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: k}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func goodIDToken(t testing.TB, claims map[string]any) string {
	testKeys(t)
	return mintIDToken(t, jose.PS256, bankSig, idtGoodKid, claims)
}

// unsignedIDToken is an alg:none token (conformance "invalid-null-alg").
func unsignedIDToken(t testing.TB, header, claims any) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "."
}

func with(mod func(map[string]any)) map[string]any {
	c := idtClaims()
	mod(c)
	return c
}

func TestVerifyIDTokenAcceptsValid(t *testing.T) {
	keys := idtKeys(t)
	for name, claims := range map[string]map[string]any{
		"minimal":                  idtClaims(),
		"aud as array":             with(func(c map[string]any) { c["aud"] = []string{idtClient} }), // conformance valid-aud-as-array
		"several aud with our azp": with(func(c map[string]any) { c["aud"] = []string{idtClient, "hub"}; c["azp"] = idtClient }),
		"all hashes right": with(func(c map[string]any) {
			c["s_hash"], c["c_hash"], c["at_hash"] = LeftHalfHash(idtState), LeftHalfHash(idtCode), LeftHalfHash(idtAccess)
		}),
		"no at_hash (positive)": with(func(c map[string]any) { c["s_hash"] = LeftHalfHash(idtState) }),
		"expired within leeway": with(func(c map[string]any) {
			c["iat"] = testNow.Add(-5 * time.Minute).Unix()
			c["exp"] = testNow.Add(-20 * time.Second).Unix()
		}),
		"iat slightly ahead": with(func(c map[string]any) { c["iat"] = testNow.Add(10 * time.Second).Unix() }),
		"iat 10 min old":     with(func(c map[string]any) { c["iat"] = testNow.Add(-maxIDTokenAge).Unix() }),
		"fractional dates":   with(func(c map[string]any) { c["iat"] = float64(testNow.Unix()) + 0.5 }),
		"auth_time and nbf in past": with(func(c map[string]any) {
			c["auth_time"] = testNow.Add(-time.Minute).Unix()
			c["nbf"] = testNow.Unix() - 10
		}),
		"extra claims": with(func(c map[string]any) { c["acr"] = "urn:openbanking:psd2:sca"; c["openbanking_intent_id"] = "x" }),
	} {
		tok, err := VerifyIDToken(goodIDToken(t, claims), keys, idtOptions())
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if tok.Issuer != idtIssuer || tok.Subject != idtSubject || !contains(tok.Audience, idtClient) ||
			tok.KeyID != idtGoodKid || tok.IssuedAt.IsZero() || tok.Expiry.IsZero() {
			t.Errorf("%s: token = %+v", name, tok)
		}
	}
}

func TestVerifyIDTokenRejects(t *testing.T) {
	keys := idtKeys(t)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&bankSig.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	good := goodIDToken(t, idtClaims())
	parts := strings.Split(good, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[0] ^= 0x01
	flipped := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
	otherPayload := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+idtIssuer+`"}`)) + "." + parts[2]

	for _, tc := range []struct {
		name, claim, token string
	}{
		// Signature and header (conformance invalid-signature, invalid-null-alg, invalid-alternate-alg).
		{"invalid signature", "signature", flipped},
		{"payload swapped under a valid signature", "signature", otherPayload},
		{"signed by another key under the bank's kid", "signature", mintIDToken(t, jose.PS256, x, idtGoodKid, idtClaims())},
		{"alg none", "alg", unsignedIDToken(t, map[string]any{"alg": "none", "kid": idtGoodKid}, idtClaims())},
		{"alg none without signature dot", "format", strings.TrimSuffix(unsignedIDToken(t, map[string]any{"alg": "none"}, idtClaims()), ".")},
		{"alg HS256 keyed with the bank's public key", "alg", mintIDToken(t, jose.HS256, pubDER, idtGoodKid, idtClaims())},
		{"alg RS256 with the bank's key", "alg", mintIDToken(t, jose.RS256, bankSig, idtGoodKid, idtClaims())},
		{"alg ES256", "alg", mintIDToken(t, jose.ES256, ec, idtGoodKid, idtClaims())},
		{"alg lower-case ps256", "alg", unsignedIDToken(t, map[string]any{"alg": "ps256", "kid": idtGoodKid}, idtClaims())},
		{"alg missing", "alg", unsignedIDToken(t, map[string]any{"kid": idtGoodKid}, idtClaims())},
		{"kid missing", "kid", mintIDToken(t, jose.PS256, bankSig, "", idtClaims())},
		{"kid empty", "kid", unsignedIDToken(t, map[string]any{"alg": "PS256", "kid": ""}, idtClaims())},
		{"kid unknown", "kid", mintIDToken(t, jose.PS256, x, "ghost-"+idtLeakMark, idtClaims())},
		{"empty", "format", ""},
		{"encrypted (five parts)", "format", "a.b.c.d.e"},
		{"header not base64", "format", "!!!." + parts[1] + "." + parts[2]},
		{"header not JSON", "format", base64.RawURLEncoding.EncodeToString([]byte("[1]")) + "." + parts[1] + "." + parts[2]},
		{"too long", "format", good + strings.Repeat("A", maxIDTokenLen)},
		{"claims not an object", "format", goodIDTokenRaw(t, []byte(`["iss"]`))},
		{"claims with trailing data", "format", goodIDTokenRaw(t, []byte(`{"iss":"x"} {}`))},
		// iss (invalid-iss, invalid-missing-iss).
		{"iss wrong", "iss", goodIDToken(t, with(func(c map[string]any) { c["iss"] = "https://attacker.example/" + idtLeakMark }))},
		{"iss with trailing slash", "iss", goodIDToken(t, with(func(c map[string]any) { c["iss"] = idtIssuer + "/" }))},
		{"iss missing", "iss", goodIDToken(t, with(func(c map[string]any) { delete(c, "iss") }))},
		{"iss only in another case", "iss", goodIDToken(t, with(func(c map[string]any) { c["ISS"] = c["iss"]; delete(c, "iss") }))},
		{"iss not a string", "iss", goodIDToken(t, with(func(c map[string]any) { c["iss"] = 7 }))},
		{"iss null", "iss", goodIDToken(t, with(func(c map[string]any) { c["iss"] = nil }))},
		// aud and azp (invalid-aud, invalid-missing-aud, invalid-secondary-aud).
		{"aud wrong", "aud", goodIDToken(t, with(func(c map[string]any) { c["aud"] = idtClient + idtLeakMark }))},
		{"aud missing", "aud", goodIDToken(t, with(func(c map[string]any) { delete(c, "aud") }))},
		{"aud empty array", "aud", goodIDToken(t, with(func(c map[string]any) { c["aud"] = []string{} }))},
		{"aud empty string", "aud", goodIDToken(t, with(func(c map[string]any) { c["aud"] = "" }))},
		{"aud number", "aud", goodIDToken(t, with(func(c map[string]any) { c["aud"] = 1 }))},
		{"aud array of numbers", "aud", goodIDToken(t, with(func(c map[string]any) { c["aud"] = []int{1} }))},
		{"aud array without us", "aud", goodIDToken(t, with(func(c map[string]any) { c["aud"] = []string{"other", "another"}; c["azp"] = idtClient }))},
		{"secondary aud without azp", "azp", goodIDToken(t, with(func(c map[string]any) { c["aud"] = []string{idtClient, idtClient + "1"} }))},
		{"secondary aud with another azp", "azp", goodIDToken(t, with(func(c map[string]any) { c["aud"] = []string{idtClient, "x"}; c["azp"] = "x" }))},
		{"single aud with another azp", "azp", goodIDToken(t, with(func(c map[string]any) { c["azp"] = "someone-else" }))},
		// exp (invalid-expired-exp, invalid-missing-exp).
		{"expired over 5 min ago", "exp", goodIDToken(t, with(func(c map[string]any) {
			c["iat"] = testNow.Add(-9 * time.Minute).Unix()
			c["exp"] = testNow.Add(-5*time.Minute - time.Second).Unix()
		}))},
		{"expired beyond leeway", "exp", goodIDToken(t, with(func(c map[string]any) {
			c["iat"] = testNow.Add(-5 * time.Minute).Unix()
			c["exp"] = testNow.Add(-clockLeeway).Unix()
		}))},
		{"exp missing", "exp", goodIDToken(t, with(func(c map[string]any) { delete(c, "exp") }))},
		{"exp as a numeric string", "exp", goodIDToken(t, with(func(c map[string]any) { c["exp"] = fmt.Sprint(testNow.Add(time.Hour).Unix()) }))},
		{"exp negative", "exp", goodIDToken(t, with(func(c map[string]any) { c["exp"] = -1 }))},
		{"exp beyond year 9999", "exp", goodIDToken(t, with(func(c map[string]any) { c["exp"] = 1e300 }))},
		{"exp not after iat", "exp", goodIDToken(t, with(func(c map[string]any) { c["exp"] = c["iat"] }))},
		// iat (iat-is-week-in-past, missing iat, future iat).
		{"iat missing", "iat", goodIDToken(t, with(func(c map[string]any) { delete(c, "iat") }))},
		{"iat a week in the past", "iat", goodIDToken(t, with(func(c map[string]any) { c["iat"] = testNow.AddDate(0, 0, -7).Unix() }))},
		{"iat just over the age limit", "iat", goodIDToken(t, with(func(c map[string]any) { c["iat"] = testNow.Add(-maxIDTokenAge - clockLeeway - time.Second).Unix() }))},
		{"iat in the future", "iat", goodIDToken(t, with(func(c map[string]any) { c["iat"] = testNow.Add(2 * time.Minute).Unix() }))},
		{"iat a string", "iat", goodIDToken(t, with(func(c map[string]any) { c["iat"] = "now" }))},
		{"nbf in the future", "nbf", goodIDToken(t, with(func(c map[string]any) { c["nbf"] = testNow.Add(5 * time.Minute).Unix() }))},
		{"auth_time in the future", "auth_time", goodIDToken(t, with(func(c map[string]any) { c["auth_time"] = testNow.Add(5 * time.Minute).Unix() }))},
		// nonce (invalid-nonce, invalid-missing-nonce).
		{"nonce wrong", "nonce", goodIDToken(t, with(func(c map[string]any) { c["nonce"] = idtLeakMark }))},
		{"nonce missing", "nonce", goodIDToken(t, with(func(c map[string]any) { delete(c, "nonce") }))},
		{"nonce only upper-case key", "nonce", goodIDToken(t, with(func(c map[string]any) { c["NONCE"] = idtNonce; delete(c, "nonce") }))},
		{"nonce prefix", "nonce", goodIDToken(t, with(func(c map[string]any) { c["nonce"] = idtNonce[:10] }))},
		// sub.
		{"sub missing", "sub", goodIDToken(t, with(func(c map[string]any) { delete(c, "sub") }))},
		{"sub empty", "sub", goodIDToken(t, with(func(c map[string]any) { c["sub"] = "" }))},
		{"sub too long", "sub", goodIDToken(t, with(func(c map[string]any) { c["sub"] = strings.Repeat("s", 256) }))},
		// Hashes (invalid-shash, invalid-chash).
		{"s_hash of another state", "s_hash", goodIDToken(t, with(func(c map[string]any) { c["s_hash"] = LeftHalfHash(idtState + "x") }))},
		{"s_hash full SHA-256", "s_hash", goodIDToken(t, with(func(c map[string]any) { c["s_hash"] = LeftHalfHash(idtState) + LeftHalfHash(idtState) }))},
		{"c_hash of another code", "c_hash", goodIDToken(t, with(func(c map[string]any) { c["c_hash"] = LeftHalfHash("other-code") }))},
		{"c_hash garbage", "c_hash", goodIDToken(t, with(func(c map[string]any) { c["c_hash"] = idtLeakMark }))},
		{"at_hash of another token", "at_hash", goodIDToken(t, with(func(c map[string]any) { c["at_hash"] = LeftHalfHash("other-token") }))},
		{"s_hash not a string", "s_hash", goodIDToken(t, with(func(c map[string]any) { c["s_hash"] = 1 }))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := VerifyIDToken(tc.token, keys, idtOptions())
			if tok != nil || err == nil {
				t.Fatalf("accepted: %+v", tok)
			}
			var ie *IDTokenError
			if !errors.As(err, &ie) || !errors.Is(err, ErrIDTokenInvalid) {
				t.Fatalf("err = %v, want an *IDTokenError", err)
			}
			if ie.Claim != tc.claim {
				t.Fatalf("failed check %q (%v), want %q", ie.Claim, err, tc.claim)
			}
			for _, leak := range []string{idtLeakMark, idtNonce, idtSubject, idtState, idtCode, idtAccess, idtIssuer, "ghost"} {
				if strings.Contains(err.Error(), leak) {
					t.Fatalf("error %q echoes token content %q", err, leak)
				}
			}
		})
	}
}

// goodIDTokenRaw signs an arbitrary payload with the bank's key.
func goodIDTokenRaw(t testing.TB, payload []byte) string {
	t.Helper()
	testKeys(t)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.PS256, Key: jose.JSONWebKey{Key: bankSig, KeyID: idtGoodKid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerifyIDTokenHashCheckedOnlyAgainstAValue(t *testing.T) {
	keys := idtKeys(t)
	opts := idtOptions()
	opts.Expect.Code = ""
	_, err := VerifyIDToken(goodIDToken(t, with(func(c map[string]any) { c["c_hash"] = LeftHalfHash("") })), keys, opts)
	var ie *IDTokenError
	if !errors.As(err, &ie) || ie.Claim != "c_hash" {
		t.Fatalf("c_hash with no code to check: err = %v", err)
	}
}

func TestVerifyIDTokenRequiresPolicy(t *testing.T) {
	keys := idtKeys(t)
	tok := goodIDToken(t, idtClaims())
	for name, mod := range map[string]func(*IDTokenOptions){
		"no clock":     func(o *IDTokenOptions) { o.Now = time.Time{} },
		"no issuer":    func(o *IDTokenOptions) { o.Issuer = "" },
		"no client_id": func(o *IDTokenOptions) { o.ClientID = "" },
		"no nonce":     func(o *IDTokenOptions) { o.Expect.Nonce = "" },
	} {
		o := idtOptions()
		mod(&o)
		if _, err := VerifyIDToken(tok, keys, o); err == nil || errors.Is(err, ErrIDTokenInvalid) {
			t.Errorf("%s: err = %v, want a usage error", name, err)
		}
	}
	if _, err := VerifyIDToken(tok, nil, idtOptions()); err == nil {
		t.Error("nil key lookup accepted")
	}
	// A failure to get the keys is not a verdict on the token.
	down := func(string) (*rsa.PublicKey, error) { return nil, errors.New("JWKS: connection refused") }
	if _, err := VerifyIDToken(tok, down, idtOptions()); err == nil || errors.Is(err, ErrIDTokenInvalid) {
		t.Errorf("JWKS down: err = %v", err)
	}
}

func TestIDTokenPrintsWithoutSubject(t *testing.T) {
	tok, err := VerifyIDToken(goodIDToken(t, idtClaims()), idtKeys(t), idtOptions())
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("onboarded", "id_token", tok)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), logged.String()} {
		if strings.Contains(s, idtSubject) || !strings.Contains(s, idtIssuer) {
			t.Errorf("printed as %q", s)
		}
	}
}

func TestLeftHalfHash(t *testing.T) {
	// OIDC Core A.3 example: c_hash of code "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
	// for an RS256 (SHA-256) token.
	if got := LeftHalfHash("Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"); got != "LDktKdoQak3Pk0cnXxCltA" {
		t.Fatalf("LeftHalfHash = %q", got)
	}
}

func idTokenFor(t testing.TB, b *stubLFI, mod func(map[string]any)) Secret {
	b.mu.Lock()
	key, kid := b.sigKey, b.sigKid
	b.mu.Unlock()
	c := with(func(c map[string]any) { c["iss"] = b.issuer })
	if mod != nil {
		mod(c)
	}
	return Secret(mintIDToken(t, jose.PS256, key, kid, c))
}

func TestClientVerifyIDTokenWithBankJWKS(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	want := idtOptions().Expect
	ctx := context.Background()
	tok, err := c.VerifyIDToken(ctx, idTokenFor(t, b, nil), want)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Issuer != b.issuer || tok.KeyID != "bank-sig-1" {
		t.Fatalf("token = %+v", tok)
	}
	// iss must be the discovered issuer, not some other URL of the bank.
	_, err = c.VerifyIDToken(ctx, idTokenFor(t, b, func(c map[string]any) { c["iss"] = b.srv.URL }), want)
	if ie := (*IDTokenError)(nil); !errors.As(err, &ie) || ie.Claim != "iss" {
		t.Fatalf("bank URL as iss: %v", err)
	}
	// The enc key is in the same JWKS; a token signed with it under its kid is refused.
	b.mu.Lock()
	encKid := b.encKid
	b.mu.Unlock()
	_, err = c.VerifyIDToken(ctx, Secret(mintIDToken(t, jose.PS256, bankEnc, encKid, with(func(m map[string]any) { m["iss"] = b.issuer }))), want)
	if ie := (*IDTokenError)(nil); !errors.As(err, &ie) || ie.Claim != "kid" {
		t.Fatalf("token under the use=enc kid: %v", err)
	}

	// Signing-key rotation: an unknown kid triggers one JWKS refetch, then verifies.
	b.mu.Lock()
	b.sigKid, b.sigKey = "bank-sig-2", bankEnc2
	hits := b.jwksHits
	b.mu.Unlock()
	if _, err := c.VerifyIDToken(ctx, idTokenFor(t, b, nil), want); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if b.jwksHits != hits+1 {
		t.Fatalf("JWKS fetched %d times after rotation, want 1", b.jwksHits-hits)
	}
	// A kid in no JWKS: exactly one refetch, then an IDTokenError naming kid.
	hits = b.jwksHits
	_, err = c.VerifyIDToken(ctx, Secret(mintIDToken(t, jose.PS256, x, "ghost", with(func(m map[string]any) { m["iss"] = b.issuer }))), want)
	if ie := (*IDTokenError)(nil); !errors.As(err, &ie) || ie.Claim != "kid" {
		t.Fatalf("unknown kid: %v", err)
	}
	if b.jwksHits != hits+1 {
		t.Fatalf("JWKS fetched %d times for an unknown kid, want 1", b.jwksHits-hits)
	}
}

func TestClientVerifyIDTokenUsesInjectedClock(t *testing.T) {
	b := newStubLFI(t)
	now := testNow
	c := newStubClient(t, b, &recorder{}, func() time.Time { return now })
	idt := idTokenFor(t, b, nil) // exp = testNow + 10 min
	if _, err := c.VerifyIDToken(context.Background(), idt, idtOptions().Expect); err != nil {
		t.Fatal(err)
	}
	now = testNow.Add(11 * time.Minute)
	_, err := c.VerifyIDToken(context.Background(), idt, idtOptions().Expect)
	if ie := (*IDTokenError)(nil); !errors.As(err, &ie) || ie.Claim != "exp" {
		t.Fatalf("11 min later: %v", err)
	}
}

func TestClientVerifyIDTokenDiscoveryFailure(t *testing.T) {
	b := newStubLFI(t)
	b.srv.Close()
	c := newStubClient(t, b, &recorder{}, nil)
	_, err := c.VerifyIDToken(context.Background(), Secret(goodIDToken(t, idtClaims())), idtOptions().Expect)
	if err == nil || errors.Is(err, ErrIDTokenInvalid) {
		t.Fatalf("bank unreachable: err = %v", err)
	}
}
