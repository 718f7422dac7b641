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

// The benchmark setting: training_facility_1 (4 cogs), 16 environments,
// bptt 64, so one update is a batch of 4096 agent-steps in one minibatch,
// on 2 threads.
const (
	benchEnvs    = 16
	benchAgents  = 4 * benchEnvs
	benchBPTT    = 64
	benchBatch   = benchAgents * benchBPTT
	benchThreads = 2
)

// BenchmarkTrain measures the whole PPO loop (rollouts with simulation and
// inference, GAE, the update) in agent-steps per second.
func BenchmarkTrain(b *testing.B) {
	m, err := mission.Get("training_facility_1")
	if err != nil {
		b.Fatal(err)
	}
	for _, class := range []string{"stateless", "lstm"} {
		for _, overlap := range []float64{0, 1} {
			name := class
			if overlap == 1 {
				name += "/overlap"
			}
			b.Run(name, func(b *testing.B) {
				o := train.Options{Missions: []*mission.Mission{m}, Policy: class, Steps: int64(b.N) * benchBatch, Seed: 1,
					Hyperparameters: map[string]float64{"num_envs": benchEnvs, "bptt_horizon": benchBPTT, "threads": benchThreads,
						"overlap": overlap},
					Device: "cpu"}
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
				if err := m.ForwardBackward(obs, benchAgents, benchBPTT); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*benchBatch/b.Elapsed().Seconds(), "agent-steps/s")
		})
	}
}

// BenchmarkSim measures the simulation alone: the same 16 environments
// stepped with random actions.
func BenchmarkSim(b *testing.B) {
	m, err := mission.Get("training_facility_1")
	if err != nil {
		b.Fatal(err)
	}
	v, err := sim.NewVecEnv(benchEnvs, 1, func(_ int, s uint64) (*sim.GameConfig, error) { return m.Build(s) })
	if err != nil {
		b.Fatal(err)
	}
	n := v.NumAgents()
	obs, act := make([]uint8, n*sim.ObsSize), make([]int32, n)
	rew, term := make([]float32, n), make([]bool, n)
	v.Reset(obs)
	r := sim.NewRNG(3)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range act {
			act[k] = int32(r.Intn(sim.NumActions))
		}
		v.Step(act, obs, rew, term)
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "agent-steps/s")
}

// BenchmarkAct measures one act call for the 64 agents of the benchmark
// setting (a rollout makes 64 of them per update).
func BenchmarkAct(b *testing.B) {
	for _, class := range []string{"stateless", "lstm"} {
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
			n := benchAgents
			obs := make([]uint8, n*sim.ObsSize)
			h, c := make([]float32, n*128), make([]float32, n*128)
			logits, values := make([]float32, n*sim.NumActions), make([]float32, n)
			for i := 0; i < b.N; i++ {
				if err := m.Act(obs, n, h, c, logits, values); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "agent-steps/s")
		})
	}
}
