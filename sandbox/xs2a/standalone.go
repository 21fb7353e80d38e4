package xs2a

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

// StandaloneOptions configures a standalone XS2A bank for TPPs other than payterm (what
// `payterm sandbox` would run next to the UAE bank once wired).
type StandaloneOptions struct {
	// Config: DataDir is required (the CA file other clients trust lives there); AdminToken is
	// generated into <data dir>/admin-token when empty.
	Config Config
	// Out receives the start-up banner (default os.Stdout).
	Out io.Writer
	// OnStart is called with the running bank (embedding, tests).
	OnStart func(*Bank)
}

const adminTokenFile = "admin-token"

// RunStandalone runs the bank until ctx is done and prints where everything is.
func RunStandalone(ctx context.Context, opts StandaloneOptions) error {
	cfg := opts.Config
	if cfg.DataDir == "" {
		return errors.New("xs2a sandbox: standalone mode needs a data dir")
	}
	if err := mkdirPrivate(cfg.DataDir); err != nil {
		return err
	}
	if cfg.AdminToken == "" {
		path := filepath.Join(cfg.DataDir, adminTokenFile)
		if raw, err := os.ReadFile(path); err == nil && len(raw) >= 32 {
			cfg.AdminToken = string(raw)
		} else {
			buf := make([]byte, 32)
			if _, err := io.ReadFull(rand.Reader, buf); err != nil {
				return fmt.Errorf("xs2a sandbox: admin token: %w", err)
			}
			cfg.AdminToken = base64.RawURLEncoding.EncodeToString(buf)
			if err := writeFileAtomic(path, []byte(cfg.AdminToken)); err != nil {
				return fmt.Errorf("xs2a sandbox: admin token: %w", err)
			}
		}
	}
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	if cfg.ErrorLog == nil {
		cfg.ErrorLog = log.New(out, "xs2a sandbox: ", log.LstdFlags)
	}
	b, err := New(cfg)
	if err != nil {
		return err
	}
	if err := b.Start(); err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintf(out, "payterm XS2A sandbox bank is running (Berlin Group NextGenPSD2 1.3.9, profile %s, strict)\n"+
		"  API base:       %s   (append /v1/payments/<product>)\n"+
		"  register:       POST %s (JSON with two CSRs, no client certificate)\n"+
		"  CA certificate: %s\n"+
		"  SCA pages:      %s\n"+
		"  admin API:      %s (Bearer token in %s)\n",
		b.prof.Name, b.BaseURL(), b.RegistrationURL(), filepath.Join(cfg.DataDir, caCertFile), b.BrowserURL(),
		b.AdminURL(), filepath.Join(cfg.DataDir, adminTokenFile))
	if b.prof.offers(OAuth) {
		fmt.Fprintf(out, "  OAuth metadata: %s\n", b.OAuthMetadataURL())
	}
	if opts.OnStart != nil {
		opts.OnStart(b)
	}
	<-ctx.Done()
	return nil
}
