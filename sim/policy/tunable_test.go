package policy

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestTunablesDeclared(t *testing.T) {
	ts := Tunables("baseline")
	if len(ts) == 0 {
		t.Fatal("baseline declares no tunables")
	}
	for i, tu := range ts {
		if i > 0 && ts[i-1].Name >= tu.Name {
			t.Errorf("Tunables not sorted by name: %s before %s", ts[i-1].Name, tu.Name)
		}
		if err := tu.Check(tu.Default); err != nil {
			t.Errorf("default out of range: %v", err)
		}
	}
	if alias := Tunables("cogames.policy.scripted_agent.baseline_agent.BaselinePolicy"); !reflect.DeepEqual(alias, ts) {
		t.Errorf("the CoGames alias has tunables %v, want the baseline's", alias)
	}
	for _, class := range []string{"noop", "random", "no_such_policy"} {
		if got := Tunables(class); len(got) != 0 {
			t.Errorf("Tunables(%q) = %v, want none", class, got)
		}
	}
	// The returned slice is a copy.
	ts[0].Default = -1
	if Tunables("baseline")[0].Default == -1 {
		t.Error("Tunables returned the registry's own slice")
	}
}

func TestLookupTunable(t *testing.T) {
	tu, err := LookupTunable("baseline", "recharge_below")
	if err != nil || tu.Name != "recharge_below" || tu.Default != rechargeBelow {
		t.Fatalf("LookupTunable = %+v, %v", tu, err)
	}
	_, err = LookupTunable("baseline", "recharge_belo")
	if err == nil || !strings.Contains(err.Error(), `unknown parameter "recharge_belo" (did you mean recharge_below?); baseline takes batch_cargo, batch_patience, recharge_below, recharge_until, rendezvous_wait`) {
		t.Fatalf("err = %v", err)
	}
	if _, err = LookupTunable("noop", "x"); err == nil || !strings.Contains(err.Error(), "policy noop has no tunable parameters") {
		t.Fatalf("err = %v", err)
	}
}

func TestParamErrors(t *testing.T) {
	tests := []struct {
		kwargs map[string]any
		want   string
	}{
		{map[string]any{"recharge_belo": 30}, `policy baseline: unknown parameter "recharge_belo" (did you mean recharge_below?)`},
		{map[string]any{"zzzz": 1}, `unknown parameter "zzzz"; baseline takes batch_cargo, batch_patience`},
		{map[string]any{"recharge_below": int64(256)}, "policy baseline: parameter recharge_below = 256: want a whole number from 0 to 255"},
		{map[string]any{"recharge_below": -1.0}, "parameter recharge_below = -1: want a whole number from 0 to 255"},
		{map[string]any{"batch_cargo": 0}, "parameter batch_cargo = 0: want a whole number from 1 to 255"},
		{map[string]any{"batch_patience": 2.5}, "parameter batch_patience = 2.5: want a whole number from 0 to 1000"},
		{map[string]any{"rendezvous_wait": math.NaN()}, "parameter rendezvous_wait = NaN: want a whole number"},
		{map[string]any{"rendezvous_wait": math.Inf(1)}, "parameter rendezvous_wait = +Inf: want a whole number"},
		{map[string]any{"recharge_until": "high"}, "parameter recharge_until = high (string): want a whole number from 0 to 255"},
		{map[string]any{"recharge_until": true}, "parameter recharge_until = true (bool): want a whole number"},
		// The first bad parameter in name order is the one named.
		{map[string]any{"recharge_until": -5, "batch_cargo": 0}, "parameter batch_cargo = 0"},
	}
	for _, tc := range tests {
		_, err := New(Spec{Class: "baseline", Kwargs: tc.kwargs})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(baseline, %v): err = %v, want one containing %q", tc.kwargs, err, tc.want)
		}
	}
	// Bounds are inclusive, and a whole float is a whole number.
	for _, kw := range []map[string]any{
		{"recharge_below": 0, "recharge_until": int64(255), "batch_cargo": 1.0, "batch_patience": uint64(1000), "rendezvous_wait": float32(0)},
	} {
		if _, err := New(Spec{Class: "baseline", Kwargs: kw}); err != nil {
			t.Errorf("New(baseline, %v): %v", kw, err)
		}
	}
}

// TestBaselineDefaultsAsParams: giving every parameter its default (as an
// int or as a float) plays exactly as giving none.
func TestBaselineDefaultsAsParams(t *testing.T) {
	cfg := build(t, "training_facility_1", 1)
	want := runEpisode(t, cfg, "baseline", 1).hash
	ints, floats := map[string]any{}, map[string]any{}
	for _, tu := range Tunables("baseline") {
		ints[tu.Name] = int64(tu.Default)
		floats[tu.Name] = tu.Default
	}
	for _, kw := range []map[string]any{ints, floats} {
		if got := runSpec(t, cfg, Spec{Class: "baseline", Kwargs: kw}, 1).hash; got != want {
			t.Errorf("baseline with its defaults %v plays differently from baseline", kw)
		}
	}
}

// TestBaselineParamsChangeOutcome: each parameter reaches the policy: two
// values give different hearts in the same fixed-seed episode, on a
// mission where the threshold matters (one cog harvesting with a cheap
// recipe, or four sharing a single-use extractor).
func TestBaselineParamsChangeOutcome(t *testing.T) {
	tests := []struct {
		param   string
		mission string
		a, b    int64
	}{
		{"recharge_below", "training_facility.harvest", 10, 35},
		{"recharge_until", "training_facility.harvest", 40, 85},
		{"batch_cargo", "training_facility.harvest", 10, 40},
		{"batch_patience", "training_facility.harvest", 0, 15},
		{"rendezvous_wait", "training_facility_1", 0, 90},
	}
	tested := map[string]bool{}
	for _, tc := range tests {
		tested[tc.param] = true
		t.Run(tc.param, func(t *testing.T) {
			cfg := build(t, tc.mission, 1)
			a := runSpec(t, cfg, Spec{Class: "baseline", Kwargs: map[string]any{tc.param: tc.a}}, 1)
			b := runSpec(t, cfg, Spec{Class: "baseline", Kwargs: map[string]any{tc.param: tc.b}}, 1)
			t.Logf("%s: %s=%d: %g hearts, %s=%d: %g hearts", tc.mission, tc.param, tc.a, a.hearts(), tc.param, tc.b, b.hearts())
			if a.hearts() == b.hearts() {
				t.Errorf("%s=%d and %s=%d both deposit %g hearts on %s: the parameter changes nothing", tc.param, tc.a, tc.param, tc.b, a.hearts(), tc.mission)
			}
		})
	}
	for _, tu := range Tunables("baseline") {
		if !tested[tu.Name] {
			t.Errorf("parameter %s has no case here", tu.Name)
		}
	}
}

func TestRegisterBadTunablesPanics(t *testing.T) {
	f := func(Spec) (Policy, error) { return nil, nil }
	for _, ts := range [][]Tunable{
		{{Name: "", Max: 1, Doc: "d"}},
		{{Name: "a", Max: 1, Doc: "d"}, {Name: "a", Max: 1, Doc: "d"}},
		{{Name: "a", Min: 2, Max: 1, Doc: "d"}},
		{{Name: "a", Min: 0, Max: 1.5, Int: true, Doc: "d"}},
		{{Name: "a", Default: 5, Max: 1, Doc: "d"}},
		{{Name: "a", Max: 1}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register with tunables %+v did not panic", ts)
				}
			}()
			Register("test_bad_tunables", "d", f, ts...)
		}()
	}
}
