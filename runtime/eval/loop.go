package eval

import (
	"context"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/policy"
)

// slotRef is one agent of one of the episodes played together.
type slotRef struct{ env, agent int }

// team is one controller and the agents it drives: slot s of the
// controller is agent slots[s].
type team struct {
	ctrl  policy.Controller
	slots []slotRef
	obs   []uint8
	acts  []int32
}

// newTeam makes p's controller for slots; seed gives each slot's reset
// seed.
func newTeam(p policy.Policy, slots []slotRef, seed func(slotRef) uint64) (*team, error) {
	c, err := p.NewController(len(slots))
	if err != nil {
		return nil, err
	}
	for s, ref := range slots {
		c.Reset(s, seed(ref))
	}
	return &team{ctrl: c, slots: slots, obs: make([]uint8, len(slots)*sim.ObsSize), acts: make([]int32, len(slots))}, nil
}

// closeTeams closes every controller; the first error is kept in *err
// unless it already holds one.
func closeTeams(teams []*team, err *error) {
	for _, t := range teams {
		if t == nil {
			continue
		}
		if cerr := t.ctrl.Close(); cerr != nil && *err == nil {
			*err = cerr
		}
	}
}

// playEpisodes is the one episode loop (evaluation, daf.episode, play):
// it steps envs in lockstep until every one is done; each step, every
// team acts, in order, on its agents' observations. *cur is the index of
// the episode being stepped, for a failure's report. The context is
// checked every 64 steps.
func playEpisodes(ctx context.Context, envs []*sim.Env, teams []*team, cur *int) error {
	actions := make([][]int32, len(envs))
	for k, env := range envs {
		actions[k] = make([]int32, env.NumAgents())
	}
	for step := 0; ; step++ {
		if step%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if allDone(envs) {
			return nil
		}
		for _, t := range teams {
			for s, ref := range t.slots {
				src := envs[ref.env].Observations()[ref.agent*sim.ObsSize : (ref.agent+1)*sim.ObsSize]
				copy(t.obs[s*sim.ObsSize:], src)
			}
			if err := t.ctrl.Act(t.obs, t.acts); err != nil {
				return err
			}
			for s, ref := range t.slots {
				actions[ref.env][ref.agent] = t.acts[s]
			}
		}
		first := *cur
		for k, env := range envs {
			if !env.Done() {
				*cur = first + k
				env.Step(actions[k])
			}
		}
		*cur = first
	}
}

func allDone(envs []*sim.Env) bool {
	for _, env := range envs {
		if !env.Done() {
			return false
		}
	}
	return true
}
