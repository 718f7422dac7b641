package stats

import (
	"math"
	"testing"
)

func TestShiftTest(t *testing.T) {
	cases := []struct {
		name          string
		a, b          []float64
		margin, alpha float64
		pass          bool
		p             float64 // -1: do not check
	}{
		{"constant, a higher", []float64{1, 1, 1}, []float64{0, 0, 0}, 0, 0.01, true, 0},
		{"constant, equal", []float64{0, 0}, []float64{0, 0}, 0, 0.01, false, 1},
		{"constant, equal within margin", []float64{0, 0}, []float64{0, 0}, 0.1, 0.01, true, 0},
		{"constant, worse beyond margin", []float64{0, 0}, []float64{1, 1}, 0.5, 0.01, false, 1},
		// t = 2.19089, df = 6: half the two-sided p of WelchTTest (pinned
		// against SciPy), 0.0354941.
		{"welch one-sided", []float64{3, 4, 5, 6}, []float64{1, 2, 3, 4}, 0, 0.05, true, 0.0354941},
		{"welch one-sided, strict alpha", []float64{3, 4, 5, 6}, []float64{1, 2, 3, 4}, 0, 0.01, false, 0.0354941},
		{"a worse", []float64{1, 2, 3, 4}, []float64{3, 4, 5, 6}, 0, 0.05, false, 1 - 0.0354941},
		// diff 2 + margin 1 over se 0.912871: t = 3.28634, df 6.
		{"non-inferiority shifts t", []float64{3, 4, 5, 6}, []float64{1, 2, 3, 4}, 1, 0.01, true, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ShiftTest(c.a, c.b, c.margin, c.alpha)
			if s.Pass != c.pass {
				t.Errorf("Pass = %v, want %v (%+v)", s.Pass, c.pass, s)
			}
			if c.p >= 0 && math.Abs(s.P-c.p) > 1e-5 {
				t.Errorf("P = %v, want %v", s.P, c.p)
			}
			if (s.Low > -c.margin) != s.Pass {
				t.Errorf("interval low %v and verdict %v disagree (margin %v)", s.Low, s.Pass, c.margin)
			}
		})
	}
	a, b := []float64{3, 4, 5, 6}, []float64{1, 2, 3, 4}
	if _, _, p2 := WelchTTest(a, b); math.Abs(ShiftTest(a, b, 0, 0.05).P-p2/2) > 1e-12 {
		t.Errorf("one-sided p %v is not half of Welch's two-sided %v", ShiftTest(a, b, 0, 0.05).P, p2)
	}
	if s := ShiftTest([]float64{1}, []float64{0, 0}, 0, 0.01); s.Pass || !math.IsNaN(s.P) {
		t.Errorf("one value: %+v, want NaN and no pass", s)
	}
}
