package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payterm/payterm/internal/hostilebank"
)

// TestExitMessageIsClean (issue 11): the exit message quotes an error, and errors quote text
// payterm did not write. Here a config file someone handed over names a setting whose quoted key
// is OSC 52 + OSC 2 + a C1 CSI + a right-to-left override; the config error quotes the key. What
// reaches stderr is one line of text.
func TestExitMessageIsClean(t *testing.T) {
	path := filepath.Join(t.TempDir(), "payterm.toml")
	key := `"bank\u001b]52;c;QUUwNzAzMzEyMzQ1Njc4OTAxMjM0NTY=\u0007\u001b]2;T\u0007\u009b2J\u202e00.125"`
	if err := os.WriteFile(path, []byte(key+" = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, context.Background(), "status", "--json", "--config", path)
	if code != 1 || !strings.Contains(stderr, "unknown setting") || !strings.Contains(stderr, "]52;c;QUUw") {
		t.Fatalf("want exit 1 quoting the unknown setting, got %d %q", code, stderr)
	}
	for name, s := range map[string]string{"stdout": stdout, "stderr": stderr} {
		if bad := hostilebank.Injected(s); bad != "" {
			t.Errorf("%s carries %s: %q", name, bad, s)
		}
	}
}

// TestResetOutputIsClean: payterm reset prints the data dir it works on; a path is not payterm's
// text either (here one holding OSC 2 and a C1 CSI). stdout and stderr carry no control.
func TestResetOutputIsClean(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data\x1b]2;T\x07\u009b2J")
	code, stdout, stderr := runCLI(t, context.Background(), "reset", "--yes", "--data-dir", dir)
	if code != 0 || !strings.Contains(stdout, "Nothing to reset") {
		t.Fatalf("reset --yes: %d %q %q", code, stdout, stderr)
	}
	for name, s := range map[string]string{"stdout": stdout, "stderr": stderr} {
		if bad := hostilebank.Injected(s); bad != "" {
			t.Errorf("%s carries %s: %q", name, bad, s)
		}
	}
}
