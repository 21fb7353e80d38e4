package secretservice

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/payterm/payterm/keystore"
	"github.com/zalando/go-keyring"
)

// requireSecretService skips without a usable Secret Service, or fails under
// PAYTERM_REQUIRE_E2E=1 (CI installs gnome-keyring and runs under dbus-run-session).
func requireSecretService(t *testing.T) {
	t.Helper()
	why := ""
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		why = "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset)"
	} else if err := keyring.Set(keystore.Service, "e2e-probe", "probe"); err != nil {
		why = "Secret Service not usable: " + err.Error()
	} else {
		_ = keyring.Delete(keystore.Service, "e2e-probe")
	}
	if why == "" {
		return
	}
	if os.Getenv("PAYTERM_REQUIRE_E2E") == "1" {
		t.Fatalf("PAYTERM_REQUIRE_E2E=1 but %s; run under dbus-run-session with gnome-keyring unlocked", why)
	}
	t.Skip(why + "; see the package doc for the command")
}

func TestRealSecretServiceRoundTrip(t *testing.T) {
	requireSecretService(t)
	dir := t.TempDir()
	s, err := keystore.Open(keystore.Options{DataDir: dir, Mode: keystore.ModeKeyring})
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind() != keystore.KindKeyring {
		t.Fatalf("kind %v", s.Kind())
	}
	small := []byte("totp-seed-JBSWY3DPEHPK3PXP")
	big := make([]byte, 9000) // several chunks: more than any Windows/macOS entry allows
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string][]byte{"sca.totp-seed": small, "token.refresh": big} {
		if err := s.Set(name, v); err != nil {
			t.Fatalf("Set %s: %v", name, err)
		}
		t.Cleanup(func() { _ = s.Delete(name) })
	}
	// A second Open (a restart) reads the same values back from gnome-keyring.
	again, err := keystore.Open(keystore.Options{DataDir: dir, Mode: keystore.ModeKeyring})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"sca.totp-seed": small, "token.refresh": big} {
		got, err := again.Get(name)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Get %s after reopen: %d bytes, %v", name, len(got), err)
		}
	}
	// The value really is in the Secret Service, visible to secret-tool, not in the data dir.
	if path, err := exec.LookPath("secret-tool"); err == nil {
		out, err := exec.Command(path, "search", "--all", "service", keystore.Service).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "token.refresh") {
			t.Fatalf("secret-tool does not list the entry: %v\n%s", err, out)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() == keystore.FileName {
			t.Fatal("an encrypted fallback file was written although the keyring works")
		}
	}
	if err := again.Delete("token.refresh"); err != nil {
		t.Fatal(err)
	}
	if _, err := again.Get("token.refresh"); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}
