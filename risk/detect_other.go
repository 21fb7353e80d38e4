//go:build android || ios || !(linux || darwin || windows)

package risk

// detectPlatform knows nothing more on these systems without running
// external programs (getprop, sw_vers), which the wallet does not do.
func detectPlatform(*Device) {}
