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
print(type(r), r.policy, r.missions, r.training_steps, r.updates, len(r.curve), r.hyperparameters["gamma"], r.seed)
p = daf.policy("stateless", data_path=r.final_checkpoint)
e = daf.episode("training_facility_1", p, seed=3, max_steps=20)
print(e.steps)
`)
	want := "TrainingResult stateless [\"training_facility_1\"] 256 2 2 0.995 4\n20\n"
	if printed != want {
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
