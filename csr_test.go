package main

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payterm/payterm/internal/softhsm"
)

// TestCSRCommand: `payterm csr` is documented, needs --bank and [pkcs11], and with a token
// writes a transport and a signing request whose keys are in the token (no private key is
// printed or written).
func TestCSRCommand(t *testing.T) {
	ctx := context.Background()
	if code, _, stderr := runCLI(t, ctx, "help"); code != 0 || !strings.Contains(stderr, "payterm csr --bank ID") {
		t.Fatalf("usage does not document csr: %q", stderr)
	}
	if code, _, stderr := runCLI(t, ctx, "csr"); code != 2 || !strings.Contains(stderr, "csr needs --bank ID") {
		t.Fatalf("csr without --bank: %d %q", code, stderr)
	}
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, ctx, "csr", "--bank", "sandbox", "--cn", "c1", "--data-dir", dir, "--config", filepath.Join(dir, "none.toml")); code != 1 || !strings.Contains(stderr, "read config") {
		t.Fatalf("csr with a missing config file: %d %q", code, stderr)
	}
	plain := filepath.Join(dir, "plain.toml")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, ctx, "csr", "--bank", "sandbox", "--cn", "c1", "--config", plain, "--data-dir", dir); code != 1 || !strings.Contains(stderr, "configure [pkcs11] first") {
		t.Fatalf("csr without [pkcs11]: %d %q", code, stderr)
	}

	tok := softhsm.Require(t, "payterm-cli")
	t.Setenv("PAYTERM_TEST_CLI_PIN", tok.PIN)
	conf := filepath.Join(dir, "token.toml")
	body := "[pkcs11]\nmodule = \"" + tok.Module + "\"\ntoken_label = \"payterm-cli\"\npin_source = \"env:PAYTERM_TEST_CLI_PIN\"\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	outDir := t.TempDir()
	code, out, stderr := runCLI(t, ctx, "csr", "--bank", "sandbox", "--cn", "my-client", "--org", "My TPP", "--org-id", "org-7", "--config", conf, "--data-dir", dir, "--out", outDir)
	if code != 0 || !strings.Contains(out, "sandbox-transport.csr") {
		t.Fatalf("csr --out: %d %q %q", code, out, stderr)
	}
	for _, use := range []string{"transport", "signing"} {
		raw, err := os.ReadFile(filepath.Join(outDir, "sandbox-"+use+".csr"))
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(raw)
		if blk == nil || blk.Type != "CERTIFICATE REQUEST" || strings.Contains(string(raw), "PRIVATE") {
			t.Fatalf("%s request file: %q", use, raw)
		}
		csr, err := x509.ParseCertificateRequest(blk.Bytes)
		if err != nil || csr.CheckSignature() != nil || csr.Subject.String() != "CN=my-client,OU=org-7,O=My TPP,C=AE" {
			t.Fatalf("%s request: %v %+v", use, err, csr)
		}
	}
	// Printed, the same keys are found again (not generated anew).
	code, out, _ = runCLI(t, ctx, "csr", "--bank", "sandbox", "--cn", "my-client", "--config", conf, "--data-dir", dir)
	if code != 0 || strings.Count(out, "BEGIN CERTIFICATE REQUEST") != 2 || !strings.Contains(out, `label "payterm-sandbox-signing"`) {
		t.Fatalf("csr to stdout: %d %q", code, out)
	}
	first, _ := os.ReadFile(filepath.Join(outDir, "sandbox-signing.csr"))
	a, _ := pem.Decode(first)
	rest := out[strings.Index(out, "# signing"):]
	b, _ := pem.Decode([]byte(rest[strings.Index(rest, "-----BEGIN"):]))
	ra, _ := x509.ParseCertificateRequest(a.Bytes)
	rb, _ := x509.ParseCertificateRequest(b.Bytes)
	if ra == nil || rb == nil || !ra.PublicKey.(*rsa.PublicKey).Equal(rb.PublicKey) {
		t.Fatal("a second csr run made a new signing key instead of finding the first")
	}
}
