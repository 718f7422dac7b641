package train

import (
	"context"
	"testing"

	"github.com/dafscript/dafscript/sim/mission"
)

// BenchmarkDataParallel measures training throughput, in agent-steps per
// second of the whole run, of 1 rank against 2 ranks on this machine, each
// rank on 1 thread, on the same global batch: training_facility_1, an
// update of 4096 agent-steps in one minibatch, each class at its default
// layout (stateless 64 environments x 16 steps, lstm 16 x 64), b.N
// updates. agent-steps/s is the training loop's (Result.StepsPerSecond:
// from the first rollout, once the ranks have met); wall-agent-steps/s
// also counts starting the ranks, loading libtorch and the rendezvous.
// agent-steps/cpu-s divides by the CPU time of all the ranks' processes
// (start-up included), so it does not count time a core spent on other
// work: on a busy machine it says what 2 ranks would give on 2 free cores
// (2 x its ratio to 1 rank's, less the time ranks wait for each other).
func BenchmarkDataParallel(b *testing.B) {
	m, err := mission.Get("training_facility_1")
	if err != nil {
		b.Fatal(err)
	}
	layouts := map[string][2]float64{"stateless": {64, 16}, "lstm": {16, 64}}
	for _, class := range []string{"stateless", "lstm"} {
		for _, ranks := range []int{1, 2} {
			b.Run(class+"/ranks="+string(rune('0'+ranks)), func(b *testing.B) {
				needGloo(b)
				l := layouts[class]
				o := Options{Missions: []*mission.Mission{m}, Policy: class, Steps: int64(b.N) * 4096, Seed: 1,
					Hyperparameters: map[string]float64{"num_envs": l[0], "bptt_horizon": l[1], "threads": 1},
					Device:          "cpu"}
				b.ResetTimer()
				cpu0 := cpuTime()
				res, err := Launch(context.Background(), o, ranks)
				cpu := cpuTime() - cpu0
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(res.StepsPerSecond, "agent-steps/s")
				b.ReportMetric(float64(res.TrainingSteps)/b.Elapsed().Seconds(), "wall-agent-steps/s")
				if cpu > 0 {
					b.ReportMetric(float64(res.TrainingSteps)/cpu.Seconds(), "agent-steps/cpu-s")
				}
			})
		}
	}
}
