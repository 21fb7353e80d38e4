package sandbox

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// verifiedClaims checks compact is a PS256 JWS by pub with kid and returns its claims.
func verifiedClaims(t *testing.T, compact []byte, pub *rsa.PublicKey, kid string) map[string]any {
	t.Helper()
	jws, err := jose.ParseSignedCompact(string(compact), []jose.SignatureAlgorithm{jose.PS256})
	if err != nil {
		t.Fatalf("not a PS256 JWS: %v", err)
	}
	if got := jws.Signatures[0].Header.KeyID; got != kid {
		t.Fatalf("kid %q, want %q", got, kid)
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// TestEarlySignIsUsedOnlyForTheSameClaimsAndKey: a payment's 201 signed ahead (beside the
// PII decrypt) is sent only when the answer finally chosen has the same claims and the bank
// still signs with the same key; otherwise the final claims are signed then.
func TestEarlySignIsUsedOnlyForTheSameClaimsAndKey(t *testing.T) {
	b := newBank(t, nil)
	now := b.now()
	pending := map[string]any{"Data": map[string]any{"Status": "Pending"}}
	rejected := map[string]any{"Data": map[string]any{"Status": "Rejected"}}
	status := func(claims map[string]any) any {
		return claims["message"].(map[string]any)["Data"].(map[string]any)["Status"]
	}
	b.mu.Lock()
	key := b.sig
	b.mu.Unlock()

	e := b.signEarly("client-1", pending, now)
	got, err := e.sign(b, "client-1", pending, now)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, e.jws) {
		t.Fatal("same claims and key: the early signature was not used")
	}
	if c := verifiedClaims(t, got, &key.priv.PublicKey, key.kid); status(c) != "Pending" || c["aud"].([]any)[0] != "client-1" {
		t.Fatalf("claims %v", c)
	}

	e = b.signEarly("client-1", pending, now)
	got, err = e.sign(b, "client-1", rejected, now)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, e.jws) {
		t.Fatal("other claims: the early signature was sent")
	}
	if c := verifiedClaims(t, got, &key.priv.PublicKey, key.kid); status(c) != "Rejected" {
		t.Fatalf("other claims: sent %v", c)
	}

	e = b.signEarly("client-1", pending, now)
	got, err = e.sign(b, "client-2", pending, now)
	if err != nil {
		t.Fatal(err)
	}
	if c := verifiedClaims(t, got, &key.priv.PublicKey, key.kid); c["aud"].([]any)[0] != "client-2" {
		t.Fatalf("other audience: sent %v", c)
	}

	e = b.signEarly("client-1", pending, now)
	next := &bankKey{priv: testKey(t), use: "sig", alg: "PS256"}
	next.kid = kidOf(t, &next.priv.PublicKey)
	b.mu.Lock()
	b.sig = next
	b.mu.Unlock()
	got, err = e.sign(b, "client-1", pending, now)
	if err != nil {
		t.Fatal(err)
	}
	if c := verifiedClaims(t, got, &next.priv.PublicKey, next.kid); status(c) != "Pending" {
		t.Fatalf("after a key change: %v", c)
	}

	var none *earlySign // claims that did not encode: nothing was signed ahead
	got, err = none.sign(b, "client-1", rejected, now)
	if err != nil {
		t.Fatal(err)
	}
	if c := verifiedClaims(t, got, &next.priv.PublicKey, next.kid); status(c) != "Rejected" {
		t.Fatalf("without an early signature: %v", c)
	}
}
