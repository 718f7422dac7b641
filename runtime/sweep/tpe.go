package sweep

import (
	"math"
	"math/rand/v2"
	"sort"
)

// TPE is the tree-structured Parzen estimator (Bergstra et al. 2011) in
// the univariate form Optuna's TPESampler uses by default: the observed
// trials are split into the best gamma(n) ("below") and the rest
// ("above"); each parameter gets a Parzen density l(x) over the below
// values and g(x) over the above values (one truncated Gaussian per
// observation plus a prior spanning the range; for a list, smoothed
// category counts); Candidates draws from l are scored by l(x)/g(x) and
// the best is taken.
type TPE struct {
	Startup    int     // trials sampled at random before TPE starts (10)
	Candidates int     // draws from l(x) scored per parameter (24)
	PriorW     float64 // weight of the prior component (1)
}

// DefaultTPE are Optuna's defaults.
var DefaultTPE = TPE{Startup: 10, Candidates: 24, PriorW: 1}

// obs is one trial as a sampler sees it: its point and a loss (lower is
// better; the liar's loss for a trial still pending).
type obs struct {
	x    []float64
	loss float64
}

// gamma is the size of the below group: Optuna's default, 10% of the
// observations rounded up, at most 25.
func gamma(n int) int { return min(int(math.Ceil(0.1*float64(n))), 25) }

// propose returns the next point given the observations, in trial order.
func (t TPE) propose(s *space, hist []obs, r *rand.Rand) []float64 {
	if len(hist) < t.Startup {
		return s.random(r)
	}
	// Stable sort by loss: ties keep trial order.
	order := make([]int, len(hist))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return hist[order[a]].loss < hist[order[b]].loss })
	nb := max(1, gamma(len(hist)))
	below, above := order[:nb], order[nb:]
	sort.Ints(below) // back to trial order, so the estimator is order-free of ties
	sort.Ints(above)
	x := make([]float64, len(s.dims))
	for i := range s.dims {
		d := &s.dims[i]
		bv := column(hist, below, i)
		av := column(hist, above, i)
		if d.Categorical() {
			x[i] = t.categorical(d, bv, av, r)
		} else {
			x[i] = t.numerical(d, bv, av, r)
		}
	}
	return x
}

func column(hist []obs, idx []int, i int) []float64 {
	out := make([]float64, len(idx))
	for j, k := range idx {
		out[j] = hist[k].x[i]
	}
	return out
}

func (t TPE) categorical(d *dim, below, above []float64, r *rand.Rand) float64 {
	k := len(d.Values)
	dist := func(obs []float64) []float64 {
		w := make([]float64, k)
		for j := range w {
			w[j] = t.PriorW / float64(k)
		}
		for _, v := range obs {
			w[int(v)]++
		}
		var sum float64
		for _, v := range w {
			sum += v
		}
		for j := range w {
			w[j] /= sum
		}
		return w
	}
	l, g := dist(below), dist(above)
	best, bestScore := 0, math.Inf(-1)
	for c := 0; c < t.Candidates; c++ {
		j := pick(l, r)
		if sc := math.Log(l[j]) - math.Log(g[j]); sc > bestScore {
			best, bestScore = j, sc
		}
	}
	return float64(best)
}

// pick draws an index with probabilities w (summing to 1).
func pick(w []float64, r *rand.Rand) int {
	u := r.Float64()
	for j, p := range w {
		u -= p
		if u < 0 {
			return j
		}
	}
	return len(w) - 1
}

// parzen is a mixture of Gaussians truncated to [lo, hi].
type parzen struct {
	w, mu, sigma []float64
	lo, hi       float64
	norm         []float64 // mass of each component inside [lo, hi]
}

// newParzen builds the estimator over obs: one component per observation
// plus the prior (centre of the range, width of the range); each
// component's width is the larger distance to its sorted neighbours,
// clipped to [range/min(100, n+1), range] (Optuna's "magic clip").
func newParzen(obs []float64, lo, hi, priorW float64) *parzen {
	n := len(obs)
	mus := append(append([]float64(nil), obs...), (lo+hi)/2)
	ws := make([]float64, n+1)
	for i := 0; i < n; i++ {
		ws[i] = 1
	}
	ws[n] = priorW
	order := make([]int, n+1)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return mus[order[a]] < mus[order[b]] })
	span := hi - lo
	sig := make([]float64, n+1)
	minSig := span / math.Min(100, float64(n+1))
	for p, i := range order {
		left, right := lo, hi
		if p > 0 {
			left = mus[order[p-1]]
		}
		if p < n {
			right = mus[order[p+1]]
		}
		s := math.Max(mus[i]-left, right-mus[i])
		sig[i] = math.Max(minSig, math.Min(s, span))
	}
	sig[n] = span
	var sum float64
	for _, w := range ws {
		sum += w
	}
	pz := &parzen{w: ws, mu: mus, sigma: sig, lo: lo, hi: hi, norm: make([]float64, n+1)}
	for i := range ws {
		pz.w[i] /= sum
		pz.norm[i] = math.Max(phi((hi-mus[i])/sig[i])-phi((lo-mus[i])/sig[i]), 1e-12)
	}
	return pz
}

func phi(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// sample draws from the truncated mixture by inverting the normal CDF.
func (p *parzen) sample(r *rand.Rand) float64 {
	i := pick(p.w, r)
	a := phi((p.lo - p.mu[i]) / p.sigma[i])
	b := phi((p.hi - p.mu[i]) / p.sigma[i])
	u := a + r.Float64()*(b-a)
	u = math.Min(math.Max(u, 1e-15), 1-1e-15)
	x := p.mu[i] + p.sigma[i]*math.Sqrt2*math.Erfinv(2*u-1)
	return math.Min(math.Max(x, p.lo), p.hi)
}

func (p *parzen) logpdf(x float64) float64 {
	var s float64
	for i := range p.w {
		z := (x - p.mu[i]) / p.sigma[i]
		s += p.w[i] * math.Exp(-0.5*z*z) / (p.sigma[i] * math.Sqrt(2*math.Pi) * p.norm[i])
	}
	return math.Log(s + 1e-300)
}

func (t TPE) numerical(d *dim, below, above []float64, r *rand.Rand) float64 {
	l := newParzen(below, d.lo, d.hi, t.PriorW)
	g := newParzen(above, d.lo, d.hi, t.PriorW)
	best, bestScore := 0.0, math.Inf(-1)
	for c := 0; c < t.Candidates; c++ {
		_, v := d.value(l.sample(r))
		if sc := l.logpdf(v) - g.logpdf(v); sc > bestScore {
			best, bestScore = v, sc
		}
	}
	return best
}
