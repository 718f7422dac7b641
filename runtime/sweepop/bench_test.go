package sweepop

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/dafscript/dafscript/runtime/internal/childbench"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/train/torch"
)

// benchSweeps are sweeps of independent trials (grid, no pruner): 8
// trials of the scripted baseline (2 missions x 6 full episodes each)
// and 8 trials that train a small stateless network for 16,384
// agent-steps (one thread each) and evaluate it. Eight trials on 2 jobs
// leave one trial's tail alone on a core in 4 rounds, not in 2.
var benchSweeps = []struct {
	name, yml string
	maxSteps  int
	torch     bool
}{
	{"baseline", `name: bench
missions: [training_facility_1, training_facility_2]
policy_class_path: baseline
search_space: {recharge_below: [10, 30, 50, 70], recharge_until: [80, 95]}
episodes_per_trial: 6
`, 0, false},
	{"stateless", `name: bench
missions: [training_facility_1]
policy_class_path: stateless
train_steps: 16384
search_space: {learning_rate: [0.0005, 0.001, 0.002, 0.004], ent_coef: [0.01, 0.03], hidden_size: [32]}
episodes_per_trial: 1
`, 200, true},
}

// BenchmarkTrialsJobs runs each sweep at 1 job and at 2 jobs, one after
// the other in every iteration, and reports trials/s at each, the
// speed-up of 2 jobs over 1 measured in the same iterations, the CPU
// time per trial (which stays meaningful when the machine is loaded) and
// the cores the process got (CPU over wall time). It
// also checks that both wrote the same sweep.json.
func BenchmarkTrialsJobs(b *testing.B) {
	for _, bs := range benchSweeps {
		b.Run(bs.name, func(b *testing.B) {
			if bs.torch && !torch.Available {
				b.Skip("built without libtorch")
			}
			o := Options{MaxSteps: bs.maxSteps, Device: "cpu", Config: parseB(b, bs.yml)}
			// Warm up (the training backend loads on first use).
			if _, _, err := op.Do(&op.Run{Out: b.TempDir(), Jobs: 1}, Operation, op.Call[Options]{Options: o}); err != nil {
				b.Fatal(err)
			}
			pair := startTrialsPair(b, bs.name)
			var wall [2]time.Duration
			var pairWall time.Duration
			var cpu, busy [2]float64
			trials := 0
			for b.Loop() {
				pairWall += pair.run(b)
				var out [2][]byte
				for i, jobs := range []int{1, 2} {
					c0, t0 := cpuSeconds(), time.Now()
					res, _, err := op.Do(&op.Run{Out: b.TempDir(), Jobs: jobs}, Operation, op.Call[Options]{Options: o})
					if err != nil {
						b.Fatal(err)
					}
					wall[i] += time.Since(t0)
					cpu[i] += cpuSeconds() - c0
					if out[i], err = res.JSON(); err != nil {
						b.Fatal(err)
					}
					for _, t := range res.Trials {
						busy[i] += t.Duration.Seconds()
					}
					if i == 0 {
						trials += len(res.Trials)
					}
				}
				if !bytes.Equal(out[0], out[1]) {
					b.Fatal("jobs 1 and 2 gave different sweeps")
				}
			}
			for i, jobs := range []int{1, 2} {
				b.ReportMetric(float64(trials)/wall[i].Seconds(), fmt.Sprintf("trials/s-jobs%d", jobs))
				b.ReportMetric(1000*cpu[i]/float64(trials), fmt.Sprintf("cpu-ms/trial-jobs%d", jobs))
				// The cores the process got: CPU time over wall time. On a
				// loaded machine 2 jobs cannot go faster than this allows.
				b.ReportMetric(cpu[i]/wall[i].Seconds(), fmt.Sprintf("cores-jobs%d", jobs))
				// Trials running on average (their durations over wall
				// time): below the job count, the sweep waited on its tail
				// or on its own set-up.
				b.ReportMetric(busy[i]/wall[i].Seconds(), fmt.Sprintf("running-jobs%d", jobs))
			}
			b.ReportMetric(wall[0].Seconds()/wall[1].Seconds(), "speedup")
			// The machine's own bound: two processes, each running the
			// same sweep at 1 job at the same time, against this process
			// at 1 job. Two trials in one process cannot scale better
			// than two processes that share nothing but the hardware.
			b.ReportMetric(2*wall[0].Seconds()/pairWall.Seconds(), "speedup-2procs")
		})
	}
}

// trialsPair is two child processes of the test binary, each running one
// of benchSweeps at 1 job whenever it is told to, so that the benchmark
// can measure two independent trial streams in the same minutes as its
// own 2 jobs.
type trialsPair []*childbench.Child

const trialsChildEnv = "DAF_TRIALS_BENCH_CHILD"

func startTrialsPair(b *testing.B, sweepName string) trialsPair {
	return childbench.Start(b, 2, "TestTrialsBenchChild", trialsChildEnv+"="+sweepName)
}

// run starts one sweep in both children at once and returns the wall
// time until both have finished.
func (p trialsPair) run(b *testing.B) time.Duration {
	t0 := time.Now()
	for _, c := range p {
		c.Send(b, "go")
	}
	for i, c := range p {
		if w := c.Next(b); w != "done" {
			b.Fatalf("child %d: %s", i, w)
		}
	}
	return time.Since(t0)
}

// TestTrialsBenchChild is the child of startTrialsPair; it does nothing
// unless the benchmark started it.
func TestTrialsBenchChild(t *testing.T) {
	name := os.Getenv(trialsChildEnv)
	if name == "" {
		t.Skip("run by BenchmarkTrialsJobs")
	}
	for _, bs := range benchSweeps {
		if bs.name != name {
			continue
		}
		o := Options{MaxSteps: bs.maxSteps, Device: "cpu", Config: parseB(t, bs.yml)}
		sweepOnce := func() {
			if _, _, err := op.Do(&op.Run{Out: t.TempDir(), Jobs: 1}, Operation, op.Call[Options]{Options: o}); err != nil {
				childbench.Say("%v", err)
				t.Fatal(err)
			}
		}
		sweepOnce() // warm up, as the benchmark does
		childbench.Say("ready")
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			sweepOnce()
			childbench.Say("done")
		}
		return
	}
	t.Fatalf("no bench sweep %q", name)
}
