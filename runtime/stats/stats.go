// Package stats holds the statistics behind evaluation and comparison:
// descriptive summaries, a seeded stratified bootstrap, Welch's t-test, the
// Mann-Whitney U test, Holm-Bonferroni adjustment and effect sizes. It is
// pure: no I/O, no clock, no global randomness. Where SciPy defines a
// statistic, the functions here return what SciPy 1.10 returns, NaN and
// infinities included (testdata/make_reference.py pins that).
package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Summary describes one sample. Std is the sample standard deviation
// (n-1 in the denominator); IQM is the interquartile mean (the 25%
// trimmed mean); CILow and CIHigh bound the 95% stratified bootstrap
// confidence interval of the mean. Undefined values (the Std of one
// number) are NaN in Go and null in JSON.
type Summary struct {
	N      int     `json:"n"`
	Mean   float64 `json:"mean"`
	Std    float64 `json:"std"`
	Median float64 `json:"median"`
	IQM    float64 `json:"iqm"`
	CILow  float64 `json:"ci_low"`
	CIHigh float64 `json:"ci_high"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// Mean is the arithmetic mean; NaN for an empty sample.
func Mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	return stat.Mean(x, nil)
}

// Variance is the sample variance (n-1 in the denominator); NaN for n < 2.
func Variance(x []float64) float64 {
	if len(x) < 2 {
		return math.NaN()
	}
	return stat.Variance(x, nil)
}

// Std is the sample standard deviation (n-1 in the denominator), NumPy's
// std(ddof=1); NaN for n < 2.
func Std(x []float64) float64 { return math.Sqrt(Variance(x)) }

func sorted(x []float64) []float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s
}

// Median is the middle value, or the mean of the two middle values; NaN
// for an empty sample.
func Median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	return medianSorted(sorted(x))
}

func medianSorted(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// IQM is the interquartile mean as rliable computes it,
// scipy.stats.trim_mean(x, 0.25): drop int(n/4) values at each end and
// average the rest. NaN for an empty sample.
func IQM(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	return iqmSorted(sorted(x))
}

func iqmSorted(s []float64) float64 {
	cut := len(s) / 4
	return stat.Mean(s[cut:len(s)-cut], nil)
}

// Quantile is the linearly interpolated quantile at p in [0, 1] (NumPy's
// default, "linear"); NaN for an empty sample.
func Quantile(x []float64, p float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	return quantileSorted(sorted(x), p)
}

func quantileSorted(s []float64, p float64) float64 {
	h := p * float64(len(s)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (h-lo)*(s[i+1]-s[i])
}

// Summarize describes a sample split into strata (the missions of a
// policy, say); the bootstrap resamples within each stratum. Empty strata
// are ignored. With no data every field but N is NaN.
func Summarize(strata [][]float64, seed uint64) Summary {
	var all []float64
	for _, s := range strata {
		all = append(all, s...)
	}
	nan := math.NaN()
	sum := Summary{N: len(all), Mean: nan, Std: nan, Median: nan, IQM: nan, CILow: nan, CIHigh: nan, Min: nan, Max: nan}
	if len(all) == 0 {
		return sum
	}
	s := sorted(all)
	sum.Mean = Mean(all)
	sum.Std = Std(all)
	sum.Median = medianSorted(s)
	sum.IQM = iqmSorted(s)
	sum.Min, sum.Max = s[0], s[len(s)-1]
	sum.CILow, sum.CIHigh = BootstrapCI(strata, Mean, BootstrapResamples, 0.95, seed)
	return sum
}
