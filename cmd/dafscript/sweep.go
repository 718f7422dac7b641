package main

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/dafscript/dafscript/runtime/config"
	"github.com/dafscript/dafscript/runtime/journal"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/sweep"
	"github.com/dafscript/dafscript/runtime/sweepop"
	"github.com/dafscript/dafscript/runtime/train"
	"github.com/dafscript/dafscript/sim/mission"
)

func sweepCmd() *Command {
	c := &Command{
		Name:    "sweep",
		Usage:   "dafscript sweep [--resume SESSION] [--jobs N] [--seed S] [--episode-steps N] [--device auto|cpu|cuda] [--nats URL] [--no-cache] [--format table|json] [--out DIR] CONFIG.yaml",
		Summary: "run a hyperparameter sweep from a YAML config",
		Help: `Runs the sweep that CONFIG.yaml describes (docs/sweeps.md: name, missions,
policy_class_path, strategy, search_space, episodes_per_trial, num_trials,
seed, pruner, train_steps, objective, direction, jobs, window), the same
operation as daf.sweep with the same arguments, and prints the table of
trials, the best trial and the parameter importance. The session
DIR/sweeps/<session>/ holds journal.jsonl, sweep.json and, for neural
policies, each trial's training. --resume SESSION continues an interrupted
sweep from that session's journal: the trials that ended are kept, the
rest run, and the result is the uninterrupted one. --jobs and --seed
override the config's jobs and seed. Each trial is a job: --nats sends
them to NATS workers (docs/distributed.md; trials that train need the
session folder shared with the workers), and finished trials are reused
from the result cache unless --no-cache. The config is checked first, as
dafscript validate does.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		resume := fs.String("resume", "", "continue the sweep from its journal in `SESSION` (a folder, or operation/id under --out)")
		jobs := fs.Int("jobs", 0, "trials run at the same time, `N` (0: the config's jobs, else one per core); never changes the result")
		seed := fs.String("seed", "", "`seed` of the sweep, instead of the config's")
		steps := fs.Int("episode-steps", 0, "cap every evaluation episode at `N` steps (0: each mission's own length)")
		device := fs.String("device", "auto", "`device` neural policies train on: auto, cpu or cuda")
		format := fs.String("format", "table", "output `format`: table or json (sweep.json)")
		out := fs.String("out", "daf_output", "output `directory`; results go to DIR/sweeps/<session>/")
		var df distFlags
		df.define(fs)
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		switch {
		case len(pos) == 0:
			return usageError(st, c, "no config given (a YAML file such as sweep.yaml)")
		case len(pos) > 1:
			return usageError(st, c, "one config at a time, got %d (%s)", len(pos), strings.Join(pos, " "))
		case *jobs < 0:
			return usageError(st, c, "--jobs must be 0 or more, got %d", *jobs)
		case *steps < 0:
			return usageError(st, c, "--episode-steps must be 0 or more, got %d", *steps)
		case *format != "table" && *format != "json":
			return usageError(st, c, "--format %q: want table or json", *format)
		}
		doc, err := loadConfig(st, pos[0], "sweep")
		if err != nil {
			return configFailed(st, c, pos[0], err)
		}
		cfg := doc.Value.(*config.Sweep)
		if *jobs > 0 {
			cfg.Jobs = *jobs
		}
		if *seed != "" {
			v, err := strconv.ParseUint(*seed, 10, 64)
			if err != nil {
				return usageError(st, c, "--seed %q: want a whole number >= 0", *seed)
			}
			cfg.Seed = v
		}
		o := sweepop.Options{Config: *cfg, MaxSteps: *steps, Device: *device}
		if err := o.Check(); err != nil {
			return configFailed(st, c, pos[0], doc.At(err))
		}
		if *resume != "" {
			dir, err := resumeFolder(st, *out, *resume)
			if err != nil {
				return usageError(st, c, "--resume: %v", err)
			}
			if o.Resume, err = journal.Find(dir, sweep.JournalKind, cfg.Name); err != nil {
				return usageError(st, c, "--resume: %v", err)
			}
			if o.Resume == "" {
				return usageError(st, c, "--resume: %s holds no journal of sweep %q", *resume, cfg.Name)
			}
		}
		if qo := df.options(); qo.Check() != nil {
			return usageError(st, c, "%v", qo.Check())
		}
		r, err := opRun(st, c, *out, max(1, st.NumCPU))
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		ctx, stop := scriptContext(st)
		defer stop()
		r.Ctx = ctx
		// An embedded server works on as many trials at once as the sweep
		// runs.
		d := newRunDist(st, ctx, &df, max(1, cmp.Or(cfg.Jobs, r.Jobs)))
		defer d.close()
		d.wire(r)
		res, dir, err := op.Do(r, sweepop.Operation, op.Call[sweepop.Options]{Options: o, Seed: cfg.Seed,
			Args: map[string]any{"command": "sweep", "config": pos[0], "resume": *resume, "jobs": cfg.Jobs,
				"episode_steps": *steps, "device": *device}})
		if err != nil {
			return runFailed(st, c.Name, err)
		}
		if *format == "json" {
			data, err := res.JSON()
			if err == nil {
				_, err = st.Stdout.Write(data)
			}
			if err != nil {
				return runFailed(st, c.Name, err)
			}
		} else if err := res.WriteTable(st.Stdout); err != nil {
			return runFailed(st, c.Name, err)
		}
		fmt.Fprintf(st.Stderr, "sweep written to %s\n", dir)
		return ExitOK
	}
	return c
}

// configFailed reports a config that does not load: every problem on a
// line of its own (file:line:column: key: message), exit code 2.
func configFailed(st *State, c *Command, name string, err error) int {
	if errors.Is(err, fs.ErrNotExist) {
		return usageError(st, c, "%s: no such file", name)
	}
	var es config.Errors
	var e *config.Error
	switch {
	case errors.As(err, &es):
		for _, e := range es {
			fmt.Fprintln(st.Stderr, e.Error())
		}
		fmt.Fprintf(st.Stderr, "dafscript %s: %s: %d problem(s)\n", c.Name, name, len(es))
	case errors.As(err, &e):
		fmt.Fprintln(st.Stderr, e.Error())
	default:
		fmt.Fprintf(st.Stderr, "dafscript %s: %v\n", c.Name, err)
	}
	return ExitUsage
}

func configValidateCmd() *Command {
	c := &Command{
		Name:    "validate",
		Usage:   "dafscript validate FILE...",
		Summary: "check YAML configs without running them",
		Help: `Checks each config file (sweep, training, and the kinds added later) as
the commands and daf.load_config read them: malformed YAML, unknown keys
(with the closest valid key), wrong types, missing fields and values out
of range are reported with file:line:column; a sweep's missions, policy,
hyperparameter names and ranges are checked too. Prints "FILE: ok (KIND)"
for a valid file. Exit code 2 when any file has a problem.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) == 0 {
			return usageError(st, c, "no file given")
		}
		worst := ExitOK
		for _, name := range pos {
			if code := validateOne(st, c, name); code != ExitOK {
				worst = code
			}
		}
		return worst
	}
	return c
}

func validateOne(st *State, c *Command, name string) int {
	doc, err := loadConfig(st, name, "")
	if err != nil {
		return configFailed(st, c, name, err)
	}
	var cerr error
	switch v := doc.Value.(type) {
	case *config.Sweep:
		if err := (sweepop.Options{Config: *v}).Check(); err != nil {
			return configFailed(st, c, name, doc.At(err))
		}
	case *config.Training:
		for i, m := range v.Missions {
			if _, err := mission.Get(m); err != nil && cerr == nil {
				cerr = config.Fieldf(fmt.Sprintf("missions[%d]", i), "%v", err)
			}
		}
		if _, err := train.ParseHyperparameters(v.Hyperparameters); err != nil && cerr == nil {
			cerr = config.Fieldf("hyperparameters", "%v", err)
		}
		if v.Vibes != nil && cerr == nil {
			if err := train.CheckVibes(v.Vibes); err != nil {
				cerr = config.Fieldf("vibes", "%v", err)
			}
		}
	}
	if cerr != nil {
		return configFailed(st, c, name, doc.At(cerr))
	}
	fmt.Fprintf(st.Stdout, "%s: ok (%s)\n", name, doc.Kind)
	return ExitOK
}

// loadConfig reads a config file named as the user gave it (errors show
// that name) and decodes it; kind "" accepts any kind.
func loadConfig(st *State, name, kind string) (*config.Document, error) {
	path, err := absPath(st, name)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > config.MaxFileBytes {
		return nil, &config.Error{Pos: config.Pos{Source: name}, Msg: fmt.Sprintf("file is %d bytes; configs are limited to %d", info.Size(), config.MaxFileBytes)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return config.Parse(name, data, kind)
}
