package train

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/internal/childbench"
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
//
// ratio is the target's figure measured in pairs: a 1-rank training of
// 30 updates, then a 2-rank one, b.N times, so that both sides of each
// ratio see the machine at the same speed (it moves by up to 20% over a
// minute here); it reports the median, smallest and largest ratio of
// agent-steps/s, 2 ranks over 1.
//
// independent=2 is the machine's own bound for 2 ranks: two processes,
// each training 1 rank on the full batch at the same time and sharing
// nothing but the hardware; its agent-steps/s is the sum of theirs. No
// exchange of gradients can make 2 ranks faster than two trainings that
// exchange nothing.
func BenchmarkDataParallel(b *testing.B) {
	m, err := mission.Get("training_facility_1")
	if err != nil {
		b.Fatal(err)
	}
	layouts := map[string][2]float64{"stateless": {64, 16}, "lstm": {16, 64}}
	for _, class := range []string{"stateless", "lstm"} {
		b.Run(class+"/independent=2", func(b *testing.B) {
			needGloo(b)
			benchIndependentPair(b, class, layouts[class])
		})
		options := func(updates int, extra map[string]float64) Options {
			l := layouts[class]
			hp := map[string]float64{"num_envs": l[0], "bptt_horizon": l[1], "threads": 1}
			for k, v := range extra {
				hp[k] = v
			}
			return Options{Missions: []*mission.Mission{m}, Policy: class, Steps: int64(updates) * 4096, Seed: 1,
				Hyperparameters: hp, Device: "cpu"}
		}
		for _, setting := range []struct {
			name string
			hp   map[string]float64
		}{
			{"ratio", nil},
			// The learning benchmark's passes: four minibatches per update.
			{"ratio/epochs=2,minibatch=2048", map[string]float64{"update_epochs": 2, "minibatch_size": 2048}},
		} {
			b.Run(class+"/"+setting.name, func(b *testing.B) {
				needGloo(b)
				var ratios []float64
				for b.Loop() {
					var sps [2]float64
					for i, ranks := range []int{1, 2} {
						res, err := Launch(context.Background(), options(30, setting.hp), ranks)
						if err != nil {
							b.Fatal(err)
						}
						sps[i] = res.StepsPerSecond
					}
					ratios = append(ratios, sps[1]/sps[0])
				}
				sort.Float64s(ratios)
				b.ReportMetric(ratios[len(ratios)/2], "median-2-ranks/1")
				b.ReportMetric(ratios[0], "min-2-ranks/1")
				b.ReportMetric(ratios[len(ratios)-1], "max-2-ranks/1")
			})
		}
		for _, ranks := range []int{1, 2} {
			b.Run(class+"/ranks="+string(rune('0'+ranks)), func(b *testing.B) {
				needGloo(b)
				o := options(b.N, nil)
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

const independentChildEnv = "DAF_DDP_BENCH_CHILD"

// benchIndependentPair runs two child processes of the test binary, each
// warmed up (libtorch loaded, one update done) before both are told to
// train b.N updates on 1 rank at once.
func benchIndependentPair(b *testing.B, class string, layout [2]float64) {
	kids := childbench.Start(b, 2, "TestDataParallelBenchChild",
		fmt.Sprintf("%s=%s,%g,%g,%d", independentChildEnv, class, layout[0], layout[1], b.N))
	b.ResetTimer()
	for _, c := range kids {
		c.Send(b, "go")
	}
	var sum float64
	for i, c := range kids {
		w := c.Next(b)
		v, err := strconv.ParseFloat(w, 64)
		if err != nil {
			b.Fatalf("child %d: %s", i, w)
		}
		sum += v
	}
	b.ReportMetric(sum, "agent-steps/s")
}

// TestDataParallelBenchChild is a child of benchIndependentPair; it does
// nothing unless the benchmark started it.
func TestDataParallelBenchChild(t *testing.T) {
	spec := os.Getenv(independentChildEnv)
	if spec == "" {
		t.Skip("run by BenchmarkDataParallel")
	}
	var class string
	var envs, horizon float64
	var updates int64
	if _, err := fmt.Sscanf(strings.ReplaceAll(spec, ",", " "), "%s %g %g %d", &class, &envs, &horizon, &updates); err != nil {
		t.Fatal(err)
	}
	m, err := mission.Get("training_facility_1")
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Missions: []*mission.Mission{m}, Policy: class, Steps: 4096, Seed: 1,
		Hyperparameters: map[string]float64{"num_envs": envs, "bptt_horizon": horizon, "threads": 1}, Device: "cpu"}
	if _, err := Train(context.Background(), o); err != nil { // warm up
		childbench.Say("%v", err)
		t.Fatal(err)
	}
	childbench.Say("ready")
	bufio.NewScanner(os.Stdin).Scan()
	o.Steps = updates * 4096
	res, err := Train(context.Background(), o)
	if err != nil {
		childbench.Say("%v", err)
		t.Fatal(err)
	}
	out, _ := json.Marshal(res.StepsPerSecond)
	childbench.Say("%s", out)
}
