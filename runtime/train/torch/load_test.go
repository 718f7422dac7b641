//go:build cgo

package torch

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// The tests exercise the real libtorch, through the backend the Makefile
// builds; without it they would all fail the same way, so say it once.
func TestMain(m *testing.M) {
	if err := Load(); err != nil {
		fmt.Fprintf(os.Stderr, "the torch tests need the training backend: %v\n(make test-go, or make torch-lib and then go test)\n", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// TestTrampolines: every function dt.h declares has a trampoline in
// dtload.c, resolved to the loaded library's function, and no other.
func TestTrampolines(t *testing.T) {
	h, err := os.ReadFile("dt.h")
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^[A-Za-z_][A-Za-z0-9_ \t*]*?\b(dt_[a-z0-9_]+)\s*\(`)
	declared := map[string]bool{}
	for _, m := range decl.FindAllStringSubmatch(string(h), -1) {
		declared[m[1]] = true
	}
	if len(declared) < 10 {
		t.Fatalf("found only %d functions in dt.h: %v", len(declared), declared)
	}
	tr := trampolines()
	for name := range declared {
		resolved, ok := tr[name]
		switch {
		case !ok:
			t.Errorf("%s is declared in dt.h but has no trampoline in dtload.c (add it to DT_FUNCS and define it)", name)
		case !resolved:
			t.Errorf("%s: the trampoline does not call into %s", name, LoadedFrom())
		}
	}
	for name := range tr {
		if !declared[name] {
			t.Errorf("dtload.c has a trampoline for %s, which dt.h does not declare", name)
		}
	}
}

func TestLoadedFromCache(t *testing.T) {
	if os.Getenv(LibEnv) != "" {
		t.Skipf("%s overrides the embedded backend", LibEnv)
	}
	data, err := embedded(libFS)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(LoadedFrom())
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("loaded %s, which does not hold the embedded library (%v)", LoadedFrom(), err)
	}
	if filepath.Dir(LoadedFrom()) != cacheDir() {
		t.Errorf("loaded from %s, want a file in %s", LoadedFrom(), cacheDir())
	}
}

func TestExtract(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	data := []byte("not really a library")
	p, err := extract(data, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, data) {
		t.Fatalf("%s holds %q", p, got)
	}
	// A damaged copy is replaced; a good one is reused.
	if err := os.WriteFile(p, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p2, err := extract(data, dir); err != nil || p2 != p {
		t.Fatalf("second extract: %s, %v", p2, err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, data) {
		t.Fatalf("damaged copy not replaced: %q", got)
	}
	st1, _ := os.Stat(p)
	if _, err := extract(data, dir); err != nil {
		t.Fatal(err)
	}
	if st2, _ := os.Stat(p); !os.SameFile(st1, st2) {
		t.Error("a good copy was rewritten")
	}
	if other, _ := extract([]byte("another build"), dir); other == p {
		t.Error("two libraries share a name")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("cache holds %d files, want 2 (no temporary files left)", len(entries))
	}
}

func TestLoadErrors(t *testing.T) {
	var le *LoadError
	if _, err := embedded(fstest.MapFS{"lib/README.md": {Data: []byte("x")}}); !errors.As(err, &le) ||
		!strings.Contains(err.Error(), "not built into this dafscript") || !strings.Contains(err.Error(), "make build") {
		t.Errorf("without the library: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "libdaftorch.so")
	err := open(missing)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("open of a missing file: %v", err)
	}
	if err := openError(LibEnv+"="+missing, err); !errors.As(err, &le) || !strings.Contains(le.What, LibEnv+"="+missing) || le.Fix == "" {
		t.Errorf("open error: %v", err)
	}
	// What a machine without libtorch reports.
	err = openError("/x/libdaftorch.so", errors.New("libtorch_cpu.so.1.13: cannot open shared object file: No such file or directory"))
	if !strings.Contains(err.Error(), "libtorch could not be loaded") || !strings.Contains(err.Error(), "install libtorch-dev") {
		t.Errorf("without libtorch: %v", err)
	}
}
