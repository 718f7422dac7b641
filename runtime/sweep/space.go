package sweep

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/dafscript/dafscript/runtime/config"
)

// A point of the search space has two forms. The internal vector x holds,
// per parameter (sorted by name), the index of a categorical value or the
// position of a range value on its sampling scale (log of the value for a
// log range); samplers work on x. Params is what a trial receives and the
// result shows.

// Params are one trial's hyperparameters by name: int64, float64, string
// or bool values. Encoded as JSON its keys are sorted.
type Params map[string]any

// Float returns a numeric (or boolean, as 0/1) parameter as float64.
func (p Params) Float(name string) (float64, bool) {
	switch v := p[name].(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// Floats returns every numeric parameter as float64 (for a trainer's
// hyperparameter map); a string parameter is an error naming it.
func (p Params) Floats() (map[string]float64, error) {
	out := make(map[string]float64, len(p))
	for k := range p {
		f, ok := p.Float(k)
		if !ok {
			return nil, fmt.Errorf("hyperparameter %s = %v is not a number", k, p[k])
		}
		out[k] = f
	}
	return out, nil
}

// dim is one parameter as the samplers see it.
type dim struct {
	config.Param
	lo, hi float64 // the internal range (log scale for log ranges)
}

type space struct {
	dims []dim
}

func newSpace(ps config.SearchSpace) (*space, error) {
	if len(ps) == 0 {
		return nil, fmt.Errorf("search_space: empty search space: give at least one parameter")
	}
	s := &space{}
	names := map[string]bool{}
	for _, p := range ps {
		if names[p.Name] {
			return nil, fmt.Errorf("search_space.%s: parameter given twice", p.Name)
		}
		names[p.Name] = true
		d := dim{Param: p}
		switch {
		case p.Categorical():
			if len(p.Values) == 0 {
				return nil, fmt.Errorf("search_space.%s: empty list of values", p.Name)
			}
			d.lo, d.hi = 0, float64(len(p.Values)-1)
		case p.Min > p.Max:
			return nil, fmt.Errorf("search_space.%s: min %v is greater than max %v", p.Name, p.Min, p.Max)
		case p.Log && p.Min <= 0:
			return nil, fmt.Errorf("search_space.%s: a log range needs min > 0, got min %v", p.Name, p.Min)
		case p.Type != "float" && p.Type != "int":
			return nil, fmt.Errorf("search_space.%s: unknown type %q (valid: float, int)", p.Name, p.Type)
		case p.Type == "int" && (p.Min != math.Trunc(p.Min) || p.Max != math.Trunc(p.Max)):
			return nil, fmt.Errorf("search_space.%s: an int range needs whole-number bounds", p.Name)
		default:
			lo, hi := p.Min, p.Max
			if p.Type == "int" {
				lo, hi = lo-0.5, hi+0.5 // each integer owns a unit of the scale
			}
			if p.Log {
				lo, hi = math.Log(lo), math.Log(hi)
				if p.Type == "int" {
					lo = math.Log(math.Max(p.Min-0.5, p.Min/2))
				}
			}
			d.lo, d.hi = lo, hi
		}
		s.dims = append(s.dims, d)
	}
	sort.Slice(s.dims, func(i, j int) bool { return s.dims[i].Name < s.dims[j].Name })
	return s, nil
}

// value turns internal coordinate v of dimension d into the parameter's
// value, and snaps v to the coordinate of that value.
func (d *dim) value(v float64) (any, float64) {
	if d.Categorical() {
		i := int(math.Round(v))
		i = max(0, min(i, len(d.Values)-1))
		return d.Values[i], float64(i)
	}
	v = max(d.lo, min(v, d.hi))
	x := v
	if d.Log {
		x = math.Exp(v)
	}
	if d.Type == "int" {
		n := math.Round(x)
		n = max(d.Min, min(n, d.Max))
		if d.Log {
			return int64(n), math.Log(n)
		}
		return int64(n), n
	}
	x = max(d.Min, min(x, d.Max))
	if d.Log {
		return x, v
	}
	return x, x
}

// params converts an internal vector.
func (s *space) params(x []float64) Params {
	p := make(Params, len(s.dims))
	for i := range s.dims {
		p[s.dims[i].Name], _ = s.dims[i].value(x[i])
	}
	return p
}

// random draws a uniform point (uniform on the log scale for log ranges).
func (s *space) random(r *rand.Rand) []float64 {
	x := make([]float64, len(s.dims))
	for i := range s.dims {
		x[i] = s.dims[i].sample(r)
	}
	return x
}

func (d *dim) sample(r *rand.Rand) float64 {
	if d.Categorical() {
		return float64(r.IntN(len(d.Values)))
	}
	_, v := d.value(d.lo + r.Float64()*(d.hi-d.lo))
	return v
}

// gridSize is the number of grid points, or an error naming a parameter
// that has no finite grid (a float range).
func (s *space) gridSize() (int, error) {
	n := 1
	for _, d := range s.dims {
		k := 0
		switch {
		case d.Categorical():
			k = len(d.Values)
		case d.Type == "int":
			k = int(d.Max-d.Min) + 1
		default:
			return 0, fmt.Errorf("search_space.%s: strategy grid needs a list of values or an int range, not a float range; list the values, or use strategy random or tpe", d.Name)
		}
		if n > MaxGrid/k {
			return 0, fmt.Errorf("search_space: the grid has more than %d points; use strategy random or tpe", MaxGrid)
		}
		n *= k
	}
	return n, nil
}

// MaxGrid bounds the number of points of a grid.
const MaxGrid = 1 << 20

// gridPoint returns grid point i: the last parameter (by name) varies
// fastest.
func (s *space) gridPoint(i int) []float64 {
	x := make([]float64, len(s.dims))
	for j := len(s.dims) - 1; j >= 0; j-- {
		d := &s.dims[j]
		var k int
		if d.Categorical() {
			k = len(d.Values)
		} else {
			k = int(d.Max-d.Min) + 1
		}
		idx := i % k
		i /= k
		if d.Categorical() {
			x[j] = float64(idx)
		} else {
			_, x[j] = d.value(coord(d, d.Min+float64(idx)))
		}
	}
	return x
}

// coord is the internal coordinate of a range value.
func coord(d *dim, v float64) float64 {
	if d.Log {
		return math.Log(v)
	}
	return v
}
