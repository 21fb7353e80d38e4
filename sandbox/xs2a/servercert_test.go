package xs2a

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/payterm/payterm/sandbox/internal/servercert"
)

// startBank makes (New) a bank on dir at clock's time and returns its TLS leaf. It is not
// started: the certificate is made by New.
func startBank(t *testing.T, dir string, clock *fakeClock, rnd *countingReader) []byte {
	t.Helper()
	prof := ProfileBG()
	cfg := Config{Profile: &prof, DataDir: dir, Clock: clock.Now}
	if rnd != nil {
		cfg.Rand = rnd
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	leaf := b.serverTLS.Certificate[0]
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	return leaf
}

// countingReader is crypto randomness that counts what was read: an RSA-2048 key generation
// reads hundreds of bytes.
type countingReader struct{ n int }

func (c *countingReader) Read(p []byte) (int, error) {
	c.n += len(p)
	return rand.Read(p)
}

// TestServerCertKeptAcrossStarts: the bank's TLS key and certificate are made once, kept 0600,
// and reused by the next start without generating a key.
func TestServerCertKeptAcrossStarts(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	first := startBank(t, dir, clock, nil)
	for _, name := range []string{servercert.KeyFile, servercert.CertFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", name, fi, err)
		}
	}
	clock.Add(300 * 24 * time.Hour) // still valid for 30 more days
	rnd := &countingReader{}
	if again := startBank(t, dir, clock, rnd); !bytes.Equal(again, first) {
		t.Fatal("the server certificate was issued again")
	}
	if rnd.n > 64 {
		t.Fatalf("the restart read %d random bytes: it generated a key", rnd.n)
	}
}

// TestServerCertRenewed: a certificate that expires within 30 days, a damaged or mismatched
// key, a damaged certificate, or one from a CA the bank no longer has is replaced at start.
func TestServerCertRenewed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, dir string, clock *fakeClock)
	}{
		{"expiring", func(t *testing.T, dir string, clock *fakeClock) { clock.Add(340 * 24 * time.Hour) }},
		{"damaged certificate", func(t *testing.T, dir string, clock *fakeClock) {
			write(t, dir, servercert.CertFile, "not a certificate")
		}},
		{"damaged key", func(t *testing.T, dir string, clock *fakeClock) {
			write(t, dir, servercert.KeyFile, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n")
		}},
		{"another key", func(t *testing.T, dir string, clock *fakeClock) {
			other := t.TempDir()
			startBank(t, other, clock, nil)
			raw, err := os.ReadFile(filepath.Join(other, servercert.KeyFile))
			if err != nil {
				t.Fatal(err)
			}
			write(t, dir, servercert.KeyFile, string(raw))
		}},
		{"another CA", func(t *testing.T, dir string, clock *fakeClock) {
			for _, f := range []string{caCertFile, caKeyFile} {
				if err := os.Remove(filepath.Join(dir, f)); err != nil {
					t.Fatal(err)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			clock := &fakeClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
			first := startBank(t, dir, clock, nil)
			tc.spoil(t, dir, clock)
			second := startBank(t, dir, clock, nil)
			if bytes.Equal(first, second) {
				t.Fatal("the spoilt certificate was used")
			}
			if third := startBank(t, dir, clock, nil); !bytes.Equal(third, second) {
				t.Fatal("the renewed certificate was not kept")
			}
		})
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
