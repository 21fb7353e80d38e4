//go:build race

package e2e

// raceBuild: this test binary runs under the race detector, so payterm is built with -race too
// and every journey doubles as a race test of the real app (reports checked at cleanup).
const raceBuild = true
