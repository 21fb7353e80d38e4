//go:build !linux

package firstframe

import (
	"errors"
	"os"
)

func openPTY(cols, rows uint16) (master, slave *os.File, err error) {
	return nil, nil, errors.New("firstframe: pseudo-terminals are only opened on Linux")
}
