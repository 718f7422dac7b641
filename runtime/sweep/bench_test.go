package sweep

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/dafscript/dafscript/runtime/config"
)

// sphere6 is a second known objective: six float parameters in [-5, 5],
// minimum 0 at x_i = i - 2.5 (a shifted sphere, the classic test of
// Bergstra et al.).
func sphere6() (config.SearchSpace, Objective) {
	var sp config.SearchSpace
	for i := 0; i < 6; i++ {
		sp = append(sp, config.Param{Name: fmt.Sprintf("x%d", i), Min: -5, Max: 5, Type: "float"})
	}
	return sp, func(ctx context.Context, t *TrialRun) (Outcome, error) {
		var v float64
		for i := 0; i < 6; i++ {
			x, _ := t.Params.Float(fmt.Sprintf("x%d", i))
			d := x - (float64(i) - 2.5)
			v += d * d
		}
		return Outcome{Value: v}, nil
	}
}

// bestRegrets runs a sweep of a known objective (optimum 0, so the best
// value is the regret) for seeds 1..20 and returns the regrets.
func bestRegrets(b *testing.B, problem, strategy string, trials, window int) []float64 {
	var out []float64
	for seed := uint64(1); seed <= 20; seed++ {
		o := opts(strategy, trials)
		o.Seed, o.Window = seed, window
		obj := Objective(syntheticObjective)
		if problem == "sphere6" {
			o.Space, obj = sphere6()
		}
		r, err := Run(context.Background(), o, obj)
		if err != nil {
			b.Fatal(err)
		}
		best, _ := r.Best()
		out = append(out, *best.Value)
	}
	return out
}

// BenchmarkTPEvsRandom reports the median regret of TPE over 20 seeds at
// 50 trials divided by random search's (target <= 0.5), on the mixed
// synthetic objective (a list, a log range, an int range, a float range)
// and on a 6-dimensional sphere, with the default window (4 trials in
// flight) and with window 1 (sequential TPE).
func BenchmarkTPEvsRandom(b *testing.B) {
	for _, c := range []struct {
		problem string
		window  int
	}{{"mixed4", DefaultWindow}, {"mixed4", 1}, {"sphere6", DefaultWindow}, {"sphere6", 1}} {
		b.Run(fmt.Sprintf("%s/window%d", c.problem, c.window), func(b *testing.B) {
			w := c.window
			var ratio, mt, mr float64
			for i := 0; i < b.N; i++ {
				mt = median(bestRegrets(b, c.problem, "tpe", 50, w))
				mr = median(bestRegrets(b, c.problem, "random", 50, w))
				ratio = mt / mr
			}
			b.ReportMetric(ratio, "regret-ratio")
			b.ReportMetric(mt, "tpe-regret")
			b.ReportMetric(mr, "random-regret")
		})
	}
}

func nop(ctx context.Context, t *TrialRun) (Outcome, error) { return Outcome{Value: 1}, nil }

// BenchmarkOverheadPerTrial measures the sweep machinery for one trial of
// an objective that does nothing: proposing, scheduling, the journal
// record (written at once; its fsync runs in the journal's flusher, off
// the trial's path) and the reduction. One op is one trial.
func BenchmarkOverheadPerTrial(b *testing.B) {
	cases := []struct {
		name, strategy string
		journal        bool
		trials, jobs   int
	}{
		{"random/journal/jobs1", "random", true, 0, 1},
		{"random/journal/jobs4", "random", true, 0, 4},
		{"random/nojournal/jobs1", "random", false, 0, 1},
		{"tpe50/journal/jobs1", "tpe", true, 50, 1},
		{"tpe50/nojournal/jobs1", "tpe", false, 50, 1},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			n := c.trials
			if n == 0 {
				n = b.N
			}
			b.ReportAllocs()
			done := 0
			for done < b.N {
				o := opts(c.strategy, min(n, b.N-done))
				o.Jobs = c.jobs
				if c.journal {
					o.Journal = filepath.Join(b.TempDir(), "journal.jsonl")
				}
				if _, err := Run(context.Background(), o, nop); err != nil {
					b.Fatal(err)
				}
				done += o.NumTrials
			}
		})
	}
}
