package sweep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/dafscript/dafscript/runtime/compare"
	"github.com/dafscript/dafscript/runtime/config"
)

// Result is a whole sweep. Its JSON (Result.JSON) depends only on the
// options, the seed and what the objective returns: never on Jobs, timing
// or resumes. Durations are kept on the trials but out of the JSON.
type Result struct {
	Name       string   `json:"name"`
	Strategy   string   `json:"strategy"`
	Pruner     string   `json:"pruner"`
	Objective  string   `json:"objective"`
	Direction  string   `json:"direction"`
	Seed       uint64   `json:"seed"`
	Window     int      `json:"window"`
	NumTrials  int      `json:"num_trials"`
	Parameters []string `json:"parameters"`
	// Space is the search space, parameters sorted by name.
	Space  config.SearchSpace `json:"search_space"`
	Trials []Trial            `json:"trials"` // by number
	// BestTrial is the number of the best complete trial (ties: the
	// lower number), -1 when no trial completed.
	BestTrial  int          `json:"best_trial"`
	Importance []Importance `json:"importance"`
}

// Importance is how much of the objective's variation one parameter
// explains; see importance.
type Importance struct {
	Parameter string `json:"parameter"`
	// EtaSquared is the correlation ratio: the share of the variance of
	// the objective over complete trials explained by the parameter's
	// bins (0..1).
	EtaSquared float64 `json:"eta_squared"`
	// Share is EtaSquared normalised over all parameters (they sum to 1).
	Share float64 `json:"share"`
}

func newResult(o *Options, s *space, trials []*Trial) *Result {
	r := &Result{
		Name: o.Name, Strategy: o.Strategy, Pruner: o.Pruner, Objective: o.Objective, Direction: o.Direction,
		Seed: o.Seed, Window: o.Window, NumTrials: o.NumTrials, BestTrial: -1,
		Space: o.Space, Trials: make([]Trial, len(trials)),
	}
	for _, d := range s.dims {
		r.Parameters = append(r.Parameters, d.Name)
	}
	for i, t := range trials {
		r.Trials[i] = *t
	}
	for i, t := range r.Trials {
		if t.Status != StatusComplete {
			continue
		}
		if r.BestTrial < 0 || r.better(*t.Value, *r.Trials[r.BestTrial].Value) {
			r.BestTrial = i
		}
	}
	r.Importance = importance(s, r.Trials)
	return r
}

func (r *Result) better(a, b float64) bool {
	if r.Direction == "minimize" {
		return a < b
	}
	return a > b
}

// Best returns the best complete trial.
func (r *Result) Best() (Trial, bool) {
	if r.BestTrial < 0 {
		return Trial{}, false
	}
	return r.Trials[r.BestTrial], true
}

// Top returns up to n complete trials, best first (ties: lower number).
func (r *Result) Top(n int) []Trial {
	var out []Trial
	for _, t := range r.Trials {
		if t.Status == StatusComplete {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return r.better(*out[i].Value, *out[j].Value) })
	if n >= 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// Count returns how many trials ended with status s.
func (r *Result) Count(s Status) int {
	n := 0
	for _, t := range r.Trials {
		if t.Status == s {
			n++
		}
	}
	return n
}

// JSON is the deterministic encoding of the result, indented.
func (r *Result) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Durations returns each trial's wall time, by number (not deterministic;
// for display and reports).
func (r *Result) Durations() []time.Duration {
	out := make([]time.Duration, len(r.Trials))
	for i, t := range r.Trials {
		out[i] = t.Duration
	}
	return out
}

// importance computes, for each parameter, the correlation ratio eta^2 of
// the objective over the complete trials: the trials are grouped by the
// parameter (one group per listed value; for a range, about sqrt(n)
// groups of equal count by the value's rank, equal values kept together)
// and eta^2 = sum over groups of size*(group mean - mean)^2 divided by
// the total sum of squares. It is a one-way analysis of variance per
// parameter, the first-order term of fANOVA without the random forest,
// and deterministic. With fewer than 3 complete trials, or no variation
// in the objective, there is none.
func importance(s *space, trials []Trial) []Importance {
	var idx []int
	for i, t := range trials {
		if t.Status == StatusComplete {
			idx = append(idx, i)
		}
	}
	n := len(idx)
	if n < 3 {
		return nil
	}
	y := make([]float64, n)
	var mean float64
	for i, k := range idx {
		y[i] = *trials[k].Value
		mean += y[i]
	}
	mean /= float64(n)
	var sst float64
	for _, v := range y {
		sst += (v - mean) * (v - mean)
	}
	if !(sst > 0) {
		return nil
	}
	out := make([]Importance, len(s.dims))
	var total float64
	for di, d := range s.dims {
		x := make([]float64, n)
		for i, k := range idx {
			x[i] = trials[k].x[di]
		}
		group := make([]int, n)
		if d.Categorical() {
			for i := range x {
				group[i] = int(x[i])
			}
		} else {
			order := make([]int, n)
			for i := range order {
				order[i] = i
			}
			sort.SliceStable(order, func(a, b int) bool { return x[order[a]] < x[order[b]] })
			bins := max(2, int(math.Sqrt(float64(n))))
			first := 0
			for r, i := range order {
				if r > 0 && x[i] != x[order[r-1]] {
					first = r
				}
				group[i] = first * bins / n
			}
		}
		sums, counts := map[int]float64{}, map[int]int{}
		for i, g := range group {
			sums[g] += y[i]
			counts[g]++
		}
		keys := make([]int, 0, len(sums))
		for g := range sums {
			keys = append(keys, g)
		}
		sort.Ints(keys)
		var ssb float64
		for _, g := range keys {
			m := sums[g] / float64(counts[g])
			ssb += float64(counts[g]) * (m - mean) * (m - mean)
		}
		e := math.Min(1, ssb/sst)
		out[di] = Importance{Parameter: d.Name, EtaSquared: e}
		total += e
	}
	for i := range out {
		if total > 0 {
			out[i].Share = out[i].EtaSquared / total
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].EtaSquared > out[j].EtaSquared })
	return out
}

// FormatValue formats a parameter value for tables.
func FormatValue(v any) string {
	switch x := v.(type) {
	case float64:
		return compare.Num(x)
	case nil:
		return "-"
	}
	return fmt.Sprint(v)
}

// WriteTable writes the sweep as a text table: one row per trial (the
// best marked with *) with its wall time, then the parameter importance.
// A result without durations (read back from its JSON, or with times
// left out for output that must repeat exactly) has no time column.
func (r *Result) WriteTable(w io.Writer) error {
	timed := false
	for _, t := range r.Trials {
		timed = timed || t.Duration != 0
	}
	hdr := []string{"trial", "status", r.Objective}
	hdr = append(hdr, r.Parameters...)
	if timed {
		hdr = append(hdr, "time")
	}
	tb := compare.NewTable(w, hdr, 2)
	for _, t := range r.Trials {
		num := fmt.Sprint(t.Number)
		if t.Number == r.BestTrial {
			num += " *"
		}
		val := "-"
		if t.Value != nil {
			val = compare.Num(*t.Value)
		}
		row := []string{num, string(t.Status), val}
		for _, p := range r.Parameters {
			row = append(row, FormatValue(t.Params[p]))
		}
		if timed {
			row = append(row, t.Duration.Round(time.Millisecond).String())
		}
		if err := tb.Append(row); err != nil {
			return err
		}
	}
	if err := tb.Render(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %d trials (%d complete, %d pruned, %d failed), strategy %s, pruner %s, seed %d\n",
		r.Name, len(r.Trials), r.Count(StatusComplete), r.Count(StatusPruned), r.Count(StatusFailed), r.Strategy, r.Pruner, r.Seed)
	if b, ok := r.Best(); ok {
		var ps []string
		for _, p := range r.Parameters {
			ps = append(ps, p+"="+FormatValue(b.Params[p]))
		}
		fmt.Fprintf(w, "best: trial %d, %s %s (%s)\n", b.Number, r.Objective, compare.Num(*b.Value), strings.Join(ps, ", "))
	}
	if len(r.Importance) > 0 {
		var ps []string
		for _, im := range r.Importance {
			ps = append(ps, fmt.Sprintf("%s %.0f%%", im.Parameter, 100*im.Share))
		}
		fmt.Fprintf(w, "importance (share of explained variance): %s\n", strings.Join(ps, ", "))
	}
	return nil
}

// Position returns where value v of parameter name lies in its range, from
// 0 (min, or the first listed value) to 1 (max, or the last), on the
// range's scale (logarithmic for log ranges); ok is false for an unknown
// parameter or value. For plots such as parallel coordinates.
func (r *Result) Position(name string, v any) (float64, bool) {
	p, ok := r.Space.Lookup(name)
	if !ok {
		return 0, false
	}
	if p.Categorical() {
		for i, c := range p.Values {
			if fmt.Sprint(c) == fmt.Sprint(v) {
				if len(p.Values) == 1 {
					return 0.5, true
				}
				return float64(i) / float64(len(p.Values)-1), true
			}
		}
		return 0, false
	}
	var x float64
	switch n := v.(type) {
	case float64:
		x = n
	case int64:
		x = float64(n)
	default:
		return 0, false
	}
	lo, hi := p.Min, p.Max
	if p.Log {
		x, lo, hi = math.Log(x), math.Log(lo), math.Log(hi)
	}
	if hi == lo {
		return 0.5, true
	}
	return (x - lo) / (hi - lo), true
}
