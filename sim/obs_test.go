package sim

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// formatObs writes one agent's tokens, one a line, until the first unused
// token: row and column offsets from the observer, feature name, value.
func formatObs(obs []byte) string {
	var b strings.Builder
	for k := 0; k < ObsTokens; k++ {
		t := obs[k*3 : k*3+3]
		if t[0] == 0xFF && t[1] == 0xFF && t[2] == 0xFF {
			fmt.Fprintf(&b, "(%d unused)\n", ObsTokens-k)
			for j := k * 3; j < ObsSize; j++ {
				if obs[j] != 0xFF {
					fmt.Fprintf(&b, "BAD: byte %d after the first unused token is %#x\n", j, obs[j])
					break
				}
			}
			break
		}
		dr, dc := int(t[0]>>4)-5, int(t[0]&15)-5
		val := fmt.Sprint(t[2])
		switch int(t[1]) {
		case FeatTag:
			val += " (" + typeNames[t[2]] + ")"
		case FeatVibe:
			val += " (" + VibeName(int(t[2])) + ")"
		case FeatLastAction:
			val += " (" + ActionName(int(t[2])) + ")"
		}
		fmt.Fprintf(&b, "%#02x %+d,%+d %s %s\n", t[0], dr, dc, FeatureName(int(t[1])), val)
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./sim -run %s -update to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./sim -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestObservationGolden pins the token list of a known scene: walls,
// stations with remaining uses and a selected protocol, a chest with
// hearts, agents with vibes and inventory, the global tokens.
func TestObservationGolden(t *testing.T) {
	cfg := testConfig(t,
		"#########",
		"#.c..+..#",
		"#.@..@..#",
		"#..&.=..#",
		"#.g.o.s.#",
		"#########",
	)
	cfg.MaxSteps = 10
	e := newTestEnv(t, cfg, 5)
	e.chests[0].inv[Heart] = 2
	e.gs.chestAmount[Heart] = 2
	e.tokDirty[e.chests[0].obj] = true
	e.Step([]int32{vibeAct(t, "heart_a"), noop})
	e.Step([]int32{north, west}) // 0 uses the carbon extractor; 1 moves next to the assembler
	var b strings.Builder
	for i := 0; i < e.NumAgents(); i++ {
		fmt.Fprintf(&b, "agent %d\n%s\n", i, formatObs(e.Observations()[i*ObsSize:(i+1)*ObsSize]))
	}
	checkGolden(t, "obs_scene.golden", b.String())
}

// TestObservationAtReset pins the first observation of training_facility_1.
func TestObservationAtReset(t *testing.T) {
	e := newTestEnv(t, trainingFacility1(t), 1)
	checkGolden(t, "obs_training_facility_1_reset.golden", "agent 0\n"+formatObs(e.Observations()[:ObsSize]))
}

func TestVisitOrder(t *testing.T) {
	var e Env
	e.width = 100
	e.buildVisit()
	if len(e.visit) != ObsWindow*ObsWindow {
		t.Fatalf("%d cells, want 121", len(e.visit))
	}
	want := []visitCell{{0, 0, 0x55}, {-1, 0, 0x45}, {0, -1, 0x54}, {0, 1, 0x56}, {1, 0, 0x65}, {-2, 0, 0x35}, {-1, -1, 0x44}, {-1, 1, 0x46}}
	for k, w := range want {
		if e.visit[k] != w {
			t.Errorf("visit %d = %+v, want %+v", k, e.visit[k], w)
		}
	}
	seen := map[uint8]bool{}
	prev := int32(0)
	for _, v := range e.visit {
		d := abs(v.dr) + abs(v.dc)
		if d < prev {
			t.Fatalf("distance decreases at %+v", v)
		}
		prev = d
		if seen[v.loc] {
			t.Fatalf("cell %#x twice", v.loc)
		}
		seen[v.loc] = true
	}
}

func abs(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// rebuildAll recomputes every observation from scratch, ignoring the
// token caches.
func rebuildAll(e *Env) []byte {
	for i := range e.tokDirty {
		e.tokDirty[i] = true
	}
	saved := e.gs
	rew := append([]float32(nil), e.rewards...)
	for i := range e.rewards {
		e.rewards[i] = 0 // as when the step built them
	}
	e.computeObservations()
	e.gs = saved
	copy(e.rewards, rew)
	return append([]byte(nil), e.obs...)
}

// TestTokenCacheMatchesRebuild: the cached tokens always equal a fresh
// build, whatever happens (moves, uses, vibes, clipping, cooldowns).
func TestTokenCacheMatchesRebuild(t *testing.T) {
	cfg := testConfig(t,
		"##########",
		"#@.c.+.o.#",
		"#.@.&..@.#",
		"#.g..=.s.#",
		"#@.......#",
		"##########",
	)
	cfg.Clip.Period = 5
	e := newTestEnv(t, cfg, 11)
	rng := NewRNG(4)
	acts := make([]int32, e.NumAgents())
	useful := []int32{noop, north, south, west, east, north, south, west, east,
		vibeAct(t, "heart_a"), vibeAct(t, "default"), vibeAct(t, "gear"), vibeAct(t, "carbon_a"), vibeAct(t, "charger")}
	for s := 0; s < 2000; s++ {
		for i := range acts {
			acts[i] = useful[rng.Intn(len(useful))]
		}
		if s%97 == 0 {
			for i := range e.agents {
				setInv(e, i, Resource(1+rng.Intn(NumResources-1)), rng.Intn(4))
			}
		}
		e.Step(acts)
		got := append([]byte(nil), e.obs...)
		if want := rebuildAll(e); string(got) != string(want) {
			for i := 0; i < e.NumAgents(); i++ {
				g, w := formatObs(got[i*ObsSize:(i+1)*ObsSize]), formatObs(want[i*ObsSize:(i+1)*ObsSize])
				if g != w {
					t.Fatalf("step %d agent %d: cached\n%s\nrebuilt\n%s", s, i, g, w)
				}
			}
		}
		if e.Done() {
			e.Reset(uint64(s))
		}
	}
}

// TestObservationNearEdge: an observer at the map edge sees only cells
// inside the map, and counts them right.
func TestObservationNearEdge(t *testing.T) {
	e := newTestEnv(t, testConfig(t, "@#", "#."), 1)
	got := formatObs(e.Observations()[:ObsSize])
	want := "0x55 +0,+0 episode_completion_pct 0\n" +
		"0x55 +0,+0 last_action 0 (noop)\n" +
		"0x55 +0,+0 last_reward 0\n" +
		"0x55 +0,+0 agent:group 0\n" +
		"0x55 +0,+0 agent:frozen 0\n" +
		"0x55 +0,+0 inv:energy 100\n" +
		"0x55 +0,+0 tag 0 (agent)\n" +
		"0x56 +0,+1 tag 8 (wall)\n" +
		"0x65 +1,+0 tag 8 (wall)\n" +
		"(191 unused)\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestTokensDropped: a crowded window drops tokens past 200 and counts them.
func TestTokensDropped(t *testing.T) {
	rows := make([]string, 11)
	for r := range rows {
		rows[r] = strings.Repeat("@", 11)
	}
	e := newTestEnv(t, testConfig(t, rows...), 1)
	g := e.Stats().Game
	if g["tokens_dropped"] == 0 {
		t.Error("121 agents in view must overflow 200 tokens")
	}
	if g["tokens_written"]+g["tokens_free_space"] != float64(121*ObsTokens) {
		t.Errorf("written %v + free %v, want %d", g["tokens_written"], g["tokens_free_space"], 121*ObsTokens)
	}
	centre := e.Observations()[60*ObsSize : 61*ObsSize]
	if centre[ObsSize-3] == 0xFF {
		t.Error("the centre agent's observation must be full")
	}
	// 3 global tokens + 121 agents x 5 tokens, 200 kept
	if want := 3 + 121*5 - 200; e.agents[60].row != 5 || want <= 0 {
		t.Fatal("bad test map")
	}
}

func TestRenderGolden(t *testing.T) {
	cfg := testConfig(t,
		"#########",
		"#.c..+..#",
		"#.@..@..#",
		"#..&.=..#",
		"#.G.o.s.#",
		"#########",
	)
	e := newTestEnv(t, cfg, 5)
	e.Step([]int32{vibeAct(t, "heart_a"), vibeAct(t, "charger")})
	e.Step([]int32{north, south}) // carbon for agent 0; agent 1 uses the empty chest: fails
	e.chests[0].inv[Heart] = 3
	e.gs.chestAmount[Heart] = 3
	checkGolden(t, "render.golden", e.Render())
}

// objTokens returns object id's current feature/value pairs, as
// observeAgent would emit them.
func (e *Env) objTokens(id int32) []byte {
	if e.tokDirty[id] || (e.tokTimed[id] && e.tokStep[id] != int32(e.step)) {
		e.rebuildTokens(id)
	}
	base := int(id) * tokStride
	return e.tok[base : base+2*int(e.tokN[id])]
}
