//go:build cgo && !unix

package torch

import "time"

// usage is not measured here.
func usage() (time.Duration, int64) { return 0, 0 }
