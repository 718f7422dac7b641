package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/sim"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in        string
		class     string
		data      string
		prop      float64
		errSubstr string
	}{
		{in: "baseline", class: "baseline", prop: 1},
		{in: " lstm:ckpt/v1.pt ", class: "lstm", data: "ckpt/v1.pt", prop: 1},
		{in: "lstm:ckpt/v1.pt:0.25", class: "lstm", data: "ckpt/v1.pt", prop: 0.25},
		{in: "random::2", class: "random", prop: 2},
		{in: "random::", class: "random", prop: 1},
		{in: "", errSubstr: "empty"},
		{in: ":x", errSubstr: "class is empty"},
		{in: "a:b:c:d", errSubstr: "at most two"},
		{in: "random::zero", errSubstr: `proportion "zero"`},
		{in: "random::-1", errSubstr: "positive"},
		{in: "random::0", errSubstr: "positive"},
		{in: "random::NaN", errSubstr: "positive"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			spec, prop, err := ParseSpec(tc.in)
			if tc.errSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSubstr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if spec.Class != tc.class || spec.Data != tc.data || prop != tc.prop {
				t.Fatalf("got %+v %v, want class %q data %q proportion %v", spec, prop, tc.class, tc.data, tc.prop)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		spec      Spec
		name      string
		errSubstr string
	}{
		{spec: Spec{Class: "noop"}, name: "noop"},
		{spec: Spec{Class: "random"}, name: "random"},
		{spec: Spec{Class: "baseline"}, name: "baseline"},
		{spec: Spec{Class: "cogames.policy.random.RandomPolicy"}, name: "random"},
		{spec: Spec{Class: "baseline", Data: "x.pt"}, errSubstr: "policy baseline: takes no data path"},
		{spec: Spec{Class: "noop", Kwargs: map[string]any{"b": 1, "a": 2}}, errSubstr: "no keyword arguments, got a, b"},
		{spec: Spec{Class: "basline"}, errSubstr: `unknown policy "basline" (did you mean baseline?)`},
		{spec: Spec{Class: "zzzzzzzz"}, errSubstr: "known policies: baseline, noop, random"},
		{spec: Spec{Class: ""}, errSubstr: "policy class is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.spec.Class+tc.spec.Data, func(t *testing.T) {
			p, err := New(tc.spec)
			if tc.errSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSubstr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Name() != tc.name {
				t.Fatalf("Name() = %q, want %q", p.Name(), tc.name)
			}
		})
	}
	var uc *UnknownClassError
	if _, err := New(Spec{Class: "randon"}); !errors.As(err, &uc) || len(uc.Suggestions) == 0 || uc.Suggestions[0] != "random" {
		t.Fatalf("err = %v, want an UnknownClassError suggesting random", err)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("registering noop twice did not panic")
		}
	}()
	Register("noop", "", func(Spec) (Policy, error) { return nil, nil })
}

func TestClassesSortedAndDocumented(t *testing.T) {
	cs := Classes()
	for i, c := range cs {
		if i > 0 && cs[i-1] >= c {
			t.Fatalf("Classes() not sorted: %v", cs)
		}
		if Doc(c) == "" {
			t.Errorf("class %s has no doc", c)
		}
	}
}

func TestRandomSeededPerSlot(t *testing.T) {
	p, err := New(Spec{Class: "random"})
	if err != nil {
		t.Fatal(err)
	}
	run := func(seeds ...uint64) [][]int32 {
		c, err := p.NewController(len(seeds))
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			c.Reset(i, s)
		}
		obs := make([]uint8, len(seeds)*sim.ObsSize)
		out := make([][]int32, 50)
		for k := range out {
			out[k] = make([]int32, len(seeds))
			if err := c.Act(obs, out[k]); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	a, b := run(1, 2), run(1, 2)
	same, differ := true, false
	var seen [sim.NumActions]bool
	for k := range a {
		for i := range a[k] {
			if a[k][i] != b[k][i] {
				same = false
			}
			if a[k][i] < 0 || a[k][i] >= sim.NumActions {
				t.Fatalf("action %d out of range", a[k][i])
			}
			seen[a[k][i]] = true
		}
		if a[k][0] != a[k][1] {
			differ = true
		}
	}
	if !same {
		t.Fatal("same seeds gave different actions")
	}
	if !differ {
		t.Fatal("slots with different seeds acted alike")
	}
	// Slot 1 seeded 2 acts as slot 0 seeded 2 does.
	c := run(2)
	for k := range c {
		if c[k][0] != a[k][1] {
			t.Fatal("a slot's stream depends on its index, not only on its seed")
		}
	}
	n := 0
	for _, s := range seen {
		if s {
			n++
		}
	}
	if n < 50 {
		t.Fatalf("only %d distinct actions in 100 draws", n)
	}
}

func TestNoop(t *testing.T) {
	p, _ := New(Spec{Class: "noop"})
	c, _ := p.NewController(3)
	act := []int32{7, 7, 7}
	if err := c.Act(make([]uint8, 3*sim.ObsSize), act); err != nil {
		t.Fatal(err)
	}
	for _, a := range act {
		if a != sim.ActionNoop {
			t.Fatalf("noop acted %d", a)
		}
	}
}

func TestParseSpecParams(t *testing.T) {
	tests := []struct {
		in        string
		want      Spec
		prop      float64
		errSubstr string
	}{
		{in: "baseline?recharge_below=30", want: Spec{Class: "baseline", Kwargs: map[string]any{"recharge_below": int64(30)}}, prop: 1},
		{in: " baseline ? recharge_below = 30 & batch_cargo=60 ::0.5", want: Spec{Class: "baseline", Kwargs: map[string]any{"recharge_below": int64(30), "batch_cargo": int64(60)}}, prop: 0.5},
		{in: "lstm?greedy=true&t=0.25&device=cuda%3A0&s=x+y:ckpt/v1.pt:2", want: Spec{Class: "lstm", Data: "ckpt/v1.pt",
			Kwargs: map[string]any{"greedy": true, "t": 0.25, "device": "cuda:0", "s": "x+y"}}, prop: 2},
		{in: "baseline?", errSubstr: "no parameters after '?'"},
		{in: "baseline?recharge_below", errSubstr: `parameter "recharge_below": want NAME=VALUE`},
		{in: "baseline?=3", errSubstr: `parameter "=3": want NAME=VALUE`},
		{in: "baseline?a=1&", errSubstr: `parameter "": want NAME=VALUE`},
		{in: "baseline?a=1&a=2", errSubstr: "parameter a given twice"},
		{in: "baseline?a=%zz", errSubstr: "bad %-escape in its value"},
		{in: "?a=1", errSubstr: "class is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			spec, prop, err := ParseSpec(tc.in)
			if tc.errSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSubstr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(spec, tc.want) || prop != tc.prop {
				t.Fatalf("got %#v %v, want %#v %v", spec, prop, tc.want, tc.prop)
			}
		})
	}
}

// TestSpecString: the canonical form sorts parameters, writes numbers by
// value, escapes what would end a value, and ParseSpec reads it back.
func TestSpecString(t *testing.T) {
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{Class: "baseline"}, "baseline"},
		{Spec{Class: "lstm", Data: "ckpt/v1.pt"}, "lstm:ckpt/v1.pt"},
		{Spec{Class: "baseline", Kwargs: map[string]any{"recharge_below": int64(30), "batch_cargo": 60.0}}, "baseline?batch_cargo=60&recharge_below=30"},
		{Spec{Class: "baseline", Kwargs: map[string]any{"recharge_below": 30, "batch_cargo": int32(60)}}, "baseline?batch_cargo=60&recharge_below=30"},
		{Spec{Class: "lstm", Data: "c.pt", Kwargs: map[string]any{"greedy": true, "device": "cuda:0", "t": 0.25, "big": 1e21, "u": uint64(7)}},
			"lstm?big=1e+21&device=cuda%3A0&greedy=true&t=0.25&u=7:c.pt"},
		{Spec{Class: "x", Kwargs: map[string]any{"s": "a&b=c?d%e f"}}, "x?s=a%26b%3Dc%3Fd%25e%20f"},
	}
	for _, tc := range tests {
		got := tc.spec.String()
		if got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
			continue
		}
		back, _, err := ParseSpec(got)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", got, err)
			continue
		}
		if back.String() != got {
			t.Errorf("ParseSpec(%q).String() = %q", got, back.String())
		}
	}
}
