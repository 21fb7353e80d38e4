package consent

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

func testRequestInput(t *testing.T) RequestObjectInput {
	t.Helper()
	ad, err := BuildAuthorizationDetails(testParams(), testJWE, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return RequestObjectInput{
		ClientID: "payterm-client", Issuer: "https://auth1.bank.example", RedirectURI: "https://wallet.example/cb",
		Scope: "payments openid", CodeChallenge: S256Challenge("verifier-verifier-verifier-verifier-verifier"),
		State: "9b2d1a8c-4f6e-4a3b-8c1d-2e3f4a5b6c7d", Nonce: "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
		AuthorizationDetails: ad, Now: testNow,
	}
}

func TestRequestObjectClaimsExact(t *testing.T) {
	c, err := NewRequestObjectClaims(testRequestInput(t))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(c)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := "aud authorization_details client_id code_challenge code_challenge_method exp iss nbf nonce redirect_uri response_type scope state"
	if strings.Join(keys, " ") != want {
		t.Errorf("claims = %v\nwant exactly %s (no iat, no jti)", keys, want)
	}
	if c.Iss != "payterm-client" || c.ClientID != c.Iss {
		t.Error("iss must equal client_id")
	}
	if _, isString := m["aud"].(string); !isString || c.Aud != "https://auth1.bank.example" {
		t.Error("aud must be the issuer as a single string")
	}
	if c.Nbf != testNow.Unix()-10 || c.Exp-c.Nbf != 300 {
		t.Errorf("nbf = now%+d, exp-nbf = %d; want now-10 and 300", c.Nbf-testNow.Unix(), c.Exp-c.Nbf)
	}
	if c.ResponseType != "code" || c.CodeChallengeMethod != "S256" {
		t.Error("response_type / code_challenge_method")
	}
}

func TestRequestObjectRejects(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*RequestObjectInput)
		field string
	}{
		{"no client", func(in *RequestObjectInput) { in.ClientID = "" }, "client_id"},
		{"no issuer", func(in *RequestObjectInput) { in.Issuer = "" }, "aud"},
		{"no redirect", func(in *RequestObjectInput) { in.RedirectURI = "" }, "redirect_uri"},
		{"relative redirect", func(in *RequestObjectInput) { in.RedirectURI = "/cb" }, "redirect_uri"},
		{"http redirect", func(in *RequestObjectInput) { in.RedirectURI = "http://wallet.example/cb" }, "redirect_uri"},
		{"custom scheme", func(in *RequestObjectInput) { in.RedirectURI = "payterm://cb" }, "redirect_uri"},
		{"fragment", func(in *RequestObjectInput) { in.RedirectURI = "https://wallet.example/cb#x" }, "redirect_uri"},
		{"userinfo", func(in *RequestObjectInput) { in.RedirectURI = "https://u:p@wallet.example/cb" }, "redirect_uri"},
		{"bad scope", func(in *RequestObjectInput) { in.Scope = "openid" }, "scope"},
		{"extra scope", func(in *RequestObjectInput) { in.Scope = "payments openid offline_access" }, "scope"},
		{"short challenge", func(in *RequestObjectInput) { in.CodeChallenge = "abc" }, "code_challenge"},
		{"padded challenge", func(in *RequestObjectInput) { in.CodeChallenge = strings.Repeat("a", 42) + "=" }, "code_challenge"},
		{"bad state", func(in *RequestObjectInput) { in.State = "state" }, "state"},
		{"bad nonce", func(in *RequestObjectInput) { in.Nonce = "" }, "nonce"},
		{"no details", func(in *RequestObjectInput) { in.AuthorizationDetails = nil }, "authorization_details"},
		{"two details", func(in *RequestObjectInput) {
			in.AuthorizationDetails = append(in.AuthorizationDetails, in.AuthorizationDetails[0])
		}, "authorization_details"},
		{"no clock", func(in *RequestObjectInput) { in.Now = time.Time{} }, "nbf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testRequestInput(t)
			tt.mod(&in)
			_, err := NewRequestObjectClaims(in)
			wantFieldErr(t, err, tt.field)
		})
	}
	in := testRequestInput(t)
	in.RedirectURI = "http://127.0.0.1:8123/callback"
	if _, err := NewRequestObjectClaims(in); err != nil {
		t.Errorf("http loopback redirect rejected: %v", err)
	}
}

func TestPKCE(t *testing.T) {
	p, err := NewPKCE(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	v := p.Verifier.Reveal()
	if len(v) < 43 || len(v) > 128 || strings.Trim(v, base64URLAlphabet) != "" {
		t.Errorf("verifier has length %d or characters outside the unreserved set", len(v))
	}
	if p.Challenge != S256Challenge(v) || len(p.Challenge) != 43 {
		t.Error("challenge")
	}
	// Expected value computed independently (Python hashlib + urlsafe_b64encode, padding stripped).
	if got := S256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r2wW1gFWFOEjXk"); got != "dZrJz5b___3oA5uVny1DZqEO9NM98brdg_f4AEY03Bc" {
		t.Errorf("S256 of the fixed vector = %s", got)
	}
	q, _ := NewPKCE(rand.Reader)
	if q.Verifier == p.Verifier {
		t.Error("two verifiers are equal")
	}
	if _, err := NewPKCE(bytes.NewReader(make([]byte, 5))); err == nil {
		t.Error("short randomness must fail")
	}
	for _, s := range []string{p.Verifier.String(), p.Verifier.GoString()} {
		if strings.Contains(s, v) {
			t.Error("verifier leaks through String")
		}
	}
}

func TestAuthorizationURL(t *testing.T) {
	got, err := AuthorizationURL("https://auth1.bank.example/auth", "payterm-client", "urn:ietf:params:oauth:request_uri:abc&x=1")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	q := u.Query()
	if len(q) != 4 || q.Get("client_id") != "payterm-client" || q.Get("response_type") != "code" ||
		q.Get("scope") != "openid" || q.Get("request_uri") != "urn:ietf:params:oauth:request_uri:abc&x=1" {
		t.Errorf("query = %v, want exactly client_id, response_type=code, scope=openid, request_uri", q)
	}
	if u.Scheme != "https" || u.Host != "auth1.bank.example" || u.Path != "/auth" {
		t.Errorf("url = %s", got)
	}
	for _, bad := range []struct{ ep, id, ru string }{
		{"https://auth1.bank.example/auth?x=1", "c", "r"},
		{"https://auth1.bank.example/auth#f", "c", "r"},
		{"http://auth1.bank.example/auth", "c", "r"},
		{"/auth", "c", "r"},
		{"https://auth1.bank.example/auth", "", "r"},
		{"https://auth1.bank.example/auth", "c", ""},
	} {
		if _, err := AuthorizationURL(bad.ep, bad.id, bad.ru); err == nil {
			t.Errorf("AuthorizationURL(%q, %q, %q) accepted", bad.ep, bad.id, bad.ru)
		}
	}
}
