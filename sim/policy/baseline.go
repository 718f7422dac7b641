// The baseline policy: a scripted agent that recharges, gathers, assembles
// hearts and delivers them, knowing only what it observes. Its parts:
//
//   - baseline.go: the Policy and its controller; one step of one agent.
//   - baseline_memory.go: what an agent remembers (its map by dead
//     reckoning, the stations it has seen).
//   - baseline_recipes.go: the heart recipe (learnt off an assembler),
//     batch sizes, and group assembly when a resource runs out.
//   - baseline_paths.go: path-finding over the remembered map,
//     exploration, keeping out of the way.
//   - baseline_goals.go: what to do next (choosing a goal) and how
//     (walking to a station and using it).

package policy

import (
	"github.com/dafscript/dafscript/sim"
)

func init() {
	Register("baseline", "scripted agent: recharges, gathers, assembles hearts and delivers them, from its observations only", func(s Spec) (Policy, error) {
		if err := noArgs(s); err != nil {
			return nil, err
		}
		return simple{name: "baseline", make: func(n int) Controller { return newBaselineController(n) }}, nil
	})
}

// Thresholds of the baseline's strategy.
const (
	rechargeBelow   = 35  // start recharging under this energy
	rechargeUntil   = 85  // stop recharging at this energy
	scarceBonus     = 40  // prefer single-use extractors by this many steps
	rendezvousWait  = 90  // steps to wait at a single-use extractor for more agents
	rendezvousAgent = 4   // stop waiting when this many agents are adjacent
	failLimit       = 3   // failed uses of a station before it is avoided for a while
	failBackoff     = 15  // steps a failing station is avoided
	initialSide     = 64  // side of the first map, grown as the agent explores
	groupWait       = 400 // steps a group member waits at the assembler for the others
	batchCargo      = 40  // cargo a batch may fill (the default limit is 100)
	maxBatch        = 10  // hearts' worth per trip at most
	batchPatience   = 15  // steps an agent that can already make a heart spends on its batch
	probeDistance   = 20  // an assembler this close is visited to read its recipe rather than wait
	endMargin       = 3   // steps kept in hand to deliver hearts before the episode ends
	maxGroup        = 4   // the largest heart protocol takes four agents
)

type baselineController struct {
	slots []agentState
	v     view
	// BFS scratch shared by all slots (they are served one at a time).
	dist  []int32
	first []uint8
	stamp []uint32
	gen   uint32
	queue []int32
	occ   []uint32 // stamp of cells holding a visible agent
	ogen  uint32
	// frontierCell is the nearest reachable cell next to unknown land,
	// -1 if none (set by bfs).
	frontierCell int
}

func newBaselineController(n int) *baselineController {
	c := &baselineController{slots: make([]agentState, n)}
	for i := range c.slots {
		c.Reset(i, sim.DeriveSeed(0, "baseline", uint64(i)))
	}
	return c
}

func (c *baselineController) Reset(slot int, seed uint64) {
	if slot < 0 || slot >= len(c.slots) {
		return
	}
	s := &c.slots[slot]
	s.rng.Seed(seed)
	s.started = false
}

func (c *baselineController) Close() error { return nil }

func (c *baselineController) Act(obs []uint8, actions []int32) error {
	if err := checkBuffers(len(c.slots), obs, actions); err != nil {
		return err
	}
	for i := range c.slots {
		c.v.decode(obs[i*sim.ObsSize : (i+1)*sim.ObsSize])
		actions[i] = int32(c.act(&c.slots[i], &c.v))
	}
	return nil
}

// act decides one slot's action from its observation.
func (c *baselineController) act(s *agentState, v *view) int {
	s.observe(v)
	s.learnRecipe(v)
	s.updateGroup(v)
	s.countTeam(v)
	c.markAgents(s, v)
	c.bfs(s)
	a := c.decide(s, v)
	c.expect(s, a)
	return a
}

// expect records the action sent, so that the next observation tells
// whether a move happened or a station was used.
func (c *baselineController) expect(s *agentState, a int) {
	s.pending = a
	if a >= sim.ActionMoveNorth && a <= sim.ActionMoveEast {
		r, cc := s.r+moveDR[a], s.c+moveDC[a]
		k := s.cell(r, cc)
		s.pendingUse = isStatic(k) || c.occupied(s, r, cc)
		s.pendingSt = s.stationAt(r, cc)
	}
}
