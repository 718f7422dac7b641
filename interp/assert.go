package interp

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// An AssertionError is a failed assert.* or golden.check call, at the
// position of the call in the test file.
type AssertionError struct {
	Pos syntax.Position
	Msg string
}

func (e *AssertionError) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

func callerPos(t *starlark.Thread) syntax.Position {
	// Frame 0 is the builtin itself; frame 1 called it.
	if t.CallStackDepth() > 1 {
		return t.CallFrame(1).Pos
	}
	return syntax.Position{}
}

func failf(t *starlark.Thread, format string, a ...any) error {
	return &AssertionError{Pos: callerPos(t), Msg: fmt.Sprintf(format, a...)}
}

// AssertModule returns the `assert` module of *_test.star files, with
// extra members added (they may not replace the generic ones).
func AssertModule(extra starlark.StringDict) *starlarkstruct.Module {
	b := func(name string, fn func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error)) starlark.Value {
		return starlark.NewBuiltin("assert."+name, fn)
	}
	members := starlark.StringDict{
		"eq":       b("eq", assertEq),
		"ne":       b("ne", assertNe),
		"true":     b("true", assertTrue),
		"lt":       b("lt", assertLt),
		"contains": b("contains", assertContains),
		"approx":   b("approx", assertApprox),
		"fails":    b("fails", assertFails),
	}
	for k, v := range extra {
		if _, clash := members[k]; !clash {
			members[k] = v
		}
	}
	return &starlarkstruct.Module{Name: "assert", Members: members}
}

func withMsg(msg string, s string) string {
	if msg != "" {
		return msg + ": " + s
	}
	return s
}

func assertEq(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var got, want starlark.Value
	var msg string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "got", &got, "want", &want, "msg?", &msg); err != nil {
		return nil, err
	}
	eq, err := starlark.Equal(got, want)
	if err != nil {
		return nil, err
	}
	if !eq {
		return nil, failf(t, "%s", withMsg(msg, "assert.eq: values differ (-want +got):\n"+diff(want, got)))
	}
	return starlark.None, nil
}

func assertNe(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x, y starlark.Value
	var msg string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "got", &x, "unwanted", &y, "msg?", &msg); err != nil {
		return nil, err
	}
	eq, err := starlark.Equal(x, y)
	if err != nil {
		return nil, err
	}
	if eq {
		return nil, failf(t, "%s", withMsg(msg, fmt.Sprintf("assert.ne: both values are %s", x)))
	}
	return starlark.None, nil
}

func assertTrue(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var cond starlark.Value
	var msg string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "cond", &cond, "msg?", &msg); err != nil {
		return nil, err
	}
	if !cond.Truth() {
		return nil, failf(t, "%s", withMsg(msg, fmt.Sprintf("assert.true: got %s", cond)))
	}
	return starlark.None, nil
}

func assertLt(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x, y starlark.Value
	var msg string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "a", &x, "b", &y, "msg?", &msg); err != nil {
		return nil, err
	}
	lt, err := starlark.Compare(syntax.LT, x, y)
	if err != nil {
		return nil, err
	}
	if !lt {
		return nil, failf(t, "%s", withMsg(msg, fmt.Sprintf("assert.lt: want %s < %s", x, y)))
	}
	return starlark.None, nil
}

func assertContains(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var container, x starlark.Value
	var msg string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "container", &container, "x", &x, "msg?", &msg); err != nil {
		return nil, err
	}
	in, err := starlark.Binary(syntax.IN, x, container)
	if err != nil {
		return nil, err
	}
	if !in.Truth() {
		return nil, failf(t, "%s", withMsg(msg, fmt.Sprintf("assert.contains: %s not in %s", x, container)))
	}
	return starlark.None, nil
}

func assertApprox(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var got, want starlark.Value
	var tol float64
	var msg string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "got", &got, "want", &want, "tol", &tol, "msg?", &msg); err != nil {
		return nil, err
	}
	if tol < 0 || math.IsNaN(tol) {
		return nil, fmt.Errorf("%s: tol must be a non-negative number, got %v", b.Name(), tol)
	}
	if err := approx(got, want, tol, ""); err != "" {
		return nil, failf(t, "%s", withMsg(msg, "assert.approx: "+err))
	}
	return starlark.None, nil
}

// approx compares numbers, or lists/tuples of numbers element by element;
// it returns "" when they agree within tol.
func approx(got, want starlark.Value, tol float64, where string) string {
	gi, gSeq := got.(starlark.Indexable)
	wi, wSeq := want.(starlark.Indexable)
	if _, ok := got.(starlark.String); ok {
		gSeq = false
	}
	if _, ok := want.(starlark.String); ok {
		wSeq = false
	}
	if gSeq && wSeq {
		if gi.Len() != wi.Len() {
			return fmt.Sprintf("%slengths differ: got %d, want %d", where, gi.Len(), wi.Len())
		}
		for i := 0; i < gi.Len(); i++ {
			if s := approx(gi.Index(i), wi.Index(i), tol, fmt.Sprintf("%s[%d]: ", strings.TrimSuffix(where, ": "), i)); s != "" {
				return s
			}
		}
		return ""
	}
	g, ok1 := starlark.AsFloat(got)
	w, ok2 := starlark.AsFloat(want)
	if !ok1 || !ok2 {
		return fmt.Sprintf("%swant numbers (or lists of them), got %s and %s", where, got.Type(), want.Type())
	}
	if math.Abs(g-w) > tol || math.IsNaN(g) != math.IsNaN(w) {
		return fmt.Sprintf("%sgot %v, want %v ± %v (off by %v)", where, g, w, tol, math.Abs(g-w))
	}
	return ""
}

func assertFails(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fn starlark.Callable
	var pattern string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "fn", &fn, "pattern", &pattern); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("%s: bad pattern %q: %v", b.Name(), pattern, err)
	}
	_, err = starlark.Call(t, fn, nil, nil)
	if err == nil {
		return nil, failf(t, "assert.fails: %s succeeded, want an error matching %q", fn.Name(), pattern)
	}
	msg := err.Error()
	if ee, ok := err.(*starlark.EvalError); ok {
		msg = ee.Msg
	}
	if !re.MatchString(msg) {
		return nil, failf(t, "assert.fails: error %q does not match %q", msg, pattern)
	}
	return starlark.String(msg), nil
}

// goldenModule returns the `golden` module of one test file: check(name,
// value) compares value with testdata/NAME.golden next to the file, or
// writes it when update is set.
func goldenModule(dir, workDir string, update bool) *starlarkstruct.Module {
	validName := regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	check := func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var name string
		var v starlark.Value
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "value", &v); err != nil {
			return nil, err
		}
		if !validName.MatchString(name) || strings.HasPrefix(name, ".") {
			return nil, fmt.Errorf("%s: name %q: use letters, digits, '_', '-' and '.', e.g. \"baseline_rewards\"", b.Name(), name)
		}
		got, err := goldenText(t, v)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", b.Name(), err)
		}
		path := filepath.Join(dir, "testdata", name+".golden")
		shown := path
		if rel, err := filepath.Rel(workDir, path); err == nil && workDir != "" && !strings.HasPrefix(rel, "..") {
			shown = rel
		}
		if update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				return nil, err
			}
			return starlark.None, nil
		}
		want, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			return nil, failf(t, "golden.check: %s does not exist; run 'dafscript test -update' to create it", shown)
		}
		if err != nil {
			return nil, err
		}
		if string(want) != got {
			return nil, failf(t, "golden.check: %s differs (-want +got):\n%s(run 'dafscript test -update' if the change is intended)",
				shown, cmp.Diff(strings.SplitAfter(string(want), "\n"), strings.SplitAfter(got, "\n")))
		}
		return starlark.None, nil
	}
	return &starlarkstruct.Module{Name: "golden", Members: starlark.StringDict{
		"check": starlark.NewBuiltin("golden.check", check),
	}}
}

// goldenText is a value as a golden file holds it: a string as is, any
// other value as indented JSON (so diffs are line by line), ending in a
// newline.
func goldenText(t *starlark.Thread, v starlark.Value) (string, error) {
	var s string
	if str, ok := v.(starlark.String); ok {
		s = string(str)
	} else {
		js, err := toJSON(t, v)
		if err != nil {
			return "", err
		}
		s = js
	}
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s, nil
}

// diff renders the difference of two Starlark values as go-cmp does for
// their Go counterparts: nested lists and dicts diff element by element.
func diff(want, got starlark.Value) string {
	return cmp.Diff(toGo(want), toGo(got))
}

func toGo(v starlark.Value) any {
	switch v := v.(type) {
	case starlark.NoneType:
		return nil
	case starlark.Bool:
		return bool(v)
	case starlark.Int:
		if i, ok := v.Int64(); ok {
			return i
		}
		return v.String()
	case starlark.Float:
		return float64(v)
	case starlark.String:
		s := string(v)
		if strings.Contains(s, "\n") {
			return strings.SplitAfter(s, "\n")
		}
		return s
	case *starlark.List, starlark.Tuple:
		var out []any
		iter := starlark.Iterate(v)
		defer iter.Done()
		var x starlark.Value
		for iter.Next(&x) {
			out = append(out, toGo(x))
		}
		return out
	case *starlark.Dict:
		out := map[string]any{}
		for _, kv := range v.Items() {
			k := kv[0].String()
			if s, ok := kv[0].(starlark.String); ok {
				k = string(s)
			}
			out[k] = toGo(kv[1])
		}
		return out
	case starlark.HasAttrs:
		out := map[string]any{}
		names := v.AttrNames()
		sort.Strings(names)
		for _, n := range names {
			if x, err := v.Attr(n); err == nil && x != nil {
				if _, isFn := x.(starlark.Callable); !isFn {
					out[n] = toGo(x)
				}
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return v.String()
}

// toJSON encodes v with Starlark's json.encode_indent, two spaces deep.
func toJSON(t *starlark.Thread, v starlark.Value) (string, error) {
	enc := json.Module.Members["encode_indent"]
	out, err := starlark.Call(t, enc, starlark.Tuple{v}, []starlark.Tuple{{starlark.String("indent"), starlark.String("  ")}})
	if err != nil {
		return "", fmt.Errorf("value is not JSON-encodable (%v); pass a string or a struct/list/dict of plain values", err)
	}
	s, _ := starlark.AsString(out)
	return s, nil
}
