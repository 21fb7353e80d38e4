package specs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// EnvDir names the environment variable that overrides the specs directory.
const EnvDir = "PAYTERM_SPECS_DIR"

// ErrAbsent reports that the specs directory is not at its default location.
// Require turns it into a skip (or a failure under PAYTERM_REQUIRE_E2E=1).
var ErrAbsent = errors.New("official OpenAPI specs directory not found")

// Dir returns the directory holding the official OpenAPI files.
func Dir() (string, error) {
	if env := os.Getenv(EnvDir); env != "" {
		// An explicit setting that points nowhere is a configuration
		// mistake, not an absent optional tool: report it as an error.
		if err := isDir(env); err != nil {
			return "", fmt.Errorf("%s=%q: %w", EnvDir, env, err)
		}
		return env, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("locate specs: working directory: %w", err)
	}
	root, err := moduleRoot(wd)
	if err != nil {
		return "", fmt.Errorf("locate specs: %w", err)
	}
	dir := filepath.Join(root, "..", "shared", "specs", "uae-v2.1")
	if err := isDir(dir); err != nil {
		return "", fmt.Errorf("%w at %s (set %s): %v", ErrAbsent, dir, EnvDir, err)
	}
	return dir, nil
}

func moduleRoot(from string) (string, error) {
	for dir := from; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", from)
		}
		dir = parent
	}
}

func isDir(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", path)
	}
	return nil
}
