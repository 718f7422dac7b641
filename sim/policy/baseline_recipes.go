package policy

import "github.com/dafscript/dafscript/sim"

// The heart recipe: the rule book's until an assembler shows another,
// how many hearts' worth a trip gathers, and when agents pool a resource
// in a group assembly.

// defaultRecipe is the cheapest heart protocol of GAME.md; an agent
// replaces it with what the assembler shows when it stands there alone
// vibing heart_a.
var defaultRecipe = [sim.NumResources]int{sim.Carbon: 10, sim.Oxygen: 10, sim.Germanium: 2, sim.Silicon: 30}

var (
	vibeHeartA = mustVibe("heart_a")
	vibeOf     = [sim.NumResources]int{
		sim.Carbon:    mustVibe("carbon_a"),
		sim.Oxygen:    mustVibe("oxygen_a"),
		sim.Germanium: mustVibe("germanium_a"),
		sim.Silicon:   mustVibe("silicon_a"),
	}
)

func mustVibe(name string) int {
	v, ok := sim.VibeID(name)
	if !ok {
		panic("policy: vibe " + name + " missing from vibes.txt")
	}
	return v
}

// learnRecipe reads the heart recipe off an adjacent assembler when the
// agent is the only one there vibing heart_a.
func (s *agentState) learnRecipe(v *view) {
	if v.vibe != vibeHeartA {
		return
	}
	for i := range v.objs {
		o := &v.objs[i]
		if o.kind != kindAssembler || abs(o.dr)+abs(o.dc) != 1 {
			continue
		}
		// One look is enough: alone, the agent learns the recipe (or
		// that there is none for one agent); in company it keeps the
		// rule book's.
		s.probed = true
		if o.hasProto && o.protoOut[sim.Heart] > 0 && heartAAround(v, o.dr, o.dc) == 1 {
			for _, r := range cargo {
				s.recipe[r] = o.protoIn[r]
			}
			s.setBatch()
		}
	}
}

// setBatch sizes the gathering trips to the recipe.
func (s *agentState) setBatch() {
	sum := 0
	for _, r := range cargo {
		sum += s.recipe[r]
	}
	s.batch = 1
	if sum > 0 {
		s.batch = min(max(s.p.batchCargo/sum, 1), maxBatch)
	}
}

// groupCost is what heart protocol k-1 (k agents vibing heart_a) asks of
// resource r, per GAME.md: the single-agent amount plus half of it per
// extra agent.
func groupCost(r sim.Resource, k int) int { return defaultRecipe[r] + (k-1)*defaultRecipe[r]/2 }

// updateGroup ends a group assembly once the pooled resource is gone (the
// group's heart is made, or the share given away) and considers a new one.
func (s *agentState) updateGroup(v *view) {
	if s.groupK > 0 && v.inv[s.groupRes] == 0 {
		s.groupK = 0
	}
	s.planGroup(v)
}

// planGroup decides, once per resource, whether to assemble in a group:
// when every extractor of r is spent, the agents in view that hold r
// (the observer included) pool it in the largest heart protocol they can
// pay for, if that makes more hearts than they would make alone.
func (s *agentState) planGroup(v *view) {
	if s.groupK > 0 || s.recipe != defaultRecipe {
		return
	}
	for _, r := range cargo {
		if s.groupChecked[r] || v.inv[r] == 0 {
			continue
		}
		seen, spent := false, true
		for i := range s.stations {
			st := &s.stations[i]
			if st.kind == extractorOf[r] {
				seen = true
				if st.uses != 0 {
					spent = false
				}
			}
		}
		if !seen || !spent {
			continue
		}
		s.groupChecked[r] = true
		holders, total := 1, v.inv[r]
		for i := range v.objs {
			if o := &v.objs[i]; o.kind == kindAgent && o.inv[r] > 0 {
				holders++
				total += o.inv[r]
			}
		}
		solo := min(total/s.recipe[r], holders)
		for k := min(holders, maxGroup); k >= 2; k-- {
			if groupCost(r, k) <= total && k > solo {
				s.groupK, s.groupRes = k, r
				return
			}
		}
	}
}

// heartAAround counts the agents vibing heart_a on the 8 cells around
// (dr, dc), the observer included.
func heartAAround(v *view, dr, dc int) int {
	n := 0
	if max(abs(dr), abs(dc)) == 1 && v.vibe == vibeHeartA {
		n++
	}
	for i := range v.objs {
		o := &v.objs[i]
		if o.kind == kindAgent && o.vibe == vibeHeartA && max(abs(o.dr-dr), abs(o.dc-dc)) == 1 {
			n++
		}
	}
	return n
}

// agentsAround counts agents on the 8 cells around (dr, dc), the observer
// included.
func agentsAround(v *view, dr, dc int) int {
	around := 0
	if max(abs(dr), abs(dc)) == 1 {
		around++
	}
	for i := range v.objs {
		if o := &v.objs[i]; o.kind == kindAgent && max(abs(o.dr-dr), abs(o.dc-dc)) == 1 {
			around++
		}
	}
	return around
}

// canMakeHeart reports whether the agent holds a heart's worth of the
// recipe by itself (a group member never assembles alone).
func (s *agentState) canMakeHeart(v *view) bool {
	if s.groupK != 0 {
		return false
	}
	for _, r := range cargo {
		if v.inv[r] < s.recipe[r] {
			return false
		}
	}
	return true
}

// needs returns, per resource, what the agent still has to gather: its
// batch of the recipe or, in a group, its share of the group's recipe
// (the pooled resource excepted); missing is false when nothing is.
func (s *agentState) needs(v *view) (need [sim.NumResources]int, missing bool) {
	for _, r := range cargo {
		if s.groupK > 0 && r == s.groupRes {
			continue // the group pools what its members hold
		}
		want := s.recipe[r] * s.batch
		if s.groupK > 0 {
			// A member brings its share of the group's recipe.
			want = (groupCost(r, s.groupK) + s.groupK - 1) / s.groupK
		}
		if n := want - v.inv[r]; n > 0 {
			need[r] = n
			missing = true
		}
	}
	return need, missing
}

// poolAround is what the observer and the agents on the 8 cells around
// (dr, dc) hold together.
func poolAround(v *view, dr, dc int) [sim.NumResources]int {
	pool := v.inv
	for i := range v.objs {
		a := &v.objs[i]
		if a.kind == kindAgent && max(abs(a.dr-dr), abs(a.dc-dc)) == 1 {
			for r := range pool {
				pool[r] += a.inv[r]
			}
		}
	}
	return pool
}
