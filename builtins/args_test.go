package builtins

import (
	"testing"

	"go.starlark.net/starlark"
)

func TestUnpackArgsKeywords(t *testing.T) {
	params := []string{"policies", "missions", "episodes_per_mission", "seed", "max_steps"}
	for _, tc := range []struct{ kw, want string }{
		{"seed", ""},
		{"episods", `f: unexpected keyword argument "episods" (did you mean episodes_per_mission?)`},
		{"episodes", `f: unexpected keyword argument "episodes" (did you mean episodes_per_mission?)`},
		{"mission", `f: unexpected keyword argument "mission" (did you mean missions?)`},
		{"Seed", `f: unexpected keyword argument "Seed" (did you mean seed?)`},
		{"max", `f: unexpected keyword argument "max" (did you mean max_steps?)`},
		{"colour", `f: unexpected keyword argument "colour" (it takes policies, missions, episodes_per_mission, seed, max_steps)`},
	} {
		t.Run(tc.kw, func(t *testing.T) {
			var p, m, e, s, x starlark.Value
			kwargs := []starlark.Tuple{{starlark.String("policies"), starlark.None}, {starlark.String(tc.kw), starlark.MakeInt(1)}}
			err := UnpackArgs("f", nil, kwargs, "policies", &p, "missions?", &m, "episodes_per_mission?", &e, "seed?", &s, "max_steps??", &x)
			checkErr(t, err, tc.want)
			if err := CheckKeywords("f", kwargs, params); (err == nil) != (tc.want == "") {
				t.Errorf("CheckKeywords: %v", err)
			}
		})
	}
}

func TestSeedArg(t *testing.T) {
	th := &starlark.Thread{}
	SetEnv(th, &Env{Seed: 99})
	for _, tc := range []struct {
		in   starlark.Value
		want uint64
		err  string
	}{
		{nil, 99, ""},
		{starlark.None, 99, ""},
		{starlark.MakeInt(0), 0, ""},
		{starlark.MakeUint64(1<<64 - 1), 1<<64 - 1, ""},
		{starlark.MakeInt(-1), 0, "seed: got -1, want an integer in [0, 2**64)"},
		{starlark.MakeInt(1).Lsh(64), 0, "want an integer in [0, 2**64)"},
		{starlark.Float(1), 0, "seed: got float, want an int or None"},
		{starlark.String("7"), 0, "seed: got string, want an int or None"},
	} {
		got, err := SeedArg(th, tc.in)
		if checkErr(t, err, tc.err) {
			continue
		}
		if got != tc.want {
			t.Errorf("SeedArg(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestIntArgAndStrings(t *testing.T) {
	for _, tc := range []struct {
		in   starlark.Value
		want int
		err  string
	}{
		{nil, 5, ""},
		{starlark.None, 5, ""},
		{starlark.MakeInt(3), 3, ""},
		{starlark.MakeInt(0), 0, "n: got 0, want an int in [1, 10]"},
		{starlark.MakeInt(11), 0, "n: got 11, want an int in [1, 10]"},
		{starlark.True, 0, "n: got bool, want an int"},
	} {
		got, err := IntArg("n", tc.in, 5, 1, 10)
		if checkErr(t, err, tc.err) {
			continue
		}
		if got != tc.want {
			t.Errorf("IntArg(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   starlark.Value
		want string
		err  string
	}{
		{starlark.String("a"), "a", ""},
		{starlark.NewList([]starlark.Value{starlark.String("a"), starlark.String("b")}), "a,b", ""},
		{starlark.Tuple{}, "", ""},
		{starlark.NewList([]starlark.Value{starlark.String("a"), starlark.MakeInt(1)}), "", "xs[1]: got int, want a string"},
		{starlark.NewDict(0), "", "xs: got dict, want a string or a list of strings"},
		{starlark.MakeInt(1), "", "xs: got int, want a string or a list of strings"},
	} {
		got, err := Strings("xs", tc.in)
		if checkErr(t, err, tc.err) {
			continue
		}
		if s := joinComma(got); s != tc.want {
			t.Errorf("Strings(%v) = %q, want %q", tc.in, s, tc.want)
		}
	}
}

func joinComma(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}
