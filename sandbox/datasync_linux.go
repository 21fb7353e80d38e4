package sandbox

import (
	"os"
	"syscall"
)

// datasync is fdatasync: the data and what is needed to read it back, not the mtime.
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
