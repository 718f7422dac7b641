package torch

import (
	"math"

	"github.com/dafscript/dafscript/sim"
)

// Sample draws an action from the softmax of logits with rng and returns it
// with its log-probability. With rng nil it returns the most likely action.
func Sample(logits []float32, rng *sim.RNG) (int, float32) {
	mx := logits[0]
	best := 0
	for i, v := range logits {
		if v > mx {
			mx, best = v, i
		}
	}
	// Each exponential once: they are most of the cost of sampling.
	var stack [256]float64
	e := stack[:0]
	if len(logits) > len(stack) {
		e = make([]float64, 0, len(logits))
	}
	var sum float64
	for _, v := range logits {
		x := math.Exp(float64(v - mx))
		e = append(e, x)
		sum += x
	}
	a := best
	if rng != nil {
		u := rng.Float64() * sum
		a = len(logits) - 1
		for i, x := range e {
			u -= x
			if u < 0 {
				a = i
				break
			}
		}
	}
	return a, float32(float64(logits[a]-mx) - math.Log(sum))
}
