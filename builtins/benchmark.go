package builtins

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/benchmark"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/report"
	"github.com/dafscript/dafscript/runtime/threshold"
)

const benchmarkDoc = `daf.benchmark(policies, suite="standard", episodes=5, seed=None, max_steps=None) -> BenchmarkResult

Plays every policy on every mission of a benchmark suite and ranks them on
a leaderboard. Suites: "minimal" (training_facility_1), "standard"
(training_facility_1, training_facility_2, assembler_2) and "full" (every
catalog mission the scripted baseline wins; docs/pipelines.md lists them).
Episode seeds derive from (seed, mission, episode), as in daf.evaluate.

Result fields: suite, policies, missions, episodes, seed, leaderboard (best
first: rank, policy, score (the mean reward over the suite with its 95%
bootstrap interval stratified by mission: n, mean, ..., ci_low, ci_high),
success_rate, hearts_deposited, missions_won, per_mission) and evaluation
(as daf.evaluate returns it). r.table() and r.markdown() render the
leaderboard; daf.export_html(r, path) writes it as an HTML report;
r.check(...) takes thresholds as EvaluationResult.check does. Written to
<out>/benchmarks/<session>/benchmark.json.

  r = daf.benchmark(["baseline", "random", "noop"], suite="standard", episodes=3, seed=1)
  print(r.table())`

// BenchmarkKind is the Starlark type name of daf.benchmark's result.
const BenchmarkKind = "BenchmarkResult"

func builtinBenchmark(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pol, epV, seedV, maxV starlark.Value = nil, starlark.None, starlark.None, starlark.None
	var suite starlark.Value = starlark.String("standard")
	if err := UnpackArgs(b.Name(), args, kwargs, "policies", &pol, "suite?", &suite, "episodes?", &epV, "seed?", &seedV, "max_steps?", &maxV); err != nil {
		return nil, err
	}
	env := EnvOf(t)
	entries, err := policyEntries(b.Name(), "policies", pol)
	if err != nil {
		return nil, err
	}
	ms, name, err := suiteMissions(b.Name(), nil, suite)
	if err != nil {
		return nil, err
	}
	episodes, err := IntArg("episodes", epV, 5, 1, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	seed, err := SeedArg(t, seedV)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	maxSteps, err := IntArg("max_steps", maxV, env.MaxSteps, 1, 1<<30)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	res, _, err := op.Do(env.Op(b.Name()), benchmark.Operation, op.Call[benchmark.Options]{
		Options: benchmark.Options{Policies: entries, Suite: name, Missions: ms, Episodes: episodes, Seed: seed, MaxSteps: maxSteps},
		Seed:    seed,
		Args: map[string]any{"function": b.Name(), "policies": entryNames(entries), "suite": name, "episodes": episodes,
			"max_steps": maxSteps},
	})
	if err != nil {
		return nil, callError(b.Name(), err)
	}
	return BenchmarkValue(res)
}

// BenchmarkValue is a benchmark result as Starlark sees it.
func BenchmarkValue(res *benchmark.Result) (starlark.Value, error) {
	return NewResult(BenchmarkKind, res,
		Method{Name: "table", Fn: func(t *starlark.Thread, r *Result, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := UnpackArgs(BenchmarkKind+".table", args, kwargs); err != nil {
				return nil, err
			}
			var sb strings.Builder
			if err := res.WriteText(&sb); err != nil {
				return nil, err
			}
			return starlark.String(sb.String()), nil
		}},
		Method{Name: "markdown", Fn: func(t *starlark.Thread, r *Result, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := UnpackArgs(BenchmarkKind+".markdown", args, kwargs); err != nil {
				return nil, err
			}
			md, err := report.Markdown(res)
			if err != nil {
				return nil, err
			}
			return starlark.String(md), nil
		}},
		checkMethod(BenchmarkKind, func() threshold.Episodes { return res.Evaluation.Results }))
}

const suiteDoc = `daf.suite(name) -> list

The missions of a benchmark suite ("minimal", "standard" or "full"), as
daf.benchmark plays them.

  print(daf.suite("standard"))`

func builtinSuite(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	s, err := benchmark.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	l := make([]starlark.Value, len(s.Missions))
	for i, m := range s.Missions {
		l[i] = starlark.String(m)
	}
	return starlark.NewList(l), nil
}
