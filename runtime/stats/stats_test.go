package stats

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestBootstrapDeterministicAndStratified(t *testing.T) {
	strata := [][]float64{{1, 2, 3, 4, 5}, {10, 10, 10}}
	lo1, hi1 := BootstrapCI(strata, Mean, 500, 0.95, 7)
	lo2, hi2 := BootstrapCI(strata, Mean, 500, 0.95, 7)
	if lo1 != lo2 || hi1 != hi2 {
		t.Fatalf("same seed, different intervals: [%v,%v] vs [%v,%v]", lo1, hi1, lo2, hi2)
	}
	lo3, hi3 := BootstrapCI(strata, Mean, 500, 0.95, 8)
	if lo1 == lo3 && hi1 == hi3 {
		t.Errorf("seeds 7 and 8 gave the same interval [%v,%v]", lo1, hi1)
	}
	// The second stratum is constant and always contributes 3 tens, so the
	// resampled mean lies in [(5*1+30)/8, (5*5+30)/8].
	if lo1 < 35.0/8 || hi1 > 55.0/8 || lo1 > hi1 {
		t.Errorf("stratified interval [%v,%v] outside [%v,%v]", lo1, hi1, 35.0/8, 55.0/8)
	}
	if lo, hi := BootstrapCI(nil, Mean, 100, 0.95, 1); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("empty: [%v,%v], want NaN", lo, hi)
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize([][]float64{{1, 2}, {}, {3, 4, 10}}, 3)
	if s.N != 5 || s.Mean != 4 || s.Median != 3 || s.Min != 1 || s.Max != 10 || s.IQM != 3 {
		t.Errorf("Summarize = %+v", s)
	}
	if !(s.CILow <= s.Mean && s.Mean <= s.CIHigh) {
		t.Errorf("mean %v outside its interval [%v,%v]", s.Mean, s.CILow, s.CIHigh)
	}
	e := Summarize(nil, 1)
	if e.N != 0 || !math.IsNaN(e.Mean) {
		t.Errorf("empty Summarize = %+v", e)
	}
}

func TestSummaryJSONNullRoundTrip(t *testing.T) {
	s := Summarize([][]float64{{2.5}}, 1)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"std":null`) || !strings.Contains(string(b), `"mean":2.5`) {
		t.Errorf("JSON %s: want std null and mean 2.5", b)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(back.Std) || back.Mean != 2.5 || back.N != 1 {
		t.Errorf("round trip = %+v", back)
	}
}

func TestHolmNaN(t *testing.T) {
	got := Holm([]float64{math.NaN(), 0.01, 0.02})
	if !math.IsNaN(got[0]) || math.Abs(got[1]-0.03) > 1e-15 || math.Abs(got[2]-0.04) > 1e-15 {
		t.Errorf("Holm = %v, want [NaN 0.03 0.04]", got)
	}
}

func TestMinimumSamples(t *testing.T) {
	tests := []struct {
		alpha float64
		want  int
	}{{0.05, 4}, {0.01, 5}, {0.05 / 3, 5}, {0.2, 3}}
	for _, tc := range tests {
		if got := MinSamples(tc.alpha); got != tc.want {
			t.Errorf("MinSamples(%v) = %d, want %d", tc.alpha, got, tc.want)
		}
	}
	if w := SampleWarning(3, 3, 0.05, 1); !strings.Contains(w, "need at least 4") {
		t.Errorf("SampleWarning(3,3) = %q", w)
	}
	if w := SampleWarning(4, 4, 0.05, 1); w != "" {
		t.Errorf("SampleWarning(4,4) = %q, want none", w)
	}
	if w := SampleWarning(4, 4, 0.05, 3); !strings.Contains(w, "need at least 5") {
		t.Errorf("SampleWarning(4,4,3 tests) = %q", w)
	}
}

// A fully separated exact test has p = 2/C(m+n, m).
func TestExactMannWhitneySeparated(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {2, 3}, {5, 5}, {8, 20}, {3, 40}} {
		var a, b []float64
		for i := 0; i < sz[0]; i++ {
			a = append(a, float64(i))
		}
		for i := 0; i < sz[1]; i++ {
			b = append(b, float64(100+i))
		}
		_, p := MannWhitneyU(a, b)
		if want := MinPossibleP(sz[0], sz[1]); math.Abs(p-want) > 1e-12*want {
			t.Errorf("sizes %v: p = %v, want %v", sz, p, want)
		}
	}
}
