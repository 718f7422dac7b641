package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/progress"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

// listFlag collects a repeatable flag; each value may also be a
// comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// episodeFlags are the options eval and compare share.
type episodeFlags struct {
	missions, policies listFlag
	episodes           int
	seed               uint64
	jobs               int
	steps              int
	mix                bool
	format, out        string
	// proportionHint is what a -p with a proportion but no team mix is
	// told.
	proportionHint string
	dist           distFlags
}

func (f *episodeFlags) define(fs *flag.FlagSet, st *State, defEpisodes int) {
	fs.Var(&f.missions, "m", "`mission` to play (repeat, or comma-separate, for several)")
	fs.Var(&f.missions, "mission", "same as -m")
	mapFlag(fs, st, func(name string) { f.missions = append(f.missions, name) })
	fs.Var(&f.policies, "p", "`policy` CLASS[:DATA][:PROPORTION] (repeat for several)")
	fs.Var(&f.policies, "policy", "same as -p")
	fs.IntVar(&f.episodes, "e", defEpisodes, "`episodes` per policy and mission")
	fs.IntVar(&f.episodes, "episodes", defEpisodes, "same as -e")
	fs.Uint64Var(&f.seed, "seed", 0, "base `seed`; episode e of mission m has seed derived from (seed, m, e)")
	fs.IntVar(&f.jobs, "jobs", st.NumCPU, "run episodes on `N` goroutines (results do not depend on it)")
	fs.IntVar(&f.steps, "episode-steps", 0, "cap every episode at `N` steps (0: each mission's own length)")
	fs.BoolVar(&f.mix, "mix", false, "the -p policies form one team, sharing the agents (eval: by their proportions; compare: equally)")
	fs.StringVar(&f.format, "format", "table", "output `format`: table, json or yaml")
	fs.StringVar(&f.out, "out", "daf_output", "output `directory`; results go to DIR/<operation>/<session>/")
	f.dist.define(fs)
}

// parse checks the flags and resolves missions and policies; a non-nil
// error is a usage error.
func (f *episodeFlags) parse() ([]*mission.Mission, []eval.Entry, error) {
	switch {
	case len(f.missions) == 0:
		return nil, nil, errors.New("-m MISSION is required (see dafscript missions)")
	case len(f.policies) == 0:
		return nil, nil, fmt.Errorf("-p POLICY is required (one of %s)", strings.Join(policy.Classes(), ", "))
	case f.format != "table" && f.format != "json" && f.format != "yaml":
		return nil, nil, fmt.Errorf("--format %q: want table, json or yaml", f.format)
	case f.out == "":
		return nil, nil, errors.New("--out must name a directory")
	}
	if o := f.dist.options(); o.Check() != nil {
		return nil, nil, o.Check()
	}
	var ms []*mission.Mission
	for _, name := range f.missions {
		m, err := mission.Get(name)
		if err != nil {
			return nil, nil, fmt.Errorf("-m: %v", err)
		}
		ms = append(ms, m)
	}
	var entries []eval.Entry
	var mix eval.Entry
	for _, s := range f.policies {
		spec, prop, err := policy.ParseSpec(s)
		if err != nil {
			return nil, nil, fmt.Errorf("-p %q: %v", s, err)
		}
		if _, err := policy.New(spec); err != nil {
			return nil, nil, fmt.Errorf("-p %q: %v", s, err)
		}
		if f.mix {
			mix.Members = append(mix.Members, eval.Member{Spec: spec, Proportion: prop})
			continue
		}
		if strings.Count(s, ":") >= 2 {
			return nil, nil, fmt.Errorf("-p %q: %s", s, f.proportionHint)
		}
		entries = append(entries, eval.Single(spec))
	}
	if f.mix {
		for i, m := range mix.Members {
			if i > 0 {
				mix.Name += "+"
			}
			mix.Name += m.Spec.String()
		}
		entries = []eval.Entry{mix}
	}
	return ms, entries, nil
}

// opRun returns what an operation run by command c needs, writing under
// the output directory out.
func opRun(st *State, c *Command, out string, jobs int) (*op.Run, error) {
	dir, err := absPath(st, out)
	if err != nil {
		return nil, err
	}
	return &op.Run{Ctx: st.Ctx, Out: dir, Jobs: jobs, Label: c.Name, Stderr: st.Stderr, Interactive: st.IsTerminal,
		Logger: slog.New(slog.DiscardHandler), Info: output.RunInfo{Version: st.Version}}, nil
}

// doCommand runs one operation for command c: it opens the session under
// out, runs spec, prints the result with show, and says on stderr where
// it was written ("<what> written to DIR"). d, when not nil, gives the
// run its executor and cache (--nats, --no-cache). It returns the result
// and the exit code.
func doCommand[O op.Options, R any](st *State, c *Command, out string, jobs int, d *runDist, spec op.Spec[O, R], call op.Call[O], show func(io.Writer, R) error, what string) (R, int) {
	var res R
	r, err := opRun(st, c, out, jobs)
	if d != nil {
		defer d.close()
	}
	if err == nil {
		if d != nil {
			d.wire(r)
		}
		var dir string
		if res, dir, err = op.Do(r, spec, call); err == nil {
			if err = show(st.Stdout, res); err == nil {
				fmt.Fprintf(st.Stderr, "%s written to %s\n", what, dir)
			}
		}
	}
	if err != nil {
		return res, runFailed(st, c.Name, err)
	}
	return res, ExitOK
}

// showAs prints a result in format: with table for "table", else as JSON
// or YAML.
func showAs[R any](format string, table func(R, io.Writer) error) func(io.Writer, R) error {
	return func(w io.Writer, res R) error {
		if format == "table" {
			return table(res, w)
		}
		return writeStructured(w, format, res)
	}
}

// writeResult prints v as a table (with table) or as JSON or YAML.
func writeResult(st *State, format string, v any, table func(io.Writer) error) error {
	if format == "table" {
		return table(st.Stdout)
	}
	return writeStructured(st.Stdout, format, v)
}

// writeStructured writes v as indented JSON or as YAML (through its JSON
// form, so the keys are the same).
func writeStructured(w io.Writer, format string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if format == "json" {
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	}
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		return err
	}
	y, err := yaml.Marshal(generic)
	if err != nil {
		return err
	}
	_, err = w.Write(y)
	return err
}

// useColor: ANSI colours only on a terminal, and never with NO_COLOR set.
func useColor(st *State) bool {
	return progress.IsTerminal(st.Stdout) && st.Getenv("NO_COLOR") == ""
}

// runFailed reports a failure of a run and returns its exit code, which
// the error's kind decides (a usage error: 2, a cancellation: 130, ...).
func runFailed(st *State, name string, err error) int {
	fmt.Fprintf(st.Stderr, "dafscript %s: %v\n", name, err)
	if op.KindOf(err) == op.Usage {
		fmt.Fprintf(st.Stderr, "usage: %s\nRun 'dafscript help %s' for details.\n", commands[name].Usage, name)
	}
	return op.ExitCode(err)
}

func evalCmd() *Command {
	c := &Command{
		Name:    "eval",
		Usage:   "dafscript eval -m MISSION... -p POLICY... [-e N] [--seed S] [--jobs N] [--mix] [--format table|json|yaml] [--out DIR]",
		Summary: "evaluate policies on missions",
		Help: `Plays every policy (-p, repeatable) on every mission (-m, repeatable) for
-e episodes each and prints a summary per policy and mission: mean reward
per agent with its 95% bootstrap interval, hearts deposited and made,
success rate (episodes with a heart deposited), failed actions, steps.
Each policy drives the whole team; with --mix the -p policies form one team
instead, sharing the agents by their proportions (CLASS:DATA:PROPORTION).
The full results (every episode with all its stats) are written to
DIR/evaluations/<session>/evaluation.json. Episode seeds derive from
(--seed, mission, episode), so the numbers do not depend on --jobs.`,
	}
	c.Run = func(st *State, args []string) int {
		fs := newFlagSet(c)
		f := episodeFlags{proportionHint: "a proportion only makes sense with --mix (the -p policies then form one team)"}
		f.define(fs, st, 10)
		pos, code, ok := parseFlags(st, c, fs, args)
		if !ok {
			return code
		}
		if len(pos) > 0 {
			return usageError(st, c, "unexpected argument %q (missions go after -m, policies after -p)", pos[0])
		}
		ms, entries, err := f.parse()
		if err != nil {
			return usageError(st, c, "%v", err)
		}
		_, code = doCommand(st, c, f.out, f.jobs, newRunDist(st, st.Ctx, &f.dist, f.jobs), eval.Operation, op.Call[eval.Options]{
			Options: eval.Options{Entries: entries, Missions: ms, Episodes: f.episodes, Seed: f.seed, MaxSteps: f.steps},
			Seed:    f.seed,
			Args: map[string]any{"command": "eval", "missions": []string(f.missions), "policies": []string(f.policies),
				"episodes": f.episodes, "episode_steps": f.steps, "mix": f.mix},
		}, showAs(f.format, (*eval.Evaluation).WriteText), "results")
		return code
	}
	return c
}
