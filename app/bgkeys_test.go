package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBerlinGroupKeysKeptAcrossStarts: an embedded Berlin Group bank's keys — the wallet's QWAC
// and QSealC keys and the bank's own TLS key — are made at the first start (0600) and reused,
// byte for byte, by the next; a damaged TPP key stops the start naming its file instead of being
// replaced behind the registration's back.
func TestBerlinGroupKeysKeptAcrossStarts(t *testing.T) {
	cfg := bgConfig(t, "psu_id = \"PSU-1234\"\n")
	clock := newSCAClock()
	openApp(t, cfg, clock).Close()
	bgDir := filepath.Join(cfg.ResolvedDataDir(), "banks", "berlin")
	files := []string{filepath.Join(bgTPPDir, bgQWACKey), filepath.Join(bgTPPDir, bgQSealKey),
		filepath.Join(bgBankDir, "server-key.pem"), filepath.Join(bgBankDir, "server-cert.pem")}
	first := map[string][]byte{}
	for _, f := range files {
		p := filepath.Join(bgDir, f)
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, fi, err)
		}
		if first[f], err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	openApp(t, cfg, clock).Close()
	for _, f := range files {
		if again, err := os.ReadFile(filepath.Join(bgDir, f)); err != nil || !bytes.Equal(again, first[f]) {
			t.Fatalf("%s changed at the restart (%v)", f, err)
		}
	}
	if err := os.WriteFile(filepath.Join(bgDir, bgTPPDir, bgQSealKey), []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), cfg, testOptions(clock))
	if err == nil {
		a.Close()
		t.Fatal("a damaged TPP key did not stop the start")
	}
	if !strings.Contains(err.Error(), bgQSealKey) {
		t.Fatalf("the error does not name the key file: %v", err)
	}
}
