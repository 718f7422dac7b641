package sweepop

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/config"
	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/journal"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/sweep"
	"github.com/dafscript/dafscript/runtime/train"
	"github.com/dafscript/dafscript/runtime/train/torch"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

func TestMain(m *testing.M) {
	train.Register()
	os.Exit(m.Run())
}

// parse decodes a sweep config as a YAML file would give it.
func parse(t *testing.T, yml string) config.Sweep { return parseB(t, yml) }

func parseB(t testing.TB, yml string) config.Sweep {
	t.Helper()
	doc, err := config.Parse("sweep.yaml", []byte(yml), "sweep")
	if err != nil {
		t.Fatal(err)
	}
	return *doc.Value.(*config.Sweep)
}

func run(t *testing.T, o Options, out string, jobs int) (*sweep.Result, string) {
	t.Helper()
	r := &op.Run{Out: out, Jobs: jobs, Label: "test"}
	res, dir, err := op.Do(r, Operation, op.Call[Options]{Options: o, Seed: o.Config.Seed})
	if err != nil {
		t.Fatal(err)
	}
	return res, dir
}

func TestCheck(t *testing.T) {
	base := `name: s
missions: [training_facility_1]
`
	for _, tc := range []struct{ yml, want string }{
		{"policy_class_path: baseline\nsearch_space: {recharge_belo: [10, 20]}",
			`search_space.recharge_belo: unknown parameter "recharge_belo" (did you mean recharge_below?)`},
		{"policy_class_path: baseline\nsearch_space: {recharge_below: [10, 300]}",
			"search_space.recharge_below: values[1]: 300 is out of range; baseline takes a whole number from 0 to 255"},
		{"policy_class_path: baseline\nsearch_space: {recharge_below: [fast]}",
			"search_space.recharge_below: values[0]: got fast (string)"},
		{"policy_class_path: baseline\nstrategy: random\nnum_trials: 2\nsearch_space: {recharge_below: {min: 10, max: 20}}",
			"search_space.recharge_below: a float range for a whole-number setting; add type: int"},
		{"policy_class_path: baseline\nstrategy: random\nnum_trials: 2\nsearch_space: {batch_cargo: {min: 0, max: 20, type: int}}",
			"search_space.batch_cargo: range [0, 20] goes out of range; baseline takes a whole number from 1 to 255"},
		{"policy_class_path: baseline\ntrain_steps: 1000\nsearch_space: {recharge_below: [10]}",
			"train_steps: policy baseline is scripted, nothing is trained"},
		{"policy_class_path: baselin\nsearch_space: {recharge_below: [10]}",
			`policy_class_path: unknown policy "baselin" (did you mean baseline?)`},
		{"policy_class_path: stateless\nsearch_space: {learning_rate: [0.001]}",
			"train_steps: policy stateless is trained in every trial; give train_steps >= 1"},
		{"policy_class_path: stateless\ntrain_steps: 100\nsearch_space: {learning_rat: [0.001]}",
			`search_space.learning_rat: unknown hyperparameter "learning_rat" (did you mean learning_rate?)`},
		{"policy_class_path: lstm\ntrain_steps: 100\nstrategy: random\nnum_trials: 3\nsearch_space: {gamma: {min: 0.9, max: 1.5}}",
			"search_space.gamma: range [0.9, 1.5] goes out of range; the trainer takes a number from 0 to 1"},
		{"policy_class_path: lstm\ntrain_steps: 100\nsearch_space: {num_envs: [8, 16.5]}",
			"search_space.num_envs: values[1]: 16.5 is out of range; the trainer takes a whole number"},
	} {
		err := Options{Config: parse(t, base+tc.yml)}.Check()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %s", tc.yml, err, tc.want)
		}
	}
	c := parse(t, base+"policy_class_path: baseline\nsearch_space: {recharge_below: [10]}")
	c.Missions = []string{"traning_facility_1"}
	if err := (Options{Config: c}).Check(); err == nil || !strings.Contains(err.Error(), "missions[0]") || !strings.Contains(err.Error(), "did you mean training_facility_1") {
		t.Errorf("unknown mission: %v", err)
	}
	if err := (Options{Config: c, MaxSteps: -1}).Check(); err == nil {
		t.Error("negative episode steps accepted")
	}
}

// TestScriptedParametersReachThePolicy: each trial's value is what the
// baseline scores with that trial's parameters as its keyword arguments,
// and two values of one parameter give two different outcomes.
func TestScriptedParametersReachThePolicy(t *testing.T) {
	o := Options{MaxSteps: 150, Config: parse(t, `name: cargo
missions: [training_facility_1, training_facility_2]
policy_class_path: baseline
search_space: {recharge_below: [0, 200], batch_cargo: [20]}
episodes_per_trial: 2
seed: 3
objective: performance_score
`)}
	res, _ := run(t, o, t.TempDir(), 2)
	if len(res.Trials) != 2 {
		t.Fatalf("%d trials", len(res.Trials))
	}
	for _, tr := range res.Trials {
		spec := policy.Spec{Class: "baseline", Kwargs: map[string]any{"recharge_below": tr.Params["recharge_below"], "batch_cargo": int64(20)}}
		var want []sweep.MissionValue
		for _, name := range o.Config.Missions {
			m, _ := mission.Get(name)
			er, err := eval.Run(t.Context(), eval.Options{Entries: []eval.Entry{eval.Single(spec)}, Missions: []*mission.Mission{m},
				Episodes: 2, Seed: 3, MaxSteps: 150, Jobs: 1})
			if err != nil {
				t.Fatal(err)
			}
			v := 0.0
			for _, e := range er.Results {
				v += scoreOf(e)
			}
			want = append(want, sweep.MissionValue{Mission: name, Value: v / 2})
		}
		got, _ := json.Marshal(tr.MissionValues)
		exp, _ := json.Marshal(want)
		if !bytes.Equal(got, exp) || tr.Status != sweep.StatusComplete {
			t.Errorf("trial %d (%v): %s %s, want the values of %s: %s", tr.Number, tr.Params, tr.Status, got, spec, exp)
		}
	}
	if *res.Trials[0].Value == *res.Trials[1].Value {
		t.Errorf("recharge_below 0 and 200 score the same (%v): the parameter did not reach the policy", *res.Trials[0].Value)
	}
}

// scoreOf is compare.PerformanceScore averaged over the agents.
func scoreOf(e eval.Episode) float64 {
	s := 0.0
	for _, st := range e.AgentStats {
		s += st["carbon.gained"] + st["oxygen.gained"] + st["germanium.gained"] + st["silicon.gained"] +
			10*st["inventory.diversity"] + 0.1*st["action.move.success"] - 0.05*st["action.failed"] - 0.1*st["status.max_steps_without_motion"]
	}
	return s / float64(len(e.AgentStats))
}

// TestScriptedPruningReportsMissions: with a pruner, a scripted trial
// reports the running mean after each mission but the last.
func TestScriptedPruningReportsMissions(t *testing.T) {
	o := Options{MaxSteps: 60, Config: parse(t, `name: p
missions: [training_facility_1, training_facility_2, training_facility_3]
policy_class_path: baseline
search_space: {rendezvous_wait: [0, 90]}
episodes_per_trial: 1
pruner: median
`)}
	res, _ := run(t, o, t.TempDir(), 1)
	for _, tr := range res.Trials {
		if len(tr.Intermediate) != 2 || tr.Intermediate[0].Step != 1 || tr.Intermediate[1].Step != 2 {
			t.Fatalf("trial %d reported %+v, want steps 1 and 2", tr.Number, tr.Intermediate)
		}
		mv := tr.MissionValues
		if tr.Intermediate[0].Value != mv[0].Value || tr.Intermediate[1].Value != (mv[0].Value+mv[1].Value)/2 {
			t.Errorf("trial %d: reports %+v, mission values %+v", tr.Number, tr.Intermediate, mv)
		}
	}
}

// TestResume: a sweep resumed from the journal of an interrupted run (here:
// its first trials, as a killed run leaves them) gives the uninterrupted
// result, and keeps the ended trials instead of running them again.
func TestResume(t *testing.T) {
	o := Options{MaxSteps: 40, Config: parse(t, `name: r
missions: [training_facility_1]
policy_class_path: baseline
search_space: {recharge_below: [0, 20, 40, 60]}
episodes_per_trial: 1
`)}
	out := t.TempDir()
	full, dir := run(t, o, out, 2)
	want, _ := full.JSON()
	recs, err := os.ReadFile(filepath.Join(dir, JournalName))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(recs), "\n")
	old := filepath.Join(t.TempDir(), "old")
	os.MkdirAll(old, 0o755)
	// Header and two trials, and a torn third line.
	torn := lines[0] + lines[1] + lines[2] + lines[3][:10]
	if err := os.WriteFile(filepath.Join(old, JournalName), []byte(torn), 0o644); err != nil {
		t.Fatal(err)
	}
	found, err := journal.Find(old, sweep.JournalKind, "r")
	if err != nil || found != filepath.Join(old, JournalName) {
		t.Fatalf("journal.Find: %q, %v", found, err)
	}
	if f, err := journal.Find(old, sweep.JournalKind, "other"); f != "" || err != nil {
		t.Fatalf("journal.Find of another sweep: %q, %v", f, err)
	}
	o.Resume = found
	resumed, dir2 := run(t, o, out, 1)
	got, _ := resumed.JSON()
	if !bytes.Equal(got, want) {
		t.Fatalf("resumed result differs:\n%s\nwant\n%s", got, want)
	}
	data, _ := os.ReadFile(filepath.Join(dir2, JournalName))
	var n int
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, `"type":"trial"`) {
			n++
		}
	}
	if n != 4 {
		t.Errorf("the resumed journal has %d trial records, want 4 (2 kept + 2 run)", n)
	}
	// A different sweep refuses the journal.
	o.Config.Seed = 9
	r := &op.Run{Out: out, Jobs: 1}
	if _, _, err := op.Do(r, Operation, op.Call[Options]{Options: o}); err == nil || !strings.Contains(err.Error(), "seed is 0 in the journal, 9 now") {
		t.Errorf("resume with another seed: %v", err)
	}
}

func needTorch(t *testing.T) {
	if !torch.Available {
		t.Skip("built without libtorch")
	}
}

// TestHyperparametersReachTheTrainer: each trial trains with its own
// learning rate (the checkpoint records what the trainer applied), and
// the two rates give two different networks and outcomes.
func TestHyperparametersReachTheTrainer(t *testing.T) {
	needTorch(t)
	o := Options{MaxSteps: 60, Device: "cpu", Config: parse(t, `name: lr
missions: [training_facility_1]
policy_class_path: stateless
search_space: {learning_rate: [0.0, 0.01], hidden_size: [16], num_envs: [4], minibatch_size: [256], bptt_horizon: [16]}
train_steps: 2048
episodes_per_trial: 2
seed: 5
objective: performance_score
`)}
	res, dir := run(t, o, t.TempDir(), 2)
	var weights []string
	for _, tr := range res.Trials {
		if tr.Status != sweep.StatusComplete {
			t.Fatalf("trial %d: %s %s", tr.Number, tr.Status, tr.Error)
		}
		ck, err := torch.ReadCheckpoint(filepath.Join(dir, tr.Checkpoint))
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Hyperparameters map[string]float64 `json:"hyperparameters"`
		}
		if err := json.Unmarshal(ck.Trainer, &st); err != nil {
			t.Fatal(err)
		}
		if st.Hyperparameters["learning_rate"] != tr.Params["learning_rate"] || st.Hyperparameters["threads"] != 1 || st.Hyperparameters["hidden_size"] != 16 {
			t.Errorf("trial %d (%v) trained with %v", tr.Number, tr.Params, st.Hyperparameters)
		}
		w, _ := json.Marshal(ck.Params)
		weights = append(weights, string(w))
	}
	if weights[0] == weights[1] {
		t.Error("learning rates 0 and 0.01 trained the same network")
	}
	if *res.Trials[0].Value == *res.Trials[1].Value {
		t.Errorf("learning rates 0 and 0.01 score the same (%v)", *res.Trials[0].Value)
	}
}

// TestTrainedPruning: with a pruner, a trial that trains reports the
// evaluations of its network on the way as steps 1, 2, 3, and a pruned
// trial keeps the checkpoint it stopped at.
func TestTrainedPruning(t *testing.T) {
	needTorch(t)
	o := Options{MaxSteps: 40, Device: "cpu", Config: parse(t, `name: prune
missions: [training_facility_1]
policy_class_path: stateless
strategy: random
num_trials: 3
window: 1
search_space: {learning_rate: {min: 0.0001, max: 0.05, log: true}, hidden_size: [16], num_envs: [4], minibatch_size: [256], bptt_horizon: [16]}
train_steps: 4096
episodes_per_trial: 1
pruner: asha
objective: performance_score
`)}
	res, dir := run(t, o, t.TempDir(), 1)
	pruned := 0
	for _, tr := range res.Trials {
		switch tr.Status {
		case sweep.StatusComplete:
			if len(tr.Intermediate) != PruningEvaluations {
				t.Errorf("trial %d reported %+v, want %d evaluations", tr.Number, tr.Intermediate, PruningEvaluations)
			}
		case sweep.StatusPruned:
			pruned++
		default:
			t.Fatalf("trial %d: %s %s", tr.Number, tr.Status, tr.Error)
		}
		for i, r := range tr.Intermediate {
			if r.Step != i+1 {
				t.Errorf("trial %d: steps %+v", tr.Number, tr.Intermediate)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, tr.Checkpoint, "weights.bin")); err != nil {
			t.Errorf("trial %d: checkpoint %q: %v", tr.Number, tr.Checkpoint, err)
		}
	}
	// ASHA keeps only the best at rung 1 while fewer than three trials
	// reached it: with these seeds one of trials 1 and 2 falls behind.
	if pruned == 0 {
		t.Errorf("no trial pruned: %s", mustJSON(res))
	}
}

func mustJSON(r *sweep.Result) []byte {
	b, _ := r.JSON()
	return b
}

// TestResumeTrained: a resumed sweep of trained trials keeps the trainings
// of the trials that ended (their checkpoints are in the new session, where
// sweep.json names them) and runs again, from the start, the one that was
// running when the first run stopped.
func TestResumeTrained(t *testing.T) {
	needTorch(t)
	o := Options{MaxSteps: 30, Device: "cpu", Config: parse(t, `name: rt
missions: [training_facility_1]
policy_class_path: stateless
search_space: {learning_rate: [0.001, 0.004, 0.01], hidden_size: [8], num_envs: [2], minibatch_size: [128], bptt_horizon: [16]}
train_steps: 512
episodes_per_trial: 1
objective: performance_score
`)}
	out := t.TempDir()
	full, dir := run(t, o, out, 1)
	want := mustJSON(full)
	// What a kill during trial 1 leaves: the header, trial 0, and trial 1's
	// training begun.
	old := filepath.Join(t.TempDir(), "old")
	lines := strings.SplitAfter(string(mustRead(t, filepath.Join(dir, JournalName))), "\n")
	os.MkdirAll(filepath.Join(old, "trials", "0001", "checkpoints"), 0o755)
	os.WriteFile(filepath.Join(old, "trials", "0001", "metrics.jsonl"), []byte("{\"torn"), 0o644)
	if err := os.CopyFS(filepath.Join(old, "trials", "0000"), os.DirFS(filepath.Join(dir, "trials", "0000"))); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(old, JournalName), []byte(lines[0]+lines[1]), 0o644)
	o.Resume = filepath.Join(old, JournalName)
	resumed, dir2 := run(t, o, out, 2)
	if got := mustJSON(resumed); !bytes.Equal(got, want) {
		t.Fatalf("resumed:\n%s\nwant\n%s", got, want)
	}
	for _, tr := range resumed.Trials {
		if _, err := os.Stat(filepath.Join(dir2, tr.Checkpoint, "weights.bin")); err != nil {
			t.Errorf("trial %d: %v", tr.Number, err)
		}
	}
	if m := string(mustRead(t, filepath.Join(dir2, "trials", "0001", "metrics.jsonl"))); strings.Contains(m, "torn") {
		t.Error("trial 1 was not run again from the start")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
