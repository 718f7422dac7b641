package eval

import (
	"context"
	"fmt"

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
	cfg, err := m.Build(o.Seed)
	if err != nil {
		return Episode{}, err
	}
	if o.MaxSteps > 0 {
		cfg.MaxSteps = o.MaxSteps
	}
	env, err := sim.NewEnv(cfg, o.Seed)
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

	// Group agents by spec, in order of first appearance.
	type group struct {
		spec   policy.Spec
		agents []int
		ctrl   policy.Controller
		obs    []uint8
		acts   []int32
	}
	var groups []*group
	assignment := make([]string, n)
	for a, s := range specs {
		assignment[a] = s.String()
		var g *group
		for _, h := range groups {
			if sameSpec(h.spec, s) {
				g = h
				break
			}
		}
		if g == nil {
			g = &group{spec: s}
			groups = append(groups, g)
		}
		g.agents = append(g.agents, a)
	}
	for i, g := range groups {
		if i > 0 {
			name += "+"
		}
		name += g.spec.String()
	}
	defer func() {
		for _, g := range groups {
			if g.ctrl != nil {
				if cerr := g.ctrl.Close(); cerr != nil && err == nil {
					err = cerr
				}
			}
		}
	}()
	for _, g := range groups {
		p, err := policy.New(g.spec)
		if err != nil {
			return Episode{}, err
		}
		if g.ctrl, err = p.NewController(len(g.agents)); err != nil {
			return Episode{}, err
		}
		for s, a := range g.agents {
			g.ctrl.Reset(s, slotSeed(o.Seed, a))
		}
		g.obs = make([]uint8, len(g.agents)*sim.ObsSize)
		g.acts = make([]int32, len(g.agents))
	}
	actions := make([]int32, n)
	for step := 0; !env.Done(); step++ {
		if step%64 == 0 {
			if err := ctx.Err(); err != nil {
				return Episode{}, err
			}
		}
		all := env.Observations()
		for _, g := range groups {
			for s, a := range g.agents {
				copy(g.obs[s*sim.ObsSize:(s+1)*sim.ObsSize], all[a*sim.ObsSize:(a+1)*sim.ObsSize])
			}
			if err := g.ctrl.Act(g.obs, g.acts); err != nil {
				return Episode{}, err
			}
			for s, a := range g.agents {
				actions[a] = g.acts[s]
			}
		}
		env.Step(actions)
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
