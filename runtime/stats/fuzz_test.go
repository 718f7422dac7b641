package stats

import (
	"math"
	"testing"
)

// samples turns fuzz bytes into two small samples with many ties.
func samples(data []byte) (a, b []float64) {
	for i, d := range data {
		v := float64(d % 7)
		if i%2 == 0 {
			a = append(a, v)
		} else {
			b = append(b, v)
		}
	}
	return a, b
}

// Invariants of the tests on any input: p-values in [0, 1] and symmetric,
// U(a,b) + U(b,a) = na nb, P(improvement) = U / (na nb), Holm never below
// the raw p-value.
func FuzzPairTests(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{1, 6, 2, 5, 3, 4, 0, 6, 1, 6, 2, 6, 3, 6, 4, 6, 5, 6, 0, 6})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := samples(data)
		if len(a) == 0 || len(b) == 0 || len(a) > 40 || len(b) > 40 {
			return
		}
		u1, p1 := MannWhitneyU(a, b)
		u2, p2 := MannWhitneyU(b, a)
		if p1 < 0 || p1 > 1 || math.Abs(p1-p2) > 1e-12 {
			t.Fatalf("MWU p %v and %v for %v %v", p1, p2, a, b)
		}
		if u1+u2 != float64(len(a)*len(b)) {
			t.Fatalf("U %v + %v != %d", u1, u2, len(a)*len(b))
		}
		if pi := ProbImprovement(a, b); math.Abs(pi-u1/float64(len(a)*len(b))) > 1e-12 {
			t.Fatalf("P(improvement) %v, U/(na nb) %v", pi, u1/float64(len(a)*len(b)))
		}
		_, _, w1 := WelchTTest(a, b)
		_, _, w2 := WelchTTest(b, a)
		if !math.IsNaN(w1) && (w1 < 0 || w1 > 1 || math.Abs(w1-w2) > 1e-12) {
			t.Fatalf("Welch p %v and %v", w1, w2)
		}
		ps := []float64{p1, w1, 0.5 * p1}
		for i, h := range Holm(ps) {
			if !math.IsNaN(ps[i]) && (h < ps[i] || h > 1) {
				t.Fatalf("Holm(%v)[%d] = %v", ps, i, h)
			}
		}
	})
}
