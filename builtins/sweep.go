package builtins

import (
	"fmt"
	"path/filepath"
	"strings"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/config"
	"github.com/dafscript/dafscript/runtime/journal"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/sweep"
	"github.com/dafscript/dafscript/runtime/sweepop"
)

const sweepDoc = `daf.sweep(name, missions, policy, search_space, strategy="grid", num_trials=None, episodes_per_trial=5, objective="reward", direction="maximize", seed=None, pruner=None, train_steps=None, jobs=None, window=None) -> SweepResult

Searches hyperparameters: runs num_trials trials, each with one choice of
the search_space, and measures the objective ("reward", "hearts" or
"performance_score", as daf.compare measures them) over
episodes_per_trial episodes of every mission (the same episodes for every
trial). policy (or policy_class_path, its name in YAML files) is what is
tuned: "lstm" or "stateless" is trained with the trial's hyperparameters
for train_steps agent-steps (daf.train's names; one thread per trial
unless threads is searched), then evaluated; a scripted policy
("baseline") plays with them as its tunable parameters
(docs/game.md). search_space maps each name to a list of values or a
range {"min":, "max":, "log": bool, "type": "int"|"float"}.

strategy: "grid" (every combination; num_trials=None: the whole grid),
"random" or "tpe" (both need num_trials). pruner: None, "median" or "asha"
stop hopeless trials from intermediate evaluations (training: 3
evaluations on the way; scripted: the running mean after each mission).
seed=None uses the run's --seed; jobs=None the run's --jobs; window (with
tpe or a pruner; default 4) is how many trials may run at once, and the
result never depends on jobs. Every argument is checked as a sweep YAML
file is (daf.load_config), naming the key and what would be right.

The sweep is a step of the run's session, <out>/runs/<id>/NN_sweep/,
holding journal.jsonl (every ended trial, for --resume SESSION: a rerun
of the script finds the journal there by the sweep's name, keeps the
ended trials and runs the rest, with the same final result), sweep.json
and, for neural policies, each trial's training under trials/NNNN/.
Each trial is a job of the run's executor (--nats: NATS workers; trials
that train need the output folder shared with them) and is reused from
the result cache by a rerun of the same sweep (--no-cache: not).

Result fields: name, strategy, pruner, objective, direction, seed,
num_trials, parameters, trials (number, hyperparameters, value (None if
failed), mission_values, status "complete"|"pruned"|"failed",
intermediate, duration (seconds), checkpoint, error), best (the best
complete trial, or None), best_trial, importance, session_dir.
r.top(n) lists the n best complete trials; r.table() the text table
(r.table(times=False) without the wall times, for output that repeats).

  r = daf.sweep("cargo", ["training_facility_1"], "baseline",
                {"batch_cargo": [20, 40, 80], "recharge_below": {"min": 10, "max": 60, "type": "int"}},
                strategy="random", num_trials=8, episodes_per_trial=3, seed=1)
  print(r.table())
  print(daf.sweep_best(r).hyperparameters)`

const sweepBestDoc = `daf.sweep_best(result) -> SweepBest

The best complete trial of a daf.sweep result: .hyperparameters (a dict),
.value, .number, .mission_values, .checkpoint (neural policies: the
trained network). It is also a dict of the hyperparameters itself:
best["learning_rate"], dict(best), daf.policy("baseline", **best),
daf.train(..., hyperparameters=best). An error when no trial completed.

  best = daf.sweep_best(r)
  daf.evaluate(daf.policy("baseline", **best), "training_facility_1")`

const loadConfigDoc = `daf.load_config(path) -> dict

Reads a YAML config (a sweep or a training run; its kind from a kind: key
or from its keys) and returns it as a dict with every default filled in,
after the same strict checks as dafscript validate: an unknown key (with
the closest valid one), a wrong type, a missing field is an error naming
file:line:column. path is relative to the script's folder and may not
leave the folder load() may not leave. A sweep config runs as
daf.sweep(**daf.load_config("sweep.yaml")).`

// SweepKind, SweepTrialKind and SweepBestKind are the Starlark type
// names of daf.sweep's result, its trials and daf.sweep_best's value.
const (
	SweepKind      = "SweepResult"
	SweepTrialKind = "SweepTrial"
	SweepBestKind  = "SweepBest"
)

// sweepPositional are daf.sweep's positional parameters.
var sweepPositional = []string{"name", "missions", "policy", "search_space"}

func builtinSweep(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	known := append([]string{"policy"}, config.Keys(config.NewSweep())...)
	if err := CheckKeywords(fn, kwargs, known); err != nil {
		return nil, err
	}
	if len(args) > len(sweepPositional) {
		return nil, fmt.Errorf("%s: got %d positional arguments, want at most %d (%s); give the rest by name", fn, len(args), len(sweepPositional), strings.Join(sweepPositional, ", "))
	}
	given := map[string]starlark.Value{}
	for i, a := range args {
		given[sweepPositional[i]] = a
	}
	for _, kv := range kwargs {
		k, _ := starlark.AsString(kv[0])
		if _, dup := given[k]; dup {
			return nil, fmt.Errorf("%s: got two values for %s", fn, k)
		}
		given[k] = kv[1]
	}
	if p, ok := given["policy"]; ok {
		if _, both := given["policy_class_path"]; both {
			return nil, fmt.Errorf("%s: policy and policy_class_path are the same argument; give one", fn)
		}
		given["policy_class_path"] = p
		delete(given, "policy")
	}
	env := EnvOf(t)
	plain := map[string]any{}
	for k, v := range given {
		if v == starlark.None {
			continue // the default
		}
		if _, isSpec := v.(*PolicySpec); isSpec && k == "policy_class_path" {
			return nil, fmt.Errorf("%s: policy: got %s, want the class name (\"baseline\", \"lstm\", \"stateless\"): each trial makes its own policy with the trial's parameters", fn, v)
		}
		if k == "missions" {
			ms, err := Missions(fn, "missions", v)
			if err != nil {
				return nil, err
			}
			plain[k] = names(ms)
			continue
		}
		g, err := FromStarlark(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", fn, k, err)
		}
		plain[k] = g
	}
	if _, ok := plain["seed"]; !ok {
		plain["seed"] = env.Seed
	}
	cfg := config.NewSweep()
	if err := config.DecodeValue(fn, plain, cfg); err != nil {
		return nil, err
	}
	o := sweepop.Options{Config: *cfg, MaxSteps: env.MaxSteps}
	if env.Resume != "" {
		j, err := journal.Find(env.Resume, sweep.JournalKind, cfg.Name)
		if err != nil {
			return nil, op.Wrap(op.Usage, fmt.Errorf("%s: resume: %v", fn, err))
		}
		if j == "" {
			env.Logger.Info("no journal of this sweep in the resumed session; starting afresh", "sweep", cfg.Name, "session", env.Resume)
		}
		o.Resume = j
	}
	callArgs := map[string]any{"function": fn}
	for k, v := range plain {
		callArgs[k] = v
	}
	res, dir, err := op.Do(env.Op(fn), sweepop.Operation, op.Call[sweepop.Options]{Options: o, Seed: cfg.Seed, Args: callArgs})
	if err != nil {
		return nil, callError(fn, err)
	}
	return newSweepResult(res, dir)
}

// sweepView is what a SweepResult shows of a sweep.Result.
type sweepView struct {
	Name       string             `json:"name"`
	Strategy   string             `json:"strategy"`
	Pruner     string             `json:"pruner"`
	Objective  string             `json:"objective"`
	Direction  string             `json:"direction"`
	Seed       uint64             `json:"seed"`
	NumTrials  int                `json:"num_trials"`
	Parameters []string           `json:"parameters"`
	Trials     []starlark.Value   `json:"trials"`
	Best       starlark.Value     `json:"best"`
	BestTrial  int                `json:"best_trial"`
	Importance []sweep.Importance `json:"importance"`
	SessionDir string             `json:"session_dir"`
}

// trialView is one trial as Starlark sees it: the duration in seconds,
// the checkpoint as a path that daf.policy can load.
type trialView struct {
	Number          int                  `json:"number"`
	Hyperparameters map[string]any       `json:"hyperparameters"`
	Value           *float64             `json:"value"`
	MissionValues   []sweep.MissionValue `json:"mission_values"`
	Status          string               `json:"status"`
	Intermediate    []sweep.Report       `json:"intermediate"`
	Duration        float64              `json:"duration"`
	Checkpoint      string               `json:"checkpoint"`
	Error           string               `json:"error"`
}

func trialValue(tr sweep.Trial, dir string) (starlark.Value, error) {
	ck := tr.Checkpoint
	if ck != "" && dir != "" {
		ck = filepath.Join(dir, filepath.FromSlash(ck))
	}
	return NewResult(SweepTrialKind, trialView{Number: tr.Number, Hyperparameters: tr.Params, Value: tr.Value,
		MissionValues: tr.MissionValues, Status: string(tr.Status), Intermediate: tr.Intermediate,
		Duration: tr.Duration.Seconds(), Checkpoint: ck, Error: tr.Error})
}

// newSweepResult builds the SweepResult of res, written in session dir.
// It remembers res itself, so that daf.export_html and export_markdown
// report it.
func newSweepResult(res *sweep.Result, dir string) (starlark.Value, error) {
	v := sweepView{Name: res.Name, Strategy: res.Strategy, Pruner: res.Pruner, Objective: res.Objective,
		Direction: res.Direction, Seed: res.Seed, NumTrials: res.NumTrials, Parameters: res.Parameters,
		Best: starlark.None, BestTrial: res.BestTrial, Importance: res.Importance, SessionDir: dir}
	for _, tr := range res.Trials {
		tv, err := trialValue(tr, dir)
		if err != nil {
			return nil, err
		}
		v.Trials = append(v.Trials, tv)
	}
	if res.BestTrial >= 0 {
		v.Best = v.Trials[res.BestTrial]
	}
	rv, err := NewResult(SweepKind, v,
		Method{Name: "top", Fn: func(t *starlark.Thread, r *Result, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var n int
			if err := UnpackArgs(SweepKind+".top", args, kwargs, "n", &n); err != nil {
				return nil, err
			}
			if n < 0 {
				return nil, fmt.Errorf("%s.top: n: got %d, want 0 or more", SweepKind, n)
			}
			var out []starlark.Value
			for _, tr := range res.Top(n) {
				out = append(out, v.Trials[tr.Number])
			}
			l := starlark.NewList(out)
			l.Freeze()
			return l, nil
		}},
		Method{Name: "table", Fn: func(t *starlark.Thread, r *Result, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			times := true
			if err := UnpackArgs(SweepKind+".table", args, kwargs, "times?", &times); err != nil {
				return nil, err
			}
			shown := res
			if !times {
				c := *res
				c.Trials = append([]sweep.Trial(nil), res.Trials...)
				for i := range c.Trials {
					c.Trials[i].Duration = 0
				}
				shown = &c
			}
			var b strings.Builder
			if err := shown.WriteTable(&b); err != nil {
				return nil, err
			}
			return starlark.String(b.String()), nil
		}})
	if err != nil {
		return nil, err
	}
	rv.(*Result).goValue = res
	return rv, nil
}

func builtinSweepBest(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var rv starlark.Value
	if err := UnpackArgs(b.Name(), args, kwargs, "result", &rv); err != nil {
		return nil, err
	}
	r, ok := rv.(*Result)
	res, isSweep := (*sweep.Result)(nil), false
	if ok {
		res, isSweep = r.goValue.(*sweep.Result)
	}
	if !isSweep {
		return nil, fmt.Errorf("%s: result: got %s, want the result of daf.sweep", b.Name(), rv.Type())
	}
	best := r.Field("best")
	if best == nil || best == starlark.None {
		return nil, fmt.Errorf("%s: sweep %s has no complete trial (%d pruned, %d failed); nothing is best", b.Name(), res.Name,
			res.Count(sweep.StatusPruned), res.Count(sweep.StatusFailed))
	}
	return newSweepBest(best.(*Result))
}

// sweepBest is the best trial, also a read-only mapping of its
// hyperparameters.
type sweepBest struct {
	trial  *Result
	params *starlark.Dict
}

var (
	_ starlark.IterableMapping = (*sweepBest)(nil)
	_ starlark.HasAttrs        = (*sweepBest)(nil)
)

func newSweepBest(trial *Result) (*sweepBest, error) {
	d, ok := trial.Field("hyperparameters").(*starlark.Dict)
	if !ok {
		return nil, fmt.Errorf("%s: the trial has no hyperparameters", SweepBestKind)
	}
	return &sweepBest{trial: trial, params: d}, nil
}

func (s *sweepBest) String() string {
	return fmt.Sprintf("%s(number = %s, value = %s, hyperparameters = %s)", SweepBestKind,
		s.trial.Field("number"), s.trial.Field("value"), s.params)
}
func (s *sweepBest) Type() string         { return SweepBestKind }
func (s *sweepBest) Freeze()              {}
func (s *sweepBest) Truth() starlark.Bool { return true }
func (s *sweepBest) Hash() (uint32, error) {
	return 0, fmt.Errorf("unhashable type: %s", SweepBestKind)
}
func (s *sweepBest) Attr(name string) (starlark.Value, error) {
	switch name {
	case "hyperparameters", "value", "number", "mission_values", "checkpoint":
		return s.trial.Field(name), nil
	}
	return nil, nil
}
func (s *sweepBest) AttrNames() []string {
	return []string{"checkpoint", "hyperparameters", "mission_values", "number", "value"}
}
func (s *sweepBest) Get(k starlark.Value) (starlark.Value, bool, error) { return s.params.Get(k) }
func (s *sweepBest) Iterate() starlark.Iterator                         { return s.params.Iterate() }
func (s *sweepBest) Items() []starlark.Tuple                            { return s.params.Items() }
func (s *sweepBest) Len() int                                           { return s.params.Len() }

func builtinLoadConfig(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	if err := UnpackArgs(b.Name(), args, kwargs, "path", &path); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("%s: path: got an empty string, want a YAML file such as \"sweep.yaml\"", b.Name())
	}
	env := EnvOf(t)
	p, err := env.confined(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	doc, err := config.Load(p, "")
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	g, err := config.Generic(doc.Value)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	return ToStarlark(g)
}

// confined resolves a path given by a script: relative to the script's
// folder, and inside Root (following symbolic links) when Root is set.
func (e *Env) confined(path string) (string, error) {
	p := filepath.FromSlash(path)
	if !filepath.IsAbs(p) {
		p = filepath.Join(e.ScriptDir(), p)
	}
	p = filepath.Clean(p)
	if e.Root != "" && !output.Within(e.Root, p) {
		return "", fmt.Errorf("%s is outside the script's root directory %s; scripts may only read files under it", path, e.Root)
	}
	return p, nil
}
