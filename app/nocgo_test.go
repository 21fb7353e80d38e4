//go:build !cgo

package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/ui"
)

// TestTokenWithoutCgo: a CGO_ENABLED=0 payterm refuses [pkcs11] with one sentence before it
// asks for a PIN, and starts as usual without it.
func TestTokenWithoutCgo(t *testing.T) {
	mod := filepath.Join(t.TempDir(), "libvendor.so")
	if err := os.WriteFile(mod, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.PKCS11 = config.PKCS11{Module: mod, TokenLabel: "t", PINSource: "env:PAYTERM_TEST_PIN"}
	t.Setenv("PAYTERM_TEST_PIN", "1234")
	_, err := Open(context.Background(), cfg, testOptions(newSCAClock()))
	var prob *ui.Problem
	if !errors.As(err, &prob) || prob.What != "This payterm was built without cgo (CGO_ENABLED=0), so it cannot load the PKCS#11 module that [pkcs11] names." {
		t.Fatalf("got %v", err)
	}
	cfg.PKCS11 = config.Default().PKCS11
	a := openApp(t, cfg, newSCAClock())
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
}
