package eval

import (
	"context"
	"fmt"
	"slices"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

// One is a single episode with an explicit episode seed and a policy per
// agent (daf.episode).
type One struct {
	Mission *mission.Mission
	// Agents holds one spec per agent, or a single spec for all of them.
	Agents   []policy.Spec
	Seed     uint64 // the episode seed itself, not a base seed
	MaxSteps int    // > 0 overrides the mission's episode length
}

// PlayOne plays o. Agents sharing a spec share a controller, and every
// slot is reset with the seed Run gives it, so an episode Run reported
// with seed s (one policy for the whole team) replays here with Seed s.
func PlayOne(ctx context.Context, o One) (ep Episode, err error) {
	m := o.Mission
	name := ""
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v (this is a bug in dafscript; please report it with this seed)", r)
		}
		if err != nil {
			err = &EpisodeError{Policy: name, Mission: m.Name, Seed: o.Seed, Err: err}
		}
	}()
	if len(o.Agents) == 0 {
		return Episode{}, fmt.Errorf("no policy given")
	}
	env, err := newEpisode(m, o.Seed, o.MaxSteps)
	if err != nil {
		return Episode{}, err
	}
	n := env.NumAgents()
	specs := o.Agents
	if len(specs) == 1 {
		specs = make([]policy.Spec, n)
		for i := range specs {
			specs[i] = o.Agents[0]
		}
	} else if len(specs) != n {
		return Episode{}, fmt.Errorf("mission %s has %d agents but %d policies were given (give one policy, or one per agent)", m.Name, n, len(specs))
	}

	// Agents sharing a spec form one team, in order of first appearance.
	var specOf []policy.Spec
	var slots [][]slotRef
	assignment := make([]string, n)
	for a, s := range specs {
		assignment[a] = s.String()
		g := slices.IndexFunc(specOf, func(h policy.Spec) bool { return sameSpec(h, s) })
		if g < 0 {
			g = len(specOf)
			specOf, slots = append(specOf, s), append(slots, nil)
		}
		slots[g] = append(slots[g], slotRef{0, a})
	}
	for i, s := range specOf {
		if i > 0 {
			name += "+"
		}
		name += s.String()
	}
	var teams []*team
	defer func() { closeTeams(teams, &err) }()
	for g, s := range specOf {
		p, err := policy.New(s)
		if err != nil {
			return Episode{}, err
		}
		t, err := newTeam(p, slots[g], func(ref slotRef) uint64 { return slotSeed(o.Seed, ref.agent) })
		if err != nil {
			return Episode{}, err
		}
		teams = append(teams, t)
	}
	cur := 0
	if err := playEpisodes(ctx, []*sim.Env{env}, teams, &cur); err != nil {
		return Episode{}, err
	}
	return summarize(name, m.Name, 0, o.Seed, assignment, env), nil
}

func sameSpec(a, b policy.Spec) bool {
	if a.Class != b.Class || a.Data != b.Data || len(a.Kwargs) != len(b.Kwargs) {
		return false
	}
	for k, v := range a.Kwargs {
		w, ok := b.Kwargs[k]
		if !ok || fmt.Sprint(v) != fmt.Sprint(w) {
			return false
		}
	}
	return true
}
