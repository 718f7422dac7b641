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
	"fmt"

	"github.com/dafscript/dafscript/sim"
)

// newBaseline builds the baseline from a spec: no data path, keyword
// arguments among baselineTunables only.
func newBaseline(s Spec) (Policy, error) {
	if s.Data != "" {
		return nil, fmt.Errorf("takes no data path, got %q", s.Data)
	}
	p, err := baselineParamsOf(s.Kwargs)
	if err != nil {
		return nil, err
	}
	return simple{name: "baseline", make: func(n int) Controller { return newBaselineController(n, p) }}, nil
}

// Defaults of the baseline's tunable thresholds (baselineTunables).
const (
	rechargeBelow  = 35 // start recharging under this energy
	rechargeUntil  = 85 // stop recharging at this energy
	batchCargo     = 40 // cargo a batch may fill (the default limit is 100)
	batchPatience  = 15 // steps an agent that can already make a heart spends on its batch
	rendezvousWait = 90 // steps to wait at a single-use extractor for more agents
)

// baselineTunables are the thresholds a spec may set, as keyword
// arguments: daf.policy("baseline", recharge_below=30), or
// "baseline?recharge_below=30" as a string. docs/game.md describes them.
var baselineTunables = []Tunable{
	{Name: "recharge_below", Default: rechargeBelow, Min: 0, Max: 255, Int: true,
		Doc: "energy under which a cog goes to recharge (0: never)"},
	{Name: "recharge_until", Default: rechargeUntil, Min: 0, Max: 255, Int: true,
		Doc: "energy at which a recharging cog stops (at or under recharge_below: as soon as it is not under it)"},
	{Name: "batch_cargo", Default: batchCargo, Min: 1, Max: 255, Int: true,
		Doc: "cargo a gathering trip may fill: it gathers batch_cargo / recipe size hearts' worth per trip (1 to 10)"},
	{Name: "batch_patience", Default: batchPatience, Min: 0, Max: 1000, Int: true,
		Doc: "steps a cog that can already make a heart will spend reaching the rest of its batch, rather than assemble now"},
	{Name: "rendezvous_wait", Default: rendezvousWait, Min: 0, Max: 1000, Int: true,
		Doc: "steps the first cog at a single-use extractor waits for others to share its last use"},
}

// baselineParams are the values of baselineTunables a controller plays
// with.
type baselineParams struct {
	rechargeBelow  int
	rechargeUntil  int
	batchCargo     int
	batchPatience  int
	rendezvousWait int
}

// baselineDefaults plays as the baseline always did.
var baselineDefaults = baselineParams{rechargeBelow, rechargeUntil, batchCargo, batchPatience, rendezvousWait}

// baselineParamsOf reads the keyword arguments of a spec.
func baselineParamsOf(kwargs map[string]any) (baselineParams, error) {
	v, err := ParamValues("baseline", baselineTunables, kwargs)
	if err != nil {
		return baselineParams{}, err
	}
	return baselineParams{
		rechargeBelow:  int(v["recharge_below"]),
		rechargeUntil:  int(v["recharge_until"]),
		batchCargo:     int(v["batch_cargo"]),
		batchPatience:  int(v["batch_patience"]),
		rendezvousWait: int(v["rendezvous_wait"]),
	}, nil
}

// Fixed thresholds of the baseline's strategy.
const (
	scarceBonus     = 40  // prefer single-use extractors by this many steps
	rendezvousAgent = 4   // stop waiting when this many agents are adjacent
	failLimit       = 3   // failed uses of a station before it is avoided for a while
	failBackoff     = 15  // steps a failing station is avoided
	initialSide     = 64  // side of the first map, grown as the agent explores
	groupWait       = 400 // steps a group member waits at the assembler for the others
	maxBatch        = 10  // hearts' worth per trip at most
	probeDistance   = 20  // an assembler this close is visited to read its recipe rather than wait
	endMargin       = 3   // steps kept in hand to deliver hearts before the episode ends
	maxGroup        = 4   // the largest heart protocol takes four agents
)

type baselineController struct {
	p     baselineParams
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

func newBaselineController(n int, p baselineParams) *baselineController {
	c := &baselineController{p: p, slots: make([]agentState, n)}
	for i := range c.slots {
		c.slots[i].p = &c.p
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
