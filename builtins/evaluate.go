package builtins

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/threshold"
	"github.com/dafscript/dafscript/sim/mission"
)

const evaluateDoc = `daf.evaluate(policies, missions, episodes=10, seed=None, max_steps=None) -> EvaluationResult

Plays every policy on every mission for the given number of episodes and
returns a summary per (policy, mission) plus every episode. policies is a
policy ("baseline", daf.policy(...)) or a list of them; an item that is
itself a list is a team mix, its policies sharing the agents by the
proportions of "CLASS:DATA:P" specs (["lstm:ckpt/v1.pt:0.75",
"baseline::0.25"]). missions is a name, daf.mission(...) or a list.

Episode e of a mission has seed derived from (seed, mission, e) only: every
policy meets the same maps and draws, and the numbers do not depend on
--jobs. seed=None uses the run's --seed; max_steps=None the run's
--episode-steps, else each mission's own length. A failing episode stops the
call with an error naming its seed (replay it with daf.episode).

Result fields: policies, missions, episodes, seed, summary (per policy and
mission: reward (n, mean, std, median, iqm, ci_low, ci_high, min, max),
hearts_made, hearts_deposited, steps, success_rate, action_failure_rate,
resources_gained) and results (every episode, as daf.episode returns it).
r.table() returns the summary as a text table (as dafscript eval prints
it). r.check("reward.mean > 0.5", "p95(steps) < 900", ...) fails the
script (exit code 3) or the test unless every threshold holds
(docs/scripting.md, Thresholds). The result is also written to <out>/runs/<session>/NN_evaluation/evaluation.json.

  r = daf.evaluate(["baseline", "random"], "training_facility_1", episodes=20, seed=3)
  for row in r.summary:
      print(row.policy, row.mission, row.reward.mean, row.hearts_deposited)`

// EvaluationKind is the Starlark type name of daf.evaluate's result.
const EvaluationKind = "EvaluationResult"

// policyEntries reads a policies argument into eval entries: each item a
// policy for the whole team, or a list of policies forming a team mix.
func policyEntries(fnName, argName string, v starlark.Value) ([]eval.Entry, error) {
	items, isList := elements(v)
	if isList && len(items) == 0 {
		return nil, fmt.Errorf("%s: %s is empty; give at least one policy, e.g. \"baseline\"", fnName, argName)
	}
	var out []eval.Entry
	for i, it := range items {
		where := indexed(argName, i, isList)
		if _, nested := elements(it); nested && isList {
			pas, err := PolicyArgs(fnName, where, it)
			if err != nil {
				return nil, err
			}
			var e eval.Entry
			for _, pa := range pas {
				e.Members = append(e.Members, eval.Member{Spec: pa.Spec, Proportion: pa.Proportion})
				if e.Name != "" {
					e.Name += "+"
				}
				e.Name += pa.Spec.String()
			}
			out = append(out, e)
			continue
		}
		pas, err := PolicyArgs(fnName, where, it)
		if err != nil {
			return nil, err
		}
		if pas[0].Proportion != 1 {
			return nil, fmt.Errorf("%s: %s: a proportion (\"CLASS:DATA:P\") only makes sense in a team mix; put the mixed policies in a list of their own, e.g. [[\"lstm:ckpt.pt:0.5\", \"baseline::0.5\"]]", fnName, where)
		}
		out = append(out, eval.Single(pas[0].Spec))
	}
	return out, nil
}

// Op returns what an operation called by the builtin label needs from
// the run.
func (env *Env) Op(label string) *op.Run {
	return &op.Run{Ctx: env.Context(), Out: env.OutDir, Jobs: env.Jobs, Label: label, Stderr: env.Stderr,
		Interactive: env.Interactive, Logger: env.Logger, RunSession: env.RunSession,
		Executor: env.Executor, Cache: env.Cache,
		Info: output.RunInfo{Version: env.Version, ScriptPath: env.ScriptPath, ScriptSHA256: env.ScriptSHA256, Vars: env.Vars}}
}

// episodeArgs are the arguments daf.evaluate and daf.compare share.
type episodeArgs struct {
	entries     []eval.Entry
	missions    []*mission.Mission
	episodesArg string // "episodes", "episodes_per_mission"
	episodes    int
	seed        uint64
	maxSteps    int
}

// episodeArgsOf converts the policies, the missions, the episodes (the
// argument epName, default epDefault), the seed and max_steps.
func episodeArgsOf(t *starlark.Thread, fnName string, pol, mis starlark.Value, epName string, epV starlark.Value, epDefault int, seedV, maxV starlark.Value) (episodeArgs, error) {
	a := episodeArgs{episodesArg: epName}
	var err error
	if a.entries, err = policyEntries(fnName, "policies", pol); err != nil {
		return a, err
	}
	if a.missions, err = Missions(fnName, "missions", mis); err != nil {
		return a, err
	}
	if a.episodes, err = IntArg(epName, epV, epDefault, 1, 1<<20); err != nil {
		return a, fmt.Errorf("%s: %v", fnName, err)
	}
	a.seed, a.maxSteps, err = seedAndSteps(t, fnName, seedV, maxV)
	return a, err
}

// call returns the arguments as the manifest records them.
func (a episodeArgs) call(fnName string) map[string]any {
	return map[string]any{"function": fnName, "policies": entryNames(a.entries), "missions": names(a.missions),
		a.episodesArg: a.episodes, "max_steps": a.maxSteps}
}

// seedAndSteps converts the seed and max_steps arguments (None: the
// run's --seed and --episode-steps).
func seedAndSteps(t *starlark.Thread, fnName string, seedV, maxV starlark.Value) (uint64, int, error) {
	seed, err := SeedArg(t, seedV)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %v", fnName, err)
	}
	maxSteps, err := IntArg("max_steps", maxV, EnvOf(t).MaxSteps, 1, 1<<30)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %v", fnName, err)
	}
	return seed, maxSteps, nil
}

func names(ms []*mission.Mission) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

func entryNames(es []eval.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name
	}
	return out
}

// callError words a runtime failure for the user, keeping its kind.
func callError(fnName string, err error) error {
	if op.KindOf(err) == op.Cancelled {
		return op.Wrap(op.Cancelled, fmt.Errorf("%s: cancelled", fnName))
	}
	return op.Wrap(op.KindOf(err), fmt.Errorf("%s: %v", fnName, err))
}

func builtinEvaluate(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pol, mis, epV, seedV, maxV starlark.Value = nil, nil, starlark.None, starlark.None, starlark.None
	if err := UnpackArgs(b.Name(), args, kwargs, "policies", &pol, "missions", &mis, "episodes?", &epV,
		"seed?", &seedV, "max_steps?", &maxV); err != nil {
		return nil, err
	}
	a, err := episodeArgsOf(t, b.Name(), pol, mis, "episodes", epV, 10, seedV, maxV)
	if err != nil {
		return nil, err
	}
	ev, _, err := op.Do(EnvOf(t).Op(b.Name()), eval.Operation, op.Call[eval.Options]{
		Options: eval.Options{Entries: a.entries, Missions: a.missions, Episodes: a.episodes, Seed: a.seed, MaxSteps: a.maxSteps},
		Seed:    a.seed,
		Args:    a.call(b.Name()),
	})
	if err != nil {
		return nil, callError(b.Name(), err)
	}
	return NewResult(EvaluationKind, ev, Method{Name: "table", Fn: func(t *starlark.Thread, r *Result, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := UnpackArgs(EvaluationKind+".table", args, kwargs); err != nil {
			return nil, err
		}
		var b strings.Builder
		if err := ev.WriteText(&b); err != nil {
			return nil, err
		}
		return starlark.String(b.String()), nil
	}}, checkMethod(EvaluationKind, func() threshold.Episodes { return ev.Results }))
}
