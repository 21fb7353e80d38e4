package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
)

// StandaloneOptions configures `payterm sandbox`.
type StandaloneOptions struct {
	// Config is the bank's configuration; DataDir is required (the CA file other clients trust
	// lives there). AdminToken is generated when empty.
	Config Config
	// Out receives the startup banner (default os.Stdout).
	Out io.Writer
	// OnStart, when set, is called with the running bank (embedding and tests).
	OnStart func(*Bank)
}

const adminTokenFile = "admin-token"

// RunStandalone runs the bank until ctx is done, for TPP clients other than payterm. It prints
// where discovery, the CA certificate, registration and the admin API are. Clients register
// over HTTPS (POST /tf/register) or with a JSON file in <data dir>/clients/ (see README-clients
// in the data dir, written on first run).
func RunStandalone(ctx context.Context, opts StandaloneOptions) error {
	cfg := opts.Config
	if cfg.DataDir == "" {
		return errors.New("sandbox: standalone mode needs a data dir")
	}
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "clients"), 0o700); err != nil {
		return fmt.Errorf("sandbox: create clients dir: %w", err)
	}
	if cfg.AdminToken == "" {
		tok, err := loadOrCreateAdminToken(cfg)
		if err != nil {
			return err
		}
		cfg.AdminToken = tok
	}
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	if cfg.ErrorLog == nil { // a server operator wants to see refused handshakes
		cfg.ErrorLog = log.New(out, "sandbox: ", log.LstdFlags)
	}
	if err := writeClientsReadme(cfg.DataDir); err != nil {
		return err
	}
	b, err := New(cfg)
	if err != nil {
		return err
	}
	if err := b.Start(); err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintf(out, "payterm sandbox bank is running (UAE Open Finance v2.1, strict)\n"+
		"  discovery:      %s\n"+
		"  issuer:         %s\n"+
		"  resource base:  %s\n"+
		"  register:       POST %s (JSON; a new client needs no certificate), or a file in %s\n"+
		"  CA certificate: %s\n"+
		"  admin API:      %s (Bearer token in %s)\n",
		b.DiscoveryURL(), b.Issuer(), b.ResourceBaseURL(), b.RegistrationURL(),
		filepath.Join(cfg.DataDir, "clients"), filepath.Join(cfg.DataDir, caCertFile),
		b.AdminURL(), filepath.Join(cfg.DataDir, adminTokenFile))
	if opts.OnStart != nil {
		opts.OnStart(b)
	}
	<-ctx.Done()
	return nil
}

func loadOrCreateAdminToken(cfg Config) (string, error) {
	path := filepath.Join(cfg.DataDir, adminTokenFile)
	if raw, err := os.ReadFile(path); err == nil && len(raw) >= 32 {
		return string(raw), nil
	}
	buf := make([]byte, 32)
	r := cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, buf); err != nil {
		return "", fmt.Errorf("sandbox: admin token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(buf)
	if err := writeFileAtomic(path, []byte(tok)); err != nil {
		return "", fmt.Errorf("sandbox: admin token: %w", err)
	}
	return tok, nil
}

const clientsReadme = `Registering a TPP client with the payterm sandbox bank
=====================================================

Either POST this JSON to the bank's /tf/register (HTTPS, no client certificate), or save it as
<name>.json in this directory and restart the bank:

  {
    "client_id":     "my-tpp",                        (optional over HTTPS; required in a file)
    "name":          "My TPP",                        (shown on the consent page)
    "signing_jwks":  {"keys":[{"kty":"RSA","use":"sig","alg":"PS256","kid":"...","n":"...","e":"AQAB"}]},
    "redirect_uris": ["https://tpp.example/callback", "http://127.0.0.1/callback"],
    "roles":         ["BSIP"],                        (add "BDSP" for the accounts scope)
    "csr_pem":       "-----BEGIN CERTIFICATE REQUEST-----\n..."
  }

The bank signs the CSR with its CA: over HTTPS the certificate is in the response
(transport_cert_pem); for a file it is written beside it as <name>.cert.pem. Present that
certificate (mTLS) on every PAR, token and resource call, and trust ../ca.pem for the bank's TLS.
The client is bound to that one certificate: to change a registration over HTTPS, present it;
a new csr_pem then issues a new certificate and revokes the old one (delete <name>.cert.pem to
get a new one for a file registration).
Loopback http redirect URIs may use any port at request time (RFC 8252 §7.3).
`

func writeClientsReadme(dir string) error {
	path := filepath.Join(dir, "clients", "README.txt")
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	return writeFileAtomic(path, []byte(clientsReadme))
}
