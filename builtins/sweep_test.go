package builtins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSweepResult(t *testing.T) {
	dir := t.TempDir()
	env := &Env{Seed: 1, OutDir: dir, MaxSteps: 60}
	_, out := mustExec(t, env, `
r = daf.sweep("s", "training_facility_1", "baseline", {"recharge_below": [0, 250], "batch_cargo": [40]},
              episodes_per_trial=1, objective="performance_score")
print(type(r), r.name, r.strategy, r.pruner, r.num_trials, r.parameters, r.seed, len(r.trials))
t = r.trials[1]
print(type(t), t.number, t.hyperparameters, t.status, t.checkpoint, t.duration > 0, len(t.mission_values))
print(r.best == r.trials[r.best_trial], r.top(1)[0] == r.best, len(r.top(5)), r.top(0))
b = daf.sweep_best(r)
print(type(b), b.number == r.best_trial, b.value == r.best.value, sorted(b.hyperparameters.keys()))
print(b["recharge_below"] == r.best.hyperparameters["recharge_below"], dict(b) == r.best.hyperparameters, len(b), sorted([k for k in b]))
p = daf.policy("baseline", **b)
print(str(p) == str(daf.policy("baseline", recharge_below=b["recharge_below"], batch_cargo=40)))
print(len([l for l in r.table().splitlines() if l.startswith("best: trial")]) == 1)
print(daf.export_markdown(r).startswith("**Hyperparameter sweep s**"))
print(daf.export_html(r, path="`+filepath.ToSlash(filepath.Join(dir, "r.html"))+`").endswith("r.html"))
print(r.session_dir.endswith(r.session_dir.split("/")[-1]))
`)
	want := []string{
		"SweepResult s grid none 2 [\"batch_cargo\", \"recharge_below\"] 1 2",
		"SweepTrial 1 {\"batch_cargo\": 40, \"recharge_below\": 250} complete  True 1",
		"True True 2 []",
		"SweepBest True True [\"batch_cargo\", \"recharge_below\"]",
		"True True 2 [\"batch_cargo\", \"recharge_below\"]",
		"True", "True", "True", "True", "True",
	}
	if got := strings.Split(strings.TrimSpace(out), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	html, err := os.ReadFile(filepath.Join(dir, "r.html"))
	if err != nil || !strings.Contains(string(html), "Optimisation history") && !strings.Contains(string(html), "optimisation history") {
		t.Errorf("the HTML report has no sweep history (%v)", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "sweeps", "*", "sweep.json")); len(m) != 1 {
		t.Errorf("sweep.json: %v", m)
	}
}

func TestSweepErrors(t *testing.T) {
	space := `{"recharge_below": [0, 10]}`
	for _, tc := range []struct{ src, want string }{
		{`daf.sweep("s", "training_facility_1", "baseline", {})`, "daf.sweep: search_space: empty search space"},
		{`daf.sweep("s", "training_facility_1", "baseline", {"recharge_below": {"min": 5, "max": 1, "type": "int"}}, strategy="random", num_trials=2)`,
			"daf.sweep: search_space.recharge_below: min 5 is greater than max 1"},
		{`daf.sweep("s", "training_facility_1", "stateless", {"learning_rate": {"min": 0.0, "max": 0.1, "log": True}}, strategy="random", num_trials=2, train_steps=10)`,
			"daf.sweep: search_space.learning_rate: a log range needs min > 0"},
		{`daf.sweep("s", "training_facility_1", "baseline", ` + space + `, strategy="random", num_trials=0)`, "daf.sweep: num_trials: must be >= 1, got 0"},
		{`daf.sweep("s", "training_facility_1", "baseline", ` + space + `, strategy="optuna")`, `daf.sweep: strategy: unknown value "optuna"`},
		{`daf.sweep("s", "training_facility_1", "baseline", ` + space + `, pruner="hyperband")`, `daf.sweep: pruner: unknown value "hyperband"`},
		{`daf.sweep("s", "training_facility_1", "baseline", ` + space + `, objective="heart")`, `daf.sweep: objective: unknown value "heart" (did you mean hearts?)`},
		{`daf.sweep("s", "training_facility_1", "baseline", {"recharge_belwo": [1]})`, `daf.sweep: search_space.recharge_belwo: unknown parameter "recharge_belwo" (did you mean recharge_below?)`},
		{`daf.sweep("s", "training_facility_1", "lstm", {"gama": [0.9]}, train_steps=100)`, `daf.sweep: search_space.gama: unknown hyperparameter "gama" (did you mean gamma?)`},
		{`daf.sweep("s", "training_facility_1", "baseline", ` + space + `, policy_class_path="baseline")`, "policy and policy_class_path are the same argument"},
		{`daf.sweep("s", "training_facility_1", "baseline", ` + space + `, 3)`, "got 5 positional arguments, want at most 4"},
		{`daf.sweep("s", "traning_facility_1", "baseline", ` + space + `)`, "did you mean training_facility_1"},
		{`daf.sweep("s", "training_facility_1", "baseline", ` + space + `, episodes_per_trial=0)`, "daf.sweep: episodes_per_trial: must be >= 1, got 0"},
		{`daf.sweep("s", "training_facility_1", daf.policy("baseline"), ` + space + `)`, `daf.sweep: policy: got PolicySpec("baseline"), want the class name`},
		{`daf.sweep_best("x")`, "daf.sweep_best: result: got string, want the result of daf.sweep"},
		{`daf.load_config("nosuch.yaml")`, "daf.load_config: open"},
	} {
		wantErr(t, tc.src, tc.want)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "s.yaml"), []byte("name: c\nmissions: [training_facility_1]\npolicy_class_path: baseline\nsearch_space: {recharge_below: [0, 250]}\nepisodes_per_trial: 1\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("name: c\nmisions: [training_facility_1]\n"), 0o644)
	env := &Env{Seed: 1, OutDir: filepath.Join(dir, "out"), MaxSteps: 30, Root: dir, WorkDir: dir}
	_, out := mustExec(t, env, `
c = daf.load_config("s.yaml")
print(c["strategy"], c["episodes_per_trial"], c["search_space"])
r = daf.sweep(**c)
print(r.name, r.num_trials)
`)
	if want := "grid 1 {\"recharge_below\": [0, 250]}\nc 2\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
	_, _, err := exec(t, env, `daf.load_config("../outside.yaml")`)
	if err == nil || !strings.Contains(err.Error(), "../outside.yaml is outside the script's root directory") {
		t.Errorf("a path out of the root: %v", err)
	}
	_, _, err = exec(t, env, `daf.load_config("bad.yaml")`)
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:2:1: misions: unknown key (did you mean missions?)") {
		t.Errorf("bad config: %v", err)
	}
}
