//go:build unix

package sweepop

import "syscall"

// cpuSeconds returns the process's user+system CPU time, so that the
// benchmark can report CPU cost per trial, which stays meaningful on a
// busy machine where wall-clock figures do not.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
