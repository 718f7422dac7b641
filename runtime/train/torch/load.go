//go:build cgo

package torch

/*
#include <stdlib.h>
#include "dtload.h"
*/
import "C"

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unsafe"
)

// The Makefile builds dt.cpp into lib/libdaftorch.so before compiling this
// package; embedding it keeps dafscript one file. lib/ always holds a
// README, so the package compiles (without a backend) when nobody built it.
//
//go:embed lib
var libFS embed.FS

const (
	libFile = "lib/libdaftorch.so"
	// LibEnv names a libdaftorch.so to load instead of the embedded one
	// (one built against a CUDA libtorch, or a development build).
	LibEnv = "DAFSCRIPT_TORCH_LIB"
)

var (
	loadOnce sync.Once
	loadErr  error
	loadPath string
)

// Load opens the training backend, once per process: the library named by
// DAFSCRIPT_TORCH_LIB, else the embedded one, written to the user cache
// directory first. Nothing calls it before a network is needed, so that
// scripts that do not train never load libtorch. Its error is a *LoadError.
func Load() error {
	loadOnce.Do(func() { loadPath, loadErr = load() })
	return loadErr
}

// LoadedFrom is the path of the loaded backend ("" before Load succeeds).
func LoadedFrom() string {
	if Load() != nil {
		return ""
	}
	return loadPath
}

var errNotBuilt = &LoadError{
	What: "the training backend is not built into this dafscript (it was built without libdaftorch.so)",
	Fix:  "build with `make build`, or set " + LibEnv + "=/path/to/libdaftorch.so",
}

func load() (string, error) {
	if p := os.Getenv(LibEnv); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			abs = p
		}
		if err := open(abs); err != nil {
			return "", openError(LibEnv+"="+p, err)
		}
		return abs, nil
	}
	data, err := embedded(libFS)
	if err != nil {
		return "", err
	}
	dir := cacheDir()
	path, err := extract(data, dir)
	if err != nil {
		return "", &LoadError{What: "the training backend could not be written to " + dir + ": " + err.Error(),
			Fix: "make that directory writable (or set XDG_CACHE_HOME), or set " + LibEnv + "=/path/to/libdaftorch.so"}
	}
	if err := open(path); err != nil {
		return "", openError("the training backend "+path, err)
	}
	return path, nil
}

// embedded returns the library the binary was built with.
func embedded(fsys fs.FS) ([]byte, error) {
	data, err := fs.ReadFile(fsys, libFile)
	if err != nil || len(data) == 0 {
		return nil, errNotBuilt
	}
	return data, nil
}

// openError explains a dlopen failure of what (the library, as the user
// would name it): most often libtorch itself is missing (a binary copied to
// a machine without libtorch-dev).
func openError(what string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "libtorch") || strings.Contains(msg, "libc10") {
		return &LoadError{What: "libtorch could not be loaded: " + msg,
			Fix: "install libtorch-dev (apt-get install libtorch-dev), or set " + LibEnv + " to a libdaftorch.so built against the libtorch you have (make LIBTORCH=DIR torch-lib)"}
	}
	return &LoadError{What: what + " could not be loaded: " + msg,
		Fix: "check that libtorch-dev is installed and that the directory allows executable mappings (not mounted noexec), or set " + LibEnv + "=/path/to/libdaftorch.so built with `make torch-lib`"}
}

func cacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "dafscript")
}

// extract writes data to dir, named by its sha256, unless a file of that
// content is there already, and returns its path. The write is atomic (a
// temporary file, synced, then renamed), so processes starting at the same
// time never load a partial library.
func extract(data []byte, dir string) (string, error) {
	sum := sha256.Sum256(data)
	name := "libdaftorch-" + hex.EncodeToString(sum[:]) + ".so"
	path := filepath.Join(dir, name)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, name+".tmp*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o755)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return path, nil
}

// open dlopens the library at path and resolves the trampolines' targets.
func open(path string) error {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	if e := C.dtl_open(cp); e != nil {
		defer C.free(unsafe.Pointer(e))
		return errors.New(strings.TrimSpace(C.GoString(e)))
	}
	return nil
}

// trampolines lists the functions dtload.c forwards to the library and
// whether each is resolved (for tests).
func trampolines() map[string]bool {
	out := map[string]bool{}
	for i := 0; i < int(C.dtl_count()); i++ {
		out[C.GoString(C.dtl_name(C.int(i)))] = C.dtl_resolved(C.int(i)) != 0
	}
	return out
}
