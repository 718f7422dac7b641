package builtins

import (
	"errors"
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

func init() {
	// Test-only builtins that exercise guard().
	Register("test_panic", "daf.test_panic()\n\nPanics (tests only).", func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var m map[string]int
		m["x"] = 1 // nil map write
		return starlark.None, nil
	})
	Register("test_error", "daf.test_error()\n\nFails (tests only).", func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return nil, errors.New("something went wrong")
	})
	Register("test_env", "daf.test_env()\n\nReturns the Env's seed and jobs (tests only).", func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		e := EnvOf(t)
		return starlark.Tuple{starlark.MakeUint64(e.Seed), starlark.MakeInt(e.Jobs), starlark.String(e.OutDir)}, nil
	})
}

func TestModuleNamesAndDocs(t *testing.T) {
	m := NewModule(&Env{})
	if m.Name != "daf" {
		t.Fatalf("module name %q", m.Name)
	}
	docs := Docs()
	for _, n := range Names() {
		b, ok := m.Members[n].(*starlark.Builtin)
		if !ok {
			t.Fatalf("daf.%s is a %T", n, m.Members[n])
		}
		if b.Name() != "daf."+n {
			t.Errorf("builtin %s is named %q", n, b.Name())
		}
		if d := docs["daf."+n]; !strings.HasPrefix(d, "daf."+n) || !strings.Contains(d, "\n\n") {
			t.Errorf("doc of daf.%s must start with its signature and have a description: %q", n, d)
		}
	}
	for _, want := range []string{"missions", "mission", "policy", "episode", "check_environment", "recommended_device"} {
		if _, ok := m.Members[want]; !ok {
			t.Errorf("daf.%s is not registered", want)
		}
	}
	if _, ok := docs["daf.vars"]; !ok {
		t.Error("daf.vars is not documented")
	}
}

func TestRegisterRejects(t *testing.T) {
	fn := func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return nil, nil
	}
	for _, tc := range []struct {
		name string
		fn   Func
	}{
		{"", fn}, {"daf.x", fn}, {"a.b", fn}, {"vars", fn}, {"episode", fn}, {"new_thing", nil},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", tc.name)
				}
			}()
			Register(tc.name, "doc", tc.fn)
		}()
	}
}

func TestVars(t *testing.T) {
	env := &Env{Vars: map[string]string{"b": "2", "a": "1", "c": "x"}}
	_, out := mustExec(t, env, `
print(daf.vars)
print(daf.vars.get("episodes", "10"), daf.vars["a"])
`)
	if want := "{\"a\": \"1\", \"b\": \"2\", \"c\": \"x\"}\n10 1\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
	_, _, err := exec(t, env, `daf.vars["d"] = "4"`)
	if err == nil || !strings.Contains(err.Error(), "frozen") {
		t.Errorf("assigning to daf.vars: %v, want a frozen-dict error", err)
	}
	_, out = mustExec(t, &Env{}, `print(len(daf.vars))`)
	if out != "0\n" {
		t.Errorf("no vars: %q", out)
	}
}

func TestGuard(t *testing.T) {
	wantErr(t, `daf.test_panic()`, "daf.test_panic: internal error: assignment to entry in nil map (this is a bug in dafscript")
	wantErr(t, `daf.test_error()`, "daf.test_error: something went wrong")
	if got := errText(t, `daf.test_error()`); strings.Count(got, "daf.test_error:") != 1 {
		t.Errorf("error named twice: %q", got)
	}
	wantErr(t, `daf.mission("training_facility_1", nme=1)`, `daf.mission: unexpected keyword argument "nme" (did you mean name?)`)
}

func TestEnvDefaults(t *testing.T) {
	_, out := mustExec(t, &Env{}, `print(daf.test_env())`)
	if out != "(0, 1, \"daf_output\")\n" {
		t.Errorf("defaults: %q", out)
	}
	_, out = mustExec(t, &Env{Seed: 42, Jobs: 8, OutDir: "/x"}, `print(daf.test_env())`)
	if out != "(42, 8, \"/x\")\n" {
		t.Errorf("set: %q", out)
	}
	// A thread without an Env still gets one.
	e := EnvOf(&starlark.Thread{})
	if e.Ctx == nil || e.Stdout == nil || e.Logger == nil || e.Jobs != 1 {
		t.Errorf("EnvOf of a bare thread: %+v", e)
	}
	if EnvOf(nil) == nil {
		t.Error("EnvOf(nil) is nil")
	}
}
