package policy

import (
	"sort"
	"testing"

	"github.com/dafscript/dafscript/sim"
)

// withAgents returns a copy of cfg with n agents: the empty cells closest
// to the map's centre (ties in row-major order) become spawn cells.
func withAgents(t testing.TB, cfg *sim.GameConfig, n int) *sim.GameConfig {
	c := cfg.Clone()
	m := c.Map
	var free []int
	have := 0
	for i, name := range m.Cells {
		switch name {
		case "agent":
			have++
		case "", "empty":
			free = append(free, i)
		}
	}
	cr, cc := m.Height/2, m.Width/2
	dist := func(i int) int { return abs(i/m.Width-cr) + abs(i%m.Width-cc) }
	sort.SliceStable(free, func(a, b int) bool { return dist(free[a]) < dist(free[b]) })
	if n-have > len(free) {
		t.Fatalf("map %s has room for %d more agents, not %d", m.Name, len(free), n-have)
	}
	for _, i := range free[:n-have] {
		m.Cells[i] = "agent"
	}
	c.NumAgents = n
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

// benchEpisodes steps env with ctl's actions for b.N steps, resetting at
// episode ends, and reports agent-steps per second.
func benchEpisodes(b *testing.B, cfg *sim.GameConfig, class string) {
	env, err := sim.NewEnv(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	p, err := New(Spec{Class: class})
	if err != nil {
		b.Fatal(err)
	}
	n := env.NumAgents()
	ctl, err := p.NewController(n)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		ctl.Reset(i, uint64(i))
	}
	act := make([]int32, n)
	episode := uint64(1)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuSeconds()
	for k := 0; k < b.N; k++ {
		if err := ctl.Act(env.Observations(), act); err != nil {
			b.Fatal(err)
		}
		if env.Step(act) {
			episode++
			env.Reset(episode)
			for i := 0; i < n; i++ {
				ctl.Reset(i, episode<<8|uint64(i))
			}
		}
	}
	report(b, b.N*n, cpuSeconds()-cpu)
}

// BenchmarkRandomExtractorHub30: random actions with observations on
// evals.extractor_hub_30x30 (8 agents).
func BenchmarkRandomExtractorHub30(b *testing.B) {
	benchEpisodes(b, build(b, "evals.extractor_hub_30x30", 1), "random")
}

// BenchmarkRandomMachina20: random actions with observations on
// machina_1.open_world grown to 20 agents.
func BenchmarkRandomMachina20(b *testing.B) {
	benchEpisodes(b, withAgents(b, build(b, "machina_1.open_world", 1), 20), "random")
}

// BenchmarkBaselineTrainingFacility1: the baseline policy with the engine
// on training_facility_1 (4 agents).
func BenchmarkBaselineTrainingFacility1(b *testing.B) {
	benchEpisodes(b, build(b, "training_facility_1", 1), "baseline")
}

// BenchmarkBaselineActOnly: the baseline's decision time alone, on
// recorded training_facility_1 observations.
func BenchmarkBaselineActOnly(b *testing.B) {
	cfg := build(b, "training_facility_1", 1)
	env, _ := sim.NewEnv(cfg, 1)
	p, _ := New(Spec{Class: "baseline"})
	n := env.NumAgents()
	rec, _ := p.NewController(n)
	var frames [][]uint8
	act := make([]int32, n)
	for !env.Done() {
		frames = append(frames, append([]uint8(nil), env.Observations()...))
		rec.Act(env.Observations(), act)
		env.Step(act)
	}
	ctl, _ := p.NewController(n)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuSeconds()
	for k := 0; k < b.N; k++ {
		f := k % len(frames)
		if f == 0 {
			for i := 0; i < n; i++ {
				ctl.Reset(i, uint64(i))
			}
		}
		if err := ctl.Act(frames[f], act); err != nil {
			b.Fatal(err)
		}
	}
	report(b, b.N*n, cpuSeconds()-cpu)
}

// report adds agent-steps per wall second and, where the platform tells
// CPU time, per CPU second (the benchmark runs on one goroutine).
func report(b *testing.B, agentSteps int, cpu float64) {
	b.ReportMetric(float64(agentSteps)/b.Elapsed().Seconds(), "agent-steps/s")
	if cpu > 0 {
		b.ReportMetric(float64(agentSteps)/cpu, "agent-steps/cpu-s")
	}
}

// BenchmarkBaselineHelloWorld: the baseline with the engine on the
// 100x100 hello_world.open_world (4 agents), where its maps and searches
// are largest.
func BenchmarkBaselineHelloWorld(b *testing.B) {
	benchEpisodes(b, build(b, "hello_world.open_world", 1), "baseline")
}
