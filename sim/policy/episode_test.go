package policy

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func build(t testing.TB, name string, seed uint64) *sim.GameConfig {
	t.Helper()
	m, err := mission.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := m.Build(seed)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// episode is one finished run: its stats and a hash of every step's
// observations, actions and rewards.
type episode struct {
	stats *sim.EpisodeStats
	hash  string
}

func (e episode) hearts() float64 { return e.stats.Game["chest.heart.deposited"] }

// runEpisode plays one episode of cfg with class driving every agent.
func runEpisode(t testing.TB, cfg *sim.GameConfig, class string, seed uint64) episode {
	t.Helper()
	return runSpec(t, cfg, Spec{Class: class}, seed)
}

// runSpec plays one episode of cfg with the policy of spec driving every
// agent.
func runSpec(t testing.TB, cfg *sim.GameConfig, spec Spec, seed uint64) episode {
	t.Helper()
	env, err := sim.NewEnv(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	n := env.NumAgents()
	c, err := p.NewController(n)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		c.Reset(i, sim.DeriveSeed(seed, "agent", uint64(i)))
	}
	h := sha256.New()
	act := make([]int32, n)
	var buf [4]byte
	for !env.Done() {
		obs := env.Observations()
		h.Write(obs)
		if err := c.Act(obs, act); err != nil {
			t.Fatal(err)
		}
		for _, a := range act {
			binary.LittleEndian.PutUint32(buf[:], uint32(a))
			h.Write(buf[:])
		}
		env.Step(act)
		for _, r := range env.Rewards() {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(r))
			h.Write(buf[:])
		}
	}
	h.Write(env.Observations())
	return episode{stats: env.Stats(), hash: hex.EncodeToString(h.Sum(nil))}
}

// TestHeartsTrainingFacility1 pins the point of the baseline: over 20
// seeds it makes hearts, while random and noop make none.
func TestHeartsTrainingFacility1(t *testing.T) {
	if testing.Short() {
		t.Skip("60 episodes")
	}
	const seeds = 20
	mean := map[string]float64{}
	for _, class := range []string{"baseline", "random", "noop"} {
		for seed := uint64(0); seed < seeds; seed++ {
			mean[class] += runEpisode(t, build(t, "training_facility_1", seed), class, seed).hearts() / seeds
		}
	}
	t.Logf("hearts per episode over %d seeds: baseline %.2f, random %.2f, noop %.2f", seeds, mean["baseline"], mean["random"], mean["noop"])
	if mean["baseline"] < 1 {
		t.Errorf("baseline deposits %.2f hearts per episode, want >= 1", mean["baseline"])
	}
	if mean["random"] > 0.1 {
		t.Errorf("random deposits %.2f hearts per episode, want about none", mean["random"])
	}
	if mean["noop"] != 0 {
		t.Errorf("noop deposits %.2f hearts per episode, want 0", mean["noop"])
	}
}

// goldenMissions are the missions whose trajectories are pinned.
var goldenMissions = []string{"training_facility_1", "training_facility.harvest", "assembler_2"}

// TestTrajectoryGolden pins the hash of whole trajectories: any change to
// the engine, the missions or the policies that alters a single
// observation, action or reward shows here. Run with -update after an
// intended change.
func TestTrajectoryGolden(t *testing.T) {
	var b strings.Builder
	b.WriteString("# mission policy seed hearts sha256(observations, actions, rewards)\n")
	for _, name := range goldenMissions {
		for _, class := range []string{"baseline", "random"} {
			for seed := uint64(1); seed <= 3; seed++ {
				e := runEpisode(t, build(t, name, seed), class, seed)
				fmt.Fprintf(&b, "%s %s %d %g %s\n", name, class, seed, e.hearts(), e.hash)
			}
		}
	}
	path := filepath.Join("testdata", "trajectories.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./sim/policy -run TrajectoryGolden -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("trajectories changed (go test ./sim/policy -run TrajectoryGolden -update if intended):\n--- got\n%s--- want\n%s", got, want)
	}
}

// TestRunTwiceSame runs the same episodes twice, with one controller
// reused across episodes, and wants identical trajectories.
func TestRunTwiceSame(t *testing.T) {
	for _, class := range []string{"baseline", "random"} {
		cfg := build(t, "training_facility_1", 5)
		a := runEpisode(t, cfg, class, 5)
		b := runEpisode(t, cfg, class, 5)
		if a.hash != b.hash {
			t.Errorf("%s: two runs of the same episode differ", class)
		}
		if runEpisode(t, cfg, class, 6).hash == a.hash {
			t.Errorf("%s: seeds 5 and 6 gave the same trajectory", class)
		}
	}
	// A controller that served one episode serves the next as a fresh one.
	cfg := build(t, "training_facility_1", 5)
	p, _ := New(Spec{Class: "baseline"})
	c, _ := p.NewController(cfg.NumAgents)
	var hashes [2]string
	for k := range hashes {
		env, _ := sim.NewEnv(cfg, 5)
		for i := 0; i < env.NumAgents(); i++ {
			c.Reset(i, sim.DeriveSeed(5, "agent", uint64(i)))
		}
		h := sha256.New()
		act := make([]int32, env.NumAgents())
		for !env.Done() {
			if err := c.Act(env.Observations(), act); err != nil {
				t.Fatal(err)
			}
			for _, a := range act {
				h.Write([]byte{byte(a)})
			}
			env.Step(act)
		}
		hashes[k] = hex.EncodeToString(h.Sum(nil))
	}
	if hashes[0] != hashes[1] {
		t.Error("a reused baseline controller acted differently in its second episode")
	}
}

// TestEveryMission runs each policy on every catalog mission for a few
// hundred steps: no error, no panic, actions in range, and the baseline's
// position by dead reckoning agrees with the engine's throughout.
func TestEveryMission(t *testing.T) {
	steps := 300
	if testing.Short() {
		steps = 50
	}
	for _, m := range mission.Catalog() {
		for _, class := range []string{"baseline", "random"} {
			t.Run(m.Name+"/"+class, func(t *testing.T) {
				cfg, err := m.Build(7)
				if err != nil {
					t.Fatal(err)
				}
				cfg.MaxSteps = min(cfg.MaxSteps, steps)
				env, err := sim.NewEnv(cfg, 7)
				if err != nil {
					t.Fatal(err)
				}
				p, _ := New(Spec{Class: class})
				n := env.NumAgents()
				c, _ := p.NewController(n)
				for i := 0; i < n; i++ {
					c.Reset(i, sim.DeriveSeed(7, "agent", uint64(i)))
				}
				act := make([]int32, n)
				var start []sim.AgentView
				for i := 0; i < n; i++ {
					start = append(start, env.Agent(i))
				}
				for !env.Done() {
					if err := c.Act(env.Observations(), act); err != nil {
						t.Fatal(err)
					}
					for _, a := range act {
						if a < 0 || a >= sim.NumActions {
							t.Fatalf("action %d out of range", a)
						}
					}
					if bc, ok := c.(*baselineController); ok {
						for i := range bc.slots {
							s := &bc.slots[i]
							ag := env.Agent(i)
							// The frame's origin is the spawn cell, placed at
							// the middle of the first map; growth shifts it.
							if s.started && (ag.Row-start[i].Row != s.r-s.originR || ag.Col-start[i].Col != s.c-s.originC) {
								t.Fatalf("step %d: agent %d believes it moved (%d,%d), it moved (%d,%d)",
									env.StepCount(), i, s.r-s.originR, s.c-s.originC, ag.Row-start[i].Row, ag.Col-start[i].Col)
							}
						}
					}
					env.Step(act)
				}
			})
		}
	}
}

// TestBaselineNoticesNewEpisode: a slot that starts a new episode without
// a Reset (an environment that resets itself) still plays it well.
func TestBaselineNoticesNewEpisode(t *testing.T) {
	cfg := build(t, "training_facility_1", 2)
	p, _ := New(Spec{Class: "baseline"})
	c, _ := p.NewController(cfg.NumAgents)
	act := make([]int32, cfg.NumAgents)
	for ep := uint64(0); ep < 2; ep++ {
		env, err := sim.NewEnv(cfg, 2+ep)
		if err != nil {
			t.Fatal(err)
		}
		for !env.Done() {
			if err := c.Act(env.Observations(), act); err != nil {
				t.Fatal(err)
			}
			env.Step(act)
		}
		if h := env.Stats().Game["chest.heart.deposited"]; h < 2 {
			t.Errorf("episode %d without Reset: %v hearts, want at least 2", ep, h)
		}
	}
}
