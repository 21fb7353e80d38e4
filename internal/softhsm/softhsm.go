// Package softhsm gives tests a real PKCS#11 token: SoftHSM2 (Debian's softhsm2 package),
// with a fresh token initialised in the test's temporary directory through SOFTHSM2_CONF, so
// no test touches the machine's own tokens. A test that needs it skips with the reason when
// SoftHSM2 is absent (or the binary was built without cgo), and fails instead under
// PAYTERM_REQUIRE_E2E=1 (CI installs softhsm2).
package softhsm

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// EnvModule overrides where the SoftHSM2 module is looked for.
const EnvModule = "PAYTERM_SOFTHSM2_MODULE"

// modulePaths are where Debian (both layouts), other distributions and Homebrew put it.
var modulePaths = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib64/pkcs11/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
	"/opt/homebrew/lib/softhsm/libsofthsm2.so",
}

// Module returns the SoftHSM2 module's path, or why there is none.
func Module() (string, error) {
	if p := os.Getenv(EnvModule); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvModule, p, err)
		}
		return p, nil
	}
	for _, p := range modulePaths {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("SoftHSM2 is not installed (apt-get install softhsm2)")
}

// Token is a freshly initialised SoftHSM2 token.
type Token struct {
	Module string // the library path
	Label  string
	PIN    string // user PIN
	SOPIN  string // security officer PIN
	Dir    string // where the token's files are (and the softhsm2.conf)
}

// Require initialises a token labelled label for the test and points SOFTHSM2_CONF at it for
// the rest of the test (so the test must not be parallel). It skips when SoftHSM2 or cgo is
// missing, and fails instead under PAYTERM_REQUIRE_E2E=1.
func Require(t testing.TB, label string) Token {
	t.Helper()
	skip := func(reason string) {
		t.Helper()
		if os.Getenv("PAYTERM_REQUIRE_E2E") == "1" {
			t.Fatalf("PAYTERM_REQUIRE_E2E=1 but %s", reason)
		}
		t.Skipf("PKCS#11 test skipped: %s", reason)
	}
	if !cgoEnabled {
		skip("this test binary was built without cgo (CGO_ENABLED=0), which loading a PKCS#11 module needs")
	}
	module, err := Module()
	if err != nil {
		skip(err.Error())
	}
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		skip("softhsm2-util is not installed (apt-get install softhsm2)")
	}
	tok, err := Init(t.TempDir(), util, module, label)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", filepath.Join(tok.Dir, "softhsm2.conf"))
	return tok
}

// Init writes a softhsm2.conf under dir and initialises a token there with softhsm2-util.
// SOFTHSM2_CONF must then name dir/softhsm2.conf when the module is loaded.
func Init(dir, util, module, label string) (Token, error) {
	tok := Token{Module: module, Label: label, PIN: "4711-payterm", SOPIN: "8102-so-payterm", Dir: dir}
	tokens := filepath.Join(dir, "tokens")
	if err := os.MkdirAll(tokens, 0o700); err != nil {
		return Token{}, err
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return Token{}, err
	}
	cmd := exec.Command(util, "--init-token", "--free", "--label", label, "--pin", tok.PIN, "--so-pin", tok.SOPIN)
	cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+conf)
	if out, err := cmd.CombinedOutput(); err != nil {
		return Token{}, fmt.Errorf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	return tok, nil
}
