package consent

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"
)

// loopbackCert is a self-signed certificate for 127.0.0.1 and localhost, for an https loopback
// receiver (what mkcert gives a user), with a pool that trusts it (the user's browser).
func loopbackCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// lockedBuffer collects what the standard logger writes (it may write from server goroutines).
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// captureStderr sends the standard logger's output (where net/http writes when a server has no
// ErrorLog) and os.Stderr to buffers until the returned func is called, which restores both and
// returns everything written. The standard logger keeps the *os.File it was created with, so
// replacing os.Stderr alone would miss net/http's lines.
func captureStderr(t *testing.T) func() string {
	t.Helper()
	logged := &lockedBuffer{}
	prevLog, prevFlags := log.Writer(), log.Flags()
	log.SetOutput(logged)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	prevStderr := os.Stderr
	os.Stderr = pw
	var direct bytes.Buffer
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&direct, pr)
		close(copied)
	}()
	restored := false
	restore := func() string {
		if !restored {
			restored = true
			log.SetOutput(prevLog)
			log.SetFlags(prevFlags)
			os.Stderr = prevStderr
			_ = pw.Close()
			<-copied
			_ = pr.Close()
		}
		return logged.String() + direct.String()
	}
	t.Cleanup(func() { restore() })
	return restore
}

// TestReceiverNeverWritesToTerminal: garbage sent to the loopback receiver (a failed TLS
// handshake, a malformed request, a half-open connection) must not print anything: the wallet
// draws on the terminal, and any process on the machine can reach this port.
func TestReceiverNeverWritesToTerminal(t *testing.T) {
	cert, pool := loopbackCert(t)
	secure, err := ListenLoopback(fmt.Sprintf("https://127.0.0.1:%d/callback", freePort(t)), cbState, cbIssuer, ListenerOptions{
		TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = secure.Close() })
	plain, _ := startReceiver(t)

	restore := captureStderr(t)
	hostOf := func(r *Receiver) string {
		u, err := url.Parse(r.RedirectURI())
		if err != nil {
			t.Fatal(err)
		}
		return u.Host
	}
	// send writes raw bytes on a fresh connection and reads until the server hangs up. net/http
	// logs a failed handshake before it closes the connection, so once EOF is read, whatever the
	// server was going to print has been printed.
	send := func(host string, raw []byte, halfClose bool) {
		t.Helper()
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(raw); err != nil {
			t.Fatal(err)
		}
		if halfClose {
			_ = c.(*net.TCPConn).CloseWrite()
		}
		if err := c.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, c)
	}
	// Not a TLS record and not HTTP: "http: TLS handshake error … first record does not look
	// like a TLS handshake".
	send(hostOf(secure), []byte("\x00\x01garbage that is not a TLS record\r\n\r\n"), false)
	// A TLS record header that promises more than it sends, then EOF: a handshake error too.
	send(hostOf(secure), []byte{0x16, 0x03, 0x01, 0x00, 0x40, 0x01}, true)
	// A malformed request line and a header flood on plain http.
	send(hostOf(plain), []byte("\x00\xffNOT HTTP\r\n\r\n"), false)
	send(hostOf(plain), append([]byte("GET /callback HTTP/1.1\r\nHost: x\r\nX: "), bytes.Repeat([]byte("a"), 64<<10)...), true)

	// The receivers still work after the garbage: a real callback on the https one.
	web := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	q := url.Values{"code": {"c0de"}, "state": {cbState}, "iss": {cbIssuer}}
	resp, err := web.Get(secure.RedirectURI() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback after the garbage: HTTP %d", resp.StatusCode)
	}

	if out := restore(); out != "" {
		t.Fatalf("the loopback receiver wrote to the terminal: %q", out)
	}
}
