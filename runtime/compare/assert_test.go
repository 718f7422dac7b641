package compare

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

func assertOptions(t *testing.T, a, b string, notWorse bool, margin float64) AssertOptions {
	t.Helper()
	var entries []eval.Entry
	for _, p := range []string{a, b} {
		spec, _, err := policy.ParseSpec(p)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, eval.Single(spec))
	}
	m, err := mission.Get("training_facility_1")
	if err != nil {
		t.Fatal(err)
	}
	return AssertOptions{NotWorse: notWorse, Margin: margin, Compare: Options{Policies: entries, Missions: []*mission.Mission{m},
		EpisodesPerMission: 3, Seed: 1, Alpha: 0.01, Metric: "reward", MaxSteps: 700}}
}

// TestAssertionIsDeterministic: the same seed gives the same verdict and
// the same assertion.json, byte for byte.
func TestAssertionIsDeterministic(t *testing.T) {
	var files []string
	for range 2 {
		out := t.TempDir()
		v, dir, err := op.Do(&op.Run{Out: out, Jobs: 2}, AssertOperation, op.Call[AssertOptions]{Options: assertOptions(t, "baseline", "noop", false, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if !v.Pass || !(v.Test.P < 0.01) || v.Kind != "better" {
			t.Fatalf("baseline better than noop: %s", v.Message())
		}
		data, err := os.ReadFile(filepath.Join(dir, "assertion.json"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "comparison.json")); err != nil {
			t.Error(err)
		}
		files = append(files, string(data))
	}
	if files[0] != files[1] {
		t.Errorf("assertion.json differs between runs:\n%s\n%s", files[0], files[1])
	}
}

func TestAssertionVerdicts(t *testing.T) {
	cases := []struct {
		a, b     string
		notWorse bool
		margin   float64
		pass     bool
		msg      string
	}{
		{"noop", "baseline", false, 0, false, "noop better than baseline on reward"},
		{"noop", "random", true, 0.01, true, "noop not worse (margin 0.01) than random"},
		{"noop", "baseline", true, 0.1, false, "p 0.995 >= alpha 0.01"},
	}
	for _, c := range cases {
		v, _, err := op.Do(&op.Run{Out: t.TempDir(), Jobs: 2}, AssertOperation, op.Call[AssertOptions]{Options: assertOptions(t, c.a, c.b, c.notWorse, c.margin)})
		if err != nil {
			t.Fatal(err)
		}
		if v.Pass != c.pass || !strings.Contains(v.Message(), c.msg) {
			t.Errorf("%s vs %s: pass %v, %s; want %v and %q", c.a, c.b, v.Pass, v.Message(), c.pass, c.msg)
		}
	}
}

func TestAssertOptionsCheck(t *testing.T) {
	o := assertOptions(t, "baseline", "noop", false, 0)
	o.Margin = 0.1
	if err := o.Check(); err == nil || !strings.Contains(err.Error(), "only not_worse takes a margin") {
		t.Errorf("margin on better: %v", err)
	}
	o = assertOptions(t, "baseline", "noop", false, 0)
	o.Compare.Alpha = 0.6
	if err := o.Check(); err == nil || !strings.Contains(err.Error(), "one-sided level between 0 and 0.5") {
		t.Errorf("alpha 0.6: %v", err)
	}
	o = assertOptions(t, "baseline", "noop", true, -1)
	if err := o.Check(); err == nil || !strings.Contains(err.Error(), "margin: got -1") {
		t.Errorf("negative margin: %v", err)
	}
	o = assertOptions(t, "baseline", "noop", false, 0)
	o.Compare.EpisodesPerMission = 1
	if err := o.Check(); err == nil || !strings.Contains(err.Error(), "at least 2 episodes") {
		t.Errorf("one episode: %v", err)
	}
}
