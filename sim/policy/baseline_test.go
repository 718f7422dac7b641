package policy

import (
	"testing"

	"github.com/dafscript/dafscript/sim"
)

// obsBuilder writes observation tokens the way GAME.md lays them out.
type obsBuilder struct {
	buf []uint8
	n   int
}

func newObs() *obsBuilder {
	b := &obsBuilder{buf: make([]uint8, sim.ObsSize)}
	for i := range b.buf {
		b.buf[i] = 0xFF
	}
	return b
}

func (b *obsBuilder) tok(dr, dc int, feat uint8, val int) *obsBuilder {
	loc := uint8((dr+5)<<4 | (dc + 5))
	b.buf[b.n*3], b.buf[b.n*3+1], b.buf[b.n*3+2] = loc, feat, uint8(val)
	b.n++
	return b
}

// self writes the global tokens and the observer.
func (b *obsBuilder) self(lastAction, energy int, vibe string, inv map[sim.Resource]int) *obsBuilder {
	b.tok(0, 0, sim.FeatEpisodeCompletion, 0).tok(0, 0, sim.FeatLastAction, lastAction).tok(0, 0, sim.FeatLastReward, 0)
	b.tok(0, 0, sim.FeatGroup, 0).tok(0, 0, sim.FeatFrozen, 0)
	if vibe != "" && vibe != "default" {
		id, _ := sim.VibeID(vibe)
		b.tok(0, 0, sim.FeatVibe, id)
	}
	b.tok(0, 0, sim.FeatInventory+uint8(sim.Energy), energy)
	for r := sim.Resource(1); r < sim.NumResources; r++ {
		if inv[r] > 0 {
			b.tok(0, 0, sim.FeatInventory+uint8(r), inv[r])
		}
	}
	return b.tok(0, 0, sim.FeatTag, 0)
}

func tagOf(name string) int {
	for i, n := range sim.TypeNames() {
		if n == name {
			return i
		}
	}
	panic(name)
}

func (b *obsBuilder) object(dr, dc int, name string) *obsBuilder {
	return b.tok(dr, dc, sim.FeatTag, tagOf(name))
}

func (b *obsBuilder) agent(dr, dc int, vibe string) *obsBuilder {
	b.tok(dr, dc, sim.FeatGroup, 0).tok(dr, dc, sim.FeatFrozen, 0)
	if vibe != "" {
		id, _ := sim.VibeID(vibe)
		b.tok(dr, dc, sim.FeatVibe, id)
	}
	return b.tok(dr, dc, sim.FeatTag, 0)
}

// others adds one extractor of each kind far from the observer, so that
// every recipe resource has a source.
func (b *obsBuilder) others() *obsBuilder {
	return b.object(4, -4, "carbon_extractor").object(4, 4, "oxygen_extractor").
		object(-4, 4, "germanium_extractor").object(-4, -4, "silicon_extractor")
}

// room surrounds the observer by walls at distance 5 in every direction,
// so that nothing is left to explore.
func (b *obsBuilder) room() *obsBuilder {
	for i := -5; i <= 5; i++ {
		b.object(-5, i, "wall").object(5, i, "wall")
		if i > -5 && i < 5 {
			b.object(i, -5, "wall").object(i, 5, "wall")
		}
	}
	return b
}

func vibeAct(name string) int32 {
	id, _ := sim.VibeID(name)
	return int32(sim.VibeAction(id))
}

func TestDecode(t *testing.T) {
	b := newObs().self(sim.ActionMoveEast, 77, "heart_a", map[sim.Resource]int{sim.Carbon: 12, sim.Heart: 1})
	b.tok(-1, 0, sim.FeatCooldownRemaining, 9).tok(-1, 0, sim.FeatRemainingUses, 0).
		tok(-1, 0, sim.FeatProtocolInput+uint8(sim.Silicon), 30).tok(-1, 0, sim.FeatProtocolOutput+uint8(sim.Heart), 1).
		object(-1, 0, "assembler")
	b.agent(2, -3, "carbon_a")
	var v view
	v.decode(b.buf)
	if v.lastAction != sim.ActionMoveEast || v.energy != 77 || v.inv[sim.Carbon] != 12 || v.inv[sim.Heart] != 1 || v.vibe != vibeHeartA {
		t.Fatalf("self decoded wrong: %+v", v)
	}
	if len(v.objs) != 2 {
		t.Fatalf("got %d objects, want 2", len(v.objs))
	}
	a := v.at(-1, 0)
	if a == nil || a.kind != kindAssembler || a.cooldown != 9 || a.uses != 0 || !a.hasProto || a.protoIn[sim.Silicon] != 30 || a.protoOut[sim.Heart] != 1 {
		t.Fatalf("assembler decoded wrong: %+v", a)
	}
	g := v.at(2, -3)
	if g == nil || g.kind != kindAgent || g.vibe != vibeOf[sim.Carbon] || g.uses != -1 {
		t.Fatalf("agent decoded wrong: %+v", g)
	}
	if v.at(0, 1) != nil || v.at(9, 9) != nil {
		t.Fatal("empty cell decoded as an object")
	}
}

// step feeds one observation to a one-slot baseline and returns its action.
func step(t *testing.T, c Controller, b *obsBuilder) int32 {
	t.Helper()
	act := make([]int32, 1)
	if err := c.Act(b.buf, act); err != nil {
		t.Fatal(err)
	}
	return act[0]
}

func TestBaselineDecisions(t *testing.T) {
	full := map[sim.Resource]int{sim.Carbon: 10, sim.Oxygen: 10, sim.Germanium: 2, sim.Silicon: 30}
	tests := []struct {
		name string
		obs  *obsBuilder
		want int32
	}{
		{"low energy walks to the charger",
			newObs().self(0, 20, "", nil).room().object(-3, 0, "charger").object(0, 2, "carbon_extractor"),
			sim.ActionMoveNorth},
		{"low energy at the charger uses it",
			newObs().self(0, 20, "", nil).room().object(0, -1, "charger"),
			sim.ActionMoveWest},
		{"charger cooling down: wait",
			newObs().self(0, 20, "", nil).room().tok(0, -1, sim.FeatCooldownRemaining, 4).object(0, -1, "charger"),
			sim.ActionNoop},
		{"next to a needed extractor: take its vibe first",
			newObs().self(0, 100, "", nil).room().others().object(0, 1, "carbon_extractor"),
			vibeAct("carbon_a")},
		{"vibe set: use the extractor",
			newObs().self(0, 100, "carbon_a", nil).room().others().object(0, 1, "carbon_extractor"),
			sim.ActionMoveEast},
		{"spent extractor is ignored, the next one is sought",
			newObs().self(0, 100, "carbon_a", nil).room().object(-4, 4, "oxygen_extractor").object(4, -4, "germanium_extractor").object(-4, -4, "silicon_extractor").tok(0, 1, sim.FeatRemainingUses, 0).object(0, 1, "carbon_extractor").object(3, 0, "carbon_extractor"),
			sim.ActionMoveSouth},
		{"resource already held is not gathered",
			newObs().self(0, 100, "", map[sim.Resource]int{sim.Carbon: 10}).room().object(0, 1, "carbon_extractor").object(0, -3, "oxygen_extractor").
				object(-4, 4, "germanium_extractor").object(-4, -4, "silicon_extractor"),
			sim.ActionMoveWest},
		{"full recipe: heart_a at the assembler",
			newObs().self(0, 100, "", full).room().object(1, 0, "assembler"),
			vibeAct("heart_a")},
		{"full recipe, protocol shown: assemble",
			newObs().self(0, 100, "heart_a", full).room().
				tok(1, 0, sim.FeatProtocolInput+uint8(sim.Carbon), 10).tok(1, 0, sim.FeatProtocolOutput+uint8(sim.Heart), 1).object(1, 0, "assembler"),
			sim.ActionMoveSouth},
		{"no protocol selected: wait for a partner",
			newObs().self(0, 100, "heart_a", full).room().object(1, 0, "assembler"),
			sim.ActionNoop},
		{"holding a heart: default vibe at the chest",
			newObs().self(0, 100, "heart_a", map[sim.Resource]int{sim.Heart: 1}).room().object(0, -1, "chest"),
			vibeAct("default")},
		{"holding a heart: deposit",
			newObs().self(0, 100, "", map[sim.Resource]int{sim.Heart: 1}).room().object(0, -1, "chest"),
			sim.ActionMoveWest},
		{"chest stock covers a missing resource",
			newObs().self(0, 100, "", map[sim.Resource]int{sim.Carbon: 10, sim.Oxygen: 10, sim.Germanium: 1, sim.Silicon: 30}).room().
				tok(-2, 0, sim.FeatRemainingUses, 0).object(-2, 0, "germanium_extractor").
				tok(0, 3, sim.FeatInventory+uint8(sim.Germanium), 1).object(0, 3, "chest"),
			sim.ActionMoveEast},
		{"stuck for good: give cargo to the chest",
			newObs().self(0, 100, "", map[sim.Resource]int{sim.Carbon: 10}).room().
				tok(-2, 0, sim.FeatRemainingUses, 0).object(-2, 0, "germanium_extractor").
				object(0, 3, "chest").object(3, 3, "oxygen_extractor").object(-3, -3, "silicon_extractor"),
			sim.ActionMoveEast},
		{"nothing known: explore",
			newObs().self(0, 100, "", nil).object(0, -1, "wall").object(-1, 0, "wall").object(1, 0, "wall"),
			sim.ActionMoveEast},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newBaselineController(1, baselineDefaults)
			c.Reset(0, 1)
			if got := step(t, c, tc.obs); got != tc.want {
				t.Fatalf("action %s, want %s", sim.ActionName(int(got)), sim.ActionName(int(tc.want)))
			}
		})
	}
}

func TestBaselineDeadReckoning(t *testing.T) {
	c := newBaselineController(1, baselineDefaults)
	c.Reset(0, 1)
	// A charger 3 north; the agent walks toward it.
	if a := step(t, c, newObs().self(0, 20, "", nil).object(-3, 0, "charger").object(0, -5, "wall")); a != sim.ActionMoveNorth {
		t.Fatalf("first step %s", sim.ActionName(int(a)))
	}
	// The move succeeded: the charger is now 2 north, and the frame must
	// agree (one station remembered, not two).
	if a := step(t, c, newObs().self(sim.ActionMoveNorth, 20, "", nil).object(-2, 0, "charger").object(1, -5, "wall")); a != sim.ActionMoveNorth {
		t.Fatalf("second step %s", sim.ActionName(int(a)))
	}
	s := &c.slots[0]
	if len(s.stations) != 1 {
		t.Fatalf("remembers %d stations, want 1", len(s.stations))
	}
	if dr, dc := s.stations[0].r-s.r, s.stations[0].c-s.c; dr != -2 || dc != 0 {
		t.Fatalf("charger at (%d,%d) from the agent, want (-2,0)", dr, dc)
	}
	// A failed move leaves the agent in place.
	step(t, c, newObs().self(0, 20, "", nil).object(-2, 0, "charger").object(1, -5, "wall"))
	if dr := s.stations[0].r - s.r; dr != -2 {
		t.Fatalf("after a failed move the charger is %d rows away, want -2", dr)
	}
	// A successful use does not move the agent.
	step(t, c, newObs().self(sim.ActionMoveNorth, 20, "", nil).object(-1, 0, "charger").object(2, -5, "wall"))
	a := step(t, c, newObs().self(sim.ActionMoveNorth, 70, "", nil).object(-1, 0, "charger").object(2, -5, "wall"))
	if dr := s.stations[0].r - s.r; dr != -1 {
		t.Fatalf("after a use the charger is %d rows away, want -1", dr)
	}
	if a != sim.ActionMoveNorth {
		t.Fatalf("at 70 energy: %s, want to keep charging until 85", sim.ActionName(int(a)))
	}
}

func TestBaselineRendezvous(t *testing.T) {
	c := newBaselineController(1, baselineDefaults)
	c.Reset(0, 1)
	obs := func(last int) *obsBuilder {
		return newObs().self(last, 100, "germanium_a", nil).room().
			tok(0, 1, sim.FeatRemainingUses, 1).object(0, 1, "germanium_extractor").agent(-3, -3, "").
			object(4, -4, "carbon_extractor").object(4, 4, "oxygen_extractor").object(-4, -4, "silicon_extractor")
	}
	for i := 0; i < rendezvousWait; i++ {
		if a := step(t, c, obs(0)); a != sim.ActionNoop {
			t.Fatalf("step %d: %s, want to wait for the other agent", i, sim.ActionName(int(a)))
		}
	}
	if a := step(t, c, obs(0)); a != sim.ActionMoveEast {
		t.Fatalf("after the wait: %s, want the use", sim.ActionName(int(a)))
	}
	// With the other agent adjacent, use at once.
	c.Reset(0, 1)
	b := newObs().self(0, 100, "germanium_a", nil).room().
		tok(0, 1, sim.FeatRemainingUses, 1).object(0, 1, "germanium_extractor").agent(1, 1, "").
		object(4, -4, "carbon_extractor").object(4, 4, "oxygen_extractor").object(-4, -4, "silicon_extractor")
	if a := step(t, c, b); a != sim.ActionMoveEast {
		t.Fatalf("partner adjacent: %s, want the use", sim.ActionName(int(a)))
	}
}

func TestBaselineLearnsRecipe(t *testing.T) {
	c := newBaselineController(1, baselineDefaults)
	c.Reset(0, 1)
	// The assembler shows a one-of-each recipe to a lone heart_a agent.
	b := newObs().self(0, 100, "heart_a", map[sim.Resource]int{sim.Carbon: 1, sim.Oxygen: 1, sim.Germanium: 1, sim.Silicon: 1}).room().object(0, 1, "assembler")
	for _, r := range cargo {
		b.tok(0, 1, sim.FeatProtocolInput+uint8(r), 1)
	}
	b.tok(0, 1, sim.FeatProtocolOutput+uint8(sim.Heart), 1)
	if a := step(t, c, b); a != sim.ActionMoveEast {
		t.Fatalf("got %s, want to assemble with the learnt recipe", sim.ActionName(int(a)))
	}
}

func TestBaselineBadBuffers(t *testing.T) {
	c := newBaselineController(2, baselineDefaults)
	if err := c.Act(make([]uint8, sim.ObsSize), make([]int32, 2)); err == nil {
		t.Fatal("short observation buffer accepted")
	}
	if err := c.Act(make([]uint8, 2*sim.ObsSize), make([]int32, 1)); err == nil {
		t.Fatal("short action buffer accepted")
	}
}

func TestBaselineGroupAssembly(t *testing.T) {
	c := newBaselineController(1, baselineDefaults)
	c.Reset(0, 1)
	holder := func(b *obsBuilder, dr, dc, germanium int) *obsBuilder {
		b.tok(dr, dc, sim.FeatGroup, 0).tok(dr, dc, sim.FeatFrozen, 0)
		b.tok(dr, dc, sim.FeatInventory+uint8(sim.Germanium), germanium)
		return b.tok(dr, dc, sim.FeatTag, 0)
	}
	// Just after a four-agent use of the last germanium: 2 + 1 + 1 + 1.
	b := newObs().self(0, 100, "germanium_a", map[sim.Resource]int{sim.Germanium: 2}).room().
		tok(0, 1, sim.FeatRemainingUses, 0).object(0, 1, "germanium_extractor").
		object(4, -4, "carbon_extractor").object(4, 4, "oxygen_extractor").object(-4, -4, "silicon_extractor").object(-3, 0, "assembler")
	holder(b, 1, 1, 1)
	holder(b, -1, 1, 1)
	holder(b, 1, 0, 1)
	step(t, c, b)
	s := &c.slots[0]
	if s.groupK != 4 || s.groupRes != sim.Germanium {
		t.Fatalf("group of %d on %s, want 4 on germanium", s.groupK, s.groupRes)
	}
	// A member's share of protocol 3 (25, 25, 5, 75) is 7, 7, -, 19.
	share := map[sim.Resource]int{sim.Carbon: 7, sim.Oxygen: 7, sim.Germanium: 2, sim.Silicon: 19}
	// At the assembler alone it has enough for a heart of its own, but
	// waits for the group.
	at := func(partners int) *obsBuilder {
		b := newObs().self(0, 100, "heart_a", share).room().
			tok(-4, 4, sim.FeatRemainingUses, 0).object(-4, 4, "germanium_extractor").
			object(4, -4, "carbon_extractor").object(4, 4, "oxygen_extractor").object(-4, -4, "silicon_extractor")
		for _, r := range cargo {
			b.tok(1, 0, sim.FeatProtocolInput+uint8(r), groupCost(r, partners+1))
		}
		b.tok(1, 0, sim.FeatProtocolOutput+uint8(sim.Heart), partners+1).object(1, 0, "assembler")
		for i := 0; i < partners; i++ {
			dc := []int{-1, 1, 0}[i]
			dr := []int{1, 1, 2}[i]
			b.tok(dr, dc, sim.FeatGroup, 0).tok(dr, dc, sim.FeatFrozen, 0).tok(dr, dc, sim.FeatVibe, int(vibeHeartA))
			for r, n := range share {
				if r == sim.Germanium {
					n = 1
				}
				b.tok(dr, dc, sim.FeatInventory+uint8(r), n)
			}
			b.tok(dr, dc, sim.FeatTag, 0)
		}
		return b
	}
	if a := step(t, c, at(0)); a != sim.ActionNoop {
		t.Fatalf("alone: %s, want to wait for the group", sim.ActionName(int(a)))
	}
	if a := step(t, c, at(3)); a != sim.ActionMoveSouth {
		t.Fatalf("with the group: %s, want to assemble", sim.ActionName(int(a)))
	}
}
