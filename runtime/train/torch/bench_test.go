//go:build cgo

package torch_test

import (
	"context"
	"testing"

	"github.com/dafscript/dafscript/runtime/train"
	"github.com/dafscript/dafscript/runtime/train/torch"
	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
)

// The benchmark setting: training_facility_1 (4 cogs per environment), an
// update of 4096 agent-steps in one minibatch, on 2 threads, with each
// class's default layout: the stateless network acts on 64 environments
// (256 agents) for 16 steps, the lstm on 16 environments (64 agents) for
// its 64-step backpropagation window.
const (
	benchBatch   = 4096
	benchThreads = 2
	benchSimEnvs = 16
)

type benchLayout struct{ envs, bptt int }

var benchLayouts = map[string]benchLayout{"stateless": {64, 16}, "lstm": {16, 64}}

// BenchmarkTrain measures the whole PPO loop (rollouts with simulation and
// inference, GAE, the update) in agent-steps per second: each class on the
// tokens, with overlap, and on the grid encoding (obs_grid).
func BenchmarkTrain(b *testing.B) {
	m, err := mission.Get("training_facility_1")
	if err != nil {
		b.Fatal(err)
	}
	for _, class := range []string{"stateless", "lstm"} {
		l := benchLayouts[class]
		for _, variant := range []string{"", "overlap", "grid"} {
			name := class
			if variant != "" {
				name += "/" + variant
			}
			b.Run(name, func(b *testing.B) {
				hp := map[string]float64{"num_envs": float64(l.envs), "bptt_horizon": float64(l.bptt), "threads": benchThreads}
				switch variant {
				case "overlap":
					hp["overlap"] = 1
				case "grid":
					hp["obs_grid"] = 1
				}
				o := train.Options{Missions: []*mission.Mission{m}, Policy: class, Steps: int64(b.N) * benchBatch, Seed: 1,
					Hyperparameters: hp, Device: "cpu"}
				b.ResetTimer()
				res, err := train.Train(context.Background(), o)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(res.TrainingSteps)/b.Elapsed().Seconds(), "agent-steps/s")
			})
		}
	}
}

// BenchmarkRaw measures libtorch alone on the same network and batch: one
// forward and backward pass over 4096 observations (64 segments of 64
// steps for the lstm), no simulation, no optimizer.
func BenchmarkRaw(b *testing.B) {
	for _, class := range []string{"stateless", "lstm"} {
		l := benchLayouts[class]
		b.Run(class, func(b *testing.B) {
			cfg, _ := torch.DefaultConfig(class, 128)
			cfg.Threads = benchThreads
			m, err := torch.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			if err := m.SetParams(cfg.Init(1)); err != nil {
				b.Fatal(err)
			}
			obs := make([]uint8, benchBatch*sim.ObsSize)
			r := sim.NewRNG(2)
			for i := range obs {
				obs[i] = uint8(r.Intn(256))
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := m.ForwardBackward(obs, benchBatch/l.bptt, l.bptt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*benchBatch/b.Elapsed().Seconds(), "agent-steps/s")
		})
	}
}

// BenchmarkSim measures the simulation alone: 16 environments stepped
// with random actions.
func BenchmarkSim(b *testing.B) {
	v, obs, act, rew, term := trainingFacility(b, benchSimEnvs, 1)
	r := sim.NewRNG(3)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range act {
			act[k] = int32(r.Intn(sim.NumActions))
		}
		v.Step(act, obs, rew, term)
	}
	b.ReportMetric(float64(b.N*len(act))/b.Elapsed().Seconds(), "agent-steps/s")
}

// BenchmarkAct measures one act call (network and sampling) on all the
// agents of the benchmark setting (256 for the stateless network, 64 for
// the lstm; a rollout makes 16 or 64 such calls per update), on
// observations from the simulator.
func BenchmarkAct(b *testing.B) {
	for _, class := range []string{"stateless", "lstm"} {
		n := 4 * benchLayouts[class].envs
		obs := simObs(b, n)
		b.Run(class, func(b *testing.B) {
			cfg, _ := torch.DefaultConfig(class, 128)
			cfg.Threads = benchThreads
			m, err := torch.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			if err := m.SetParams(cfg.Init(1)); err != nil {
				b.Fatal(err)
			}
			h, c := make([]float32, n*128), make([]float32, n*128)
			u := make([]float64, n)
			r := sim.NewRNG(4)
			actions, logp, values := make([]int32, n), make([]float32, n), make([]float32, n)
			// The first call starts the act threads.
			if err := m.ActSample(obs, n, h, c, u, actions, logp, values); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for k := range u {
					u[k] = r.Float64()
				}
				if err := m.ActSample(obs, n, h, c, u, actions, logp, values); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "agent-steps/s")
		})
	}
}

// simObs returns n observations of training_facility_1 agents playing
// random actions for a while.
func simObs(b *testing.B, n int) []uint8 {
	v, obs, act, rew, term := trainingFacility(b, (n+3)/4, 5)
	r := sim.NewRNG(6)
	for i := 0; i < 50; i++ {
		for j := range act {
			act[j] = int32(r.Intn(sim.NumActions))
		}
		v.Step(act, obs, rew, term)
	}
	return obs[:n*sim.ObsSize]
}

// trainingFacility returns envs training_facility_1 environments stepped
// together, reset, with their buffers.
func trainingFacility(b *testing.B, envs int, seed uint64) (v *sim.VecEnv, obs []uint8, act []int32, rew []float32, term []bool) {
	m, err := mission.Get("training_facility_1")
	if err != nil {
		b.Fatal(err)
	}
	v, err = sim.NewVecEnv(envs, seed, func(_ int, s uint64) (*sim.GameConfig, error) { return m.Build(s) })
	if err != nil {
		b.Fatal(err)
	}
	n := v.NumAgents()
	obs, act = make([]uint8, n*sim.ObsSize), make([]int32, n)
	rew, term = make([]float32, n), make([]bool, n)
	v.Reset(obs)
	return v, obs, act, rew, term
}
