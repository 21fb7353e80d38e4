package op

import (
	"crypto/ecdsa"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// httpNoNet is a client that fails every call: unit tests that must not reach a network.
var httpNoNet = http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, http.ErrServerClosed })}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func idToken(t *testing.T, k *ecdsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(claims)
	obj, err := s.Sign(raw)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := obj.CompactSerialize()
	return out
}

func TestCheckIDTokenEveryClaim(t *testing.T) {
	k := ecKey(t)
	keys := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.Public(), KeyID: "op-oidc"}}}
	now := time.Unix(1_800_000_000, 0)
	at, rt := "access-abc", "refresh-def"
	atH, _ := HalfHash("ES256", at)
	rtH, _ := HalfHash("ES256", rt)
	good := func() map[string]any {
		return map[string]any{"iss": "https://authorize.op.example", "sub": "auth-1", "authorizationId": "auth-1", "aud": "client-1",
			"acr": ACRSCA, "nonce": "n-1", "iat": now.Unix() - 5, "exp": now.Unix() + 600, "at_hash": atH, "rt_hash": rtH}
	}
	want := IDTokenWant{Issuer: "https://authorize.op.example", ClientID: "client-1", Nonce: "n-1", AuthorizationID: "auth-1", ACR: ACRSCA,
		AccessToken: at, RefreshToken: rt, Now: now}
	if err := CheckIDToken(idToken(t, k, "op-oidc", good()), keys, want); err != nil {
		t.Fatal(err)
	}
	// An aud list holding the client is fine.
	g := good()
	g["aud"] = []string{"other", "client-1"}
	if err := CheckIDToken(idToken(t, k, "op-oidc", g), keys, want); err != nil {
		t.Fatal(err)
	}
	for check, mut := range map[string]func(map[string]any){
		"iss":                     func(c map[string]any) { c["iss"] = "https://evil.example" },
		"aud":                     func(c map[string]any) { c["aud"] = "client-2" },
		"exp":                     func(c map[string]any) { c["exp"] = now.Unix() - 300 },
		"iat":                     func(c map[string]any) { c["iat"] = now.Unix() - 3600 },
		"nonce":                   func(c map[string]any) { c["nonce"] = "n-2" },
		"sub and authorizationId": func(c map[string]any) { c["authorizationId"] = "auth-2" },
		"acr":                     func(c map[string]any) { c["acr"] = ACRCA },
		"at_hash":                 func(c map[string]any) { c["at_hash"] = rtH },
		"rt_hash":                 func(c map[string]any) { delete(c, "rt_hash") },
	} {
		c := good()
		mut(c)
		err := CheckIDToken(idToken(t, k, "op-oidc", c), keys, want)
		if ie, ok := err.(*IDTokenError); !ok || ie.Check != check {
			t.Fatalf("%s: %v", check, err)
		}
	}
	// Sub alone wrong.
	c := good()
	c["sub"] = "auth-2"
	if err := CheckIDToken(idToken(t, k, "op-oidc", c), keys, want); err == nil {
		t.Fatal("sub other than the bundle accepted")
	}
	// Another key, same kid: the signature fails.
	if err := CheckIDToken(idToken(t, ecKey(t), "op-oidc", good()), keys, want); err == nil {
		t.Fatal("signature by another key accepted")
	}
	// Redirect hashes: c_hash and s_hash with the seed's worked state.
	c = good()
	c["s_hash"] = "mHx3-CzvXrrDYpBNouXYdQ"
	c["c_hash"], _ = HalfHash("ES256", "code-1")
	w2 := want
	w2.AccessToken, w2.RefreshToken, w2.State, w2.Code = "", "", "bb16b497-097f-4528-9380-4305eb760232", "code-1"
	if err := CheckIDToken(idToken(t, k, "op-oidc", c), keys, w2); err != nil {
		t.Fatal(err)
	}
	w2.State = "bb16b497-097f-4528-9380-4305eb760233"
	if err := CheckIDToken(idToken(t, k, "op-oidc", c), keys, w2); err == nil {
		t.Fatal("s_hash of another state accepted")
	}
}
