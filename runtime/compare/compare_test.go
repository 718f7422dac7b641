package compare

import (
	"context"
	"encoding/json"
	"flag"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/sim/mission"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func missions(t testing.TB, names ...string) []*mission.Mission {
	t.Helper()
	var out []*mission.Mission
	for _, n := range names {
		m, err := mission.Get(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func entries(t testing.TB, specs ...string) []eval.Entry {
	t.Helper()
	var out []eval.Entry
	for _, s := range specs {
		e, err := eval.ParseEntry(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func reportJSON(t *testing.T, r *Report) []byte {
	t.Helper()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The same comparison at 1, 2 and 8 jobs gives byte-identical JSON.
func TestDeterministicAcrossJobs(t *testing.T) {
	opts := Options{
		Policies:           entries(t, "baseline", "random", "noop"),
		Missions:           missions(t, "training_facility_1", "training_facility.harvest"),
		EpisodesPerMission: 4, Seed: 7, Alpha: 0.05, Metric: "performance_score", MaxSteps: 300,
	}
	var want []byte
	for _, jobs := range []int{1, 2, 8} {
		opts.Jobs = jobs
		r, _, err := Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		got := reportJSON(t, r)
		if want == nil {
			want = got
			continue
		}
		if string(got) != string(want) {
			t.Errorf("jobs %d: JSON differs from jobs 1", jobs)
		}
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs (go test -update rewrites it):\n%s", path, got)
	}
}

// Sanity on the game: over 30 episodes of training_facility_1 the
// scripted baseline beats random and noop, Holm-adjusted p < 0.01.
func TestBaselineBeatsRandomAndNoop(t *testing.T) {
	if testing.Short() {
		t.Skip("plays 90 full episodes")
	}
	r, _, err := Run(context.Background(), Options{
		Policies: entries(t, "baseline", "random", "noop"), Missions: missions(t, "training_facility_1"),
		EpisodesPerMission: 30, Seed: 1, Alpha: 0.05, Metric: "reward", Jobs: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{"random", "noop"} {
		p, fwd, ok := r.Pair("baseline", other)
		if !ok || !fwd {
			t.Fatalf("no pair baseline vs %s", other)
		}
		if !(p.MeanDiff > 0 && p.HolmP < 0.01 && p.Significant && p.ProbImprovement > 0.9) {
			t.Errorf("baseline vs %s: %+v, want a significant positive difference", other, p)
		}
	}
	if rank := r.Ranking(); rank[0] != "baseline" {
		t.Errorf("ranking %v, want baseline first", rank)
	}
}

func TestMixedMode(t *testing.T) {
	r, res, err := Run(context.Background(), Options{
		Policies: entries(t, "baseline", "noop"), Missions: missions(t, "training_facility_1"),
		EpisodesPerMission: 3, Seed: 2, Alpha: 0.05, Metric: "performance_score", Mixed: true, Jobs: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Mode != "mixed" || len(res.Policies) != 1 || res.Policies[0] != "mixed" {
		t.Fatalf("mode %s, played %v", r.Mode, res.Policies)
	}
	for _, e := range res.Results {
		n := map[string]int{}
		for _, a := range e.Assignment {
			n[a]++
		}
		if n["baseline"] != 2 || n["noop"] != 2 {
			t.Errorf("episode %d: assignment %v, want 2 and 2", e.Episode, e.Assignment)
		}
	}
	if d := r.SummaryStatistics["baseline"].Mean - r.SummaryStatistics["noop"].Mean; !(d > 0) {
		t.Errorf("baseline agents do not score above noop agents in a shared team: diff %v", d)
	}
}

func TestOptionErrors(t *testing.T) {
	ms := missions(t, "training_facility_1")
	base := Options{Policies: entries(t, "noop", "random"), Missions: ms, EpisodesPerMission: 2, Alpha: 0.05, Metric: "reward"}
	for _, c := range []struct {
		edit func(o *Options)
		want string
	}{
		{func(o *Options) { o.Metric = "rewards" }, `unknown metric "rewards" (did you mean reward?) (metrics: reward, hearts, performance_score)`},
		{func(o *Options) { o.Metric = "heart" }, "did you mean hearts?"},
		{func(o *Options) { o.Alpha = 1.5 }, "alpha: got 1.5, want a number between 0 and 1"},
		{func(o *Options) { o.EpisodesPerMission = 0 }, "episodes_per_mission: got 0, want at least 1"},
		{func(o *Options) { o.Policies = entries(t, "noop", "noop") }, "listed twice"},
		{func(o *Options) {
			o.Mixed = true
			o.Policies = entries(t, "noop", "random", "baseline", "noop:x", "random:y")
		}, "mixed mode needs an agent per policy"},
	} {
		o := base
		c.edit(&o)
		_, _, err := Run(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
}

// Build on hand-made episodes: the statistics land where they should and
// undefined tests read as null with a warning.
func TestBuildStatistics(t *testing.T) {
	mk := func(pol string, rewards ...float64) []eval.Episode {
		var eps []eval.Episode
		for i, r := range rewards {
			eps = append(eps, eval.Episode{Policy: pol, Mission: "m", Episode: i, Rewards: []float64{r, r},
				Assignment: []string{pol, pol}, AgentStats: []map[string]float64{{}, {}}, GameStats: map[string]float64{}})
		}
		return eps
	}
	res := &eval.Results{Policies: []string{"a", "b", "c"}, Missions: []string{"m"}, Episodes: 3}
	res.Results = append(append(append(res.Results, mk("a", 1, 2, 3)...), mk("b", 0, 0, 0)...), mk("c", 0, 0, 0)...)
	for i := range res.Results {
		res.Results[i].Mission = "training_facility_1"
	}
	res.Missions = []string{"training_facility_1"}
	r, err := Build(res, Options{Policies: entries(t, "a", "b", "c"), Missions: missions(t, "training_facility_1"),
		EpisodesPerMission: 3, Alpha: 0.05, Metric: "reward"})
	if err != nil {
		t.Fatal(err)
	}
	if s := r.SummaryStatistics["a"]; s.N != 3 || s.Mean != 2 || s.Std != 1 || s.Median != 2 {
		t.Errorf("summary a = %+v", s)
	}
	bc, _, _ := r.Pair("b", "c")
	if !math.IsNaN(bc.WelchP) || !math.IsNaN(bc.HolmP) || bc.Significant || bc.ProbImprovement != 0.5 || bc.MannWhitneyP != 1 {
		t.Errorf("b vs c = %+v, want undefined Welch, MWU p 1, P(improvement) 0.5", bc)
	}
	ab, _, _ := r.Pair("a", "b")
	if ab.MeanDiff != 2 || ab.ProbImprovement != 1 {
		t.Errorf("a vs b = %+v", ab)
	}
	js := string(reportJSON(t, r))
	if !strings.Contains(js, `"welch_p": null`) {
		t.Errorf("undefined p not null in JSON:\n%s", js)
	}
	warn := strings.Join(r.Warnings, "\n")
	if !strings.Contains(warn, "b vs c: Welch's test is undefined") || !strings.Contains(warn, "too few samples (3 and 3)") {
		t.Errorf("warnings: %s", warn)
	}
	var back Report
	if err := json.Unmarshal([]byte(js), &back); err != nil || !math.IsNaN(back.PairwiseComparisons[2].WelchP) {
		t.Errorf("round trip: %v, %+v", err, back.PairwiseComparisons)
	}
	golden(t, "testdata/compare_text.golden", []byte(r.String()))
}

// Two constant samples that differ: Welch's p is 0 (as SciPy), flagged.
func TestConstantSamplesWarning(t *testing.T) {
	ep := func(pol string, i int, r float64) eval.Episode {
		return eval.Episode{Policy: pol, Mission: "training_facility_1", Episode: i, Rewards: []float64{r},
			Assignment: []string{pol}, AgentStats: []map[string]float64{{}}, GameStats: map[string]float64{}}
	}
	res := &eval.Results{Policies: []string{"a", "b"}, Missions: []string{"training_facility_1"}, Episodes: 5}
	for i := 0; i < 5; i++ {
		res.Results = append(res.Results, ep("a", i, 1))
	}
	for i := 0; i < 5; i++ {
		res.Results = append(res.Results, ep("b", i, 0))
	}
	r, err := Build(res, Options{Policies: entries(t, "a", "b"), Missions: missions(t, "training_facility_1"),
		EpisodesPerMission: 5, Alpha: 0.05, Metric: "reward"})
	if err != nil {
		t.Fatal(err)
	}
	p := r.PairwiseComparisons[0]
	if p.WelchP != 0 || !p.Significant || !math.IsInf(p.CohensD, 1) {
		t.Errorf("pair %+v", p)
	}
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, "a vs b: both samples are constant") {
		t.Errorf("warnings %q", w)
	}
}

// With several missions each is also tested alone: here a wins on one
// mission and loses on the other, which the pooled test cannot show.
func TestPerMissionPairwise(t *testing.T) {
	var eps []eval.Episode
	add := func(pol, mis string, rewards ...float64) {
		for i, r := range rewards {
			eps = append(eps, eval.Episode{Policy: pol, Mission: mis, Episode: i, Rewards: []float64{r},
				Assignment: []string{pol}, AgentStats: []map[string]float64{{}}, GameStats: map[string]float64{}})
		}
	}
	add("a", "training_facility_1", 1, 2, 1, 2, 1, 2)
	add("a", "assembler_2", 50, 52, 51, 53, 50, 52)
	add("b", "training_facility_1", 5, 6, 5, 6, 5, 6)
	add("b", "assembler_2", 10, 12, 11, 13, 10, 12)
	res := &eval.Results{Policies: []string{"a", "b"}, Missions: []string{"training_facility_1", "assembler_2"}, Episodes: 6, Results: eps}
	r, err := Build(res, Options{Policies: entries(t, "a", "b"), Missions: missions(t, "training_facility_1", "assembler_2"),
		EpisodesPerMission: 6, Alpha: 0.05, Metric: "reward"})
	if err != nil {
		t.Fatal(err)
	}
	tf, asm := r.PerMissionPairwise["training_facility_1"][0], r.PerMissionPairwise["assembler_2"][0]
	if tf.MeanDiff != -4 || !tf.Significant || tf.ProbImprovement != 0 {
		t.Errorf("training_facility_1: %+v", tf)
	}
	if asm.MeanDiff != 40 || !asm.Significant || asm.ProbImprovement != 1 {
		t.Errorf("assembler_2: %+v", asm)
	}
	if pooled := r.PairwiseComparisons[0]; pooled.ProbImprovement != 0.5 || pooled.MeanDiff != 18 {
		t.Errorf("pooled: %+v", pooled)
	}
	if !strings.Contains(r.String(), "Per mission: A minus B") {
		t.Errorf("text lacks the per-mission table:\n%s", r)
	}
}

// referenceDetail is DetailedMetrics computed the plain way (a sorted
// union of the agents' stats, one map, prefixed keys): detailSums must
// give the same values, bit for bit.
func referenceDetail(eps []eval.Episode, spec string, mixed bool) map[string]float64 {
	detail := map[string]float64{}
	for i := range eps {
		e := &eps[i]
		agents := agentsOf(e, spec, mixed)
		if len(agents) == 0 {
			continue
		}
		keys := map[string]bool{}
		for _, a := range agents {
			for k := range e.AgentStats[a] {
				keys[k] = true
			}
		}
		sorted := slices.Sorted(maps.Keys(keys))
		for _, k := range sorted {
			s := 0.0
			for _, a := range agents {
				s += e.AgentStats[a][k]
			}
			detail["agent."+k] += s / float64(len(agents))
		}
		for k, v := range e.GameStats {
			detail["game."+k] += v
		}
		for _, m := range Metrics {
			detail[m] += MetricValue(m, e, agents)
		}
		detail["steps"] += float64(e.Steps)
	}
	for k := range detail {
		detail[k] /= float64(len(eps))
	}
	return detail
}

// DetailedMetrics in separate and mixed mode, with agents whose stats
// differ (one lacks a stat, one has one of its own), equal the plain
// computation bit for bit.
func TestDetailedMetricsMatchReference(t *testing.T) {
	for _, mixed := range []bool{false, true} {
		opts := Options{Policies: entries(t, "baseline", "random"), Missions: missions(t, "training_facility_1"),
			EpisodesPerMission: 3, Seed: 4, Alpha: 0.05, Metric: "reward", Mixed: mixed, MaxSteps: 120, Jobs: 2}
		_, res, err := Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		e := &res.Results[0]
		delete(e.AgentStats[1], "action.move.success")
		e.AgentStats[2]["only.agent.two"] = 0.1
		e.AgentStats[0]["only.agent.zero"] = 1.0 / 3
		rep, err := Build(res, opts)
		if err != nil {
			t.Fatal(err)
		}
		for pi, name := range rep.Policies {
			entry := pi
			if mixed {
				entry = 0
			}
			want := referenceDetail(res.Of(entry, 0), opts.Policies[pi].Members[0].Spec.String(), mixed)
			got := rep.DetailedMetrics[name][res.Missions[0]]
			if len(got) != len(want) {
				t.Errorf("mixed %v, %s: %d metrics, want %d", mixed, name, len(got), len(want))
			}
			for k, w := range want {
				if g, ok := got[k]; !ok || math.Float64bits(g) != math.Float64bits(w) {
					t.Errorf("mixed %v, %s: %s = %v (present %v), want %v", mixed, name, k, g, ok, w)
				}
			}
		}
	}
}
