package compare

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/dafscript/dafscript/runtime/cache"
	"github.com/dafscript/dafscript/runtime/eval"
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

// BenchmarkCompareCached runs the comparison of scripts/compare_policies.star
// (baseline, random and noop on training_facility_1 and _2, 30 episodes
// each of 300 steps) from a result cache a first run filled, in one
// process, and reports the CPU milliseconds of each part: reading the
// cache (eval.Run), the statistics (Build) and the text report. What a
// cached `dafscript run` costs beyond these is the process's own start
// and its session.
func BenchmarkCompareCached(b *testing.B) {
	c, err := cache.Open(cache.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{
		Policies: entries(b, "baseline", "random", "noop"), Missions: missions(b, "training_facility_1", "training_facility_2"),
		EpisodesPerMission: 30, MaxSteps: 300, Alpha: 0.05, Metric: "reward", Jobs: 2, Cache: c, CodeVersion: "sha256:bench",
	}
	if _, _, err := Run(context.Background(), opts); err != nil {
		b.Fatal(err)
	}
	ev := eval.Options{Entries: opts.Policies, Missions: opts.Missions, Episodes: opts.EpisodesPerMission,
		MaxSteps: opts.MaxSteps, Jobs: opts.Jobs, Cache: c, CodeVersion: opts.CodeVersion}
	var read, build, text float64
	for b.Loop() {
		t0 := cpuSeconds()
		res, err := eval.Run(context.Background(), ev)
		if err != nil {
			b.Fatal(err)
		}
		t1 := cpuSeconds()
		rep, err := Build(res, opts)
		if err != nil {
			b.Fatal(err)
		}
		t2 := cpuSeconds()
		rep.WriteText(io.Discard, false)
		t3 := cpuSeconds()
		read, build, text = read+t1-t0, build+t2-t1, text+t3-t2
	}
	b.ReportMetric(1000*read/float64(b.N), "read-cpu-ms")
	b.ReportMetric(1000*build/float64(b.N), "build-cpu-ms")
	b.ReportMetric(1000*text/float64(b.N), "text-cpu-ms")
}
