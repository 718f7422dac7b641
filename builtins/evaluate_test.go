package builtins

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sessionFile returns the one file name written under out/op/*/.
func sessionFile(t *testing.T, out, op, name string) []byte {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(out, op, "*", name))
	if err != nil || len(matches) != 1 {
		t.Fatalf("%s/%s/*/%s: %v %v", out, op, name, matches, err)
	}
	data, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	man, err := os.ReadFile(filepath.Join(filepath.Dir(matches[0]), "manifest.json"))
	if err != nil || !strings.Contains(string(man), `"status": "done"`) {
		t.Errorf("manifest: %v\n%s", err, man)
	}
	return data
}

func TestEvaluateBuiltin(t *testing.T) {
	out := t.TempDir()
	env := &Env{Seed: 4, OutDir: out, Jobs: 2}
	_, printed := mustExec(t, env, `
r = daf.evaluate(["baseline", "noop", ["baseline::3", "random::1"]], "training_facility_1", episodes=2, max_steps=200)
print(type(r), r.policies, r.missions, r.episodes, r.seed, len(r.results))
for row in r.summary:
    print(row.policy, row.episodes, row.steps, row.reward.n)
print(r.results[0].seed == r.results[2].seed, r.results[4].assignment)
print("| baseline+random | training_facility_1 |" in r.table())
`)
	want := `EvaluationResult ["baseline", "noop", "baseline+random"] ["training_facility_1"] 2 4 6
baseline 2 200.0 2
noop 2 200.0 2
baseline+random 2 200.0 2
True`
	if !strings.HasPrefix(printed, want) {
		t.Errorf("printed:\n%s\nwant prefix:\n%s", printed, want)
	}
	if !strings.HasSuffix(printed, "True\n") {
		t.Errorf("table lacks the team mix row: %s", printed)
	}
	if strings.Count(printed, `"baseline"`) < 4 {
		t.Errorf("team mix 3:1 of 4 agents should give baseline 3 agents: %s", printed)
	}
	var ev struct {
		Summary []struct{ Policy string }
		Results []json.RawMessage
	}
	if err := json.Unmarshal(sessionFile(t, out, "evaluations", "evaluation.json"), &ev); err != nil || len(ev.Results) != 6 || len(ev.Summary) != 3 {
		t.Errorf("evaluation.json: %v, %d results", err, len(ev.Results))
	}
}

func TestEvaluateErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`daf.evaluate("baselin", "training_facility_1")`, `daf.evaluate: policies: unknown policy "baselin" (did you mean baseline?)`},
		{`daf.evaluate(["noop", "randm"], "training_facility_1")`, `daf.evaluate: policies[1]: unknown policy "randm"`},
		{`daf.evaluate("noop", ["training_facility_1", "traning_facility_2"])`, `daf.evaluate: missions[1]: unknown mission "traning_facility_2"`},
		{`daf.evaluate("noop", "training_facility_1", episodes=0)`, `daf.evaluate: episodes: got 0, want an int in [1, 1048576]`},
		{`daf.evaluate(["baseline::0.5"], "training_facility_1")`, `only makes sense in a team mix`},
		{`daf.evaluate("noop", "training_facility_1", episode=3)`, `unexpected keyword argument "episode" (did you mean episodes?)`},
		{`daf.compare(["noop", "random"], "training_facility_1", metric="heart")`, `daf.compare: metric: unknown metric "heart" (did you mean hearts?)`},
		{`daf.compare(["noop", "random"], "training_facility_1", alpha=2)`, `daf.compare: alpha: got 2, want a number between 0 and 1`},
		{`daf.compare(["noop", "noop"], "training_facility_1")`, `listed twice`},
		{`daf.analyze_mission(["training_facility_1"])`, `daf.analyze_mission: name: got a list, want one mission`},
		{`daf.analyze_mission("traning_facility_1")`, `did you mean training_facility_1`},
		{`daf.analyze_performance(3)`, `daf.analyze_performance: results: got int, want the result of daf.evaluate or daf.compare`},
	} {
		if got := errText(t, c.src); !strings.Contains(got, c.want) {
			t.Errorf("%s\nerror %q\nwant  %q", c.src, got, c.want)
		}
	}
}

func TestCompareBuiltin(t *testing.T) {
	out := t.TempDir()
	env := &Env{Seed: 1, OutDir: out, Jobs: 2}
	_, printed := mustExec(t, env, `
r = daf.compare(["baseline", "noop"], ["training_facility_1"], episodes_per_mission=4, max_steps=300, metric="performance_score")
print(type(r), r.metric, r.mode, r.alpha, r.episodes_per_mission)
p = r.pairwise_comparisons[0]
print(p.a, p.b, p.mean_diff > 0, p.significant, p.holm_p == p.welch_p)
print(r.summary_statistics["noop"].n, len(r.policy_mission_rewards["baseline"]["training_facility_1"]))
print("Pairwise" in r.table())
enc = json.decode(json.encode(r))
print(sorted(enc.keys()))
perf = daf.analyze_performance(r, mission="training_facility_1")
print(type(perf), [x.policy for x in perf.policies], perf.policies[1].success_rate)
`)
	want := `ComparisonReport performance_score separate 0.05 4
baseline noop True True True
4 4
True
["alpha", "detailed_metrics", "episodes_per_mission", "max_steps", "metric", "missions", "mode", "pairwise_comparisons", "per_mission", "per_mission_pairwise", "policies", "policy_mission_rewards", "seed", "summary_statistics", "warnings"]
PerformanceAnalysis ["baseline", "noop"] 0.0
`
	if printed != want {
		t.Errorf("printed:\n%s\nwant:\n%s", printed, want)
	}
	var rep struct {
		Policies []string `json:"policies"`
		Seed     uint64   `json:"seed"`
	}
	if err := json.Unmarshal(sessionFile(t, out, "comparisons", "comparison.json"), &rep); err != nil || rep.Seed != 1 || len(rep.Policies) != 2 {
		t.Errorf("comparison.json: %v %+v", err, rep)
	}
}

func TestAnalyzeMissionBuiltin(t *testing.T) {
	out := t.TempDir()
	_, printed := mustExec(t, &Env{OutDir: out}, `
a = daf.analyze_mission("training_facility_1")
print(type(a), a.loadable, a.all_reachable, a.num_agents, a.object_counts["agent"], a.max_hearts > 0)
`)
	if printed != "MissionAnalysis True True 4 4 True\n" {
		t.Errorf("printed %q", printed)
	}
	sessionFile(t, out, "evaluations", "mission_analysis.json")
}
