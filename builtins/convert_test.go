package builtins

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

func TestToStarlark(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string // String() of the result
	}{
		{nil, "None"},
		{true, "True"},
		{"s", `"s"`},
		{int8(-3), "-3"},
		{uint64(math.MaxUint64), "18446744073709551615"},
		{1.5, "1.5"},
		{float32(2), "2.0"},
		{math.Inf(1), "None"},
		{[]byte("ab"), `"ab"`},
		{[]any{1, "a", nil}, `[1, "a", None]`},
		{[2]int{1, 2}, "[1, 2]"},
		{map[string]int{"z": 1, "a": 2, "m": 3}, `{"a": 2, "m": 3, "z": 1}`},
		{map[uint8]bool{3: true}, `{"3": True}`},
		{(*int)(nil), "None"},
		{[]int(nil), "[]"},
		{starlark.String("v"), `"v"`},
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), `"2026-01-02T03:04:05Z"`},
		{opaque{}, `{"a": [1, 2.5, "x"], "big": 123456789012345678901234567890, "z": None}`},
	} {
		got, err := ToStarlark(tc.in)
		if err != nil {
			t.Errorf("ToStarlark(%#v): %v", tc.in, err)
			continue
		}
		if got.String() != tc.want {
			t.Errorf("ToStarlark(%#v) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, bad := range []any{func() {}, make(chan int), map[float64]int{1: 1}, []any{complex(1, 2)}} {
		if _, err := ToStarlark(bad); err == nil {
			t.Errorf("ToStarlark(%T): no error", bad)
		}
	}
	// Everything comes back frozen.
	v, _ := ToStarlark(map[string][]int{"a": {1}})
	l, _, _ := v.(*starlark.Dict).Get(starlark.String("a"))
	if err := l.(*starlark.List).Append(starlark.MakeInt(2)); err == nil {
		t.Error("nested list is not frozen")
	}
}

func TestFromStarlark(t *testing.T) {
	d := starlark.NewDict(2)
	_ = d.SetKey(starlark.String("b"), starlark.NewList([]starlark.Value{starlark.MakeInt(1), starlark.Float(2.5), starlark.None}))
	_ = d.SetKey(starlark.String("a"), starlark.Tuple{starlark.True, starlark.String("x")})
	r, _ := NewResult("R", struct {
		A int `json:"a"`
	}{4})
	st := starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{"k": starlark.MakeUint64(math.MaxUint64)})
	for _, tc := range []struct {
		in   starlark.Value
		want any
	}{
		{starlark.None, nil},
		{starlark.MakeInt(-7), int64(-7)},
		{starlark.MakeUint64(math.MaxUint64), uint64(math.MaxUint64)},
		{d, map[string]any{"a": []any{true, "x"}, "b": []any{int64(1), 2.5, nil}}},
		{r, map[string]any{"a": int64(4)}},
		{st, map[string]any{"k": uint64(math.MaxUint64)}},
		{starlark.NewList(nil), []any{}},
	} {
		got, err := FromStarlark(tc.in)
		if err != nil {
			t.Errorf("FromStarlark(%s): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("FromStarlark(%s): -want +got\n%s", tc.in, diff)
		}
	}
	bad := starlark.NewDict(1)
	_ = bad.SetKey(starlark.MakeInt(1), starlark.None)
	huge := starlark.MakeInt(1).Lsh(70)
	for _, tc := range []struct {
		in   starlark.Value
		want string
	}{
		{bad, "dict key 1 is a int, want a string"},
		{starlark.NewList([]starlark.Value{starlark.NewSet(0)}), "[0]: cannot use a set here"},
		{huge, "too large"},
		{starlark.NewBuiltin("f", nil), "cannot use a builtin_function_or_method here"},
	} {
		_, err := FromStarlark(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("FromStarlark(%s): %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{"MaxSteps": "max_steps", "IQM": "iqm", "CILow": "ci_low", "NumAgents": "num_agents", "A": "a", "Step2Go": "step2_go"} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

// opaque has no exported fields but a JSON form.
type opaque struct{}

func (opaque) MarshalJSON() ([]byte, error) {
	return []byte(`{"z": null, "big": 123456789012345678901234567890, "a": [1, 2.5, "x"]}`), nil
}
