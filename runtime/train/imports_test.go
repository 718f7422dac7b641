package train

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyTorchUsesCgo enforces the import rule: no package of the module
// but runtime/train/torch imports "C", so everything else builds with
// CGO_ENABLED=0.
func TestOnlyTorchUsesCgo(t *testing.T) {
	cmd := exec.Command("go", "list", "-json=ImportPath,CgoFiles,Imports", "github.com/dafscript/dafscript/...")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=1")
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	const allowed = "github.com/dafscript/dafscript/runtime/train/torch"
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			CgoFiles   []string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		seen++
		usesC := len(p.CgoFiles) > 0
		for _, imp := range p.Imports {
			usesC = usesC || imp == "C"
		}
		if usesC && p.ImportPath != allowed {
			t.Errorf("%s uses cgo (files %v); only %s may", p.ImportPath, p.CgoFiles, allowed)
		}
		if p.ImportPath == allowed && len(p.CgoFiles) == 0 {
			t.Errorf("%s has no cgo files: is libtorch linked at all?", allowed)
		}
	}
	if seen < 5 {
		t.Fatalf("go list saw only %d packages", seen)
	}
}
