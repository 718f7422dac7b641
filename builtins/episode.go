package builtins

import (
	"errors"
	"fmt"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/sim/policy"
)

const episodeDoc = `daf.episode(mission, policy, seed=None, max_steps=None) -> EpisodeResult

Plays one episode of mission (a name or daf.mission(...)). policy is one
policy for every agent ("baseline", daf.policy(...)) or a list with one
policy per agent. seed is the episode seed (None: the run's --seed); the
same seed gives the same episode. max_steps, if given, overrides the
mission's episode length (None: --episode-steps, else the mission's).

Result fields: mission, policy, seed, steps, assignment (the policy of
each agent), rewards (cumulative, per agent), reward (their mean),
hearts_made, hearts_deposited, resources_gained (by resource),
action_success, action_failed, agent_stats (per agent: stat -> value),
game_stats (stat -> value), episode (always 0).

A failure inside the episode names its seed, so that it can be replayed.

  r = daf.episode("training_facility_1", "baseline", seed=7)
  print(r.hearts_deposited, r.rewards)
  mixed = daf.episode("training_facility_1", ["baseline", "random", "baseline", "noop"], seed=7)`

// EpisodeKind is the Starlark type name of daf.episode's result.
const EpisodeKind = "EpisodeResult"

func builtinEpisode(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var mis, pol, seedV, maxV starlark.Value = nil, nil, starlark.None, starlark.None
	if err := UnpackArgs(b.Name(), args, kwargs, "mission", &mis, "policy", &pol, "seed?", &seedV, "max_steps?", &maxV); err != nil {
		return nil, err
	}
	env := EnvOf(t)
	if _, swapped := mis.(*PolicySpec); swapped {
		return nil, fmt.Errorf("%s: mission: got PolicySpec; the mission comes first: daf.episode(mission, policy, seed=None, max_steps=None)", b.Name())
	}
	ms, err := Missions(b.Name(), "mission", mis)
	if err != nil {
		return nil, err
	}
	if len(ms) != 1 {
		return nil, fmt.Errorf("%s: mission: got %d missions, want one (daf.compare plays several)", b.Name(), len(ms))
	}
	pas, err := PolicyArgs(b.Name(), "policy", pol)
	if err != nil {
		return nil, err
	}
	specs := make([]policy.Spec, len(pas))
	for i, pa := range pas {
		if pa.Proportion != 1 {
			return nil, fmt.Errorf("%s: policy[%d]: a proportion (\"CLASS:DATA:P\") makes no sense here; give one policy per agent", b.Name(), i)
		}
		specs[i] = pa.Spec
	}
	if _, isList := elements(pol); isList && len(specs) != ms[0].NumAgents && ms[0].NumAgents > 0 {
		return nil, fmt.Errorf("%s: policy: mission %s has %d agents but %d policies were given (give one policy, or one per agent)", b.Name(), ms[0].Name, ms[0].NumAgents, len(specs))
	}
	seed, err := SeedArg(t, seedV)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	maxSteps, err := IntArg("max_steps", maxV, env.MaxSteps, 1, 1<<30)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	ep, err := eval.PlayOne(env.Context(), eval.One{Mission: ms[0], Agents: specs, Seed: seed, MaxSteps: maxSteps})
	if err != nil {
		if env.Context().Err() != nil && errors.Is(err, env.Context().Err()) {
			return nil, fmt.Errorf("%s: cancelled", b.Name())
		}
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	env.Logger.Debug("episode played", "mission", ep.Mission, "policy", ep.Policy, "seed", ep.Seed, "steps", ep.Steps, "hearts_deposited", ep.HeartsDeposited)
	return NewResult(EpisodeKind, ep)
}
