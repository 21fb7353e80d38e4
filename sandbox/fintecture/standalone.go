package fintecture

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
)

// StandaloneOptions runs a hub for a wallet configured by hand (or a demo).
type StandaloneOptions struct {
	// DataDir is required: the sessions, the registered application (app.json) and its
	// private key (app-key.pem, 0600, for the wallet to sign with) live there.
	DataDir string
	// RedirectURIs to register (default http://127.0.0.1:8765/fintecture/callback).
	RedirectURIs []string
	Addr         string
	Out          io.Writer
	OnStart      func(*Hub)
}

// App is the registered application as app.json stores it. The secret is the sandbox's own,
// for a wallet on this machine; it guards nothing of value.
type App struct {
	AppID      string `json:"app_id"`
	AppSecret  string `json:"app_secret"`
	KeyFile    string `json:"private_key_file"`
	AdminToken string `json:"admin_token"`
}

// LoadOrCreateApp reads <dir>/app.json and <dir>/app-key.pem, creating both (and a 2048-bit
// key) on the first run.
func LoadOrCreateApp(dir string) (App, *rsa.PrivateKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return App{}, nil, err
	}
	appPath, keyPath := filepath.Join(dir, "app.json"), filepath.Join(dir, "app-key.pem")
	if raw, err := os.ReadFile(appPath); err == nil {
		var a App
		if err := json.Unmarshal(raw, &a); err != nil {
			return App{}, nil, fmt.Errorf("app.json is corrupt: %w", err)
		}
		pemRaw, err := os.ReadFile(keyPath)
		if err != nil {
			return App{}, nil, err
		}
		blk, _ := pem.Decode(pemRaw)
		if blk == nil {
			return App{}, nil, errors.New("app-key.pem holds no PEM block")
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		rk, ok := k.(*rsa.PrivateKey)
		if err != nil || !ok {
			return App{}, nil, errors.New("app-key.pem is not a PKCS#8 RSA key")
		}
		return a, rk, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return App{}, nil, err
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return App{}, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return App{}, nil, err
	}
	buf := make([]byte, 64)
	if _, err := io.ReadFull(rand.Reader, buf); err != nil {
		return App{}, nil, err
	}
	a := App{AppID: hex.EncodeToString(buf[:16]), AppSecret: hex.EncodeToString(buf[16:40]), KeyFile: keyPath, AdminToken: hex.EncodeToString(buf[40:])}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return App{}, nil, err
	}
	raw, _ := json.MarshalIndent(a, "", "  ")
	if err := os.WriteFile(appPath, raw, 0o600); err != nil {
		return App{}, nil, err
	}
	return a, k, nil
}

// RunStandalone runs a hub until ctx ends and prints where everything is.
func RunStandalone(ctx context.Context, opts StandaloneOptions) error {
	if opts.DataDir == "" {
		return errors.New("fintecture hub: standalone mode needs a data dir")
	}
	app, key, err := LoadOrCreateApp(opts.DataDir)
	if err != nil {
		return fmt.Errorf("fintecture hub: application: %w", err)
	}
	if len(opts.RedirectURIs) == 0 {
		opts.RedirectURIs = []string{"http://127.0.0.1:8765/fintecture/callback"}
	}
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	h, err := New(Config{DataDir: opts.DataDir, AppID: app.AppID, AppSecret: app.AppSecret, AppKey: &key.PublicKey,
		RedirectURIs: opts.RedirectURIs, AdminToken: app.AdminToken, Addr: opts.Addr, ErrorLog: log.New(out, "fintecture hub: ", log.LstdFlags)})
	if err != nil {
		return err
	}
	if err := h.Start(); err != nil {
		return err
	}
	defer h.Close()
	fmt.Fprintf(out, "payterm Fintecture sandbox hub is running (payment sessions, strict signature rules)\n"+
		"  API, OAuth and Connect: %s\n"+
		"  application:            %s (app_id, app_secret, private key file, admin token)\n"+
		"  registered redirects:   %v\n",
		h.URL(), filepath.Join(opts.DataDir, "app.json"), opts.RedirectURIs)
	if opts.OnStart != nil {
		opts.OnStart(h)
	}
	<-ctx.Done()
	return nil
}
