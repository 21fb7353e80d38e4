package op

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The standalone bank creates its client on the first run, keeps it on the next, and serves
// the token endpoint over mTLS with the certificate it wrote.
func TestStandaloneRunsAndKeepsItsClient(t *testing.T) {
	dir := t.TempDir()
	run := func() (Client, string) {
		ctx, cancel := context.WithCancel(context.Background())
		started := make(chan string, 1)
		done := make(chan error, 1)
		var out bytes.Buffer
		go func() {
			done <- RunStandalone(ctx, StandaloneOptions{DataDir: dir, Out: &out, OnStart: func(_ *Bank, api, _ string) { started <- api }})
		}()
		var api string
		select {
		case api = <-started:
		case err := <-done:
			t.Fatal(err)
		case <-time.After(10 * time.Second):
			t.Fatal("did not start")
		}
		c, _, cc, sc, err := LoadOrCreateClient(dir)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AddCert(sc.Leaf)
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cc}}}}
		resp, err := hc.PostForm(api+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"payments"},
			"client_id": {c.ClientID}, "client_secret": {c.ClientSecret}})
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("token: %v %v", resp, err)
		}
		resp.Body.Close()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "OP sandbox bank is running") {
			t.Fatalf("printed %q", out.String())
		}
		return c, api
	}
	c1, _ := run()
	c2, _ := run()
	if c1 != c2 {
		t.Fatal("the client changed between runs")
	}
	for _, f := range []string{c1.SigningKeyFile, c1.CertKeyFile, filepath.Join(dir, "client.json")} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, fi, err)
		}
	}
}
