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
// still signs with the same key; otherwise the final claims are signed then. take never
// waits: before the early signature is finished it reports it not ready.
func TestEarlySignIsUsedOnlyForTheSameClaimsAndKey(t *testing.T) {
	b := newBank(t, nil)
	now := b.now()
	pending := map[string]any{"Data": map[string]any{"Status": "Pending"}}
	rejected := map[string]any{"Data": map[string]any{"Status": "Rejected"}}
	status := func(claims map[string]any) any {
		return claims["message"].(map[string]any)["Data"].(map[string]any)["Status"]
	}
	final := func(clientID string, msg any) (*bankKey, []byte) {
		t.Helper()
		key, payload, err := b.responseClaims(clientID, msg, now, "")
		if err != nil {
			t.Fatal(err)
		}
		return key, payload
	}
	key, samePayload := final("client-1", pending)

	e := b.signEarly("client-1", pending, now)
	got, err := e.await(final("client-1", pending))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, e.jws) {
		t.Fatal("same claims and key: the early signature was not used")
	}
	if c := verifiedClaims(t, got, &key.priv.PublicKey, key.kid); status(c) != "Pending" || c["aud"].([]any)[0] != "client-1" {
		t.Fatalf("claims %v", c)
	}
	if taken, ok := e.take(key, samePayload); !ok || !bytes.Equal(taken, e.jws) {
		t.Fatal("take: a finished early signature of the same claims was not taken")
	}

	e = b.signEarly("client-1", pending, now)
	otherKey, otherPayload := final("client-1", rejected)
	got, err = e.await(otherKey, otherPayload)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, e.jws) {
		t.Fatal("other claims: the early signature was sent")
	}
	if c := verifiedClaims(t, got, &key.priv.PublicKey, key.kid); status(c) != "Rejected" {
		t.Fatalf("other claims: sent %v", c)
	}
	if _, ok := e.take(otherKey, otherPayload); ok {
		t.Fatal("take: an early signature of other claims was taken")
	}

	e = b.signEarly("client-1", pending, now)
	got, err = e.await(final("client-2", pending))
	if err != nil {
		t.Fatal(err)
	}
	if c := verifiedClaims(t, got, &key.priv.PublicKey, key.kid); c["aud"].([]any)[0] != "client-2" {
		t.Fatalf("other audience: sent %v", c)
	}

	unfinished := &earlySign{key: key, payload: samePayload, done: make(chan struct{})}
	if _, ok := unfinished.take(key, samePayload); ok {
		t.Fatal("take: an unfinished early signature was taken")
	}

	e = b.signEarly("client-1", pending, now)
	next := &bankKey{priv: testKey(t), use: "sig", alg: "PS256"}
	next.kid = kidOf(t, &next.priv.PublicKey)
	b.mu.Lock()
	b.sig = next
	b.mu.Unlock()
	nextKey, nextPayload := final("client-1", pending)
	<-e.done
	if _, ok := e.take(nextKey, nextPayload); ok {
		t.Fatal("take: an early signature by the previous key was taken")
	}
	got, err = e.await(nextKey, nextPayload)
	if err != nil {
		t.Fatal(err)
	}
	if c := verifiedClaims(t, got, &next.priv.PublicKey, next.kid); status(c) != "Pending" {
		t.Fatalf("after a key change: %v", c)
	}

	var none *earlySign // claims that did not encode: nothing was signed ahead
	if _, ok := none.take(nextKey, nextPayload); ok {
		t.Fatal("take: nothing was signed ahead, yet something was taken")
	}
	got, err = none.await(final("client-1", rejected))
	if err != nil {
		t.Fatal(err)
	}
	if c := verifiedClaims(t, got, &next.priv.PublicKey, next.kid); status(c) != "Rejected" {
		t.Fatalf("without an early signature: %v", c)
	}
}
