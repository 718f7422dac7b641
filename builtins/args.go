package builtins

import (
	"fmt"
	"strconv"
	"strings"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/sim/suggest"
)

// UnpackArgs is starlark.UnpackArgs with a clearer error for an unknown
// keyword:
//
//	daf.compare: unexpected keyword argument "episods" (did you mean episodes?)
//
// pairs are as for starlark.UnpackArgs ("name", &v, "opt?", &w, ...).
func UnpackArgs(fnName string, args starlark.Tuple, kwargs []starlark.Tuple, pairs ...any) error {
	if err := CheckKeywords(fnName, kwargs, paramNames(pairs)); err != nil {
		return err
	}
	return starlark.UnpackArgs(fnName, args, kwargs, pairs...)
}

func paramNames(pairs []any) []string {
	names := make([]string, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		n, _ := pairs[i].(string)
		names = append(names, strings.TrimRight(n, "?"))
	}
	return names
}

// CheckKeywords reports the first keyword argument that is not one of
// known, with the closest known names.
func CheckKeywords(fnName string, kwargs []starlark.Tuple, known []string) error {
	for _, kw := range kwargs {
		name, _ := starlark.AsString(kw[0])
		ok := false
		for _, k := range known {
			if k == name {
				ok = true
				break
			}
		}
		if !ok {
			msg := fmt.Sprintf("%s: unexpected keyword argument %q", fnName, name)
			if h := keywordHint(name, known); h != "" {
				return fmt.Errorf("%s%s", msg, h)
			}
			return fmt.Errorf("%s (it takes %s)", msg, strings.Join(known, ", "))
		}
	}
	return nil
}

// keywordHint suggests, in this order of preference, the keywords within
// a typo of name, those whose leading words are ("episods" ->
// episodes_per_mission), or those that contain it.
func keywordHint(name string, known []string) string {
	lname := strings.ToLower(name)
	cut := suggest.Cutoff(name)
	var close []string
	for _, c := range suggest.Closest(name, known, 3) {
		if suggest.Distance(lname, strings.ToLower(c)) <= cut {
			close = append(close, c)
		}
	}
	if len(close) == 0 {
		for _, k := range known {
			parts := strings.Split(strings.ToLower(k), "_")
			for i := 1; i < len(parts); i++ {
				if suggest.Distance(lname, strings.Join(parts[:i], "_")) <= cut {
					close = append(close, k)
					break
				}
			}
		}
	}
	switch len(close) {
	case 0:
		return suggest.Hint(name, known, 3)
	case 1:
		return " (did you mean " + close[0] + "?)"
	}
	return " (did you mean " + strings.Join(close[:len(close)-1], ", ") + " or " + close[len(close)-1] + "?)"
}

// SeedArg reads a seed argument: None (or an unset argument, nil) means
// the run's seed (--seed, Env.Seed); otherwise a non-negative int below
// 2**64.
func SeedArg(t *starlark.Thread, v starlark.Value) (uint64, error) {
	switch x := v.(type) {
	case nil, starlark.NoneType:
		return EnvOf(t).Seed, nil
	case starlark.Int:
		u, ok := x.Uint64()
		if !ok {
			return 0, fmt.Errorf("seed: got %s, want an integer in [0, 2**64)", x)
		}
		return u, nil
	}
	return 0, fmt.Errorf("seed: got %s, want an int or None", v.Type())
}

// IntArg reads an optional int argument (nil or None gives def) and checks
// that it lies in [lo, hi].
func IntArg(argName string, v starlark.Value, def, lo, hi int) (int, error) {
	switch x := v.(type) {
	case nil, starlark.NoneType:
		return def, nil
	case starlark.Int:
		i, ok := x.Int64()
		if !ok || i < int64(lo) || i > int64(hi) {
			return 0, fmt.Errorf("%s: got %s, want an int in [%d, %d]", argName, x, lo, hi)
		}
		return int(i), nil
	}
	return 0, fmt.Errorf("%s: got %s, want an int", argName, v.Type())
}

// Strings reads a string or a list/tuple of strings.
func Strings(argName string, v starlark.Value) ([]string, error) {
	if s, ok := v.(starlark.String); ok {
		return []string{string(s)}, nil
	}
	it, ok := v.(starlark.Iterable)
	if !ok || isMapping(v) {
		return nil, fmt.Errorf("%s: got %s, want a string or a list of strings", argName, v.Type())
	}
	iter := it.Iterate()
	defer iter.Done()
	var out []string
	var e starlark.Value
	for i := 0; iter.Next(&e); i++ {
		s, ok := e.(starlark.String)
		if !ok {
			return nil, fmt.Errorf("%s[%d]: got %s, want a string", argName, i, e.Type())
		}
		out = append(out, string(s))
	}
	return out, nil
}

func isMapping(v starlark.Value) bool {
	_, ok := v.(starlark.IterableMapping)
	return ok
}

// elements returns v's items when v is a list or tuple, or v alone.
func elements(v starlark.Value) (items []starlark.Value, isList bool) {
	switch x := v.(type) {
	case *starlark.List:
		for i := 0; i < x.Len(); i++ {
			items = append(items, x.Index(i))
		}
		return items, true
	case starlark.Tuple:
		return append(items, x...), true
	}
	return []starlark.Value{v}, false
}

func indexed(argName string, i int, isList bool) string {
	if !isList {
		return argName
	}
	return argName + "[" + strconv.Itoa(i) + "]"
}
