//go:build cgo

package torch

// Debian's libtorch-dev layout by default. To build against another
// libtorch (a CUDA build, say), put its include and lib directories in
// CGO_CXXFLAGS and CGO_LDFLAGS (the Makefile does so for LIBTORCH=DIR):
// cgo places those before the flags below, so they win.

/*
#cgo CXXFLAGS: -std=c++17 -O2 -I/usr/include/torch/csrc/api/include -Wno-deprecated-declarations
#cgo LDFLAGS: -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -Wl,--as-needed -lstdc++ -lm -ldl
*/
import "C"
