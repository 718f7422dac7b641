//go:build unix

package serve

import "syscall"

// cpuSeconds returns the process's user+system CPU time, so that the
// benchmarks can report agent-steps per CPU second, which stays
// meaningful on a busy machine where wall time does not.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
