//go:build !cgo

package pkcs11key

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenWithoutCgo: a CGO_ENABLED=0 build says plainly that it cannot load a module.
func TestOpenWithoutCgo(t *testing.T) {
	mod := filepath.Join(t.TempDir(), "libvendor.so")
	if err := os.WriteFile(mod, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Config{Module: mod, TokenLabel: "t", PIN: []byte("1")})
	if !errors.Is(err, ErrNoCgo) || !strings.Contains(err.Error(), "CGO_ENABLED=1") {
		t.Fatalf("got %v", err)
	}
}
