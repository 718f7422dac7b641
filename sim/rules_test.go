package sim

import (
	"fmt"
	"testing"
)

const (
	north = ActionMoveNorth
	south = ActionMoveSouth
	west  = ActionMoveWest
	east  = ActionMoveEast
	noop  = ActionNoop
)

func vibeAct(t testing.TB, name string) int32 {
	t.Helper()
	v, ok := VibeID(name)
	if !ok {
		t.Fatalf("no vibe %q", name)
	}
	return int32(VibeAction(v))
}

// setInv sets agent i's amount of r directly (test setup only).
func setInv(e *Env, i int, r Resource, n int) {
	e.agents[i].inv[r] = int32(n)
	e.tokDirty[e.agents[i].obj] = true
}

// quietConfig is testConfig without energy regeneration, so that energy
// figures are exact.
func quietConfig(t testing.TB, rows ...string) *GameConfig {
	cfg := testConfig(t, rows...)
	cfg.Agent.EnergyRegen = 0
	return cfg
}

// stepOne makes agent i take action a while the others noop.
func stepOne(e *Env, i int, a int32) {
	acts := make([]int32, e.NumAgents())
	acts[i] = a
	e.Step(acts)
}

func inv(e *Env, i int, r Resource) int { return int(e.agents[i].inv[r]) }

func stationAt(t testing.TB, e *Env, row, col int) *station {
	t.Helper()
	id := e.grid[int32(row)*e.width+int32(col)]
	if id < 0 || e.objs[id].kind != kindStation {
		t.Fatalf("no station at %d,%d", row, col)
	}
	return &e.stations[e.objs[id].idx]
}

func TestGermaniumByAdjacentAgents(t *testing.T) {
	tests := []struct {
		name string
		rows []string
		want []int // germanium per agent after agent 0 uses it
	}{
		{"one agent yields 2", []string{".....", ".@g..", "....."}, []int{2}},
		{"two agents yield 3", []string{".....", ".@g@.", "....."}, []int{2, 1}},
		{"three agents yield 4", []string{".....", ".@g@.", "..@.."}, []int{2, 1, 1}},
		{"four agents yield 5", []string{"..@..", ".@g@.", "..@.."}, []int{2, 1, 1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, quietConfig(t, tc.rows...), 1)
			// agent 0 is the one west of g in every map except the last,
			// where it is north; find the agent west of g.
			actor := -1
			for i := range e.agents {
				if e.agents[i].row == 1 && e.agents[i].col == 1 {
					actor = i
				}
			}
			stepOne(e, actor, east)
			if e.agents[actor].lastAction != east {
				t.Fatalf("use failed")
			}
			total := 0
			got := map[int]int{}
			for i := range e.agents {
				total += inv(e, i, Germanium)
				got[i] = inv(e, i, Germanium)
			}
			want := 0
			for _, w := range tc.want {
				want += w
			}
			if total != want {
				t.Fatalf("total germanium %d, want %d", total, want)
			}
			if got[actor] != tc.want[0] {
				t.Errorf("actor got %d, want %d (the actor takes the remainder first)", got[actor], tc.want[0])
			}
			// spent: a second use fails
			stepOne(e, actor, east)
			if e.agents[actor].lastAction != 0 || inv(e, actor, Germanium) != got[actor] {
				t.Errorf("second use should fail: germanium spent after one use")
			}
			if inv(e, actor, Energy) != 98 {
				t.Errorf("energy %d, want 98 (one successful use, a failed one costs nothing)", inv(e, actor, Energy))
			}
		})
	}
}

func TestOxygenPartialUse(t *testing.T) {
	e := newTestEnv(t, quietConfig(t, "@o."), 1)
	stepOne(e, 0, east) // step 1: full use, cooldown 100 -> until 101
	if got := inv(e, 0, Oxygen); got != 10 {
		t.Fatalf("first use: oxygen %d, want 10", got)
	}
	stepOne(e, 0, east) // step 2: progress 0.01 -> floor(0.1) = 0: fails
	if got := inv(e, 0, Oxygen); got != 10 || e.agents[0].lastAction != 0 {
		t.Fatalf("use at 1%% of the cooldown should fail, oxygen %d", got)
	}
	for e.StepCount() < 50 {
		stepOne(e, 0, noop)
	}
	stepOne(e, 0, east) // step 51: progress 0.5 -> 5
	if got := inv(e, 0, Oxygen); got != 15 {
		t.Fatalf("half-cooldown use: oxygen %d, want 15", got)
	}
	s := stationAt(t, e, 0, 1)
	if s.cooldownEnd != 151 || s.uses != 2 {
		t.Errorf("partial use restarts the full cooldown and counts: end %d uses %d", s.cooldownEnd, s.uses)
	}
}

func TestOxygenUsesAndNoPartialCarbon(t *testing.T) {
	e := newTestEnv(t, quietConfig(t, "@c."), 1)
	for k := 0; k < 30; k++ {
		stepOne(e, 0, east)
		setInv(e, 0, Energy, 100)
	}
	if got := inv(e, 0, Carbon); got != 50 {
		t.Errorf("carbon after 30 tries: %d, want 50 (25 uses of 2)", got)
	}
}

func TestHeartProtocolPoolsAndSplits(t *testing.T) {
	// Agents 0 (north of &), 1 (west) and 2 (east); 0 acts.
	rows := []string{
		"..@..",
		".@&@.",
		".....",
	}
	heart := vibeAct(t, "heart_a")
	t.Run("two heart_a pool inputs", func(t *testing.T) {
		e := newTestEnv(t, quietConfig(t, rows...), 1)
		e.Step([]int32{heart, heart, noop})
		// protocol 1: carbon 15, oxygen 15, germanium 3, silicon 45 -> 2 hearts
		setInv(e, 0, Carbon, 20)
		setInv(e, 1, Carbon, 20)
		setInv(e, 0, Oxygen, 15)
		setInv(e, 1, Germanium, 3)
		setInv(e, 2, Silicon, 45)
		e.Step([]int32{south, noop, noop})
		if e.agents[0].lastAction != south {
			t.Fatal("assembler use failed")
		}
		// carbon 15 from 20+20: the later agent gives 15/2=7, the actor 8
		if inv(e, 0, Carbon) != 12 || inv(e, 1, Carbon) != 13 {
			t.Errorf("carbon left %d, %d; want 12, 13", inv(e, 0, Carbon), inv(e, 1, Carbon))
		}
		for _, r := range []Resource{Oxygen, Germanium, Silicon} {
			for i := 0; i < 3; i++ {
				if inv(e, i, r) != 0 {
					t.Errorf("agent %d still has %d %s", i, inv(e, i, r), r)
				}
			}
		}
		// 2 hearts over 3 adjacent agents in order actor, W, E: 1, 1, 0
		if got := []int{inv(e, 0, Heart), inv(e, 1, Heart), inv(e, 2, Heart)}; got[0] != 1 || got[1] != 1 || got[2] != 0 {
			t.Errorf("hearts %v, want [1 1 0]", got)
		}
	})
	t.Run("three heart_a make three", func(t *testing.T) {
		e := newTestEnv(t, quietConfig(t, rows...), 1)
		e.Step([]int32{heart, heart, heart})
		setInv(e, 0, Carbon, 20)
		setInv(e, 0, Oxygen, 20)
		setInv(e, 0, Germanium, 4)
		setInv(e, 1, Silicon, 60)
		e.Step([]int32{south, noop, noop})
		for i := 0; i < 3; i++ {
			if inv(e, i, Heart) != 1 {
				t.Errorf("agent %d hearts %d, want 1", i, inv(e, i, Heart))
			}
		}
	})
	t.Run("cannot pay fails and takes nothing", func(t *testing.T) {
		e := newTestEnv(t, quietConfig(t, rows...), 1)
		e.Step([]int32{heart, noop, noop})
		setInv(e, 0, Carbon, 9)
		setInv(e, 0, Oxygen, 10)
		setInv(e, 0, Germanium, 2)
		setInv(e, 0, Silicon, 30)
		e.Step([]int32{south, noop, noop})
		if e.agents[0].lastAction != 0 || inv(e, 0, Carbon) != 9 || inv(e, 0, Energy) != 100 {
			t.Errorf("a use that cannot be paid must fail and cost nothing")
		}
	})
	t.Run("default vibes select nothing", func(t *testing.T) {
		e := newTestEnv(t, quietConfig(t, rows...), 1)
		setInv(e, 0, Carbon, 50)
		setInv(e, 0, Oxygen, 50)
		setInv(e, 0, Germanium, 10)
		e.Step([]int32{south, noop, noop})
		if e.agents[0].lastAction != 0 {
			t.Errorf("the assembler has no vibe-less protocol")
		}
	})
	t.Run("gear needs gear and carbon_a", func(t *testing.T) {
		e := newTestEnv(t, quietConfig(t, rows...), 1)
		e.Step([]int32{vibeAct(t, "gear"), vibeAct(t, "carbon_a"), noop})
		setInv(e, 1, Carbon, 1)
		e.Step([]int32{south, noop, noop})
		if inv(e, 1, Carbon) != 0 || inv(e, 0, Decoder)+inv(e, 1, Decoder)+inv(e, 2, Decoder) != 1 {
			t.Errorf("gear protocol: carbon %d, decoder %d/%d/%d", inv(e, 1, Carbon), inv(e, 0, Decoder), inv(e, 1, Decoder), inv(e, 2, Decoder))
		}
	})
}

func TestChestTransfers(t *testing.T) {
	tests := []struct {
		name      string
		vibe      string
		agent     map[Resource]int
		chest     map[Resource]int
		wantAgent map[Resource]int
		wantChest map[Resource]int
		ok        bool
	}{
		{"default deposits everything", "default", map[Resource]int{Carbon: 7, Heart: 1, Silicon: 3}, nil,
			map[Resource]int{Carbon: 0, Heart: 0, Silicon: 0}, map[Resource]int{Carbon: 7, Heart: 1, Silicon: 3}, true},
		{"overflow is destroyed", "default", map[Resource]int{Carbon: 10}, map[Resource]int{Carbon: 250},
			map[Resource]int{Carbon: 0}, map[Resource]int{Carbon: 255}, true},
		{"withdraw what the agent cannot hold", "carbon_a", map[Resource]int{Silicon: 95}, map[Resource]int{Carbon: 50},
			map[Resource]int{Carbon: 5, Silicon: 95}, map[Resource]int{Carbon: 40}, true},
		{"withdraw more than the stock", "carbon_a", nil, map[Resource]int{Carbon: 3},
			map[Resource]int{Carbon: 3}, map[Resource]int{Carbon: 0}, true},
		{"heart_a withdraws one heart", "heart_a", nil, map[Resource]int{Heart: 2},
			map[Resource]int{Heart: 1}, map[Resource]int{Heart: 1}, true},
		{"heart_a with a full heart slot destroys it", "heart_a", map[Resource]int{Heart: 1}, map[Resource]int{Heart: 2},
			map[Resource]int{Heart: 1}, map[Resource]int{Heart: 1}, true},
		{"silicon_b deposits 25", "silicon_b", map[Resource]int{Silicon: 30}, nil,
			map[Resource]int{Silicon: 5}, map[Resource]int{Silicon: 25}, true},
		{"germanium_b deposits 1", "germanium_b", map[Resource]int{Germanium: 3}, nil,
			map[Resource]int{Germanium: 2}, map[Resource]int{Germanium: 1}, true},
		{"empty chest withdraw fails", "oxygen_a", nil, nil, map[Resource]int{Oxygen: 0}, map[Resource]int{Oxygen: 0}, false},
		{"unconfigured vibe fails", "gear", map[Resource]int{Carbon: 5}, nil, map[Resource]int{Carbon: 5}, map[Resource]int{Carbon: 0}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, quietConfig(t, "@=."), 1)
			stepOne(e, 0, vibeAct(t, tc.vibe))
			for r, n := range tc.agent {
				setInv(e, 0, r, n)
			}
			for r, n := range tc.chest {
				e.chests[0].inv[r] = int32(n)
				e.gs.chestAmount[r] = int32(n)
			}
			stepOne(e, 0, east)
			if ok := e.agents[0].lastAction == east; ok != tc.ok {
				t.Fatalf("success %v, want %v", ok, tc.ok)
			}
			for r, n := range tc.wantAgent {
				if inv(e, 0, r) != n {
					t.Errorf("agent %s %d, want %d", r, inv(e, 0, r), n)
				}
			}
			for r, n := range tc.wantChest {
				if int(e.chests[0].inv[r]) != n || int(e.gs.chestAmount[r]) != n {
					t.Errorf("chest %s %d (stat %d), want %d", r, e.chests[0].inv[r], e.gs.chestAmount[r], n)
				}
			}
		})
	}
}

func TestMoveEnergy(t *testing.T) {
	e := newTestEnv(t, quietConfig(t, "@.."), 1)
	stepOne(e, 0, east)
	if v := e.Agent(0); v.Col != 1 || v.Energy != 98 {
		t.Fatalf("after a move: col %d energy %d, want 1, 98", v.Col, v.Energy)
	}
	setInv(e, 0, Energy, 1)
	stepOne(e, 0, east)
	if v := e.Agent(0); v.Col != 1 || v.Energy != 1 {
		t.Fatalf("a move with 1 energy must fail: col %d energy %d", v.Col, v.Energy)
	}
	setInv(e, 0, Energy, 2)
	stepOne(e, 0, east)
	if v := e.Agent(0); v.Col != 2 || v.Energy != 0 {
		t.Fatalf("a move with 2 energy: col %d energy %d, want 2, 0", v.Col, v.Energy)
	}
	setInv(e, 0, Energy, 50)
	stepOne(e, 0, east) // off the map
	stepOne(e, 0, north)
	if v := e.Agent(0); v.Energy != 50 || v.Col != 2 {
		t.Errorf("moves off the map fail and cost nothing: energy %d", v.Energy)
	}
	st := e.Stats().Agents[0]
	if st["action.move.success"] != 2 || st["action.move.failed"] != 3 || st["action.failed"] != 3 {
		t.Errorf("move stats %v/%v/%v, want 2/3/3", st["action.move.success"], st["action.move.failed"], st["action.failed"])
	}
}

func TestRegenerationCaps(t *testing.T) {
	cfg := testConfig(t, "@..")
	e := newTestEnv(t, cfg, 1)
	stepOne(e, 0, east) // 100 - 2 + 1
	if got := inv(e, 0, Energy); got != 99 {
		t.Fatalf("energy %d, want 99", got)
	}
	stepOne(e, 0, noop)
	stepOne(e, 0, noop)
	if got := inv(e, 0, Energy); got != 100 {
		t.Fatalf("energy %d, want 100 (capped)", got)
	}
}

func TestChargerVibeGivesEnergy(t *testing.T) {
	e := newTestEnv(t, quietConfig(t, "@@."), 1)
	setInv(e, 1, Energy, 50)
	stepOne(e, 0, east) // default vibe: using another agent fails
	if e.agents[0].lastAction != 0 || inv(e, 1, Energy) != 50 {
		t.Fatal("a default-vibe agent must not give energy")
	}
	stepOne(e, 0, vibeAct(t, "charger"))
	stepOne(e, 0, east)
	if inv(e, 1, Energy) != 70 || inv(e, 0, Energy) != 78 {
		t.Errorf("energy %d -> %d, want 78 -> 70", inv(e, 0, Energy), inv(e, 1, Energy))
	}
	setInv(e, 0, Energy, 10)
	stepOne(e, 0, east)
	if inv(e, 1, Energy) != 80 || inv(e, 0, Energy) != 0 {
		t.Errorf("gift of min(20, own energy): %d -> %d, want 0 -> 80", inv(e, 0, Energy), inv(e, 1, Energy))
	}
}

func TestSiliconEnergyClamp(t *testing.T) {
	e := newTestEnv(t, quietConfig(t, "@s."), 1)
	setInv(e, 0, Energy, 19)
	stepOne(e, 0, east)
	if e.agents[0].lastAction != 0 || inv(e, 0, Energy) != 19 {
		t.Fatal("silicon with 19 energy must fail and cost nothing")
	}
	setInv(e, 0, Energy, 21)
	stepOne(e, 0, east)
	if e.agents[0].lastAction != east || inv(e, 0, Silicon) != 15 || inv(e, 0, Energy) != 0 {
		t.Errorf("silicon with 21 energy: ok %v silicon %d energy %d; want ok, 15, 0 (move cost clamps)",
			e.agents[0].lastAction == east, inv(e, 0, Silicon), inv(e, 0, Energy))
	}
}

func TestChargerOutputMustFit(t *testing.T) {
	e := newTestEnv(t, quietConfig(t, "@+."), 1)
	stepOne(e, 0, east)
	if e.agents[0].lastAction != 0 || inv(e, 0, Energy) != 100 {
		t.Fatal("charger at full energy must fail")
	}
	setInv(e, 0, Energy, 60)
	stepOne(e, 0, east) // +40 of 50 fits, the rest is lost, then -2
	if e.agents[0].lastAction != east || inv(e, 0, Energy) != 98 {
		t.Errorf("charger at 60: energy %d, want 98", inv(e, 0, Energy))
	}
	// cooldown 10 with partial use: at 5 steps in, 25 energy
	setInv(e, 0, Energy, 10)
	for e.StepCount() < 7 {
		stepOne(e, 0, noop)
	}
	stepOne(e, 0, east) // step 8: elapsed 6 of 10 -> floor(50*0.6) = 30
	if inv(e, 0, Energy) != 38 {
		t.Errorf("partial charger: energy %d, want 38", inv(e, 0, Energy))
	}
}

func TestClippedStationNeedsTool(t *testing.T) {
	e := newTestEnv(t, quietConfig(t, "@C."), 1)
	s := stationAt(t, e, 0, 1)
	if !s.clipped {
		t.Fatal("station should start clipped")
	}
	stepOne(e, 0, east)
	if e.agents[0].lastAction != 0 || inv(e, 0, Carbon) != 0 {
		t.Fatal("a clipped station must not work without its tool")
	}
	tool := []Resource{Decoder, Modulator, Scrambler, Resonator}[s.unclip]
	setInv(e, 0, tool, 1)
	stepOne(e, 0, east)
	if e.agents[0].lastAction != east || s.clipped || inv(e, 0, tool) != 0 {
		t.Fatalf("unclip: ok %v clipped %v tool %d", e.agents[0].lastAction == east, s.clipped, inv(e, 0, tool))
	}
	if s.uses != 0 || inv(e, 0, Carbon) != 0 {
		t.Errorf("an unclip is not a use and yields nothing: uses %d carbon %d", s.uses, inv(e, 0, Carbon))
	}
	stepOne(e, 0, east)
	if inv(e, 0, Carbon) != 2 || s.uses != 1 {
		t.Errorf("after unclip: carbon %d uses %d, want 2, 1", inv(e, 0, Carbon), s.uses)
	}
	g := e.Stats().Game
	if g["clipper.clipped"] != 1 || g["clipper.unclipped"] != 1 {
		t.Errorf("clip stats %v %v", g["clipper.clipped"], g["clipper.unclipped"])
	}
}

func TestClipperPeriod(t *testing.T) {
	cfg := quietConfig(t, "@.c.o.g.s.&+=")
	cfg.Clip.Period = 1
	e := newTestEnv(t, cfg, 3)
	for k := 0; k < 3; k++ {
		stepOne(e, 0, noop)
	}
	n := 0
	for i := range e.stations {
		if e.stations[i].clipped {
			n++
			if e.stations[i].typ.name == "assembler" {
				t.Error("the assembler is clip immune")
			}
		}
	}
	if n != 3 {
		t.Errorf("period 1 clips one station a step: %d clipped after 3 steps", n)
	}
	for k := 0; k < 10; k++ {
		stepOne(e, 0, noop)
	}
	n = 0
	for i := range e.stations {
		if e.stations[i].clipped {
			n++
		}
	}
	if n != 5 {
		t.Errorf("all 5 clippable stations should be clipped, got %d", n)
	}
	// Infection: with one clipped station, the nearer neighbour weighs more.
	cfg = quietConfig(t, "@c.o.............................g")
	cfg.Clip.Period = 1000
	e = newTestEnv(t, cfg, 1)
	e.clip(0)
	if !(e.stations[1].infection > e.stations[2].infection) {
		t.Errorf("infection near %d, far %d: nearer must weigh more", e.stations[1].infection, e.stations[2].infection)
	}
}

func TestClipperOffDrawsNothing(t *testing.T) {
	// With period 0 the RNG stream serves only the shuffle: two envs with
	// and without stations agree on the agent order every step.
	a := newTestEnv(t, quietConfig(t, "@@@c"), 9)
	b := newTestEnv(t, quietConfig(t, "@@@."), 9)
	for k := 0; k < 50; k++ {
		stepOne(a, 0, noop)
		stepOne(b, 0, noop)
		for i := range a.order {
			if a.order[i] != b.order[i] {
				t.Fatal("agent order differs: the clipper drew from the RNG")
			}
		}
	}
}

func TestInvalidActionIsFailedNoop(t *testing.T) {
	e := newTestEnv(t, quietConfig(t, "@."), 1)
	for _, a := range []int32{-1, NumActions, 1000} {
		stepOne(e, 0, a)
		if e.agents[0].lastAction != 0 {
			t.Errorf("action %d: last action %d", a, e.agents[0].lastAction)
		}
	}
	st := e.Stats().Agents[0]
	if st["action.noop.failed"] != 3 || st["action.failed"] != 3 {
		t.Errorf("stats %v", st)
	}
}

func TestConflictingMovesResolveInOrder(t *testing.T) {
	// Two agents move into the same cell: exactly one gets it.
	for seed := uint64(0); seed < 20; seed++ {
		e := newTestEnv(t, quietConfig(t, "@.@"), seed)
		e.Step([]int32{east, west})
		moved := 0
		for i := range e.agents {
			if e.agents[i].col == 1 {
				moved++
			}
		}
		if moved != 1 {
			t.Fatalf("seed %d: %d agents in the middle cell", seed, moved)
		}
	}
}

func TestRewardShared(t *testing.T) {
	e := newTestEnv(t, quietConfig(t, "@=@", "..."), 1)
	setInv(e, 0, Heart, 1)
	e.Step([]int32{east, noop})
	for i, r := range e.Rewards() {
		if r != 0.5 {
			t.Errorf("agent %d reward %v, want 0.5", i, r)
		}
	}
	e.Step([]int32{noop, noop})
	for i, r := range e.Rewards() {
		if r != 0 {
			t.Errorf("agent %d reward %v, want 0 (no change)", i, r)
		}
	}
	e.Step([]int32{noop, vibeAct(t, "heart_a")})
	e.Step([]int32{noop, west})
	if inv(e, 1, Heart) != 1 {
		t.Fatal("withdrawal failed")
	}
	for i, r := range e.Rewards() {
		if r != -0.5 {
			t.Errorf("agent %d reward %v, want -0.5", i, r)
		}
	}
	for i, r := range e.EpisodeRewards() {
		if r != 0 {
			t.Errorf("agent %d episode reward %v, want 0", i, r)
		}
	}
}

func TestRewardHeartChorus(t *testing.T) {
	cfg := quietConfig(t, "@=@", "...")
	cfg.Reward.HeartChorus = true
	e := newTestEnv(t, cfg, 1)
	setInv(e, 0, Heart, 1) // set directly: not counted as gained
	e.Step([]int32{east, noop})
	// deposit: +1 for everyone (a game stat); agent 0 lost its heart,
	// its diversity fell back to 1.
	if r := e.Rewards(); r[0] != 1 || r[1] != 1 {
		t.Errorf("heart chorus deposit rewards %v, want [1 1]", r)
	}
	setInv(e, 1, Carbon, 1)
	e.update(1, Carbon, 1) // energy + carbon: diversity 2
	e.Step([]int32{noop, noop})
	if r := e.Rewards(); r[0] != 0 || abs32(r[1]-0.17) > 1e-6 {
		t.Errorf("diversity 2 reward %v, want [0 0.17]", r)
	}
}

func TestRewardRecipeShaping(t *testing.T) {
	// Agent 0 north of the assembler, the carbon extractor to its west.
	cfg := quietConfig(t, ".c@..", "..&..")
	cfg.Reward.RecipeNeed = [NumResources]int{Carbon: 10, Oxygen: 10, Germanium: 2, Silicon: 30}
	e := newTestEnv(t, cfg, 1)
	// A carbon use gives 2 of the 10 needed: a quarter of 2/10.
	e.Step([]int32{west})
	if r := e.Rewards()[0]; abs32(r-0.05) > 1e-6 {
		t.Errorf("carbon 2/10 reward %v, want 0.05", r)
	}
	// Beyond the need nothing more is paid.
	setInv(e, 0, Carbon, 40)
	e.Step([]int32{noop})
	if r := e.Rewards()[0]; abs32(r-0.2) > 1e-6 {
		t.Errorf("carbon 10/10 reward %v, want 0.2 (0.25 less the 0.05 paid)", r)
	}
	e.Step([]int32{west})
	if r := e.Rewards()[0]; r != 0 {
		t.Errorf("carbon above the need paid %v, want 0", r)
	}
	// A heart made takes back what its inputs paid.
	e.Step([]int32{vibeAct(t, "heart_a")})
	setInv(e, 0, Carbon, 10)
	setInv(e, 0, Oxygen, 10)
	setInv(e, 0, Germanium, 2)
	setInv(e, 0, Silicon, 30)
	e.Step([]int32{noop})
	if r := e.Rewards()[0]; abs32(r-0.75) > 1e-6 {
		t.Errorf("the rest of the recipe paid %v, want 0.75", r)
	}
	e.Step([]int32{south})
	if inv(e, 0, Heart) != 1 {
		t.Fatal("no heart made")
	}
	if r := e.Rewards()[0]; abs32(r+1) > 1e-6 {
		t.Errorf("heart made: reward %v, want -1 (the recipe's potential spent, no heart in a chest)", r)
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func TestTerminalAtMaxSteps(t *testing.T) {
	cfg := quietConfig(t, "@.")
	cfg.MaxSteps = 3
	e := newTestEnv(t, cfg, 1)
	for k := 1; k <= 3; k++ {
		done := e.Step([]int32{noop})
		if done != (k == 3) || e.Done() != done {
			t.Fatalf("step %d: done %v", k, done)
		}
	}
	if pct := e.Observations()[2]; pct != 255 {
		t.Errorf("episode completion at the end %d, want 255", pct)
	}
	if !e.Step([]int32{east}) || e.StepCount() != 3 || e.Agent(0).Col != 0 {
		t.Error("a done env must not step")
	}
	e.Reset(2)
	if e.Done() || e.StepCount() != 0 {
		t.Error("reset must clear done")
	}
}

func TestStatsNamesAndValues(t *testing.T) {
	e := newTestEnv(t, testConfig(t, "#####", "#@c.#", "#####"), 1)
	stepOne(e, 0, east) // carbon +2, energy -2 +1
	stepOne(e, 0, noop)
	stepOne(e, 0, vibeAct(t, "carbon_a"))
	stepOne(e, 0, south) // into a wall: fails
	s := e.Stats()
	want := map[string]float64{
		"action.move.success":             1,
		"action.move.failed":              1,
		"action.noop.success":             1,
		"action.change_vibe.success":      1,
		"action.failed":                   1,
		"carbon.gained":                   2,
		"carbon.amount":                   2,
		"energy.gained":                   102, // the initial 100, then regeneration
		"energy.lost":                     2,
		"energy.amount":                   100,
		"inventory.diversity":             2,
		"inventory.diversity.ge.2":        1,
		"inventory.diversity.ge.3":        0,
		"status.max_steps_without_motion": 4,
	}
	for k, v := range want {
		got, ok := s.Agents[0][k]
		if !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	gw := map[string]float64{"objects.wall": 12, "objects.carbon_extractor": 1, "chest.heart.amount": 0}
	for k, v := range gw {
		if got, ok := s.Game[k]; !ok || got != v {
			t.Errorf("game %s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	if _, ok := s.Game["objects.agent"]; ok {
		t.Error("agents are not counted as objects")
	}
	if s.Steps != 4 {
		t.Errorf("steps %d", s.Steps)
	}
	// tokens written include the observation at reset: 5 passes
	if s.Game["tokens_written"]+s.Game["tokens_free_space"] != 5*ObsTokens {
		t.Errorf("tokens written+free %v, want %d", s.Game["tokens_written"]+s.Game["tokens_free_space"], 5*ObsTokens)
	}
}

func TestStationTokens(t *testing.T) {
	e := newTestEnv(t, quietConfig(t, "@o.", "..."), 1)
	tokens := func() string {
		s := stationAt(t, e, 0, 1)
		return fmt.Sprint(e.objTokens(s.obj))
	}
	// remaining_uses 5, output oxygen 10, tag oxygen_extractor (6)
	if got, want := tokens(), fmt.Sprint([]byte{FeatRemainingUses, 5, FeatProtocolOutput + 2, 10, FeatTag, 6}); got != want {
		t.Errorf("fresh: %s, want %s", got, want)
	}
	stepOne(e, 0, east)
	if got, want := tokens(), fmt.Sprint([]byte{FeatCooldownRemaining, 100, FeatRemainingUses, 4, FeatProtocolOutput + 2, 10, FeatTag, 6}); got != want {
		t.Errorf("used: %s, want %s", got, want)
	}
	stepOne(e, 0, noop)
	if got := e.objTokens(stationAt(t, e, 0, 1).obj); got[1] != 99 {
		t.Errorf("cooldown counts down: %v", got)
	}
	for k := 0; k < 4; k++ {
		for e.stations[0].cooldownEnd > uint32(e.StepCount()) {
			stepOne(e, 0, noop)
		}
		stepOne(e, 0, east)
	}
	for e.stations[0].cooldownEnd > uint32(e.StepCount()) {
		stepOne(e, 0, noop)
	}
	if got, want := tokens(), fmt.Sprint([]byte{FeatRemainingUses, 0, FeatProtocolOutput + 2, 10, FeatTag, 6}); got != want || inv(e, 0, Oxygen) != 50 {
		t.Errorf("spent: %s (oxygen %d), want %s", got, inv(e, 0, Oxygen), want)
	}
}

func TestChestStats(t *testing.T) {
	e := newTestEnv(t, quietConfig(t, "@=."), 1)
	setInv(e, 0, Carbon, 10)
	e.chests[0].inv[Carbon] = 250
	e.gs.chestAmount[Carbon] = 250
	stepOne(e, 0, east)
	stepOne(e, 0, vibeAct(t, "carbon_a"))
	stepOne(e, 0, east)
	g := e.Stats().Game
	a := e.Stats().Agents[0]
	if g["chest.carbon.deposited"] != 5 || g["chest.carbon.withdrawn"] != 10 || g["chest.carbon.amount"] != 245 {
		t.Errorf("game chest stats %v %v %v", g["chest.carbon.deposited"], g["chest.carbon.withdrawn"], g["chest.carbon.amount"])
	}
	if a["chest.carbon.deposited_by_agent"] != 5 || a["chest.carbon.withdrawn_by_agent"] != 10 || a["carbon.lost"] != 10 || a["carbon.gained"] != 10 {
		t.Errorf("agent chest stats %v", a)
	}
}

func TestSiliconPoolsEnergy(t *testing.T) {
	// Two agents next to the extractor pay its 20 energy together.
	e := newTestEnv(t, quietConfig(t, "@s@"), 1)
	setInv(e, 0, Energy, 12)
	setInv(e, 1, Energy, 12)
	stepOne(e, 0, east)
	// 20 split: 10 each; outputs 15 split: the actor 8, the other 7;
	// then the actor's move cost 2.
	if inv(e, 0, Energy) != 0 || inv(e, 1, Energy) != 2 || inv(e, 0, Silicon) != 8 || inv(e, 1, Silicon) != 7 {
		t.Errorf("energy %d/%d silicon %d/%d; want 0/2 and 8/7", inv(e, 0, Energy), inv(e, 1, Energy), inv(e, 0, Silicon), inv(e, 1, Silicon))
	}
}

func TestClipperPrefersInfected(t *testing.T) {
	cfg := quietConfig(t, "@c.o.............................g")
	cfg.Clip.Period = 1000
	e := newTestEnv(t, cfg, 1)
	e.clip(0) // the carbon extractor
	if e.stations[1].infection == 0 || e.stations[2].infection != 0 {
		t.Fatalf("infection near %d far %d", e.stations[1].infection, e.stations[2].infection)
	}
	for k := 0; k < 50; k++ {
		if got := e.pickToClip(); got != 1 {
			t.Fatalf("picked station %d; only the infected one may be picked", got)
		}
	}
	// Unclipping takes the infection back.
	e.unclipStation(0)
	if e.stations[1].infection != 0 {
		t.Errorf("infection after unclip %d", e.stations[1].infection)
	}
	// With no infection the choice is uniform over the unclipped ones.
	seen := map[int]bool{}
	for k := 0; k < 200; k++ {
		seen[e.pickToClip()] = true
	}
	if len(seen) != 3 {
		t.Errorf("uniform choice reached %v", seen)
	}
}

func TestProtocolVibesInAnyOrder(t *testing.T) {
	cfg := quietConfig(t, "..@..", ".@&@.", ".....")
	gear, _ := VibeID("gear")
	carbonA, _ := VibeID("carbon_a")
	for i := range cfg.Stations["assembler"].Protocols {
		p := &cfg.Stations["assembler"].Protocols[i]
		if len(p.Vibes) == 2 && p.Vibes[0] == carbonA {
			p.Vibes = []int{gear, carbonA} // unsorted
		}
	}
	e := newTestEnv(t, cfg, 1)
	e.Step([]int32{vibeAct(t, "gear"), vibeAct(t, "carbon_a"), noop})
	setInv(e, 1, Carbon, 1)
	e.Step([]int32{south, noop, noop})
	if inv(e, 1, Carbon) != 0 {
		t.Error("a protocol with unsorted vibes must still match")
	}
}
