//go:build !unix

package sandbox

import "time"

// processCPU is not measured here; the benchmark then reports no CPU ratio.
func processCPU() time.Duration { return 0 }
