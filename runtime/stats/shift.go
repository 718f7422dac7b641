package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Shift is a one-sided Welch test of how much a exceeds b: the evidence
// that mean(a) - mean(b) > -Margin. Margin 0 tests superiority (a is
// better); Margin m > 0 tests non-inferiority (a is not worse than b by m
// or more).
//
// P is the one-sided p-value of H0: mean(a) - mean(b) <= -Margin under
// Welch's t distribution. Low and High bound the two-sided 1-2*Alpha
// confidence interval of the difference (Welch), so Low > -Margin exactly
// when P < Alpha. CohensD is the standardised difference. When both
// samples are constant the difference is known exactly: P is 0 if it
// exceeds -Margin, else 1, and the interval is the point.
type Shift struct {
	Diff    float64 `json:"diff"`
	Low     float64 `json:"ci_low"`
	High    float64 `json:"ci_high"`
	Level   float64 `json:"level"` // the interval's confidence, 1-2*Alpha
	P       float64 `json:"p"`
	DF      float64 `json:"df"`
	CohensD float64 `json:"cohens_d"`
	Margin  float64 `json:"margin"`
	Alpha   float64 `json:"alpha"`
	Pass    bool    `json:"pass"`
}

// ShiftTest computes the Shift of a over b. Both samples need at least two
// values, alpha must lie in (0, 0.5) and margin be >= 0; otherwise the
// numbers are NaN and Pass is false.
func ShiftTest(a, b []float64, margin, alpha float64) Shift {
	s := Shift{Diff: Mean(a) - Mean(b), Margin: margin, Alpha: alpha, Level: 1 - 2*alpha, CohensD: CohensD(a, b)}
	nan := math.NaN()
	if len(a) < 2 || len(b) < 2 || !(alpha > 0 && alpha < 0.5) || !(margin >= 0) {
		s.Low, s.High, s.P, s.DF = nan, nan, nan, nan
		return s
	}
	n1, n2 := float64(len(a)), float64(len(b))
	vn1, vn2 := Variance(a)/n1, Variance(b)/n2
	se := math.Sqrt(vn1 + vn2)
	if se == 0 {
		s.Low, s.High, s.DF = s.Diff, s.Diff, nan
		s.P = 1
		if s.Diff > -margin {
			s.P = 0
		}
		s.Pass = s.P < alpha
		return s
	}
	s.DF = (vn1 + vn2) * (vn1 + vn2) / (vn1*vn1/(n1-1) + vn2*vn2/(n2-1))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: s.DF}
	s.P = t.Survival((s.Diff + margin) / se)
	q := t.Quantile(1 - alpha)
	s.Low, s.High = s.Diff-q*se, s.Diff+q*se
	s.Pass = s.P < alpha
	return s
}
