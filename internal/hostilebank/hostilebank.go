// Package hostilebank is test scaffolding for issue 11 (terminal injection): a TLS server that
// stands in for a bank and attacks the terminal through its certificate. Its DNS name (SAN and
// CN) is "bank.example" followed by OSC 52 (put a base64 IBAN on the clipboard) and OSC 2 (set
// the window title). Go's hostname error quotes certificate names verbatim, so a client that
// trusts the certificate's CA but dials "localhost" gets an error whose text carries those
// escape sequences. Config gives a remote [[banks]] entry whose discovery is that server, with
// throwaway TPP identity files, so the production app can be pointed at it.
//
// Nothing outside tests imports this package.
package hostilebank

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/payterm/payterm/config"
)

// Name is the certificate's DNS name. The base64 is the standard's public example IBAN.
const Name = "bank.example\x1b]52;c;QUUwNzAzMzEyMzQ1Njc4OTAxMjM0NTY=\x07\x1b]2;T\x07"

// Visible is a plain-text part of Name (no space in it, so a wrapped line does not split it): a
// screen or output that shows the error, cleaned or not, holds it.
const Visible = "]52;c;QUUwNzAzMzEyMzQ1"

// Server is the hostile TLS server.
type Server struct {
	// URL is https://localhost:<port>: the name the certificate does not match.
	URL string
	// CAFile is the certificate itself (self-signed, a CA) as PEM, for root_ca_file.
	CAFile string
	// Roots trusts it.
	Roots *x509.CertPool
}

// Start starts the server; it stops at the end of the test.
func Start(tb testing.TB) *Server {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: Name}, DNSNames: []string{Name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatalf("hostilebank: Go refused the certificate name: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("hostilebank: Go refused to parse the certificate: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // every handshake fails on purpose
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	caFile := filepath.Join(dir, "hostile-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &Server{URL: "https://localhost:" + port, CAFile: caFile, Roots: roots}
}

// RequireRawInGoError proves the premise: a Go client that trusts the server's CA gets an
// error whose text carries the certificate name's escape sequences byte for byte.
func (s *Server) RequireRawInGoError(tb testing.TB) {
	tb.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.Roots, MinVersion: tls.VersionTLS12}}}
	resp, err := c.Get(s.URL + "/.well-known/openid-configuration")
	if err == nil {
		resp.Body.Close()
		tb.Fatal("hostilebank: the TLS handshake succeeded; the hostname check did not run")
	}
	if !strings.Contains(err.Error(), Name) {
		tb.Fatalf("hostilebank: Go's error does not quote the certificate name verbatim: %q", err.Error())
	}
}

// Bank is a remote bank (config [[banks]] entry) with id and name whose discovery is the hostile
// server. Its TPP identity files are throwaway keys: nothing gets past the TLS handshake.
func (s *Server) Bank(tb testing.TB, id, name string) config.Bank {
	tb.Helper()
	dir := tb.TempDir()
	write := func(file string, blk *pem.Block) string {
		p := filepath.Join(dir, file)
		if err := os.WriteFile(p, pem.EncodeToMemory(blk), 0o600); err != nil {
			tb.Fatal(err)
		}
		return p
	}
	sig, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	tlsKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "payterm hostile-bank test TPP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &tlsKey.PublicKey, tlsKey)
	if err != nil {
		tb.Fatal(err)
	}
	sigDER, err := x509.MarshalPKCS8PrivateKey(sig)
	if err != nil {
		tb.Fatal(err)
	}
	tlsDER, err := x509.MarshalPKCS8PrivateKey(tlsKey)
	if err != nil {
		tb.Fatal(err)
	}
	return config.Bank{ID: id, Mode: config.ModeRemote, Name: name,
		DiscoveryURL: s.URL + "/.well-known/openid-configuration", Issuer: s.URL, ResourceBaseURL: s.URL + "/open-finance/payment/v2.1",
		ClientID: "hostile-test-client", SigningKID: "hostile-test-kid",
		SigningKeyFile:    write("sig.pem", &pem.Block{Type: "PRIVATE KEY", Bytes: sigDER}),
		TransportCertFile: write("tls.crt", &pem.Block{Type: "CERTIFICATE", Bytes: der}),
		TransportKeyFile:  write("tls.key", &pem.Block{Type: "PRIVATE KEY", Bytes: tlsDER}),
		RootCAFile:        s.CAFile,
		RedirectURI:       "http://127.0.0.1:0/callback", CustomerIPAddress: "127.0.0.1", DefaultPurposeCode: "TOF"}
}

// Injected returns a description of the first byte or rune of out that a terminal would act on
// instead of print — ESC, BEL and every other C0 control but newline and tab, DEL, a C1 control,
// a bidi embedding, override or isolate, invalid UTF-8 — or "" when there is none. It is written
// out here rather than taken from internal/safetext, so the check does not share the code it
// checks.
func Injected(out string) string {
	for i, r := range out {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(out[i:], "\uFFFD"):
			return fmt.Sprintf("invalid UTF-8 at byte %d", i)
		case r == '\n' || r == '\t':
		case r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			return fmt.Sprintf("%U at byte %d", r, i)
		}
	}
	return ""
}
