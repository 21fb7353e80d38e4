package sandbox

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// patience bounds how long a test waits for something that must end; it is not a measure.
const patience = 30 * time.Second

// newBankWithHooks is newBank with test hooks installed before the listeners start.
func newBankWithHooks(t testing.TB, mod func(*Config), hooks testHooks) *Bank {
	t.Helper()
	cfg := Config{DataDir: t.TempDir()}
	if mod != nil {
		mod(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	b.hooks = hooks
	if err := b.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// dialIssuer opens a TLS connection to the issuer host (no client certificate needed there).
func dialIssuer(t *testing.T, b *Bank) *tls.Conn {
	t.Helper()
	u, _ := url.Parse(b.Issuer())
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: b.RootCAs(), MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// endsWithin reads conn until the server closes it; a read that is still waiting after
// patience means the server kept the connection.
func endsWithin(t *testing.T, conn net.Conn) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(patience))
	_, err := io.Copy(io.Discard, conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the server kept the connection open")
	}
}

// TestStalledBodyIsCutOff: a request whose body stops arriving is ended by ReadTimeout, not
// left holding a connection (and a goroutine) for as long as the client likes.
func TestStalledBodyIsCutOff(t *testing.T) {
	b := newBankWithHooks(t, func(c *Config) { c.ReadTimeout = 300 * time.Millisecond }, testHooks{})
	conn := dialIssuer(t, b)
	u, _ := url.Parse(b.Issuer())
	if _, err := io.WriteString(conn, "POST /tf/register HTTP/1.1\r\nHost: "+u.Host+"\r\nContent-Type: application/json\r\n"+
		"Content-Length: 5000\r\n\r\n{\"name\":"); err != nil {
		t.Fatal(err)
	}
	endsWithin(t, conn)
}

// TestStalledHeadersAreCutOff: the same for a request whose headers never end.
func TestStalledHeadersAreCutOff(t *testing.T) {
	b := newBankWithHooks(t, func(c *Config) { c.ReadTimeout = 300 * time.Millisecond }, testHooks{})
	conn := dialIssuer(t, b)
	if _, err := io.WriteString(conn, "GET /jwks HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	endsWithin(t, conn)
}

// TestIdleKeepAliveIsClosed: a keep-alive connection that sends no next request is closed
// after IdleTimeout.
func TestIdleKeepAliveIsClosed(t *testing.T) {
	b := newBankWithHooks(t, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond }, testHooks{})
	conn := dialIssuer(t, b)
	u, _ := url.Parse(b.Issuer())
	if _, err := io.WriteString(conn, "GET /jwks HTTP/1.1\r\nHost: "+u.Host+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("first request: %d, close %v", resp.StatusCode, resp.Close)
	}
	endsWithin(t, conn)
}

// TestConnectionsPastTheCapWait: with MaxConns 2, a third connection is not taken while two are
// open; it is served once one of them closes.
func TestConnectionsPastTheCapWait(t *testing.T) {
	blocked := make(chan struct{}, 16)
	b := newBankWithHooks(t, func(c *Config) { c.MaxConns = 2 }, testHooks{acceptBlocked: func() {
		select {
		case blocked <- struct{}{}:
		default:
		}
	}})
	u, _ := url.Parse(b.Issuer())
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	select {
	case <-blocked:
	case <-time.After(patience):
		t.Fatal("the listener never waited for a free slot with two connections open")
	}
	issuer := b.listeners[0]
	if n := issuer.open.Load(); n != 2 {
		t.Fatalf("%d connections open at the cap, want 2", n)
	}
	third := make(chan error, 1)
	go func() {
		hc := &http.Client{Timeout: patience, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: b.RootCAs(), MinVersion: tls.VersionTLS12}}}
		resp, err := hc.Get(b.DiscoveryURL())
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = errors.New(resp.Status)
			}
		}
		third <- err
	}()
	select {
	case err := <-third:
		t.Fatalf("a third connection was served while two were open: %v", err)
	default:
	}
	if n := issuer.open.Load(); n > 2 {
		t.Fatalf("%d connections open, past the cap of 2", n)
	}
	held[0].Close()
	if err := <-third; err != nil {
		t.Fatalf("the waiting connection was not served after a slot freed: %v", err)
	}
}

// TestSlowFaultOutlastsTimeouts: the slow fault holds a request longer than the read and write
// timeouts; the request still reads its body and answers.
func TestSlowFaultOutlastsTimeouts(t *testing.T) {
	b := newBankWithHooks(t, func(c *Config) {
		c.ReadTimeout, c.WriteTimeout = 200*time.Millisecond, 200*time.Millisecond
	}, testHooks{})
	c := newTPP(t, b)
	if err := b.InjectFault(Fault{Kind: FaultSlow, Count: 1, Target: "as", Delay: 600 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if r := c.postForm(c.disc.Token, c.tokenForm("client_credentials", "scope", "payments")); r.Status != http.StatusOK {
		t.Fatalf("token request behind a slow fault: %d %v", r.Status, r.Body)
	}
	if !strings.Contains(b.RecentVerdicts(1)[0].Checks[0].Name, "slow") {
		t.Fatal("the slow fault was not applied")
	}
}
