//go:build cgo

package pkcs11key_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/payterm/payterm/internal/pkcs11key"
	"github.com/payterm/payterm/internal/softhsm"
	"github.com/payterm/payterm/lfi"
)

func open(t *testing.T, tok softhsm.Token) *pkcs11key.Token {
	t.Helper()
	tk, err := pkcs11key.Open(pkcs11key.Config{Module: tok.Module, TokenLabel: tok.Label, PIN: []byte(tok.PIN)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = tk.Close() })
	return tk
}

// TestGenerateFindAndSignPS256: a key generated in the token is found again by label and by
// id, and signs PS256 through lfi.Signer (go-jose's opaque signer, salt = hash length) so
// that go-jose and crypto/rsa verify it.
func TestGenerateFindAndSignPS256(t *testing.T) {
	tok := softhsm.Require(t, "payterm-test")
	tk := open(t, tok)
	ref := pkcs11key.KeyRef{Label: "payterm sandbox signing"}
	k, created, err := tk.FindOrGenerate(ref, 2048)
	if err != nil || !created {
		t.Fatalf("FindOrGenerate: created=%v err=%v", created, err)
	}
	again, created, err := tk.FindOrGenerate(ref, 2048)
	if err != nil || created {
		t.Fatalf("the second FindOrGenerate must find the key: created=%v err=%v", created, err)
	}
	if !k.Public().(*rsa.PublicKey).Equal(again.Public()) {
		t.Fatal("found a different key under the same label")
	}
	if bits := k.Public().(*rsa.PublicKey).N.BitLen(); bits != 2048 {
		t.Fatalf("key has %d bits", bits)
	}

	s, err := lfi.NewSigner(k, "kid-1")
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign([]byte(`{"hello":"token"}`))
	if err != nil {
		t.Fatalf("PS256 through the token: %v", err)
	}
	obj, err := jose.ParseSigned(jws, []jose.SignatureAlgorithm{jose.PS256})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := obj.Verify(k.Public()); err != nil || string(out) != `{"hello":"token"}` {
		t.Fatalf("go-jose does not verify the token's PS256: %v", err)
	}
	// The salt is exactly the hash length (what RFC 7518 §3.5 and FAPI verifiers expect).
	parts := strings.Split(jws, ".")
	sig, _ := jose.ParseSigned(jws, []jose.SignatureAlgorithm{jose.PS256})
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPSS(k.Public().(*rsa.PublicKey), crypto.SHA256, digest[:], sig.Signatures[0].Signature,
		&rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256}); err != nil {
		t.Fatalf("PSS salt length is not 32: %v", err)
	}
}

// TestKeysAreNotExtractable: what Generate makes never leaves the token and only signs.
func TestKeysAreNotExtractable(t *testing.T) {
	tok := softhsm.Require(t, "payterm-test")
	tk := open(t, tok)
	k, err := tk.Generate(pkcs11key.KeyRef{Label: "attrs", ID: []byte{1, 2, 3}}, 2048)
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := pkcs11key.Attributes(tk, k)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"sensitive": true, "extractable": false, "sign": true, "decrypt": false, "token": true, "private": true}
	for name, v := range want {
		if got, ok := attrs[name]; !ok || got != v {
			t.Errorf("CKA_%s = %v (present %v), want %v", strings.ToUpper(name), got, ok, v)
		}
	}
	if _, ok := k.(crypto.Decrypter); ok {
		if _, err := k.(crypto.Decrypter).Decrypt(rand.Reader, make([]byte, 256), nil); err == nil {
			t.Error("the signing key decrypts")
		}
	}
}

// TestMTLSThroughTheToken: a TLS 1.3 and a TLS 1.2 client handshake whose CertificateVerify is
// signed by the token key (RSA-PSS in 1.3), against a server that requires a client certificate.
func TestMTLSThroughTheToken(t *testing.T) {
	tok := softhsm.Require(t, "payterm-test")
	tk := open(t, tok)
	k, err := tk.Generate(pkcs11key.KeyRef{Label: "transport"}, 2048)
	if err != nil {
		t.Fatal(err)
	}
	caKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "tpp"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, k.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(r.TLS.PeerCertificates[0].Subject.CommonName))
		}))
		srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MaxVersion: v}
		srv.StartTLS()
		roots := x509.NewCertPool()
		roots.AddCert(srv.Certificate())
		hc, err := lfi.NewMTLSClient(pemCert(leafDER), k, roots)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Get(srv.URL)
		if err != nil {
			t.Fatalf("TLS %x handshake through the token: %v", v, err)
		}
		buf := make([]byte, 16)
		n, _ := resp.Body.Read(buf)
		resp.Body.Close()
		srv.Close()
		if resp.TLS.Version != v || string(buf[:n]) != "tpp" {
			t.Fatalf("TLS %x: got version %x, body %q", v, resp.TLS.Version, buf[:n])
		}
	}
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestOpenErrors: each way a configuration can be wrong gives its own sentinel and a sentence
// that names the module, token or key, and never the PIN.
func TestOpenErrors(t *testing.T) {
	tok := softhsm.Require(t, "payterm-test")
	notLib := filepath.Join(t.TempDir(), "not-a-module.so")
	if err := os.WriteFile(notLib, []byte("not an ELF file"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cfg  pkcs11key.Config
		want error
		says string
	}{
		{"wrong PIN", pkcs11key.Config{Module: tok.Module, TokenLabel: tok.Label, PIN: []byte("0000-wrong")}, pkcs11key.ErrWrongPIN, `"payterm-test"`},
		{"missing token", pkcs11key.Config{Module: tok.Module, TokenLabel: "no-such-token", PIN: []byte(tok.PIN)}, pkcs11key.ErrTokenNotFound, `"no-such-token"`},
		{"missing serial", pkcs11key.Config{Module: tok.Module, TokenSerial: "0000", PIN: []byte(tok.PIN)}, pkcs11key.ErrTokenNotFound, `serial "0000"`},
		{"module missing", pkcs11key.Config{Module: "/nonexistent/libpkcs11.so", TokenLabel: tok.Label, PIN: []byte(tok.PIN)}, pkcs11key.ErrModule, "/nonexistent/libpkcs11.so"},
		{"module not a library", pkcs11key.Config{Module: notLib, TokenLabel: tok.Label, PIN: []byte(tok.PIN)}, pkcs11key.ErrModule, notLib},
		{"module is a directory", pkcs11key.Config{Module: t.TempDir(), TokenLabel: tok.Label, PIN: []byte(tok.PIN)}, pkcs11key.ErrModule, "directory"},
	}
	for _, c := range cases {
		tk, err := pkcs11key.Open(c.cfg)
		if err == nil {
			_ = tk.Close()
			t.Errorf("%s: Open succeeded", c.name)
			continue
		}
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: got %v, want %v naming %s", c.name, err, c.want, c.says)
		}
		if strings.Contains(err.Error(), tok.PIN) || strings.Contains(err.Error(), "0000-wrong") {
			t.Errorf("%s: the error carries the PIN: %v", c.name, err)
		}
	}

	tk := open(t, tok)
	if _, err := tk.Find(pkcs11key.KeyRef{Label: "absent"}); !errors.Is(err, pkcs11key.ErrKeyNotFound) || !strings.Contains(err.Error(), `label "absent"`) {
		t.Errorf("missing key: %v", err)
	}
	for range 2 {
		if _, err := tk.Generate(pkcs11key.KeyRef{Label: "twice"}, 2048); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tk.Find(pkcs11key.KeyRef{Label: "twice"}); !errors.Is(err, pkcs11key.ErrAmbiguousKey) {
		t.Errorf("two keys under one label: %v", err)
	}
}
