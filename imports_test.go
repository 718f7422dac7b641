package dafscript_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/dafscript/dafscript"

// pkg is one package of the module as go list sees it.
type pkg struct {
	ImportPath string
	Imports    []string // direct
	Deps       []string // transitive
	CgoFiles   []string
}

// packages lists every package of the module, with CGO on so that the
// cgo files are listed too.
func packages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps,CgoFiles", module+"/...")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=1")
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list saw only %d packages", len(pkgs))
	}
	return pkgs
}

func under(path, dir string) bool {
	return path == module+"/"+dir || strings.HasPrefix(path, module+"/"+dir+"/")
}

// TestImportRules enforces the layering of docs/architecture.md:
// cmd -> {interp, builtins} -> runtime -> sim, with libtorch behind one
// package.
func TestImportRules(t *testing.T) {
	rules := []struct {
		name string
		// applies says which packages the rule constrains.
		applies func(p pkg) bool
		// transitive: check every dependency, not only direct imports.
		transitive bool
		// banned says whether importing path breaks the rule.
		banned func(path string) bool
	}{
		{"sim imports nothing of the project", func(p pkg) bool { return under(p.ImportPath, "sim") }, true,
			func(d string) bool { return strings.HasPrefix(d, module+"/") && !under(d, "sim") }},
		{"runtime never imports interp, builtins or cmd", func(p pkg) bool { return under(p.ImportPath, "runtime") }, true,
			func(d string) bool { return under(d, "interp") || under(d, "builtins") || under(d, "cmd") }},
		{"interp (the generic host) imports neither builtins, runtime nor cmd", func(p pkg) bool { return under(p.ImportPath, "interp") }, true,
			func(d string) bool { return under(d, "builtins") || under(d, "runtime") || under(d, "cmd") }},
		{"no package imports cmd", func(p pkg) bool { return true }, false,
			func(d string) bool { return under(d, "cmd") }},
		{"report does not import train", func(p pkg) bool { return under(p.ImportPath, "runtime/report") }, true,
			func(d string) bool { return under(d, "runtime/train") }},
	}
	applied := make([]int, len(rules))
	for _, p := range packages(t) {
		for i, r := range rules {
			if !r.applies(p) {
				continue
			}
			applied[i]++
			deps := p.Imports
			if r.transitive {
				deps = p.Deps
			}
			for _, d := range deps {
				if r.banned(d) {
					t.Errorf("%s: %s imports %s", r.name, p.ImportPath, d)
				}
			}
		}
	}
	for i, r := range rules {
		if applied[i] == 0 {
			t.Errorf("rule %q constrains no package: was a folder renamed?", r.name)
		}
	}
}

// TestOnlyTorchUsesCgo: no package but runtime/train/torch imports "C",
// so everything else builds with CGO_ENABLED=0.
func TestOnlyTorchUsesCgo(t *testing.T) {
	const allowed = module + "/runtime/train/torch"
	for _, p := range packages(t) {
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
}
