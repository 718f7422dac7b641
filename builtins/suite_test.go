package builtins

import (
	"os"
	"testing"

	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarktest"
	"go.starlark.net/syntax"
)

// TestStarlarkSuite runs testdata/core.star, which asserts what scripts
// rely on, with starlarktest's assert module.
func TestStarlarkSuite(t *testing.T) {
	src, err := os.ReadFile("testdata/core.star")
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Seed: 1, OutDir: t.TempDir()}
	th := &starlark.Thread{Name: "core.star"}
	starlarktest.SetReporter(th, t)
	SetEnv(th, env)
	assert, err := starlarktest.LoadAssertModule()
	if err != nil {
		t.Fatal(err)
	}
	pre := starlark.StringDict{"daf": NewModule(env), "json": json.Module, "assert": assert["assert"]}
	if _, err := starlark.ExecFileOptions(&syntax.FileOptions{Set: true, GlobalReassign: true}, th, "testdata/core.star", src, pre); err != nil {
		if ee, ok := err.(*starlark.EvalError); ok {
			t.Fatal(ee.Backtrace())
		}
		t.Fatal(err)
	}
}
