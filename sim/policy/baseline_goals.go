package policy

import "github.com/dafscript/dafscript/sim"

// goal is what the agent is heading for.
type goal struct {
	st   int // station index, or goalExplore, goalIdle
	vibe int
}

const (
	goalExplore = -1
	goalIdle    = -2
)

// decide picks the action for this step.
func (c *baselineController) decide(s *agentState, v *view) int {
	if s.blocked >= 2 {
		// Two failed moves in a row: another agent is in the way; step
		// aside at random to break the tie.
		s.blocked = 0
		if a := c.randomStep(s); a != 0 {
			return a
		}
	}
	if v.energy < c.p.rechargeBelow {
		s.recharging = true
	} else if v.energy >= c.p.rechargeUntil {
		s.recharging = false
	}
	g := c.choose(s, v)
	switch g.st {
	case goalExplore:
		s.waitSt = -1
		return c.wander(s)
	case goalIdle:
		s.waitSt = -1
		return c.idle(s)
	}
	return c.pursue(s, v, g)
}

// choose picks the next station to use, or explores: hearts in hand go to
// the chest (after one more, when it can be made now), low energy goes to
// a charger, and otherwise the agent gathers what its batch still lacks
// and then assembles.
func (c *baselineController) choose(s *agentState, v *view) goal {
	canMake := s.canMakeHeart(v)
	if v.inv[sim.Heart] > 0 {
		return c.deliverGoal(s, v, canMake)
	}
	if s.recharging {
		return c.chargeGoal(s, v)
	}
	need, missing := s.needs(v)
	if !missing {
		return c.assemble(s)
	}
	return c.gatherGoal(s, v, canMake, c.bestSource(s, need))
}

// assemble heads for the nearest assembler that is not clipped, vibing
// heart_a, or explores to find one.
func (c *baselineController) assemble(s *agentState) goal {
	if i, _ := c.nearest(s, kindAssembler, func(st *station) bool { return !st.clipped }); i >= 0 {
		return goal{st: i, vibe: vibeHeartA}
	}
	return goal{st: goalExplore}
}

// nearestChest returns the chest with the shortest approach, -1 if none
// is reachable.
func (c *baselineController) nearestChest(s *agentState) int {
	i, _ := c.nearest(s, kindChest, func(*station) bool { return true })
	return i
}

// deliverGoal is the goal of an agent holding hearts: one more heart
// before the walk to the chest when it can make one now, has room for it,
// has the energy and the time; otherwise the chest.
func (c *baselineController) deliverGoal(s *agentState, v *view, canMake bool) goal {
	if canMake && !s.heartFull && !s.recharging && !c.endNear(s, v) {
		return c.assemble(s) // one more before the walk to the chest
	}
	if i := c.nearestChest(s); i >= 0 {
		return goal{st: i, vibe: sim.VibeDefault}
	}
	return goal{st: goalExplore}
}

// chargeGoal heads for the charger that can be used soonest.
func (c *baselineController) chargeGoal(s *agentState, v *view) goal {
	if i, _ := c.nearestTimed(s, kindCharger); i >= 0 {
		return goal{st: i, vibe: v.vibe}
	}
	return goal{st: goalExplore}
}

// source is where to gather next: the cheapest known station (extractor
// or chest) of a resource still needed.
type source struct {
	st   int // station index, -1 if none is known
	cost int // steps until it can be used, less a bonus for a last use
	vibe int // the vibe that takes the resource
	// stuck: some needed resource has no usable, reachable source known.
	stuck bool
}

// bestSource finds the cheapest source over every resource still needed:
// an extractor costs the later of the arrival and the end of its cooldown
// (a single-use one is preferred by scarceBonus), a chest that holds
// enough costs the walk.
func (c *baselineController) bestSource(s *agentState, need [sim.NumResources]int) source {
	src := source{st: -1}
	for _, r := range cargo {
		if need[r] == 0 {
			continue
		}
		found := false
		for i := range s.stations {
			st := &s.stations[i]
			var cost int
			switch {
			case st.kind == extractorOf[r] && st.usable(s.step):
				d, _, _ := c.approach(s, st)
				if d < 0 {
					continue
				}
				cost = max(d, st.readyAt-s.step)
				if st.uses == 1 {
					cost -= scarceBonus
				}
			case st.kind == kindChest && st.stock[r] >= need[r] && st.failUntil <= s.step:
				d, _, _ := c.approach(s, st)
				if d < 0 {
					continue
				}
				cost = d
			default:
				continue
			}
			found = true
			if src.st < 0 || cost < src.cost {
				src.st, src.cost, src.vibe = i, cost, vibeOf[r]
			}
		}
		if !found {
			src.stuck = true
		}
	}
	return src
}

// gatherGoal chooses between the best source and the alternatives to
// gathering: reading the recipe off a near assembler, making a heart with
// what is in hand, or, when stuck, what stuckGoal says.
func (c *baselineController) gatherGoal(s *agentState, v *view, canMake bool, src source) goal {
	if !s.probed && s.groupK == 0 && !src.stuck && src.st >= 0 && src.cost > c.p.batchPatience {
		// Rather than wait, read the recipe off the assembler: it may
		// ask for less than the rule book's.
		if i, d := c.nearest(s, kindAssembler, func(st *station) bool { return !st.clipped }); i >= 0 && d <= probeDistance {
			return goal{st: i, vibe: vibeHeartA}
		}
	}
	if canMake && (src.stuck || src.st < 0 || src.cost > c.p.batchPatience) {
		// Enough for a heart and the rest of the batch is far or
		// cooling down: make what we can now.
		return c.assemble(s)
	}
	if src.stuck {
		return c.stuckGoal(s, v)
	}
	if src.st < 0 {
		return goal{st: goalExplore}
	}
	return goal{st: src.st, vibe: src.vibe}
}

// stuckGoal is the goal of an agent that knows no source of a resource it
// needs.
func (c *baselineController) stuckGoal(s *agentState, v *view) goal {
	if c.hasFrontier(s) {
		// Look for what is missing before spending anything else.
		return goal{st: goalExplore}
	}
	if s.groupK > 0 {
		// What the member lacks may be in the others' hands: meet them.
		return c.assemble(s)
	}
	// Some resource is out of reach for good: give what we carry to the
	// chest so that others can finish a heart with it.
	if v.inv[sim.Carbon]+v.inv[sim.Oxygen]+v.inv[sim.Germanium]+v.inv[sim.Silicon] > 0 {
		if i := c.nearestChest(s); i >= 0 {
			return goal{st: i, vibe: sim.VibeDefault}
		}
	}
	return goal{st: goalIdle}
}

// endNear reports whether the episode ends before the agent could make
// another heart and still reach the chest: it estimates the episode's
// length from the completion token (step/max_steps*255).
func (c *baselineController) endNear(s *agentState, v *view) bool {
	if v.completion == 0 {
		return false
	}
	left := s.step * (255 - v.completion) / v.completion
	_, d := c.nearest(s, kindChest, func(*station) bool { return true })
	return left <= d+endMargin
}

// pursue walks to the goal station and uses it when it can.
func (c *baselineController) pursue(s *agentState, v *view, g goal) int {
	st := &s.stations[g.st]
	dr, dc := st.r-s.r, st.c-s.c
	if abs(dr)+abs(dc) != 1 {
		s.waitSt = -1
		d, r, cc := c.approach(s, st)
		if d <= 0 {
			return c.wander(s)
		}
		return c.moveTo(s, r, cc)
	}
	if v.vibe != g.vibe {
		return sim.VibeAction(g.vibe)
	}
	if s.waitSt != g.st {
		s.waitSt, s.waitSince = g.st, s.step
	}
	if st.readyAt > s.step {
		return sim.ActionNoop // cooling down: wait here
	}
	switch st.kind {
	case kindGermanium, kindCarbon, kindOxygen, kindSilicon:
		if a, hold := s.extractorHold(v, st, dr, dc); hold {
			return a
		}
	case kindAssembler:
		if a, hold := c.assemblerHold(s, v, dr, dc); hold {
			return a
		}
	}
	return directionTo(dr, dc)
}

// extractorHold returns what to do instead of using the extractor at
// (dr, dc) when now is not the time: wait for company at a last use, or
// for energy before a silicon extractor (hold is then true).
func (s *agentState) extractorHold(v *view, st *station, dr, dc int) (action int, hold bool) {
	if st.uses == 1 {
		// A last use pays more with more agents around: wait a
		// little for the others.
		around := agentsAround(v, dr, dc)
		if around < min(rendezvousAgent, s.teamSize) && s.step-s.waitSince < s.p.rendezvousWait {
			return sim.ActionNoop, true
		}
	}
	if st.kind == kindSilicon && v.energy < 22 {
		s.recharging = true
		return sim.ActionNoop, true
	}
	return 0, false
}

// assemblerHold returns what to do instead of using the assembler at
// (dr, dc) when the heart cannot be made yet: wait for a protocol, for the
// group or for partners' resources, or, alone and short, go gather.
func (c *baselineController) assemblerHold(s *agentState, v *view, dr, dc int) (action int, hold bool) {
	o := v.at(dr, dc)
	if o == nil || !o.hasProto {
		return sim.ActionNoop, true // no protocol selected yet: wait for partners
	}
	pool := poolAround(v, dr, dc)
	if s.groupK > 0 && heartAAround(v, dr, dc) < s.groupK && s.step-s.waitSince < groupWait {
		return sim.ActionNoop, true // wait for the whole group
	}
	for _, r := range cargo {
		if pool[r] < o.protoIn[r] {
			if heartAAround(v, dr, dc) == 1 && s.groupK == 0 {
				// Alone and short: the recipe was learnt above; go
				// gather the rest.
				return c.wander(s), true
			}
			return sim.ActionNoop, true
		}
	}
	return 0, false
}
