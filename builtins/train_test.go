package builtins

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/train/torch"
)

func TestTrainBuiltin(t *testing.T) {
	if !torch.Available {
		t.Skip("built without libtorch")
	}
	out := t.TempDir()
	env := &Env{Seed: 4, OutDir: out, Jobs: 1}
	_, printed := mustExec(t, env, `
h = {"hidden_size": 16, "num_envs": 2, "bptt_horizon": 16, "minibatch_size": 64, "threads": 1}
r = daf.train("training_facility_1", policy="stateless", steps=256, hyperparameters=h, device="cpu")
print(type(r), r.policy, r.missions, r.curriculum, r.training_steps, r.updates, len(r.curve), r.hyperparameters["gamma"], r.seed)
p = daf.policy("stateless", data_path=r.final_checkpoint)
e = daf.episode("training_facility_1", p, seed=3, max_steps=20)
print(e.steps)
`)
	want := "TrainingResult stateless [\"training_facility_1\"] mix 256 2 2 0.995 4\n20\n"
	if printed != want {
		t.Errorf("printed\n%s\nwant\n%s", printed, want)
	}
	// A sequence: one mission per stage, the missions given the same cogs.
	_, printed = mustExec(t, &Env{Seed: 4, OutDir: t.TempDir(), Jobs: 1}, `
h = {"hidden_size": 16, "num_envs": 2, "bptt_horizon": 16, "minibatch_size": 64, "threads": 1}
s = daf.train(["assembler_2+cogs(2)", "training_facility_1+cogs(2)"], curriculum="sequence", policy="stateless",
              steps=256, hyperparameters=h, device="cpu")
print(s.missions, s.curriculum, s.updates)
`)
	if want := "[\"assembler_2+cogs(2)\", \"training_facility_1+cogs(2)\"] sequence 4\n"; printed != want {
		t.Errorf("printed\n%s\nwant\n%s", printed, want)
	}
	var res struct {
		FinalCheckpoint string `json:"final_checkpoint"`
		Curve           []any  `json:"curve"`
	}
	if err := json.Unmarshal(sessionFile(t, out, "training", "training.json"), &res); err != nil || len(res.Curve) != 2 {
		t.Errorf("training.json: %v %+v", err, res)
	}
}

func TestTrainBuiltinErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`daf.train("training_facility_1", policy="baseline")`, `daf.train: policy: got "baseline", want "lstm" or "stateless"`},
		{`daf.train("traning_facility_1")`, `did you mean training_facility_1`},
		{`daf.train("training_facility_1", steps=0)`, `daf.train: steps: got 0, want an int >= 1`},
		{`daf.train("training_facility_1", hyperparameters={"learning_rat": 0.1})`, `daf.train: hyperparameters: unknown hyperparameter "learning_rat" (did you mean learning_rate?)`},
		{`daf.train("training_facility_1", hyperparameters={"gamma": "high"})`, `daf.train: hyperparameters["gamma"]: got string, want a number`},
		{`daf.train("training_facility_1", hyperparameters=[1])`, `daf.train: hyperparameters: got list, want a dict`},
		{`daf.train("training_facility_1", stepz=10)`, `daf.train: unexpected keyword argument "stepz" (did you mean steps?)`},
		{`daf.train("training_facility_1", steps=64, resume="/nonexistent/ckpt")`, `checkpoint /nonexistent/ckpt: no such file or directory`},
		{`daf.train("training_facility_1", checkpoint_every=-1)`, `daf.train: checkpoint_every: got -1, want 0 (only the final checkpoint) or more`},
		{`daf.train([])`, `daf.train: missions: none given; name at least one mission to train on`},
		{`daf.train(["training_facility_1", 3])`, `daf.train: missions[1]: got int, want a mission name`},
		{`daf.train("training_facility_1", curriculum="sequential")`, `daf.train: curriculum: got "sequential", want "mix" or "sequence"`},
		{`daf.train("training_facility_1", curriculum=None)`, `daf.train: curriculum: got NoneType, want a string, "mix" or "sequence"`},
		{`daf.train(["assembler_2", "training_facility.harvest"], curriculum="sequence")`,
			`daf.train: missions[1]: training_facility.harvest has 1 cogs but missions[0] assembler_2 has 4; curriculum "sequence" needs the same number in every mission (set it with +cogs(N), or use curriculum "mix")`},
		{`daf.train(["assembler_2", "traning_facility_1"], curriculum="sequence")`, `daf.train: missions[1]: unknown mission "traning_facility_1"`},
		{`daf.train("training_facility_1", vibes=["default", "hart_a"])`, `daf.train: vibes: unknown vibe "hart_a" (did you mean heart_a`},
		{`daf.train("training_facility_1", vibes="heart_a")`, `daf.train: vibes: got string, want a list of vibe names such as ["default", "heart_a"], or None`},
		{`daf.train("training_facility_1", vibes=[10])`, `daf.train: vibes[0]: got int, want a vibe name`},
		{`daf.train("training_facility_1", vibes=[])`, `daf.train: vibes: the list is empty`},
	} {
		got := errText(t, tc.src)
		if !torch.Available && strings.Contains(tc.want, "checkpoint") {
			continue
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.src, got, tc.want)
		}
	}
}
