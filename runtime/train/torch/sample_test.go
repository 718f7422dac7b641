package torch

import (
	"math"
	"testing"

	"github.com/dafscript/dafscript/sim"
)

// TestSample: frequencies follow the softmax, log-probabilities are exact,
// greedy takes the largest logit.
func TestSample(t *testing.T) {
	logits := []float32{0, 1, 2, -1}
	var z float64
	for _, l := range logits {
		z += math.Exp(float64(l))
	}
	rng := sim.NewRNG(1)
	counts := make([]int, len(logits))
	const n = 200000
	for i := 0; i < n; i++ {
		a, lp := Sample(logits, rng)
		counts[a]++
		if want := float64(logits[a]) - math.Log(z); math.Abs(float64(lp)-want) > 1e-6 {
			t.Fatalf("logp %v, want %v", lp, want)
		}
	}
	for i, c := range counts {
		p := math.Exp(float64(logits[i])) / z
		if got := float64(c) / n; math.Abs(got-p) > 0.005 {
			t.Errorf("action %d: frequency %.4f, probability %.4f", i, got, p)
		}
	}
	if a, _ := Sample(logits, nil); a != 2 {
		t.Errorf("greedy took %d, want 2", a)
	}
}

func BenchmarkSample(b *testing.B) {
	logits := make([]float32, sim.NumActions)
	r := sim.NewRNG(1)
	for i := range logits {
		logits[i] = float32(r.Float64())
	}
	for i := 0; i < b.N; i++ {
		Sample(logits, r)
	}
}
