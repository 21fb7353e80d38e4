package keystore

import (
	"fmt"
	"os"
	"runtime"

	"github.com/payterm/payterm/internal/atomicfile"
)

// WriteFileAtomic writes data to path with mode 0600 so that a crash leaves either the old
// file or the new one (atomicfile.Write).
func WriteFileAtomic(path string, data []byte) error { return atomicfile.Write(path, data) }

// ReadPrivateFile reads a file the wallet wrote, refusing one that group or others can read
// or write: such a file was not written by us or has been tampered with.
func ReadPrivateFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s has mode %o; refusing a secret file others can access (want 0600)", path, st.Mode().Perm())
	}
	return os.ReadFile(path)
}
