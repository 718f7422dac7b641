//go:build !unix

package sweepop

func cpuSeconds() float64 { return 0 }
