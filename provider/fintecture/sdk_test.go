package fintecture

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
)

// sdkFixture is testdata/sdk-signature.json: the headers Fintecture's own Node SDK built for
// one request (its _provenance field says exactly how). The key is a test-only key made for
// this comparison (testdata/sdk-proof-key.pem); it signs nothing else.
type sdkFixture struct {
	AppID   string            `json:"app_id"`
	KeyFile string            `json:"key_file"`
	Method  string            `json:"method"`
	Target  string            `json:"target"`
	Body    string            `json:"body"`
	Headers map[string]string `json:"headers"`
}

// TestSignatureMatchesFintectureSDK is the proof from outside: for the same key, request,
// Date and X-Request-ID, payterm's client builds the same Digest and byte-for-byte the same
// Signature header as Fintecture's published SDK (fintecture-sdk-javascript 19913fc,
// src/services/ApiService.ts getHeaders → src/utils/Crypto.ts createSignatureHeader):
// RSASSA-PKCS1-v1_5 is deterministic, so one differing byte in the signing string (the
// method's case, the raw query, a header's order or spelling) changes the signature.
func TestSignatureMatchesFintectureSDK(t *testing.T) {
	raw, err := os.ReadFile("testdata/sdk-signature.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx sdkFixture
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	pemRaw, err := os.ReadFile("testdata/" + fx.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(pemRaw)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	// The SDK ran with X-Request-ID 10111213-1415-4617-9819-1a1b1c1d1e1f and state
	// 000102…0e0f: what this client draws from the bytes 0x00, 0x01, … (state first, then the
	// UUID v4 with its version and variant bits set).
	seq := make([]byte, 64)
	for i := range seq {
		seq[i] = byte(i)
	}
	b, err := New(Config{Name: "Fintecture", APIBase: "https://api-sandbox.fintecture.com", AppID: fx.AppID, AppSecret: "unused",
		Key: k.(*rsa.PrivateKey), RedirectURI: "https://wallet.example/fintecture/back",
		Payer: Payer{Name: "Jane Doe", Email: "jane@example.org", IP: "203.0.113.7"},
		Clock: func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }, Rand: bytes.NewReader(seq)})
	if err != nil {
		t.Fatal(err)
	}
	req, err := b.Build(context.Background(), intent(), provider.Evidence{}, provider.Facts{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := decodeStored(req.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if st.Req.Target != fx.Target || string(st.Req.Body) != fx.Body || st.Req.Method != "POST" || fx.Method != "post" {
		t.Fatalf("not the request the SDK signed:\n%s %s\n%s", st.Req.Method, st.Req.Target, st.Req.Body)
	}
	got := map[string]string{"Date": st.Req.Date, "X-Request-ID": st.Req.RequestID, "Digest": st.Req.Digest, "Signature": st.Req.Signature}
	for name, want := range fx.Headers {
		if got[name] != want {
			t.Errorf("%s\n got  %s\n SDK  %s", name, got[name], want)
		}
	}
	if len(fx.Headers) != 4 {
		t.Fatalf("the fixture holds %d headers, want 4", len(fx.Headers))
	}
}
