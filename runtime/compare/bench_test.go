package compare

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkCompare runs the comparison of random, noop and baseline on
// three missions (2 episodes each per policy, 18 episodes of 1000 steps)
// at 1 and 2 jobs and reports episodes per second, and CPU milliseconds
// per episode (equal at 1 and 2 jobs when the pool adds no overhead).
func BenchmarkCompare(b *testing.B) {
	opts := Options{
		Policies:           entries(b, "random", "noop", "baseline"),
		Missions:           missions(b, "training_facility_1", "training_facility.harvest", "evals.extractor_hub_30x30"),
		EpisodesPerMission: 2, Seed: 1, Alpha: 0.05, Metric: "reward",
	}
	episodes := len(opts.Policies) * len(opts.Missions) * opts.EpisodesPerMission
	for _, jobs := range []int{1, 2} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) {
			opts.Jobs = jobs
			cpu := cpuSeconds()
			for b.Loop() {
				if _, _, err := Run(context.Background(), opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(episodes*b.N)/b.Elapsed().Seconds(), "episodes/s")
			if c := cpuSeconds() - cpu; c > 0 {
				b.ReportMetric(1000*c/float64(episodes*b.N), "cpu-ms/episode")
			}
		})
	}
}
