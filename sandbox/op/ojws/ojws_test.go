package ojws

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// Proof from outside: JWS made by go-jose (a JOSE implementation this package does not use)
// verify here, and this package's JWKS and signatures read in go-jose.
func TestAgreesWithGoJose(t *testing.T) {
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ek.Public(), KeyID: "ec"}, {Key: rk.Public(), KeyID: "rsa"}}})
	keys, err := ParseJWKS(set)
	if err != nil || len(keys) != 2 {
		t.Fatalf("%v %v", keys, err)
	}
	body := []byte(`{"amountEUR":"4.00"}`)
	for _, c := range []struct {
		alg jose.SignatureAlgorithm
		key any
		kid string
	}{{jose.ES256, ek, "ec"}, {jose.RS256, rk, "rsa"}} {
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: c.alg, Key: jose.JSONWebKey{Key: c.key, KeyID: c.kid}}, nil)
		obj, _ := s.Sign(body)
		det, _ := obj.DetachedCompactSerialize()
		if _, err := VerifyDetached(det, body, keys); err != nil {
			t.Fatalf("%s detached: %v", c.alg, err)
		}
		if _, err := VerifyDetached(det, append(body, ' '), keys); err == nil {
			t.Fatalf("%s: another body verified", c.alg)
		}
		comp, _ := obj.CompactSerialize()
		if _, p, err := VerifyCompact(comp, keys); err != nil || string(p) != string(body) {
			t.Fatalf("%s compact: %v", c.alg, err)
		}
	}
	// The bank's own signatures and JWKS, read by go-jose.
	sg := &Signer{Key: ek, KID: "bank-1"}
	var bankSet jose.JSONWebKeySet
	if err := json.Unmarshal(sg.JWKS(), &bankSet); err != nil || len(bankSet.Key("bank-1")) != 1 {
		t.Fatalf("%v", err)
	}
	det, _ := sg.Detached(body)
	obj, err := jose.ParseDetached(det, body, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || obj.DetachedVerify(body, bankSet.Key("bank-1")[0].Key) != nil {
		t.Fatalf("go-jose does not verify the bank's answer signature: %v", err)
	}
	jwt, _ := sg.JWT(map[string]any{"sub": "a"})
	obj, err = jose.ParseSigned(jwt, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obj.Verify(&ek.PublicKey); err != nil {
		t.Fatal(err)
	}
}

func TestParseJWKSRefuses(t *testing.T) {
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, set := range map[string]jose.JSONWebKeySet{
		"private": {Keys: []jose.JSONWebKey{{Key: ek, KeyID: "k"}}},
		"P-384":   {Keys: []jose.JSONWebKey{{Key: p384.Public(), KeyID: "k"}}},
		"1024":    {Keys: []jose.JSONWebKey{{Key: small.Public(), KeyID: "k"}}},
		"no kid":  {Keys: []jose.JSONWebKey{{Key: ek.Public()}}},
		"alg":     {Keys: []jose.JSONWebKey{{Key: ek.Public(), KeyID: "k", Algorithm: "RS256"}}},
		"dup":     {Keys: []jose.JSONWebKey{{Key: ek.Public(), KeyID: "k"}, {Key: ek.Public(), KeyID: "k"}}},
	} {
		raw, _ := json.Marshal(set)
		if _, err := ParseJWKS(raw); err == nil {
			t.Fatalf("%s accepted", name)
		}
	}
	if _, err := ParseJWKS([]byte(`{"keys":[]}`)); err == nil {
		t.Fatal("empty set accepted")
	}
}

func TestVerifyRefusesAlgNoneAndCrit(t *testing.T) {
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sg := &Signer{Key: ek, KID: "k"}
	keys, _ := ParseJWKS(sg.JWKS())
	det, _ := sg.Detached([]byte("x"))
	for _, hdr := range []string{`{"alg":"none","kid":"k"}`, `{"alg":"ES256","kid":"k","crit":["b64"],"b64":false}`, `{"alg":"ES256"}`} {
		if _, err := VerifyDetached(b64.EncodeToString([]byte(hdr))+".."+strings.SplitN(det, "..", 2)[1], []byte("x"), keys); err == nil {
			t.Fatalf("%s accepted", hdr)
		}
	}
}
