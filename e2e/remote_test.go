package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// remoteClient is a TPP identity registered with a standalone bank, as the Trust Framework
// would hand it out: client_id, signing key and kid, transport certificate and key, the CA.
type remoteClient struct {
	ClientID, SigningKID                                string
	SigningKeyFile, TransportCertFile, TransportKeyFile string
}

// registerRemoteClient makes the keys, registers them over HTTPS at the bank's /tf/register
// (JSON with the public JWKS and a CSR) and writes the files into dir (0600).
func registerRemoteClient(t testing.TB, bank *standaloneBank, dir string) remoteClient {
	t.Helper()
	sig, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tlsKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rc := remoteClient{SigningKID: "e2e-signing-1"}
	b64 := base64.RawURLEncoding.EncodeToString
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": rc.SigningKID, "use": "sig", "alg": "PS256",
		"n": b64(sig.N.Bytes()), "e": b64(big.NewInt(int64(sig.E)).Bytes()),
	}}})
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "payterm-e2e"}}, tlsKey)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"name":          "payterm (remote mode)",
		"signing_jwks":  json.RawMessage(jwks),
		"redirect_uris": []string{"http://127.0.0.1/callback"},
		"csr_pem":       string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr})),
	})
	caPEM, err := os.ReadFile(bank.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("bank CA file holds no certificate")
	}
	hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, bank.Issuer+"/tf/register", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("register with the standalone bank: %v", err)
	}
	defer resp.Body.Close()
	var reg struct {
		ClientID string `json:"client_id"`
		CertPEM  string `json:"transport_cert_pem"`
		Error    string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reg); err != nil || resp.StatusCode != http.StatusCreated || reg.ClientID == "" || reg.CertPEM == "" {
		t.Fatalf("register with the standalone bank: HTTP %d %s %v", resp.StatusCode, reg.Error, err)
	}
	rc.ClientID = reg.ClientID
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rc.SigningKeyFile = write("signing-key.pem", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(sig)}))
	rc.TransportKeyFile = write("transport-key.pem", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(tlsKey)}))
	rc.TransportCertFile = write("transport-cert.pem", []byte(reg.CertPEM))
	return rc
}

// bankTOML is the [bank] section for remote mode against bank with client rc: every item
// config.example.toml says the Trust Framework provides.
func (rc remoteClient) bankTOML(bank *standaloneBank) string {
	return fmt.Sprintf(`id = "standalone"
mode = "remote"
name = "Standalone Sandbox Bank"
discovery_url = %q
issuer = %q
resource_base_url = %q
client_id = %q
signing_kid = %q
signing_key_file = %q
transport_cert_file = %q
transport_key_file = %q
root_ca_file = %q
redirect_uri = "http://127.0.0.1:0/callback"`, bank.DiscoveryURL, bank.Issuer, bank.ResourceBaseURL, rc.ClientID, rc.SigningKID,
		rc.SigningKeyFile, rc.TransportCertFile, rc.TransportKeyFile, bank.CAFile)
}

// admin calls the standalone bank's admin API.
func (b *standaloneBank) admin(t testing.TB, method, path string, body any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, b.AdminURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+b.adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("admin %s %s: %v", method, path, err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("admin %s %s: HTTP %d", method, path, resp.StatusCode)
	}
}
