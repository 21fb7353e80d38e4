package app

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/payterm/payterm/config"
	ftprov "github.com/payterm/payterm/provider/fintecture"
	fthub "github.com/payterm/payterm/sandbox/fintecture"
)

// A Fintecture bank ([[banks]] provider = "fintecture") is, today, the embedded strict hub
// (sandbox/fintecture) reached through provider/fintecture. The wallet is the hub's registered
// application: its id and secret are kept in <bank dir>/fintecture-app/app.json and its RSA key
// beside it (0600); the hub registers the bank's redirect_uri. Like a Berlin Group bank it has
// no consent to set up: the wallet pays from a link to the configured account, and the payer
// approves each payment on the Connect page.

// ftConn is a Fintecture bank's side of a bankConn.
type ftConn struct {
	hub  *fthub.Hub
	prov *ftprov.Bank
}

const (
	ftHubDir    = "fintecture-hub"
	ftAppDir    = "fintecture-app"
	ftAppRecord = "app.json"
	ftAppKey    = "app-key.pem"
	ftAddrsFile = "address.json"
)

// ftApp is the application's record: its id and secret at the embedded hub (the hub's own
// credentials for this machine, not a real Fintecture secret; kept 0600 all the same).
type ftApp struct {
	AppID     string `json:"app_id"`
	AppSecret string `json:"app_secret"`
}

func (a *App) openFintecture(bc *bankConn) error {
	b := bc.cfg
	if b.Mode != config.ModeSandbox {
		return errors.New("a Fintecture bank can only be the embedded hub today")
	}
	adir := filepath.Join(bc.dir, ftAppDir)
	key, err := a.bgKey(filepath.Join(adir, ftAppKey)) // an RSA key made on first use, 0600
	if err != nil {
		return err
	}
	app, err := ftAppRecordFor(filepath.Join(adir, ftAppRecord))
	if err != nil {
		return err
	}
	hdir := filepath.Join(bc.dir, ftHubDir)
	var had struct {
		Addr string `json:"addr"`
	}
	if raw, err := os.ReadFile(filepath.Join(hdir, ftAddrsFile)); err == nil {
		if err := json.Unmarshal(raw, &had); err != nil {
			return fmt.Errorf("%s: %w", ftAddrsFile, err)
		}
	}
	start := func(addr string) (*fthub.Hub, error) {
		h, err := fthub.New(fthub.Config{DataDir: hdir, AppID: app.AppID, AppSecret: app.AppSecret, AppKey: &key.PublicKey,
			RedirectURIs: []string{b.RedirectURI}, Addr: addr, Clock: a.opts.Clock})
		if err != nil {
			return nil, err
		}
		if err := h.Start(); err != nil {
			return nil, err
		}
		return h, nil
	}
	// The hub listens where it did before, so the Connect pages of earlier payments still open.
	hub, err := start(had.Addr)
	if err != nil && had.Addr != "" {
		hub, err = start("")
	}
	if err != nil {
		return fmt.Errorf("embedded Fintecture hub: %w", err)
	}
	bc.ft = &ftConn{hub: hub}
	if addr := hostPort(hub.URL()); addr != had.Addr {
		if err := writeJSONFile(filepath.Join(hdir, ftAddrsFile), map[string]string{"addr": addr}); err != nil {
			return err
		}
	}
	prov, err := ftprov.New(ftprov.Config{Name: b.Name, APIBase: hub.URL(), AppID: app.AppID, AppSecret: app.AppSecret, Key: key,
		RedirectURI: b.RedirectURI, Payer: ftprov.Payer{Name: b.AccountHolder, Email: b.PayerEmail, IP: b.CustomerIPAddress},
		Currencies: []string{b.Currency}, HTTP: &http.Client{Timeout: 30 * time.Second}, Observer: a.trace.ftObserver(b.ID), Clock: a.opts.Clock, Rand: a.opts.Rand, Sleep: a.opts.Sleep})
	if err != nil {
		return err
	}
	bc.ft.prov = prov
	return nil
}

// ftAppRecordFor reads the application's record, making one on first use.
func ftAppRecordFor(path string) (ftApp, error) {
	var app ftApp
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &app); err != nil || app.AppID == "" || app.AppSecret == "" {
			return ftApp{}, fmt.Errorf("%s is damaged: move it away to register the wallet again", ftAppRecord)
		}
		return app, nil
	case !errors.Is(err, os.ErrNotExist):
		return ftApp{}, err
	}
	buf := make([]byte, 40)
	if _, err := rand.Read(buf); err != nil {
		return ftApp{}, err
	}
	app = ftApp{AppID: "payterm-" + hex.EncodeToString(buf[:8]), AppSecret: hex.EncodeToString(buf[8:])}
	if err := writeJSONFile(path, app); err != nil {
		return ftApp{}, err
	}
	return app, nil
}
