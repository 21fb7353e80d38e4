package sandbox

import (
	"github.com/payterm/payterm/internal/atomicfile"
)

// writeFileAtomic writes data to path with mode 0600 so a crash leaves either the old or the
// new content, never a torn file.
func writeFileAtomic(path string, data []byte) error { return atomicfile.Write(path, data) }
