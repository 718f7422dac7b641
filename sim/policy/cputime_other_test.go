//go:build !unix

package policy

func cpuSeconds() float64 { return 0 }
