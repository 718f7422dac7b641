package builtins

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/dafscript/dafscript/runtime/train"
)

// exec runs src with the daf and json modules and returns its globals and
// what it printed.
func exec(t *testing.T, env *Env, src string) (starlark.StringDict, string, error) {
	t.Helper()
	if env == nil {
		env = &Env{Seed: 1}
	}
	var out bytes.Buffer
	th := &starlark.Thread{Name: "test", Print: func(_ *starlark.Thread, msg string) { out.WriteString(msg + "\n") }}
	SetEnv(th, env)
	pre := starlark.StringDict{"daf": NewModule(env), "json": json.Module}
	g, err := starlark.ExecFileOptions(&syntax.FileOptions{Set: true, While: true, TopLevelControl: true, GlobalReassign: true}, th, "test.star", src, pre)
	return g, out.String(), err
}

// mustExec is exec that fails the test on error.
func mustExec(t *testing.T, env *Env, src string) (starlark.StringDict, string) {
	t.Helper()
	g, out, err := exec(t, env, src)
	if err != nil {
		if ee, ok := err.(*starlark.EvalError); ok {
			t.Fatalf("%s", ee.Backtrace())
		}
		t.Fatal(err)
	}
	return g, out
}

// errText runs src and returns its error message ("" if none).
func errText(t *testing.T, src string) string {
	t.Helper()
	_, _, err := exec(t, nil, src)
	if err == nil {
		return ""
	}
	if ee, ok := err.(*starlark.EvalError); ok {
		return ee.Msg
	}
	return err.Error()
}

func wantErr(t *testing.T, src, want string) {
	t.Helper()
	got := errText(t, src)
	if want == "" {
		if got != "" {
			t.Errorf("%s\nunexpected error: %s", src, got)
		}
		return
	}
	if !strings.Contains(got, want) {
		t.Errorf("%s\nerror %q\nwant it to contain %q", src, got, want)
	}
}

var errAssert = errors.New("assertion failed")

func jsonModule() starlark.Value { return json.Module }

// checkRun compares a run's output and error with the expected ones.
func checkRun(t *testing.T, out string, err error, wantOut, wantErr string) {
	t.Helper()
	if checkErr(t, err, wantErr) {
		return
	}
	if out != wantOut {
		t.Errorf("output %q, want %q", out, wantOut)
	}
}

// checkErr reports whether the case expected an error (and checks it).
func checkErr(t *testing.T, err error, want string) bool {
	t.Helper()
	msg := ""
	if err != nil {
		msg = err.Error()
		if ee, ok := err.(*starlark.EvalError); ok {
			msg = ee.Msg
		}
	}
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %s", msg)
	case want != "" && err == nil:
		t.Fatalf("no error, want %q", want)
	case want != "" && !strings.Contains(msg, want):
		t.Fatalf("error %q\nwant it to contain %q", msg, want)
	}
	return want != ""
}

// evalExpr evaluates a Starlark expression with the daf module and the
// given extra globals (Starlark values).
func evalExpr(t *testing.T, expr string, globals map[string]any) starlark.Value {
	t.Helper()
	env := &Env{}
	pre := starlark.StringDict{"daf": NewModule(env)}
	for k, v := range globals {
		pre[k] = v.(starlark.Value)
	}
	th := &starlark.Thread{}
	SetEnv(th, env)
	v, err := starlark.EvalOptions(&syntax.FileOptions{}, th, "expr", expr, pre)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func itoa(i int) string { return strconv.Itoa(i) }

// listText prints strings as a Starlark list does.
func listText(ss []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(s))
	}
	b.WriteByte(']')
	return b.String()
}

func uitoa(u uint64) string { return strconv.FormatUint(u, 10) }

// The neural policies are wired by the program (cmd/dafscript); these
// tests wire them the same way.
func init() { train.Register() }
