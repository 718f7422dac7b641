package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// libtorchFiles are the names that mark libtorch or the training backend.
var libtorchFiles = []string{"libtorch", "libc10", "libdaftorch"}

func isLibtorch(path string) bool {
	for _, s := range libtorchFiles {
		if strings.Contains(filepath.Base(path), s) {
			return true
		}
	}
	return false
}

// TestNoLibtorchLinked: the binary does not link libtorch (loading it
// costs most of a second); the training backend is opened on first use.
func TestNoLibtorchLinked(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range libs {
		if isLibtorch(l) {
			t.Errorf("the binary links %s (all of %v)", l, libs)
		}
	}
}

// TestEmptyScriptLoadsNoLibtorch runs an empty script through Main in a
// fresh process (this test binary again, so that no other test has trained
// in it) and requires that nothing mapped libtorch.
func TestEmptyScriptLoadsNoLibtorch(t *testing.T) {
	if os.Getenv("DAFSCRIPT_STARTUP_CHILD") == "1" {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "empty.star"), []byte("x = 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		st, out, errs := testState(dir)
		if code := Main(st, []string{"empty.star"}); code != ExitOK {
			t.Fatalf("exit code %d\n%s%s", code, out, errs)
		}
		maps, err := os.ReadFile("/proc/self/maps")
		if err != nil {
			t.Skipf("no /proc/self/maps: %v", err)
		}
		for _, line := range strings.Split(string(maps), "\n") {
			if f := strings.Fields(line); len(f) >= 6 && isLibtorch(f[len(f)-1]) {
				t.Errorf("mapped after an empty script: %s", line)
			}
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestEmptyScriptLoadsNoLibtorch$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "DAFSCRIPT_STARTUP_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Contains(string(out), "SKIP") {
		t.Skipf("%s", out)
	}
}
