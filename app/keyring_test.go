package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/ui"
)

// TestKeyringStore: with security.secret_store = "keyring" the secrets go to the OS keyring
// (go-keyring's in-memory mock here), Home names it, no encrypted file is written, and a
// restart pays with the refresh token read back from the keyring.
func TestKeyringStore(t *testing.T) {
	keyring.MockInit()
	ctx := context.Background()
	clock := newSCAClock()
	cfg := testConfig(t)
	cfg.Security.SecretStore = config.StoreKeyring
	a := openApp(t, cfg, clock)
	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees()[:1])
	ov, err := w.Overview(ctx)
	if err != nil || ov.SecretStore != "OS keyring" {
		t.Fatalf("secret store label: %v %q", err, ov.SecretStore)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := openApp(t, cfg, clock)
	defer b.Close()
	w = b.UIWallet()
	payees, _ := w.Payees(ctx, c.ID)
	if last := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "1.00", clock.nextCode(t, js.totpSecret))); last.State != ui.StepDone {
		t.Fatalf("payment after restart on the keyring: %+v", last)
	}
	assertNotInFiles(t, b.DataDir(), []string{testPIN, js.totpSecret, js.recovery}, nil)
	if _, err := os.Stat(filepath.Join(b.DataDir(), keystore.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an encrypted secrets file exists beside the keyring: %v", err)
	}
}
