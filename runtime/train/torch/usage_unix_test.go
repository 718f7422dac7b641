//go:build cgo && unix

package torch

import (
	"syscall"
	"time"
)

// usage is this process's CPU time (user and system) and its count of
// voluntary context switches.
func usage() (time.Duration, int64) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), int64(ru.Nvcsw)
}
