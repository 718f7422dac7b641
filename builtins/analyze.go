package builtins

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/analysis"
	"github.com/dafscript/dafscript/runtime/compare"
	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/op"
)

const analyzeMissionDoc = `daf.analyze_mission(name, seed=None) -> MissionAnalysis

Inspects a mission (a name with variants, or daf.mission(...)) as built
with seed (None: the run's --seed; only generated maps depend on it)
without playing it.

Result fields: name, loadable (it builds and validates), errors, num_agents,
max_steps, width, height, object_counts (by object name, walls included,
"agent" for spawns), all_reachable (an agent on every spawn can walk next to
every station and chest), unreachable (what cannot be reached, and from
which agents), resource_budget (an upper bound on what the map's
extractors can yield within max_steps, given their max uses and cooldowns),
max_hearts (the most hearts that budget pays for with the best heart
recipe the team can run) and grid (the map as rows of text). Also written
to <out>/runs/<session>/NN_analysis/mission_analysis.json.

  a = daf.analyze_mission("training_facility_1")
  if not a.all_reachable:
    fail(a.unreachable)
  print(a.resource_budget, a.max_hearts)`

const analyzePerformanceDoc = `daf.analyze_performance(results, mission=None) -> PerformanceAnalysis

Summarises how each policy did, from a daf.evaluate or daf.compare result,
on one mission (a name) or on all of them pooled (None).

Result fields: mission, policies (one per policy: policy, episodes,
success_rate (episodes with at least one heart deposited), hearts_per_episode,
reward_per_episode, steps_per_episode, action_failure_rate (failed over all
actions), steps_without_motion (mean per agent) and resource_flow
("carbon.gained", "carbon.lost", "chest.heart.deposited", ...: means per
episode, summed over agents)). Also written to
<out>/runs/<session>/NN_performance_analysis/performance.json.

  r = daf.evaluate(["baseline", "random"], "training_facility_1", episodes=10)
  for p in daf.analyze_performance(r).policies:
      print(p.policy, p.success_rate, p.hearts_per_episode)`

const (
	// MissionAnalysisKind is the Starlark type name of daf.analyze_mission's result.
	MissionAnalysisKind = "MissionAnalysis"
	// PerformanceKind is the Starlark type name of daf.analyze_performance's result.
	PerformanceKind = "PerformanceAnalysis"
)

func builtinAnalyzeMission(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var mis, seedV starlark.Value = nil, starlark.None
	if err := UnpackArgs(b.Name(), args, kwargs, "name", &mis, "seed?", &seedV); err != nil {
		return nil, err
	}
	env := EnvOf(t)
	if _, isList := elements(mis); isList {
		return nil, fmt.Errorf("%s: name: got a %s, want one mission (call it once per mission)", b.Name(), mis.Type())
	}
	ms, err := Missions(b.Name(), "name", mis)
	if err != nil {
		return nil, err
	}
	seed, err := SeedArg(t, seedV)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	all, _, err := op.Do(env.Op(b.Name()), analysis.MissionOperation, op.Call[analysis.MissionOptions]{
		Options: analysis.MissionOptions{Missions: []string{ms[0].Name}, Seed: seed},
		Seed:    seed,
		Args:    map[string]any{"function": b.Name(), "name": ms[0].Name},
	})
	if err != nil {
		return nil, callError(b.Name(), err)
	}
	return NewResult(MissionAnalysisKind, all[0])
}

func builtinAnalyzePerformance(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var resV, misV starlark.Value = nil, starlark.None
	if err := UnpackArgs(b.Name(), args, kwargs, "results", &resV, "mission?", &misV); err != nil {
		return nil, err
	}
	env := EnvOf(t)
	var res *eval.Results
	kind, gv, _ := ResultOf(resV)
	switch x := gv.(type) {
	case *eval.Evaluation:
		res = x.ResultsOf()
	case *compare.Report:
		res = x.Episodes
	}
	if res == nil {
		got := resV.Type()
		if kind != "" {
			got = kind
		}
		return nil, fmt.Errorf("%s: results: got %s, want the result of daf.evaluate or daf.compare", b.Name(), got)
	}
	mission := ""
	switch x := misV.(type) {
	case starlark.NoneType:
	case starlark.String:
		mission = string(x)
	case *Result:
		info, ok := x.goValue.(MissionInfo)
		if !ok {
			return nil, fmt.Errorf("%s: mission: got %s, want a mission name or None", b.Name(), x.Type())
		}
		mission = info.Name
	default:
		return nil, fmt.Errorf("%s: mission: got %s, want a mission name or None", b.Name(), misV.Type())
	}
	perf, _, err := op.Do(env.Op(b.Name()), analysis.PerformanceOperation, op.Call[analysis.PerformanceOptions]{
		Options: analysis.PerformanceOptions{Results: res, Mission: mission},
		Seed:    res.Seed,
		Args: map[string]any{"function": b.Name(), "mission": mission,
			"policies": strings.Join(res.Policies, ", ")},
	})
	if err != nil {
		return nil, callError(b.Name(), err)
	}
	return NewResult(PerformanceKind, perf)
}
