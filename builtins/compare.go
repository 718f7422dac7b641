package builtins

import (
	"fmt"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/compare"
	"github.com/dafscript/dafscript/runtime/op"
)

const compareDoc = `daf.compare(policies, missions, episodes_per_mission=5, seed=None, alpha=0.05, metric="reward", mixed=False, max_steps=None) -> ComparisonReport

Compares policies statistically. By default each policy plays its own
episodes with the whole team under it; episode e of a mission has the same
seed for every policy, so they meet the same maps. mixed=True instead puts
all policies in one team (equal shares of the agents, assigned per episode
by its seed) and scores each on its own agents.

metric is "reward" (mean per-agent episode reward), "hearts" (hearts
deposited in chests) or "performance_score" (per agent: resources gained +
10 x inventory diversity + 0.1 x successful moves - 0.05 x failed actions -
0.1 x steps without motion). In mixed mode the team shares its reward, so
"hearts" or "performance_score" tell the policies apart.

Result fields: policies, missions, episodes_per_mission, seed, alpha,
metric, mode, policy_mission_rewards (policy -> mission -> metric per
episode), summary_statistics (policy -> n, mean, std, median, iqm, ci_low,
ci_high, min, max; the 95% interval is a bootstrap stratified by mission),
per_mission (policy -> mission -> the same), pairwise_comparisons (a, b,
mean_diff, welch_p, mann_whitney_p, holm_p, significant, cohens_d,
prob_improvement), per_mission_pairwise (mission -> the same pairs on that
mission alone, Holm-adjusted within it), detailed_metrics (policy -> mission -> stat -> mean) and
warnings (too few episodes, undefined tests). Undefined numbers are None.
r.table() returns the ranked summary and the pairwise matrix as text. The
report is also written to <out>/runs/<session>/NN_comparison/comparison.json.
docs/statistics.md explains every number.

  r = daf.compare(["baseline", "random", "noop"], ["training_facility_1"], episodes_per_mission=30, seed=1)
  print(r.table())
  for p in r.pairwise_comparisons:
      if p.significant:
          print(p.a, "vs", p.b, p.mean_diff, p.holm_p)`

// ComparisonKind is the Starlark type name of daf.compare's result.
const ComparisonKind = "ComparisonReport"

func builtinCompare(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pol, mis, epV, seedV, maxV starlark.Value = nil, nil, starlark.None, starlark.None, starlark.None
	alpha := starlark.Value(starlark.Float(0.05))
	metric := "reward"
	mixed := false
	if err := UnpackArgs(b.Name(), args, kwargs, "policies", &pol, "missions", &mis, "episodes_per_mission?", &epV,
		"seed?", &seedV, "alpha?", &alpha, "metric?", &metric, "mixed?", &mixed, "max_steps?", &maxV); err != nil {
		return nil, err
	}
	env := EnvOf(t)
	entries, err := policyEntries(b.Name(), "policies", pol)
	if err != nil {
		return nil, err
	}
	ms, err := Missions(b.Name(), "missions", mis)
	if err != nil {
		return nil, err
	}
	episodes, err := IntArg("episodes_per_mission", epV, 5, 1, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	seed, err := SeedArg(t, seedV)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	a, ok := starlark.AsFloat(alpha)
	if !ok {
		return nil, fmt.Errorf("%s: alpha: got %s, want a number between 0 and 1, e.g. 0.05", b.Name(), alpha.Type())
	}
	maxSteps, err := IntArg("max_steps", maxV, env.MaxSteps, 1, 1<<30)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	rep, _, err := op.Do(env.Op(b.Name()), compare.Operation, op.Call[compare.Options]{
		Options: compare.Options{Policies: entries, Missions: ms, EpisodesPerMission: episodes, Seed: seed,
			Alpha: a, Metric: metric, Mixed: mixed, MaxSteps: maxSteps},
		Seed: seed,
		Args: map[string]any{"function": b.Name(), "policies": entryNames(entries), "missions": names(ms),
			"episodes_per_mission": episodes, "alpha": a, "metric": metric, "mixed": mixed, "max_steps": maxSteps},
	})
	if err != nil {
		return nil, callError(b.Name(), err)
	}
	return NewResult(ComparisonKind, rep, Method{Name: "table", Fn: func(t *starlark.Thread, r *Result, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := UnpackArgs(ComparisonKind+".table", args, kwargs); err != nil {
			return nil, err
		}
		return starlark.String(rep.String()), nil
	}})
}
