package builtins

import (
	"math"
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

type inner struct {
	Mean float64 `json:"mean"`
	N    int     `json:"n"`
}

type Base struct {
	ID string `json:"id"`
}

type sample struct {
	Base
	Name      string             `json:"name"`
	Seed      uint64             `json:"seed"`
	Scores    []float64          `json:"scores"`
	Empty     []string           `json:"empty"`
	ByName    map[string]inner   `json:"by_name"`
	Counts    map[int]int        `json:"counts"`
	Undefined float64            `json:"undefined"`
	Inner     *inner             `json:"inner"`
	NilInner  *inner             `json:"nil_inner"`
	Hidden    string             `json:"-"`
	NoTag     bool               //
	Omitted   string             `json:"omitted,omitempty"`
	Nested    map[string][]int32 `json:"nested"`
	private   int
}

func sampleValue() sample {
	return sample{
		Base:      Base{ID: "s1"},
		Name:      "x",
		Seed:      math.MaxUint64,
		Scores:    []float64{1, 2.5},
		ByName:    map[string]inner{"b": {2, 3}, "a": {1, 2}},
		Counts:    map[int]int{10: 1, 2: 2},
		Undefined: math.NaN(),
		Inner:     &inner{0.5, 1},
		Hidden:    "secret",
		NoTag:     true,
		Nested:    map[string][]int32{"k": {1, 2}},
		private:   7,
	}
}

func TestNewResult(t *testing.T) {
	v, err := NewResult("Sample", sampleValue())
	if err != nil {
		t.Fatal(err)
	}
	r := v.(*Result)
	wantNames := []string{"by_name", "counts", "empty", "id", "inner", "name", "nested", "nil_inner", "no_tag", "omitted", "scores", "seed", "undefined"}
	if got := strings.Join(r.AttrNames(), ","); got != strings.Join(wantNames, ",") {
		t.Errorf("attrs %s\nwant  %s", got, strings.Join(wantNames, ","))
	}
	wantStr := `Sample(by_name = {"a": inner(mean = 1.0, n = 2), "b": inner(mean = 2.0, n = 3)}, counts = {"10": 1, "2": 2}, empty = [], id = "s1", inner = inner(mean = 0.5, n = 1), name = "x", nested = {"k": [1, 2]}, nil_inner = None, no_tag = True, omitted = "", scores = [1.0, 2.5], seed = 18446744073709551615, undefined = None)`
	if r.String() != wantStr {
		t.Errorf("String:\n%s\nwant\n%s", r.String(), wantStr)
	}
	js, err := EncodeJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	wantJS := `{"by_name":{"a":{"mean":1.0,"n":2},"b":{"mean":2.0,"n":3}},"counts":{"10":1,"2":2},"empty":[],"id":"s1","inner":{"mean":0.5,"n":1},"name":"x","nested":{"k":[1,2]},"nil_inner":null,"no_tag":true,"omitted":"","scores":[1.0,2.5],"seed":18446744073709551615,"undefined":null}`
	if js != wantJS {
		t.Errorf("json:\n%s\nwant\n%s", js, wantJS)
	}
	kind, gv, ok := ResultOf(v)
	if !ok || kind != "Sample" || gv.(sample).Hidden != "secret" {
		t.Errorf("ResultOf = %q, %v, %v", kind, gv, ok)
	}
	if _, _, ok := ResultOf(starlark.String("x")); ok {
		t.Error("ResultOf(string) ok")
	}
	if _, err := NewResult("Bad", 3); err == nil {
		t.Error("NewResult of an int: no error")
	}
	if _, err := NewResult("Bad", (*sample)(nil)); err == nil {
		t.Error("NewResult of a nil pointer: no error")
	}
	if _, err := NewResult("Bad", struct{ F func() }{}); err == nil {
		t.Error("NewResult with a func field: no error")
	}
}

func TestResultInStarlark(t *testing.T) {
	v, err := NewResult("Sample", sampleValue(), Method{Name: "total", Fn: func(t *starlark.Thread, r *Result, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := UnpackArgs("Sample.total", args, kwargs); err != nil {
			return nil, err
		}
		s := 0.0
		for _, x := range r.GoValue().(sample).Scores {
			s += x
		}
		return starlark.Float(s), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := NewResult("Sample", sampleValue())
	other := sampleValue()
	other.Name = "y"
	o, _ := NewResult("Sample", other)
	for _, tc := range []struct{ src, err string }{
		{`assert(r.total() == 3.5)`, ""},
		{`assert(r.by_name["a"].mean == 1.0)`, ""},
		{`assert(r == w and r != o and not (r == o))`, ""},
		{`assert(type(r) == "Sample")`, ""},
		{`assert("total" in dir(r) and "name" in dir(r))`, ""},
		{`assert(json.decode(json.encode(r))["name"] == "x")`, ""},
		{`assert("total" not in json.encode(r))`, ""},
		{`r.scores.append(3)`, "frozen"},
		{`r.by_name["c"] = 1`, "frozen"},
		{`r.name = "z"`, "can't assign"},
		{`r.nope`, "Sample has no .nope field or method"},
		{`{r: 1}`, "unhashable type: Sample"},
		{`r < w`, "not implemented"},
		{`r.total(1)`, "Sample.total: got 1 arguments, want at most 0"},
	} {
		t.Run(tc.src, func(t *testing.T) {
			th := &starlark.Thread{}
			pre := starlark.StringDict{"r": v, "w": w, "o": o, "assert": starlark.NewBuiltin("assert", func(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
				if !args[0].Truth() {
					return nil, errAssert
				}
				return starlark.None, nil
			}), "json": jsonModule()}
			_, err := starlark.ExecFile(th, "t.star", tc.src, pre)
			switch {
			case tc.err == "" && err != nil:
				t.Fatal(err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want %q", err, tc.err)
			}
		})
	}
}

// json.encode of a result writes every string as valid JSON (the json
// module itself writes DEL as \x7f).
func TestResultJSONEscapes(t *testing.T) {
	v, err := NewResult("R", struct {
		S string `json:"s"`
	}{"a\x7f<&>\u00e9\n"})
	if err != nil {
		t.Fatal(err)
	}
	th := &starlark.Thread{}
	got, err := starlark.ExecFile(th, "t.star", `out = json.encode(r)
back = json.decode(out)["s"]`, starlark.StringDict{"r": v, "json": jsonModule()})
	if err != nil {
		t.Fatal(err)
	}
	if out := string(got["out"].(starlark.String)); out != "{\"s\":\"a\x7f<&>é\\n\"}" {
		t.Errorf("json.encode = %s", out)
	}
	if back := string(got["back"].(starlark.String)); back != "a\x7f<&>\u00e9\n" {
		t.Errorf("decoded %q", back)
	}
}
