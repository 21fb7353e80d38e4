//go:build !unix

package sca

// lockDataDir is a no-op where flock is unavailable (Windows): the in-process mutex still
// serialises one wallet; two wallet processes on one data dir are not supported there.
func (a *Authenticator) lockDataDir() (func(), error) { return func() {}, nil }
