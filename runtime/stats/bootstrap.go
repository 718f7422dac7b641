package stats

import (
	"math"
	"slices"

	"github.com/dafscript/dafscript/sim"
)

// BootstrapResamples is the number of bootstrap resamples behind every
// confidence interval that Summarize reports. 2000 resamples put the
// Monte Carlo error of a 95% percentile bound well below the sampling
// error of the samples we see (tens of episodes).
const BootstrapResamples = 2000

// BootstrapCI returns the percentile bootstrap confidence interval of
// statistic at level (0.95 for 95%). Each resample draws, within every
// stratum, as many values as the stratum holds, with replacement, and
// evaluates statistic on all of them together; strata keep the design
// (episodes per mission) fixed, as rliable's stratified bootstrap does.
// The same seed gives the same interval. Empty strata are ignored; with
// no data both bounds are NaN.
func BootstrapCI(strata [][]float64, statistic func([]float64) float64, resamples int, level float64, seed uint64) (lo, hi float64) {
	n := 0
	for _, s := range strata {
		n += len(s)
	}
	if n == 0 || resamples < 1 {
		return math.NaN(), math.NaN()
	}
	rng := sim.NewRNG(sim.DeriveSeed(seed, "stats.bootstrap", uint64(resamples)))
	buf := make([]float64, n)
	vals := make([]float64, resamples)
	for r := range vals {
		k := 0
		for _, s := range strata {
			for range s {
				buf[k] = s[rng.Intn(len(s))]
				k++
			}
		}
		vals[r] = statistic(buf)
	}
	slices.Sort(vals)
	alpha := (1 - level) / 2
	return quantileSorted(vals, alpha), quantileSorted(vals, 1-alpha)
}
