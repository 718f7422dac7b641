//go:build !unix

package envcheck

import (
	"errors"
	"runtime"
)

func statfs(string) (free, total uint64, err error) {
	return 0, 0, errors.New("not measured on " + runtime.GOOS)
}
