package lfi

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// testCert issues a self-signed certificate for key (loopback names), usable as server or
// client certificate and as its own root.
func testCert(t *testing.T, key any, pub any) (*x509.Certificate, []byte) {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "client-1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// mtlsServer requires a client certificate signed by clientRoot and counts connections.
func mtlsServer(t *testing.T, clientRoot *x509.Certificate, tweak func(*tls.Config)) (*httptest.Server, *x509.CertPool, *atomic.Int32) {
	t.Helper()
	testKeys(t)
	srvCert, _ := testCert(t, bankSig, &bankSig.PublicKey)
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			w.WriteHeader(401)
			return
		}
		_, _ = w.Write([]byte(r.TLS.PeerCertificates[0].Subject.CommonName))
	}))
	pool := x509.NewCertPool()
	pool.AddCert(clientRoot)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{srvCert.Raw}, PrivateKey: bankSig}},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	if tweak != nil {
		tweak(srv.TLS)
	}
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srvCert)
	return srv, roots, &conns
}

func TestMTLSClientPresentsCertAndReusesConnections(t *testing.T) {
	testKeys(t)
	clientCert, certPEM := testCert(t, x, &x.PublicKey)
	srv, roots, conns := mtlsServer(t, clientCert, nil)
	hc, err := NewMTLSClient(certPEM, x, roots)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		resp, err := hc.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		n, _ := resp.Body.Read(buf)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(buf[:n]) != "client-1" {
			t.Fatalf("HTTP %d %q: client certificate not presented", resp.StatusCode, buf[:n])
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d TLS connections for 3 requests, want 1 (keep-alive)", n)
	}

	// The same from PEM files.
	dir := t.TempDir()
	keyDER, _ := x509.MarshalPKCS8PrivateKey(x)
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	_ = os.WriteFile(certFile, certPEM, 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	hc2, err := NewMTLSClientFromFiles(certFile, keyFile, roots)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc2.Get(srv.URL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("from files: %v", err)
	}
	resp.Body.Close()
}

func TestMTLSClientRefusesWeakTLSAndBadKeys(t *testing.T) {
	testKeys(t)
	clientCert, certPEM := testCert(t, x, &x.PublicKey)
	for name, tweak := range map[string]func(*tls.Config){
		"TLS 1.1": func(c *tls.Config) { c.MaxVersion = tls.VersionTLS11; c.MinVersion = tls.VersionTLS10 },
		"CBC suite only": func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256}
		},
		"RSA key exchange": func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}
		},
	} {
		srv, roots, _ := mtlsServer(t, clientCert, tweak)
		hc, err := NewMTLSClient(certPEM, x, roots)
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := hc.Get(srv.URL); err == nil {
			resp.Body.Close()
			t.Errorf("%s: handshake succeeded", name)
		}
	}
	// TLS 1.2 with a FAPI suite works.
	srv, roots, _ := mtlsServer(t, clientCert, func(c *tls.Config) {
		c.MaxVersion = tls.VersionTLS12
		c.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}
	})
	hc, _ := NewMTLSClient(certPEM, x, roots)
	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatalf("TLS 1.2 ECDHE-RSA-AES256-GCM: %v", err)
	}
	resp.Body.Close()

	if _, err := NewMTLSClient(certPEM, tppKey, roots); err == nil {
		t.Error("a key that does not match the certificate was accepted")
	}
	if _, err := NewMTLSClient([]byte("junk"), x, roots); err == nil {
		t.Error("junk PEM accepted")
	}
	if _, err := NewMTLSClientFromFiles("/nonexistent/c.pem", "/nonexistent/k.pem", roots); err == nil {
		t.Error("missing files accepted")
	}
}
