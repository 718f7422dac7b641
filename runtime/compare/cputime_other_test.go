//go:build !unix

package compare

func cpuSeconds() float64 { return 0 }
