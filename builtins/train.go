package builtins

import (
	"fmt"
	"math"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/train"
	"github.com/dafscript/dafscript/sim/mission"
)

const trainDoc = `daf.train(missions, policy="lstm", steps=100000, seed=None, hyperparameters={}, device="auto", checkpoint_every=None, resume=None, curriculum="mix", workers=1, vibes=None, init_from=None) -> TrainingResult

Trains a neural policy ("lstm" or "stateless") with PPO on the missions
(a name, daf.mission(...) or a list). curriculum says who plays what:
"mix" (environment i plays missions[i % n] throughout) or "sequence" (the
run is cut into n equal stages and every environment plays missions[k] in
stage k; the missions must have the same number of cogs, +cogs(N) sets it).
steps counts agent-steps and is rounded up to whole updates. hyperparameters
overrides the defaults by name (learning_rate 0.00092 annealed to 0, gamma
0.995, gae_lambda 0.90, clip_coef 0.2, vf_coef 2.0, vf_clip_coef 0.2,
ent_coef 0.01, max_grad_norm 1.5, update_epochs 1, num_envs 16 and
bptt_horizon 64 for lstm (64 and 16 for stateless), minibatch_size 4096,
hidden_size 128, threads = all cores, vibes 0 (all; 16 limits the actions
to noop, the moves and the 16 vibes recipes use), obs_grid 0 (1: the
network reads an 11x11 grid instead of the raw tokens), ...;
docs/training.md lists them all); an unknown name is an error with the
closest valid one. device: "auto" (CUDA when libtorch sees a GPU), "cpu",
"cuda". checkpoint_every: agent-steps between checkpoints (None: only the
final one). resume: a checkpoint of the same run (same missions,
curriculum, policy, seed and hyperparameters) to continue from; with the
same steps it ends where the uninterrupted run would. workers: processes
training together on this machine (data-parallel: each plays
num_envs/workers environments, gradients averaged every minibatch;
docs/distributed.md); num_envs must be a multiple of it. vibes: the only
vibes the policy may choose, by name (["default", "heart_a"]: its actions
are noop, the four moves and those two; None: as the vibes hyperparameter
says); the checkpoint records them and plays only them. init_from: a
checkpoint whose weights a new run starts from (fine-tuning: on other
missions too; Adam state and counters start fresh); its network must be
this run's (policy, hidden_size, vibes, obs_grid, relu). Not with resume.

Output goes to <out>/runs/<session>/NN_training/: checkpoints/update_NNNNNN/,
metrics.jsonl (one line per update) and training.json. Load a checkpoint
with daf.policy("lstm", data_path=r.final_checkpoint).

Result fields: policy, missions, curriculum, final_checkpoint, training_steps,
wall_time_seconds, steps_per_second, final_reward (mean reward of the last
100 episodes), hyperparameters (every applied value), curve (per update:
step, update, episode_reward, hearts, policy_loss, value_loss, entropy,
approx_kl, clip_fraction, explained_variance, sps, episodes), seed, device,
updates, episodes, session_dir, checkpoints, resumed_from, init_from, vibes.

  r = daf.train("training_facility_1", policy="lstm", steps=2000000, seed=1,
                hyperparameters={"learning_rate": 0.0005}, checkpoint_every=500000)
  print(r.final_reward, r.final_checkpoint)
  daf.evaluate([daf.policy("lstm", data_path=r.final_checkpoint), "random"], "training_facility_1")
  daf.train(["assembler_2", "training_facility_1"], curriculum="sequence", steps=4000000)
  daf.train("training_facility_1:shaped", policy="lstm", init_from=r.final_checkpoint, steps=2000000)`

// TrainingKind is the Starlark type name of daf.train's result.
const TrainingKind = "TrainingResult"

func builtinTrain(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	call, err := trainCall(t, b, args, kwargs)
	if err != nil {
		return nil, err
	}
	res, _, err := op.Do(EnvOf(t).Op(b.Name()), train.Operation, call)
	if err != nil {
		return nil, callError(b.Name(), err)
	}
	return NewResult(TrainingKind, res)
}

// trainCall converts the arguments of daf.train and daf.launch_training.
// Names become missions here (an unknown one with a did-you-mean); an
// empty list, missions the curriculum cannot combine and the ranges of
// the numbers are for train.Options.Check to reject.
func trainCall(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (op.Call[train.Options], error) {
	var none op.Call[train.Options]
	var mis starlark.Value
	var polV, stepsV, seedV, hyperV, devV, ckV, resumeV, curV, workersV, vibesV, initV starlark.Value = starlark.String("lstm"), starlark.None,
		starlark.None, starlark.None, starlark.String("auto"), starlark.None, starlark.None, starlark.String("mix"), starlark.None, starlark.None,
		starlark.None
	if err := UnpackArgs(b.Name(), args, kwargs, "missions", &mis, "policy?", &polV, "steps?", &stepsV, "seed?", &seedV,
		"hyperparameters?", &hyperV, "device?", &devV, "checkpoint_every?", &ckV, "resume?", &resumeV,
		"curriculum?", &curV, "workers?", &workersV, "vibes?", &vibesV, "init_from?", &initV); err != nil {
		return none, err
	}
	fail := func(format string, a ...any) error { return fmt.Errorf("%s: %s", b.Name(), fmt.Sprintf(format, a...)) }
	var ms []*mission.Mission
	if items, isList := elements(mis); !isList || len(items) > 0 {
		var err error
		if ms, err = Missions(b.Name(), "missions", mis); err != nil {
			return none, err
		}
	}
	cur, ok := starlark.AsString(curV)
	if !ok {
		return none, fail("curriculum: got %s, want a string, \"mix\" or \"sequence\"", curV.Type())
	}
	pol, ok := starlark.AsString(polV)
	if !ok {
		return none, fail("policy: got %s, want \"lstm\" or \"stateless\"", polV.String())
	}
	steps, err := int64Arg("steps", stepsV, 100_000)
	if err != nil {
		return none, fail("%v", err)
	}
	seed, err := SeedArg(t, seedV)
	if err != nil {
		return none, fail("%v", err)
	}
	hyper, err := hyperparameters(hyperV)
	if err != nil {
		return none, fail("%v", err)
	}
	dev, ok := starlark.AsString(devV)
	if !ok {
		return none, fail("device: got %s, want \"auto\", \"cpu\" or \"cuda\"", devV.Type())
	}
	ck, err := int64Arg("checkpoint_every", ckV, 0)
	if err != nil {
		return none, fail("%v", err)
	}
	workers, err := int64Arg("workers", workersV, 1)
	if err != nil {
		return none, fail("%v", err)
	}
	if workers < 1 { // Options.Workers 0 means one process; here 1 says so
		return none, fail("workers: got %d, want an int >= 1", workers)
	}
	var vibes []string
	if vibesV != starlark.None {
		items, isList := elements(vibesV)
		if !isList {
			return none, fail("vibes: got %s, want a list of vibe names such as [\"default\", \"heart_a\"], or None", vibesV.Type())
		}
		vibes = []string{} // an empty list is an error of its own, not None
		for i, v := range items {
			name, ok := starlark.AsString(v)
			if !ok {
				return none, fail("vibes[%d]: got %s, want a vibe name", i, v.Type())
			}
			vibes = append(vibes, name)
		}
	}
	var resume, initFrom string
	if resumeV != starlark.None {
		if resume, ok = starlark.AsString(resumeV); !ok || resume == "" {
			return none, fail("resume: got %s, want a checkpoint path or None", resumeV.String())
		}
	}
	if initV != starlark.None {
		if initFrom, ok = starlark.AsString(initV); !ok || initFrom == "" {
			return none, fail("init_from: got %s, want a checkpoint path or None", initV.String())
		}
	}
	callArgs := map[string]any{"function": b.Name(), "missions": names(ms), "curriculum": cur, "policy": pol, "steps": steps,
		"hyperparameters": hyper, "device": dev, "checkpoint_every": ck, "resume": resume}
	if workers != 1 {
		callArgs["workers"] = workers
	}
	if vibes != nil {
		callArgs["vibes"] = vibes
	}
	if initFrom != "" {
		callArgs["init_from"] = initFrom
	}
	return op.Call[train.Options]{
		Options: train.Options{Missions: ms, Curriculum: cur, Policy: pol, Steps: steps, Seed: seed, Hyperparameters: hyper,
			Device: dev, CheckpointEvery: ck, Resume: resume, InitFrom: initFrom, Workers: int(workers), Vibes: vibes},
		Seed: seed,
		Args: callArgs,
	}, nil
}

// int64Arg reads an optional integer (None gives def); its range is
// train.Options.Check's to judge.
func int64Arg(name string, v starlark.Value, def int64) (int64, error) {
	switch x := v.(type) {
	case nil, starlark.NoneType:
		return def, nil
	case starlark.Int:
		i, ok := x.Int64()
		if !ok {
			return 0, fmt.Errorf("%s: got %s, want an int of 64 bits", name, x)
		}
		return i, nil
	}
	return 0, fmt.Errorf("%s: got %s, want an int", name, v.Type())
}

// hyperparameters reads a dict of name -> number.
func hyperparameters(v starlark.Value) (map[string]float64, error) {
	out := map[string]float64{}
	if v == nil || v == starlark.None {
		return out, nil
	}
	d, ok := v.(starlark.IterableMapping) // a dict, or daf.sweep_best's result
	if !ok {
		return nil, fmt.Errorf("hyperparameters: got %s, want a dict such as {\"learning_rate\": 0.0005}", v.Type())
	}
	for _, kv := range d.Items() {
		k, ok := starlark.AsString(kv[0])
		if !ok {
			return nil, fmt.Errorf("hyperparameters: key %s is not a string", kv[0].String())
		}
		var f float64
		switch x := kv[1].(type) {
		case starlark.Int:
			i, ok := x.Int64()
			if !ok {
				return nil, fmt.Errorf("hyperparameters[%q]: %s is too large", k, x)
			}
			f = float64(i)
		case starlark.Float:
			f = float64(x)
		case starlark.Bool:
			if x {
				f = 1
			}
		default:
			return nil, fmt.Errorf("hyperparameters[%q]: got %s, want a number", k, kv[1].Type())
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("hyperparameters[%q]: %v is not a finite number", k, f)
		}
		out[k] = f
	}
	return out, nil
}
