package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/train"
	"github.com/dafscript/dafscript/sim/mission"
)

func trainCmd() *Command {
	c := &Command{
		Name:    "train",
		Usage:   "dafscript train -m MISSION... [--curriculum mix|sequence] [-p lstm|stateless] [--steps N] [--seed S] [--hp NAME=VALUE]... [--vibes NAME,...] [--device auto|cpu|cuda] [--checkpoint-every N] [--resume CKPT | --init-from CKPT] [--nproc N | --master HOST:PORT --rank R --world N] [--format table|json|yaml] [--out DIR]",
		Summary: "train a neural policy with PPO",
		Help: `Trains an lstm or stateless policy with PPO on the missions (-m, repeatable)
for --steps agent-steps. --curriculum mix (the default): environment i plays
mission i mod n throughout; --curriculum sequence: the run is cut into n
equal stages, every environment playing the k-th mission in stage k (the
missions need the same number of cogs: +cogs(N)). --hp sets a
hyperparameter (repeatable: --hp learning_rate=0.0005 --hp num_envs=32);
docs/training.md lists them with their defaults. --vibes default,heart_a
lets the policy choose among noop, the moves and those vibes only.
Checkpoints, metrics.jsonl (one line per update) and training.json go to
DIR/training/<session>/.
--resume continues a run from one of its checkpoints; --init-from starts a
new run (other missions too) from a checkpoint's weights, with fresh Adam
state, to fine-tune it: its network must be this run's. Play the result with
-p lstm:DIR/training/<session>/checkpoints/update_NNNNNN in eval or compare.

Data-parallel training (docs/distributed.md): --nproc N trains with N
processes on this machine, averaging the gradients of every minibatch
(libtorch's Gloo); across machines, run the same command on each with
--master HOST:PORT (where rank 0 serves the rendezvous), --world N and
its own --rank R, rank 0 first. Rank 0 writes the checkpoints.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		var missions, hps listFlag
		fs.Var(&missions, "m", "`mission` to train on (repeat, or comma-separate, for several)")
		fs.Var(&missions, "mission", "same as -m")
		mapFlag(fs, st, func(name string) { missions = append(missions, name) })
		curriculum := fs.String("curriculum", "mix", "`curriculum`: mix (environment i plays mission i mod n) or sequence (one mission per stage, in order)")
		pol := fs.String("p", "lstm", "`policy` class: lstm or stateless")
		fs.StringVar(pol, "policy", "lstm", "same as -p")
		steps := fs.Int64("steps", 100_000, "agent-`steps` to train for (rounded up to whole updates)")
		seed := fs.Uint64("seed", 0, "`seed` of the run")
		fs.Var(&hps, "hp", "hyperparameter `NAME=VALUE` (repeat for several)")
		var vibes listFlag
		fs.Var(&vibes, "vibes", "the only `vibes` the policy may choose, by name (comma-separated or repeated, e.g. default,heart_a); default: all")
		device := fs.String("device", "auto", "`device`: auto (CUDA when libtorch sees a GPU), cpu or cuda")
		ckEvery := fs.Int64("checkpoint-every", 0, "agent-`steps` between checkpoints (0: only the final one)")
		resume := fs.String("resume", "", "`checkpoint` of the same run to continue from")
		initFrom := fs.String("init-from", "", "`checkpoint` whose weights a new run starts from (fine-tuning; the same network)")
		nproc := fs.Int("nproc", 1, "train with `N` processes on this machine (data-parallel)")
		var par train.Parallel
		fs.StringVar(&par.Master, "master", "", "data-parallel across machines: `HOST:PORT` where rank 0 serves the rendezvous")
		fs.IntVar(&par.Rank, "rank", 0, "data-parallel across machines: this process's `rank` (0 to world-1)")
		fs.IntVar(&par.World, "world", 0, "data-parallel across machines: `N` ranks in the run")
		fs.DurationVar(&par.Timeout, "rank-timeout", 0, "how long a rank waits for the others (rendezvous, each gradient exchange) before it fails (0: 60s)")
		format := fs.String("format", "table", "output `format`: table, json or yaml")
		out := fs.String("out", "daf_output", "output `directory`; results go to DIR/training/<session>/")
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) > 0 {
			return usageError(st, c, "unexpected argument %q (missions go after -m)", pos[0])
		}
		if *format != "table" && *format != "json" && *format != "yaml" {
			return usageError(st, c, "--format %q: want table, json or yaml", *format)
		}
		var ms []*mission.Mission
		for _, name := range missions {
			m, err := mission.Get(name)
			if err != nil {
				return usageError(st, c, "-m: %v", err)
			}
			ms = append(ms, m)
		}
		hyper := map[string]float64{}
		for _, kv := range hps {
			k, v, found := strings.Cut(kv, "=")
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if !found || err != nil {
				return usageError(st, c, "--hp %q: want NAME=NUMBER, e.g. --hp learning_rate=0.0005", kv)
			}
			hyper[strings.TrimSpace(k)] = f
		}
		o := train.Options{Missions: ms, Curriculum: *curriculum, Policy: *pol, Steps: *steps, Seed: *seed, Hyperparameters: hyper,
			Device: *device, CheckpointEvery: *ckEvery, Workers: *nproc, Parallel: par, Vibes: vibes}
		if *resume != "" {
			var err error
			if o.Resume, err = absPath(st, *resume); err != nil {
				return runFailed(st, c.Name, err)
			}
		}
		if *initFrom != "" {
			var err error
			if o.InitFrom, err = absPath(st, *initFrom); err != nil {
				return runFailed(st, c.Name, err)
			}
		}
		callArgs := map[string]any{"command": "train", "missions": []string(missions), "curriculum": *curriculum, "policy": *pol, "steps": *steps,
			"hyperparameters": hyper, "device": *device, "checkpoint_every": *ckEvery, "resume": *resume}
		if *nproc != 1 {
			callArgs["nproc"] = *nproc
		}
		if vibes != nil {
			callArgs["vibes"] = []string(vibes)
		}
		if *initFrom != "" {
			callArgs["init_from"] = *initFrom
		}
		if par.World != 0 || par.Master != "" || par.Rank != 0 {
			callArgs["master"], callArgs["rank"], callArgs["world"] = par.Master, par.Rank, par.World
		}
		_, code = doCommand(st, c, *out, 1, nil, train.Operation, op.Call[train.Options]{Options: o, Seed: *seed, Args: callArgs},
			showAs(*format, writeTraining), "training")
		return code
	}
	return c
}

// writeTraining prints a training result as a table.
func writeTraining(res *train.Result, w io.Writer) error {
	fmt.Fprintf(w, "policy           %s\n", res.Policy)
	fmt.Fprintf(w, "missions         %s (curriculum %s)\n", strings.Join(res.Missions, ", "), res.Curriculum)
	fmt.Fprintf(w, "device           %s\n", res.Device)
	fmt.Fprintf(w, "steps            %d (%d updates, %d episodes)\n", res.TrainingSteps, res.Updates, res.Episodes)
	fmt.Fprintf(w, "steps/second     %.0f\n", res.StepsPerSecond)
	fmt.Fprintf(w, "final reward     %.4f (mean of the last episodes)\n", res.FinalReward)
	_, err := fmt.Fprintf(w, "final checkpoint %s\n", res.FinalCheckpoint)
	return err
}

// trainRank is the hidden command a rank of `train --nproc N` (or
// daf.train(workers=N)) runs: train.Launch starts it with its place in
// the run as arguments and the options as JSON on standard input.
func trainRank(st *State, args []string) int {
	ctx, cancel := scriptContext(st)
	defer cancel()
	if err := train.RunWorker(ctx, args, st.Stdin); err != nil {
		fmt.Fprintf(st.Stderr, "dafscript %s: %v\n", train.WorkerCommand, err)
		if ctx.Err() != nil {
			return ExitCancelled
		}
		return ExitError
	}
	return ExitOK
}
