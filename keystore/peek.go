package keystore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// FileHasPassphrase reports whether the encrypted secrets file in dataDir needs a passphrase to
// open; false when there is no such file. It reads the file's header only (no key is derived),
// so a caller can learn before the slow open whether that open would have to ask the user. The
// header is authenticated at the real open: an edited flag is caught there, not here.
func FileHasPassphrase(dataDir string) (bool, error) {
	raw, err := os.ReadFile(filepath.Join(dataDir, FileName))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("keystore: read the secrets file: %w", err)
	}
	var env fileEnvelope
	if err := json.Unmarshal(raw, &env); err != nil || env.Header.Version != fileVersion {
		return false, fmt.Errorf("keystore: secrets file: %w: not a payterm secrets file", ErrCorrupt)
	}
	return env.Header.Passphrase, nil
}
