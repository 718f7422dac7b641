package sim

import (
	"runtime"
	"testing"
)

// randomActions fills a table of random actions so that drawing them
// costs the benchmark nothing.
func randomActions(n int, seed uint64) []int32 {
	rng := NewRNG(seed)
	a := make([]int32, n)
	for i := range a {
		a[i] = int32(rng.Intn(NumActions))
	}
	return a
}

func benchEnv(b *testing.B, e *Env) {
	n := e.NumAgents()
	table := randomActions(n*4096, 7)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuSeconds()
	for it := 0; it < b.N; it++ {
		k := (it % 4096) * n
		if e.Step(table[k : k+n]) {
			e.Reset(uint64(it))
		}
	}
	b.StopTimer()
	report(b, b.N*n, cpuSeconds()-cpu)
}

// report adds agent-steps per wall second and per CPU second.
func report(b *testing.B, agentSteps int, cpu float64) {
	b.ReportMetric(float64(agentSteps)/b.Elapsed().Seconds(), "agent-steps/s")
	if cpu > 0 {
		b.ReportMetric(float64(agentSteps)/cpu, "agent-steps/cpu-s")
	}
}

// BenchmarkStepTrainingFacility1: 4 agents on the 31x31 grid, random
// actions, observations built every step.
func BenchmarkStepTrainingFacility1(b *testing.B) {
	benchEnv(b, newTestEnv(b, trainingFacility1(b), 1))
}

// BenchmarkStepTrainingFacility1Moves: actions drawn from noop and the four
// moves only, so agents walk and use stations far more than under uniform
// random actions (which are mostly vibe changes).
func BenchmarkStepTrainingFacility1Moves(b *testing.B) {
	e := newTestEnv(b, trainingFacility1(b), 1)
	n := e.NumAgents()
	table := randomActions(n*4096, 7)
	for i := range table {
		table[i] %= 5
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuSeconds()
	for it := 0; it < b.N; it++ {
		k := (it % 4096) * n
		if e.Step(table[k : k+n]) {
			e.Reset(uint64(it))
		}
	}
	b.StopTimer()
	report(b, b.N*n, cpuSeconds()-cpu)
}

// BenchmarkStepNoObs: the same without building observations.
func BenchmarkStepNoObs(b *testing.B) {
	e := newTestEnv(b, trainingFacility1(b), 1)
	e.SetObserve(false)
	benchEnv(b, e)
}

// BenchmarkVecEnv64: 64 training_facility_1 environments stepped together
// on one goroutine.
func BenchmarkVecEnv64(b *testing.B) { benchVec(b, 1) }

// BenchmarkVecEnv64Workers: the same on GOMAXPROCS goroutines.
func BenchmarkVecEnv64Workers(b *testing.B) { benchVec(b, runtime.GOMAXPROCS(0)) }

func benchVec(b *testing.B, workers int) {
	cfg := trainingFacility1(b)
	v, err := NewVecEnv(64, 1, func(int, uint64) (*GameConfig, error) { return cfg, nil })
	if err != nil {
		b.Fatal(err)
	}
	v.SetWorkers(workers)
	defer v.Close()
	n := v.NumAgents()
	obs := make([]uint8, n*ObsSize)
	rew := make([]float32, n)
	term := make([]bool, n)
	table := randomActions(n*64, 7)
	v.Reset(obs)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuSeconds()
	for it := 0; it < b.N; it++ {
		k := (it % 64) * n
		v.Step(table[k:k+n], obs, rew, term)
		if it%1024 == 1023 {
			b.StopTimer() // DrainEpisodes builds the stats maps
			v.DrainEpisodes()
			b.StartTimer()
		}
	}
	b.StopTimer()
	report(b, b.N*n, cpuSeconds()-cpu)
}

// BenchmarkNewEnv200: building a 200x200 episode (walls around, 8%
// scattered walls, 200 stations, 20 agents), which precomputes each
// cell's walls in view.
func BenchmarkNewEnv200(b *testing.B) {
	rng := NewRNG(5)
	rows := make([]string, 200)
	agents := 0
	for r := range rows {
		row := make([]byte, 200)
		for c := range row {
			switch x := rng.Intn(1000); {
			case r == 0 || c == 0 || r == 199 || c == 199 || x < 80:
				row[c] = '#'
			case x < 85:
				row[c] = "cogs+&="[rng.Intn(7)]
			case x < 86 && agents < 20:
				row[c] = '@'
				agents++
			default:
				row[c] = '.'
			}
		}
		rows[r] = string(row)
	}
	cfg := testConfig(b, rows...)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := NewEnv(cfg, uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
}
