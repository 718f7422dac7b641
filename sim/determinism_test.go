package sim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func runEpisode(t testing.TB, cfg *GameConfig, seed uint64, steps int) (*Env, []byte) {
	e := newTestEnv(t, cfg, seed)
	rng := NewRNG(seed ^ 77)
	acts := make([]int32, e.NumAgents())
	var trace []byte
	for s := 0; s < steps && !e.Done(); s++ {
		for i := range acts {
			acts[i] = int32(rng.Intn(NumActions))
			if rng.Intn(2) == 0 {
				acts[i] = int32(rng.Intn(5))
			}
		}
		e.Step(acts)
		trace = append(trace, e.Observations()...)
	}
	return e, trace
}

func TestDeterminism(t *testing.T) {
	cfg := trainingFacility1(t)
	cfg.Clip.Period = 20
	a, ta := runEpisode(t, cfg, 42, 500)
	b, tb := runEpisode(t, cfg, 42, 500)
	if string(ta) != string(tb) {
		t.Fatal("same seed, different observations")
	}
	if diff := cmp.Diff(a.Stats(), b.Stats()); diff != "" {
		t.Fatalf("same seed, different stats: %s", diff)
	}
	_, tc := runEpisode(t, cfg, 43, 500)
	if string(ta) == string(tc) {
		t.Error("different seeds gave the same episode")
	}
	// Reset(seed) replays NewEnv(seed).
	a.Reset(42)
	rng := NewRNG(42 ^ 77)
	acts := make([]int32, a.NumAgents())
	var tr []byte
	for s := 0; s < 500; s++ {
		for i := range acts {
			acts[i] = int32(rng.Intn(NumActions))
			if rng.Intn(2) == 0 {
				acts[i] = int32(rng.Intn(5))
			}
		}
		a.Step(acts)
		tr = append(tr, a.Observations()...)
	}
	if string(tr) != string(ta) {
		t.Error("Reset(seed) does not replay the episode")
	}
}

func TestResetAndStepDoNotAllocate(t *testing.T) {
	e := newTestEnv(t, trainingFacility1(t), 1)
	acts := []int32{1, 2, 3, 4}
	if n := testing.AllocsPerRun(100, func() { e.Step(acts) }); n != 0 {
		t.Errorf("Step allocates %v times", n)
	}
	if n := testing.AllocsPerRun(20, func() { e.Reset(7) }); n != 0 {
		t.Errorf("Reset allocates %v times", n)
	}
}

func TestVecEnv(t *testing.T) {
	cfgA := quietConfig(t, "@.@.+")
	cfgA.MaxSteps = 5
	cfgB := quietConfig(t, "@..=.")
	cfgB.MaxSteps = 3
	v, err := NewVecEnv(2, 9, func(env int, seed uint64) (*GameConfig, error) {
		if seed != EpisodeSeed(9, env, 0) {
			t.Errorf("env %d built with seed %d", env, seed)
		}
		if env == 0 {
			return cfgA, nil
		}
		return cfgB, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v.NumEnvs() != 2 || v.NumAgents() != 3 {
		t.Fatalf("envs %d agents %d", v.NumEnvs(), v.NumAgents())
	}
	if lo, hi := v.AgentRange(1); lo != 2 || hi != 3 {
		t.Fatalf("range of env 1: %d %d", lo, hi)
	}
	obs := make([]uint8, v.NumAgents()*ObsSize)
	rew := make([]float32, 3)
	term := make([]bool, 3)
	v.Reset(obs)
	if string(obs[2*ObsSize:3*ObsSize]) != string(v.Env(1).Observations()) {
		t.Fatal("reset obs not copied")
	}
	acts := []int32{east, noop, east}
	var ends [][]bool
	for s := 1; s <= 15; s++ {
		v.Step(acts, obs, rew, term)
		ends = append(ends, append([]bool(nil), term...))
		if term[2] && obs[2*ObsSize+2] != 0 {
			t.Errorf("step %d: env 1 finished: obs must be the new episode's first (completion 0), got %d", s, obs[2*ObsSize+2])
		}
	}
	for s, e := range ends {
		if e[0] != ((s+1)%5 == 0) || e[1] != e[0] || e[2] != ((s+1)%3 == 0) {
			t.Errorf("step %d terminals %v", s+1, e)
		}
	}
	eps := v.DrainEpisodes()
	if len(eps) != 3+5 {
		t.Fatalf("%d episodes, want 8", len(eps))
	}
	for k, ep := range eps {
		want := 5
		if k >= 3 {
			want = 3
		}
		if ep.Steps != want || len(ep.Agents) != map[int]int{5: 2, 3: 1}[want] {
			t.Errorf("episode %d: steps %d agents %d", k, ep.Steps, len(ep.Agents))
		}
	}
	if len(v.DrainEpisodes()) != 0 {
		t.Error("drain must empty the queue")
	}
	// Episode seeds follow DeriveSeed(seed, "env", env<<32|episode).
	if v.Env(1).Seed() != EpisodeSeed(9, 1, 5) || EpisodeSeed(9, 1, 5) != DeriveSeed(9, "env", 1<<32|5) {
		t.Errorf("env 1 seed %d", v.Env(1).Seed())
	}
}

func TestVecEnvStepDoesNotAllocate(t *testing.T) {
	cfg := trainingFacility1(t)
	cfg.MaxSteps = 10
	v, err := NewVecEnv(4, 1, func(int, uint64) (*GameConfig, error) { return cfg, nil })
	if err != nil {
		t.Fatal(err)
	}
	n := v.NumAgents()
	obs, rew, term := make([]uint8, n*ObsSize), make([]float32, n), make([]bool, n)
	acts := make([]int32, n)
	v.Reset(obs)
	for s := 0; s < 40; s++ { // let the episode queue grow once
		v.Step(acts, obs, rew, term)
	}
	v.DrainEpisodes()
	if a := testing.AllocsPerRun(30, func() { v.Step(acts, obs, rew, term) }); a != 0 {
		t.Errorf("VecEnv.Step allocates %v times", a)
	}
}

// TestVecEnvWorkersSameResults: stepping on several goroutines gives the
// same observations, rewards, terminals and episodes as one.
func TestVecEnvWorkersSameResults(t *testing.T) {
	run := func(workers int) ([]byte, []EpisodeStats) {
		v, err := NewVecEnv(5, 3, func(env int, seed uint64) (*GameConfig, error) {
			c := trainingFacility1(t)
			c.MaxSteps = 30 + 7*env
			c.Clip.Period = 10
			return c, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		v.SetWorkers(workers)
		defer v.Close()
		n := v.NumAgents()
		obs, rew, term := make([]uint8, n*ObsSize), make([]float32, n), make([]bool, n)
		acts := make([]int32, n)
		rng := NewRNG(1)
		v.Reset(obs)
		var trace []byte
		for s := 0; s < 200; s++ {
			for i := range acts {
				acts[i] = int32(rng.Intn(NumActions))
			}
			v.Step(acts, obs, rew, term)
			trace = append(trace, obs...)
			for i := range rew {
				trace = append(trace, byte(rew[i]*100), map[bool]byte{true: 1}[term[i]])
			}
		}
		return trace, v.DrainEpisodes()
	}
	t1, e1 := run(1)
	t3, e3 := run(3)
	if string(t1) != string(t3) {
		t.Fatal("workers changed the observations")
	}
	if diff := cmp.Diff(e1, e3); diff != "" {
		t.Fatalf("workers changed the episodes: %s", diff)
	}
	if len(e1) == 0 {
		t.Fatal("no episode finished")
	}
}

func TestVecEnvWorkerPanicReachesCaller(t *testing.T) {
	v, err := NewVecEnv(2, 1, func(int, uint64) (*GameConfig, error) { return quietConfig(t, "@."), nil })
	if err != nil {
		t.Fatal(err)
	}
	v.SetWorkers(2)
	defer v.Close()
	obs := make([]uint8, 2*ObsSize)
	v.Reset(obs)
	v.envs[1].agents = nil // sabotage: stepping env 1 panics
	defer func() {
		if recover() == nil {
			t.Error("a panic in a worker must reach the caller")
		}
	}()
	v.Step([]int32{0, 0}, obs, make([]float32, 2), make([]bool, 2))
}

// TestVecEnvAtSplitsOneSet: VecEnvs over consecutive ranges of one seed
// play what one VecEnv of all the environments plays (data-parallel
// training relies on it).
func TestVecEnvAtSplitsOneSet(t *testing.T) {
	config := func(first int) ConfigFunc {
		return func(env int, seed uint64) (*GameConfig, error) {
			c := trainingFacility1(t)
			c.MaxSteps = 20 + 3*(first+env)
			return c, nil
		}
	}
	play := func(vs ...*VecEnv) []byte {
		var trace []byte
		type buf struct {
			obs  []uint8
			rew  []float32
			term []bool
			acts []int32
			rng  []RNG
		}
		bufs := make([]buf, len(vs))
		agent := 0
		for k, v := range vs {
			n := v.NumAgents()
			b := buf{make([]uint8, n*ObsSize), make([]float32, n), make([]bool, n), make([]int32, n), make([]RNG, n)}
			for i := range b.rng {
				b.rng[i].Seed(uint64(agent + i)) // by agent across the whole set
			}
			agent += n
			v.Reset(b.obs)
			bufs[k] = b
		}
		for s := 0; s < 60; s++ {
			for k, v := range vs {
				b := bufs[k]
				for i := range b.acts {
					b.acts[i] = int32(b.rng[i].Intn(NumActions))
				}
				v.Step(b.acts, b.obs, b.rew, b.term)
			}
			// In agent order: observations, then rewards and ends.
			for _, b := range bufs {
				trace = append(trace, b.obs...)
			}
			for _, b := range bufs {
				for i := range b.rew {
					trace = append(trace, byte(b.rew[i]*100), map[bool]byte{true: 1}[b.term[i]])
				}
			}
		}
		return trace
	}
	whole, err := NewVecEnv(5, 3, config(0))
	if err != nil {
		t.Fatal(err)
	}
	lo, err := NewVecEnvAt(0, 2, 3, config(0))
	if err != nil {
		t.Fatal(err)
	}
	hi, err := NewVecEnvAt(2, 3, 3, config(2))
	if err != nil {
		t.Fatal(err)
	}
	if hi.Env(0).Seed() != EpisodeSeed(3, 2, 0) {
		t.Errorf("environment 2 of the set has seed %d, want EpisodeSeed(3, 2, 0)", hi.Env(0).Seed())
	}
	if string(play(whole)) != string(play(lo, hi)) {
		t.Fatal("environments 0-1 and 2-4 built apart play differently from the five built together")
	}
	if _, err := NewVecEnvAt(-1, 1, 3, config(0)); err == nil {
		t.Error("a negative first environment must be an error")
	}
}
