package consent

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"testing"
)

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestHTTPSLoopbackWithoutCertificateIsPasteBack: an https loopback redirect_uri with no
// certificate configured does not fail the step (issue 11): the consent is staged with the URI as
// written, nothing listens, and the address the browser lands on is pasted back.
func TestHTTPSLoopbackWithoutCertificateIsPasteBack(t *testing.T) {
	redirect := fmt.Sprintf("https://127.0.0.1:%d/cb", freePort(t))
	env := newSandboxEnvWith(t, true, redirect)
	cfg := env.config()
	cfg.RedirectURI = redirect
	o, err := Begin(context.Background(), cfg, env.request(t, OpenBeneficiary, 0))
	if err != nil {
		t.Fatalf("an https loopback redirect_uri without a certificate: %v", err)
	}
	defer o.Close()
	if o.UsesLoopback() || o.RedirectURI() != redirect {
		t.Fatalf("listener %v, redirect %q: want paste-back with the URI as written", o.UsesLoopback(), o.RedirectURI())
	}
	cb, err := FollowToRedirect(context.Background(), env.web, o.URL(), redirect)
	if err != nil {
		t.Fatal(err)
	}
	code, err := o.ParseCallback(cb)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Complete(context.Background(), code); err != nil {
		t.Fatal(err)
	}
}

// TestHTTPSLoopbackWithCertificateIsReceived: with a certificate for it, the https loopback
// redirect_uri is served on its own host and port (the bank matches https URIs exactly) and
// the browser's callback completes the consent.
func TestHTTPSLoopbackWithCertificateIsReceived(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			redirect := fmt.Sprintf("https://%s:%d/cb", host, freePort(t))
			env := newSandboxEnvWith(t, true, redirect)
			cert, trust := loopbackCert(t)
			cfg := env.config()
			cfg.RedirectURI = redirect
			cfg.Listener = ListenerOptions{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
			o, err := Begin(context.Background(), cfg, env.request(t, OpenBeneficiary, 0))
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			if !o.UsesLoopback() || o.RedirectURI() != redirect {
				t.Fatalf("listener %v, redirect %q: want the URI served as written", o.UsesLoopback(), o.RedirectURI())
			}
			cb, err := FollowToRedirect(context.Background(), env.web, o.URL(), redirect)
			if err != nil {
				t.Fatal(err)
			}
			browser := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: trust, MinVersion: tls.VersionTLS12}}}
			resp, err := browser.Get(cb)
			if err != nil {
				t.Fatalf("the browser cannot reach the https receiver: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("receiver answered %d", resp.StatusCode)
			}
			code, err := o.WaitCallback(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := o.Complete(context.Background(), code); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReceivesLoopback: which redirect URIs a local receiver takes; an https one needs a
// certificate and a fixed port (the bank matches it exactly, so a random port cannot work).
func TestReceivesLoopback(t *testing.T) {
	for _, tt := range []struct {
		uri     string
		withTLS bool
		want    bool
	}{
		{"http://127.0.0.1:0/callback", false, true},
		{"http://localhost/cb", false, true},
		{"https://127.0.0.1:8443/cb", false, false},
		{"https://127.0.0.1:8443/cb", true, true},
		{"https://localhost/cb", true, true},
		{"https://wallet.example/cb", true, false},
	} {
		if got := ReceivesLoopback(tt.uri, tt.withTLS); got != tt.want {
			t.Errorf("ReceivesLoopback(%s, %v) = %v", tt.uri, tt.withTLS, got)
		}
	}
	cert, _ := loopbackCert(t)
	withCert := ListenerOptions{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	for _, uri := range []string{"https://127.0.0.1/cb", "https://127.0.0.1:0/cb"} {
		if r, err := ListenLoopback(uri, cbState, cbIssuer, withCert); err == nil {
			r.Close()
			t.Errorf("ListenLoopback(%s) accepted an https URI without a fixed port", uri)
		}
	}
}
