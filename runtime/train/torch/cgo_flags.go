//go:build cgo

package torch

// The binary links no libtorch: dtload.c opens libdaftorch.so (dt.cpp,
// built by the Makefile against libtorch) with dlopen on first use. To use
// another libtorch (a CUDA build, say), build that library with
// `make LIBTORCH=DIR` or point DAFSCRIPT_TORCH_LIB at one.

/*
#cgo LDFLAGS: -ldl
*/
import "C"
