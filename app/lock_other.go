//go:build !unix

package app

// dirLock is not implemented where flock is missing (Windows): running two payterm processes
// on one data dir is unsupported there, as the sca and keystore docs also say.
type dirLock struct{}

func lockDataDir(dir string) (*dirLock, error) { return &dirLock{}, nil }

func (l *dirLock) release() {}
