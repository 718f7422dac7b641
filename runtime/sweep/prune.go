package sweep

import (
	"math"
	"sort"
)

// Pruners are the names Options.Pruner accepts.
var Pruners = []string{"none", "median", "asha"}

// Report is one intermediate value of a trial: the objective measured at
// a step (agent-steps trained, an update number: any increasing count the
// objective chooses, the same for every trial).
type Report struct {
	Step  int     `json:"step"`
	Value float64 `json:"value"`
}

// Median stops a trial whose best value so far is worse than the median
// of the values that finished trials reported at the same step (Optuna's
// MedianPruner). It waits for Startup complete trials and does not prune
// before step Warmup.
type Median struct {
	Startup int // complete trials needed before pruning (5)
	Warmup  int // steps before which no trial is pruned (0)
}

// ASHA is asynchronous successive halving (Li et al. 2018; Optuna's
// SuccessiveHalvingPruner, Ray Tune's ASHAScheduler). Rung r is reached
// at step MinResource*Eta^r; a trial that reaches a rung goes on only if
// its value there is among the best 1/Eta of the values every finished
// trial had at that rung (itself included; with fewer than Eta of them,
// only the best goes on).
type ASHA struct {
	MinResource int // the step of rung 0 (1)
	Eta         int // reduction factor (3)
}

// DefaultMedian and DefaultASHA are the settings Options uses.
var (
	DefaultMedian = Median{Startup: 5, Warmup: 0}
	DefaultASHA   = ASHA{MinResource: 1, Eta: 3}
)

// pruner decides from the finished trials a trial may see (its view) and
// the trial's own reports so far, all in loss terms (lower is better).
type pruner interface {
	prune(view []*Trial, sign float64, cur []Report) bool
}

type noPruner struct{}

func (noPruner) prune([]*Trial, float64, []Report) bool { return false }

func (m Median) prune(view []*Trial, sign float64, cur []Report) bool {
	if len(cur) == 0 {
		return false
	}
	step := cur[len(cur)-1].Step
	if step < m.Warmup {
		return false
	}
	best := math.Inf(1)
	for _, r := range cur {
		best = math.Min(best, sign*r.Value)
	}
	var at []float64
	complete := 0
	for _, t := range view {
		if t.Status != StatusComplete {
			continue
		}
		complete++
		for _, r := range t.Intermediate {
			if r.Step == step {
				at = append(at, sign*r.Value)
				break
			}
		}
	}
	if complete < m.Startup || len(at) == 0 {
		return false
	}
	return best > median(at)
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// rungValue is a trial's value at the rung reached at step threshold: its
// first report at or after that step.
func rungValue(reps []Report, threshold int) (float64, bool) {
	for _, r := range reps {
		if r.Step >= threshold {
			return r.Value, true
		}
	}
	return 0, false
}

func (a ASHA) prune(view []*Trial, sign float64, cur []Report) bool {
	if len(cur) == 0 {
		return false
	}
	last := cur[len(cur)-1]
	// Each rung this report reaches that the previous report had not: a
	// trial is judged for a rung once, at its first report at or past it.
	prevStep := math.MinInt
	if len(cur) > 1 {
		prevStep = cur[len(cur)-2].Step
	}
	threshold := a.MinResource
	for r := 0; threshold <= last.Step; r++ {
		if threshold > prevStep {
			mine := sign * last.Value
			vals := []float64{mine}
			for _, t := range view {
				if t.Status == StatusFailed {
					continue
				}
				if v, ok := rungValue(t.Intermediate, threshold); ok {
					vals = append(vals, sign*v)
				}
			}
			sort.Float64s(vals)
			k := max(1, len(vals)/a.Eta)
			if mine > vals[k-1] {
				return true
			}
		}
		if threshold > math.MaxInt/a.Eta {
			break
		}
		threshold *= a.Eta
	}
	return false
}
