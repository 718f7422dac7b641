package stats

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
)

// refFloat reads a number or one of "nan", "inf", "-inf".
type refFloat float64

func (f *refFloat) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		switch s {
		case "nan":
			*f = refFloat(math.NaN())
		case "inf":
			*f = refFloat(math.Inf(1))
		case "-inf":
			*f = refFloat(math.Inf(-1))
		default:
			return fmt.Errorf("bad float %q", s)
		}
		return nil
	}
	var v float64
	err := json.Unmarshal(b, &v)
	*f = refFloat(v)
	return err
}

type reference struct {
	SciPy       string                         `json:"scipy"`
	Samples     map[string][]float64           `json:"samples"`
	Descriptive map[string]map[string]refFloat `json:"descriptive"`
	Pairs       []struct {
		A, B            string
		WelchT          refFloat `json:"welch_t"`
		WelchP          refFloat `json:"welch_p"`
		MWUU            refFloat `json:"mwu_u"`
		MWUP            refFloat `json:"mwu_p"`
		CohensD         refFloat `json:"cohens_d"`
		ProbImprovement refFloat `json:"prob_improvement"`
	} `json:"pairs"`
	Holm []struct {
		P        []float64  `json:"p"`
		Adjusted []refFloat `json:"adjusted"`
	} `json:"holm"`
	Bootstrap []struct {
		Sample    string
		Low, High refFloat
	} `json:"bootstrap"`
}

func loadReference(t *testing.T) *reference {
	t.Helper()
	data, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// close reports whether got matches want to rel (relative) or 1e-14
// (absolute), with NaN matching NaN and infinities matching exactly.
func close(got float64, want refFloat, rel float64) bool {
	w := float64(want)
	switch {
	case math.IsNaN(w):
		return math.IsNaN(got)
	case math.IsInf(w, 0):
		return got == w
	}
	return math.Abs(got-w) <= 1e-14+rel*math.Abs(w)
}

func TestDescriptiveMatchesSciPy(t *testing.T) {
	ref := loadReference(t)
	for name, want := range ref.Descriptive {
		x := ref.Samples[name]
		got := map[string]float64{
			"mean": Mean(x), "std": Std(x), "median": Median(x), "iqm": IQM(x),
			"q025": Quantile(x, 0.025), "q975": Quantile(x, 0.975),
		}
		s := Summarize([][]float64{x}, 1)
		got["min"], got["max"] = s.Min, s.Max
		for k, w := range want {
			if !close(got[k], w, 1e-12) {
				t.Errorf("%s %s = %v, SciPy %v", name, k, got[k], float64(w))
			}
		}
		if !close(s.Mean, want["mean"], 1e-12) || !close(s.Std, want["std"], 1e-12) ||
			!close(s.Median, want["median"], 1e-12) || !close(s.IQM, want["iqm"], 1e-12) {
			t.Errorf("%s: Summarize = %+v, disagrees with %v", name, s, want)
		}
	}
}

func TestPairTestsMatchSciPy(t *testing.T) {
	ref := loadReference(t)
	for _, p := range ref.Pairs {
		a, b := ref.Samples[p.A], ref.Samples[p.B]
		tt, _, tp := WelchTTest(a, b)
		u, up := MannWhitneyU(a, b)
		checks := []struct {
			name string
			got  float64
			want refFloat
		}{
			{"welch t", tt, p.WelchT},
			{"welch p", tp, p.WelchP},
			{"mwu u", u, p.MWUU},
			{"mwu p", up, p.MWUP},
			{"cohens d", CohensD(a, b), p.CohensD},
			{"prob improvement", ProbImprovement(a, b), p.ProbImprovement},
		}
		for _, c := range checks {
			if !close(c.got, c.want, 1e-10) {
				t.Errorf("%s vs %s: %s = %v, SciPy %v", p.A, p.B, c.name, c.got, float64(c.want))
			}
		}
	}
}

func TestHolmMatchesReference(t *testing.T) {
	ref := loadReference(t)
	for _, h := range ref.Holm {
		got := Holm(h.P)
		for i := range got {
			if !close(got[i], h.Adjusted[i], 1e-12) {
				t.Errorf("Holm(%v)[%d] = %v, want %v", h.P, i, got[i], float64(h.Adjusted[i]))
			}
		}
	}
}

// The bootstrap is Monte Carlo on both sides: SciPy's interval comes from
// 200000 resamples, ours from BootstrapResamples, so they agree to a
// fraction of the interval's width, not to the last digit.
func TestBootstrapAgreesWithSciPy(t *testing.T) {
	ref := loadReference(t)
	for _, b := range ref.Bootstrap {
		x := ref.Samples[b.Sample]
		lo, hi := BootstrapCI([][]float64{x}, Mean, BootstrapResamples, 0.95, 42)
		width := float64(b.High - b.Low)
		tol := 0.06 * width
		if math.Abs(lo-float64(b.Low)) > tol || math.Abs(hi-float64(b.High)) > tol {
			t.Errorf("%s: bootstrap CI [%v, %v], SciPy [%v, %v] (tolerance %v)", b.Sample, lo, hi, float64(b.Low), float64(b.High), tol)
		}
	}
}
