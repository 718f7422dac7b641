package interp

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

// TestRunTestsOrderAndIsolation runs many files in parallel: results come
// back in file order, a panicking builtin fails only its test, and a test
// cannot change the module state another test sees.
func TestRunTestsOrderAndIsolation(t *testing.T) {
	files := map[string]string{}
	for i := 0; i < 12; i++ {
		files[fmt.Sprintf("s%02d_test.star", i)] = fmt.Sprintf("N = %d\ndef test_n():\n    assert.eq(N, %d)\n", i, i)
	}
	files["sub/z_test.star"] = `
state = {"x": 1}
def test_mutate_frozen():
    assert.fails(lambda: state.update(x = 2), "frozen")
def test_panic():
    boom()
def test_after_panic():
    assert.eq(state["x"], 1)
`
	files["sub/testdata/ignored_test.star"] = "def test_never():\n    fail('testdata is skipped')\n"
	dir := writeFiles(t, files)
	found, err := FindTestFiles([]string{dir + "/..."})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 13 {
		t.Fatalf("found %d files, want 13: %q", len(found), found)
	}
	boom := starlark.NewBuiltin("boom", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		panic("kaboom")
	})
	var order []string
	results := RunTests(context.Background(), found, TestConfig{
		Jobs: 4,
		HostConfig: func(file string) Config {
			return Config{Root: dir, WorkDir: dir, Predeclared: starlark.StringDict{"boom": boom}}
		},
	}, func(r *FileResult) { order = append(order, filepath.Base(r.File)) })
	want := []string{}
	for _, f := range found {
		want = append(want, filepath.Base(f))
	}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Fatalf("reported in order %q, want %q", order, want)
	}
	passed, failed := 0, 0
	for _, r := range results {
		passed += r.Passed()
		failed += r.Failed()
	}
	if passed != 14 || failed != 1 {
		var b bytes.Buffer
		for _, r := range results {
			WriteTestReport(&b, r, true)
		}
		t.Fatalf("%d passed, %d failed; want 14, 1\n%s", passed, failed, b.String())
	}
	last := results[len(results)-1]
	if msg := last.Tests[1].Message; !strings.Contains(msg, "kaboom") {
		t.Errorf("panic message %q", msg)
	}
}

func TestRunTestsFilterAndJUnit(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a_test.star": "def test_alpha():\n    pass\ndef test_beta():\n    assert.true(False, msg = 'beta is broken')\n",
	})
	results := RunTests(context.Background(), []string{filepath.Join(dir, "a_test.star")}, TestConfig{Run: regexp.MustCompile("beta")}, nil)
	if len(results[0].Tests) != 1 || results[0].Tests[0].Name != "test_beta" {
		t.Fatalf("-run beta ran %+v", results[0].Tests)
	}
	var b bytes.Buffer
	if err := WriteJUnit(&b, results); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`<testsuites tests="1" failures="1">`, `<testcase name="test_beta"`, `beta is broken: assert.true: got False`} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("JUnit output lacks %q:\n%s", s, b.String())
		}
	}
}
