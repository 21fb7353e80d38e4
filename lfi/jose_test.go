package lfi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func decodeHeader(t *testing.T, compact string) map[string]any {
	t.Helper()
	var h map[string]any
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(compact, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNewSignerRejectsWeakOrNonRSAKeys(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSigner(small, "k"); err == nil {
		t.Error("1024-bit key accepted")
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := NewSigner(ec, "k"); err == nil {
		t.Error("EC key accepted for PS256")
	}
	testKeys(t)
	if _, err := NewSigner(tppKey, ""); err == nil {
		t.Error("empty kid accepted")
	}
}

func TestSignerMakesPS256WithKid(t *testing.T) {
	s := testSigner(t)
	jws, err := s.Sign([]byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	h := decodeHeader(t, jws)
	if h["alg"] != "PS256" || h["kid"] != "tpp-kid" || len(h) != 2 {
		t.Fatalf("header = %v, want exactly alg PS256 and kid", h)
	}
	obj, err := jose.ParseSignedCompact(jws, []jose.SignatureAlgorithm{jose.PS256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := obj.Verify(&tppKey.PublicKey)
	if err != nil || string(payload) != `{"a":1}` {
		t.Fatalf("verify: %v %s", err, payload)
	}
	if strings.Contains(s.String(), "N:") || !strings.Contains(s.String(), "tpp-kid") {
		t.Errorf("String() = %q", s.String())
	}
}

func TestSealPIIRoundTrip(t *testing.T) {
	s := testSigner(t)
	pii := []byte(`{"Initiation":{"Creditor":{"CreditorAccount":{"SchemeName":"IBAN","Identification":"AE070331234567890123456","Name":{"en":"A B"}}}},"Risk":{}}`)
	jwe, err := SealPII(s, EncryptionKey{KeyID: "bank-enc-1", Key: &bankEnc.PublicKey}, pii)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(jwe, "."); n != 4 {
		t.Fatalf("JWE has %d dots, want 4", n)
	}
	h := decodeHeader(t, jwe)
	if h["alg"] != "RSA-OAEP-256" || h["enc"] != "A256GCM" || h["kid"] != "bank-enc-1" {
		t.Fatalf("JWE header = %v", h)
	}
	if _, has := h["cty"]; has {
		t.Errorf("JWE header has cty (the UAE samples omit it): %v", h)
	}
	obj, err := jose.ParseEncryptedCompact(jwe, []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatal(err)
	}
	inner, err := obj.Decrypt(bankEnc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obj.Decrypt(bankEnc2); err == nil {
		t.Error("decrypted with the wrong key")
	}
	sig, err := jose.ParseSignedCompact(string(inner), []jose.SignatureAlgorithm{jose.PS256})
	if err != nil {
		t.Fatal(err)
	}
	if sig.Signatures[0].Protected.KeyID != "tpp-kid" {
		t.Errorf("inner kid = %q", sig.Signatures[0].Protected.KeyID)
	}
	payload, err := sig.Verify(&tppKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if string(payload) != string(pii) {
		t.Errorf("payload changed: %s", payload)
	}
	for _, bad := range []string{``, `[]`, `"x"`, `{"a":`, `null`} {
		if _, err := SealPII(s, EncryptionKey{KeyID: "k", Key: &bankEnc.PublicKey}, []byte(bad)); err == nil {
			t.Errorf("SealPII(%q) accepted", bad)
		}
	}
	if _, err := SealPII(s, EncryptionKey{}, pii); err == nil {
		t.Error("SealPII without a key accepted")
	}
}

func TestSignMessageEnvelope(t *testing.T) {
	s := testSigner(t)
	msg := `{"Data":{"ConsentId":"c-1"}}`
	b, err := SignMessage(s, "client-1", "https://issuer", testNow, []byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := jose.ParseSignedCompact(string(b), []jose.SignatureAlgorithm{jose.PS256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := obj.Verify(&tppKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	var cl map[string]json.RawMessage
	if err := json.Unmarshal(payload, &cl); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"iss": `"client-1"`, "aud": `["https://issuer"]`, "message": msg,
		"iat": "1795341600", "nbf": "1795341590", "exp": "1795341900"}
	if len(cl) != len(want) {
		t.Errorf("claims %v, want exactly %v", keys(cl), want)
	}
	for k, v := range want {
		if string(cl[k]) != v {
			t.Errorf("%s = %s, want %s", k, cl[k], v)
		}
	}
	if _, err := SignMessage(s, "c", "i", testNow, []byte(`[1]`)); err == nil {
		t.Error("non-object message accepted")
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestVerifyCompact(t *testing.T) {
	testKeys(t)
	good := map[string]any{"iss": "bank", "exp": testNow.Add(time.Minute).Unix(), "nbf": testNow.Unix() - 10, "message": map[string]any{"x": 1}}
	opts := VerifyOptions{Now: testNow, Issuer: "bank"}
	ok := signWith(t, bankSig, "k1", good)
	v, err := VerifyCompact([]byte(ok), &bankSig.PublicKey, opts)
	if err != nil {
		t.Fatal(err)
	}
	if v.KeyID != "k1" || string(v.Message) != `{"x":1}` || v.Issuer != "bank" {
		t.Errorf("verified = %+v", v)
	}

	rs256 := func() string {
		sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: bankSig, KeyID: "k1"}}, nil)
		obj, _ := sig.Sign([]byte(`{"exp":9999999999}`))
		s, _ := obj.CompactSerialize()
		return s
	}()
	hs256 := func() string {
		sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
		obj, _ := sig.Sign([]byte(`{"exp":9999999999}`))
		s, _ := obj.CompactSerialize()
		return s
	}()
	b64 := base64.RawURLEncoding.EncodeToString
	none := b64([]byte(`{"alg":"none","kid":"k1"}`)) + "." + b64([]byte(`{"exp":9999999999}`)) + "."
	parts := strings.Split(ok, ".")
	tampered := parts[0] + "." + b64([]byte(`{"iss":"bank","exp":9999999999}`)) + "." + parts[2]

	cases := map[string]struct {
		jws  string
		opts VerifyOptions
	}{
		"wrong key":      {signWith(t, x, "k1", good), opts},
		"RS256":          {rs256, opts},
		"HS256":          {hs256, opts},
		"alg none":       {none, opts},
		"tampered":       {tampered, opts},
		"no kid":         {signWith(t, bankSig, "", good), opts},
		"expired":        {signWith(t, bankSig, "k1", map[string]any{"iss": "bank", "exp": testNow.Add(-time.Minute).Unix()}), opts},
		"no exp":         {signWith(t, bankSig, "k1", map[string]any{"iss": "bank"}), opts},
		"exp string":     {signWith(t, bankSig, "k1", map[string]any{"iss": "bank", "exp": "soon"}), opts},
		"nbf future":     {signWith(t, bankSig, "k1", map[string]any{"iss": "bank", "exp": testNow.Add(time.Hour).Unix(), "nbf": testNow.Add(time.Hour).Unix()}), opts},
		"iss mismatch":   {signWith(t, bankSig, "k1", map[string]any{"iss": "evil", "exp": testNow.Add(time.Hour).Unix()}), opts},
		"iss missing":    {signWith(t, bankSig, "k1", map[string]any{"exp": testNow.Add(time.Hour).Unix()}), opts},
		"payload array":  {signWith(t, bankSig, "k1", []int{1}), opts},
		"JSON not JWS":   {`{"message":{}}`, opts},
		"JWE not JWS":    {"a.b.c.d.e", opts},
		"empty":          {"", opts},
		"JSON serialize": {`{"payload":"e30","signatures":[]}`, opts},
	}
	for name, tc := range cases {
		if _, err := VerifyCompact([]byte(tc.jws), &bankSig.PublicKey, tc.opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := VerifyCompact([]byte(ok), &bankSig.PublicKey, VerifyOptions{}); err == nil {
		t.Error("verified without a clock")
	}
	// Within leeway is accepted: the bank's clock may be a few seconds off.
	skew := signWith(t, bankSig, "k1", map[string]any{"iss": "bank", "exp": testNow.Add(-10 * time.Second).Unix()})
	if _, err := VerifyCompact([]byte(skew), &bankSig.PublicKey, opts); err != nil {
		t.Errorf("10 s expired rejected despite leeway: %v", err)
	}
}
