package stats

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// WelchTTest is the two-sided t-test for unequal variances,
// scipy.stats.ttest_ind(a, b, equal_var=False). As SciPy: when both
// variances are zero the degrees of freedom are taken as 1, t is ±Inf
// (p = 0) if the means differ and NaN if they are equal; any sample with
// fewer than two values gives NaN.
func WelchTTest(a, b []float64) (t, df, p float64) {
	n1, n2 := float64(len(a)), float64(len(b))
	vn1 := Variance(a) / n1
	vn2 := Variance(b) / n2
	df = (vn1 + vn2) * (vn1 + vn2) / (vn1*vn1/(n1-1) + vn2*vn2/(n2-1))
	if math.IsNaN(df) {
		df = 1
	}
	t = (Mean(a) - Mean(b)) / math.Sqrt(vn1+vn2)
	if math.IsNaN(t) || len(a) < 2 || len(b) < 2 {
		return math.NaN(), df, math.NaN()
	}
	if math.IsInf(t, 0) {
		return t, df, 0
	}
	p = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(t))
	return t, df, math.Min(p, 1)
}

// Ranks returns the ranks of x (1-based), ties getting the average of the
// ranks they span (scipy.stats.rankdata's "average").
func Ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		switch {
		case x[i] < x[j]:
			return -1
		case x[i] > x[j]:
			return 1
		}
		return 0
	})
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}

// MannWhitneyU is the two-sided Mann-Whitney U test as
// scipy.stats.mannwhitneyu(a, b, use_continuity=True, method="auto") of
// SciPy 1.10: u is the statistic of a; p is exact when one sample has at
// most 8 values and there are no ties (and n1*n2 <= 63245, which keeps it
// fast), otherwise it comes from the normal approximation with tie
// correction and continuity correction. Both
// samples must be non-empty and free of NaN (else p is NaN).
func MannWhitneyU(a, b []float64) (u, p float64) {
	n1, n2 := len(a), len(b)
	if n1 == 0 || n2 == 0 || slices.ContainsFunc(a, math.IsNaN) || slices.ContainsFunc(b, math.IsNaN) {
		return math.NaN(), math.NaN()
	}
	xy := append(slices.Clone(a), b...)
	ranks := Ranks(xy)
	r1 := 0.0
	for _, r := range ranks[:n1] {
		r1 += r
	}
	u1 := r1 - float64(n1*(n1+1))/2
	u2 := float64(n1*n2) - u1
	big := math.Max(u1, u2)
	// The exact distribution costs about (n1 n2)^2 / 2 additions; past
	// exactLimit (one tiny sample against thousands) the normal
	// approximation is as good and SciPy's answer is not worth the wait.
	if (n1 <= 8 || n2 <= 8) && !hasTies(xy) && float64(n1)*float64(n1)*float64(n2)*float64(n2) <= exactLimit {
		p = 2 * exactUSurvival(int(big), n1, n2)
	} else {
		p = 2 * normalSurvival(mwuZ(big, n1, n2, xy))
	}
	return u1, math.Max(0, math.Min(1, p))
}

const exactLimit = 4e9

func hasTies(x []float64) bool {
	s := sorted(x)
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] {
			return true
		}
	}
	return false
}

// mwuZ standardises U with the tie-corrected variance and a continuity
// correction of 0.5 towards the mean.
func mwuZ(u float64, n1, n2 int, xy []float64) float64 {
	n := float64(n1 + n2)
	s := sorted(xy)
	tie := 0.0
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		t := float64(j - i)
		tie += t*t*t - t
		i = j
	}
	sd := math.Sqrt(float64(n1) * float64(n2) / 12 * ((n + 1) - tie/(n*(n-1))))
	return (u - float64(n1)*float64(n2)/2 - 0.5) / sd
}

// normalSurvival is P(Z > z) for a standard normal Z, accurate in the tail.
func normalSurvival(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// exactUSurvival is P(U >= u) under the null hypothesis for samples of
// sizes m and n without ties. By symmetry that is P(U <= m*n-u), summed
// from the counts f(m, n, k) of arrangements with U = k, which follow
// f(m, n, k) = f(m-1, n, k-n) + f(m, n-1, k).
func exactUSurvival(u, m, n int) float64 {
	if m > n {
		m, n = n, m
	}
	kmax := m*n - u
	if kmax < 0 {
		return 0
	}
	// f[i][k] holds f(i, j, k) for the current j; f(i, 0, k) = [k == 0].
	f := make([][]float64, m+1)
	for i := range f {
		f[i] = make([]float64, kmax+1)
		f[i][0] = 1
	}
	for j := 1; j <= n; j++ {
		for i := 1; i <= m; i++ {
			row, prev := f[i], f[i-1] // prev already holds f(i-1, j, .)
			for k := j; k <= kmax; k++ {
				row[k] += prev[k-j]
			}
		}
	}
	total := 0.0
	for _, c := range f[m] {
		total += c
	}
	return total / binomial(m+n, m)
}

func binomial(n, k int) float64 {
	v, _ := math.Lgamma(float64(n + 1))
	a, _ := math.Lgamma(float64(k + 1))
	b, _ := math.Lgamma(float64(n - k + 1))
	return math.Round(math.Exp(v - a - b))
}

// Holm returns Holm-Bonferroni adjusted p-values, in the order given:
// sorted ascending, the i-th smallest (from 0) becomes
// max over j <= i of min(1, (m-j) p_(j)). A NaN p-value (a test that
// could not be made) ranks as 1 and stays NaN.
func Holm(p []float64) []float64 {
	m := len(p)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	key := func(i int) float64 {
		if math.IsNaN(p[i]) {
			return 1
		}
		return p[i]
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		switch {
		case key(i) < key(j):
			return -1
		case key(i) > key(j):
			return 1
		}
		return 0
	})
	out := make([]float64, m)
	running := 0.0
	for rank, i := range idx {
		running = math.Max(running, math.Min(1, float64(m-rank)*key(i)))
		out[i] = running
		if math.IsNaN(p[i]) {
			out[i] = math.NaN()
		}
	}
	return out
}

// CohensD is the standardised mean difference (mean(a) - mean(b)) / s with
// the pooled standard deviation s = sqrt(((na-1)va + (nb-1)vb) / (na+nb-2)).
// NaN when s is undefined (na+nb < 3) or 0/0; ±Inf when s = 0 and the
// means differ.
func CohensD(a, b []float64) float64 {
	na, nb := float64(len(a)), float64(len(b))
	if na+nb < 3 || na == 0 || nb == 0 {
		return math.NaN()
	}
	va, vb := Variance(a), Variance(b)
	if len(a) < 2 {
		va = 0
	}
	if len(b) < 2 {
		vb = 0
	}
	s := math.Sqrt(((na-1)*va + (nb-1)*vb) / (na + nb - 2))
	return (Mean(a) - Mean(b)) / s
}

// ProbImprovement is P(X > Y) + 0.5 P(X = Y) for X drawn from a and Y from
// b, counted over all pairs (rliable's probability of improvement for one
// task; it equals U/(na nb)). NaN when a sample is empty.
func ProbImprovement(a, b []float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range a {
		for _, y := range b {
			switch {
			case x > y:
				s++
			case x == y:
				s += 0.5
			}
		}
	}
	return s / float64(len(a)*len(b))
}

// MinPossibleP is the smallest two-sided p-value the exact Mann-Whitney
// test can give for samples of sizes na and nb (complete separation):
// 2 / C(na+nb, na). If it exceeds the significance level, no difference can
// be detected however large it is.
func MinPossibleP(na, nb int) float64 {
	if na == 0 || nb == 0 {
		return 1
	}
	return math.Min(1, 2/binomial(na+nb, na))
}

// MinSamples is the smallest n such that two samples of n values each can
// reach a two-sided p-value <= alpha (MinPossibleP(n, n) <= alpha); 4 at
// alpha = 0.05.
func MinSamples(alpha float64) int {
	for n := 1; n < 1000; n++ {
		if MinPossibleP(n, n) <= alpha {
			return n
		}
	}
	return 1000
}

// SampleWarning says, like benchstat, when samples of sizes na and nb are
// too small for any difference to be significant at alpha (after dividing
// alpha by tests, the number of comparisons Holm's method must survive);
// it returns "" when they are large enough.
func SampleWarning(na, nb int, alpha float64, tests int) string {
	if tests < 1 {
		tests = 1
	}
	level := alpha / float64(tests)
	if MinPossibleP(na, nb) <= level {
		return ""
	}
	return fmt.Sprintf("too few samples (%d and %d) to detect a difference at alpha %g over %d comparison(s): need at least %d each",
		na, nb, alpha, tests, MinSamples(level))
}
