package compare

import (
	"fmt"
	"math"
	"strings"

	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/stats"
)

// AssertOptions configure a statistical assertion about two policies:
// that A is better than B (Margin 0, NotWorse false) or that A is not
// worse than B by Margin or more (NotWorse true). Compare holds the two
// policies, A first, and how they are played (missions, episodes, seed,
// metric); Compare.Alpha is the one-sided significance level.
type AssertOptions struct {
	Compare  Options
	Margin   float64
	NotWorse bool
}

// Check is the only validation of an assertion.
func (o AssertOptions) Check() error {
	if len(o.Compare.Policies) != 2 {
		return fmt.Errorf("an assertion compares two policies, got %d", len(o.Compare.Policies))
	}
	if o.Compare.Mixed {
		return fmt.Errorf("an assertion plays each policy on its own episodes; mixed mode is not supported")
	}
	if !(o.Compare.Alpha > 0 && o.Compare.Alpha < 0.5) {
		return fmt.Errorf("alpha: got %v, want a one-sided level between 0 and 0.5, e.g. 0.01", o.Compare.Alpha)
	}
	if !(o.Margin >= 0) || math.IsInf(o.Margin, 0) {
		return fmt.Errorf("margin: got %v, want a number >= 0 in the metric's units", o.Margin)
	}
	if !o.NotWorse && o.Margin != 0 {
		return fmt.Errorf("margin: only not_worse takes a margin")
	}
	if n := len(o.Compare.Missions) * o.Compare.EpisodesPerMission; n < 2 {
		return fmt.Errorf("episodes: each policy needs at least 2 episodes in all for a test, got %d", n)
	}
	return o.Compare.Check()
}

// Assertion is the verdict of an assertion, with the evidence: the
// difference of the metric's means (A - B), its 1-2*alpha Welch interval,
// the one-sided p-value, Cohen's d, and the comparison behind it.
type Assertion struct {
	Kind     string      `json:"kind"` // "better" or "not_worse"
	A        string      `json:"a"`
	B        string      `json:"b"`
	Metric   string      `json:"metric"`
	Missions []string    `json:"missions"`
	Episodes int         `json:"episodes_per_mission"`
	Seed     uint64      `json:"seed"`
	MeanA    stats.Float `json:"mean_a"`
	MeanB    stats.Float `json:"mean_b"`
	N        int         `json:"n"` // episodes per policy
	Test     shiftJSON   `json:"test"`
	Pass     bool        `json:"pass"`
	// Report is the comparison the verdict rests on (written beside it as
	// comparison.json).
	Report *Report `json:"-"`
}

type shiftJSON struct {
	Diff    stats.Float `json:"diff"`
	Low     stats.Float `json:"ci_low"`
	High    stats.Float `json:"ci_high"`
	Level   float64     `json:"level"`
	P       stats.Float `json:"p"`
	CohensD stats.Float `json:"cohens_d"`
	Margin  float64     `json:"margin"`
	Alpha   float64     `json:"alpha"`
}

// Decide computes the verdict from a comparison report of the two
// policies.
func Decide(rep *Report, o AssertOptions) *Assertion {
	a, b := o.Compare.Policies[0].Name, o.Compare.Policies[1].Name
	var xa, xb []float64
	for _, m := range rep.Missions {
		xa = append(xa, rep.PolicyMissionRewards[a][m]...)
		xb = append(xb, rep.PolicyMissionRewards[b][m]...)
	}
	s := stats.ShiftTest(xa, xb, o.Margin, o.Compare.Alpha)
	kind := "better"
	if o.NotWorse {
		kind = "not_worse"
	}
	return &Assertion{Kind: kind, A: a, B: b, Metric: rep.Metric, Missions: rep.Missions,
		Episodes: rep.EpisodesPerMission, Seed: rep.Seed, MeanA: stats.Float(stats.Mean(xa)), MeanB: stats.Float(stats.Mean(xb)),
		N: len(xa), Pass: s.Pass, Report: rep,
		Test: shiftJSON{stats.Float(s.Diff), stats.Float(s.Low), stats.Float(s.High), s.Level, stats.Float(s.P),
			stats.Float(s.CohensD), s.Margin, s.Alpha}}
}

// Message says what was asserted and the evidence, on one line:
//
//	baseline better than random on reward: diff +0.95 (98% CI [0.90, 1.00]), d 5.2, p 1.2e-09 < alpha 0.01 (n 15 each, seed 1)
func (a *Assertion) Message() string {
	var b strings.Builder
	claim := "better than"
	if a.Kind == "not_worse" {
		claim = fmt.Sprintf("not worse (margin %s) than", num(a.Test.Margin))
	}
	fmt.Fprintf(&b, "%s %s %s on %s: mean %s vs %s, diff %s (%s%% CI [%s, %s]), d %s, p %s",
		a.A, claim, a.B, a.Metric, num(float64(a.MeanA)), num(float64(a.MeanB)), signed(float64(a.Test.Diff)),
		num(100*a.Test.Level), num(float64(a.Test.Low)), num(float64(a.Test.High)), num(float64(a.Test.CohensD)), pval(float64(a.Test.P)))
	rel := ">="
	if a.Pass {
		rel = "<"
	}
	fmt.Fprintf(&b, " %s alpha %s (one-sided Welch, n %d each, missions %s, seed %d)", rel, num(a.Test.Alpha), a.N,
		strings.Join(a.Missions, ","), a.Seed)
	return b.String()
}

func num(x float64) string {
	switch {
	case math.IsNaN(x):
		return "undefined"
	case math.IsInf(x, 1):
		return "+Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	}
	return fmt.Sprintf("%.4g", x)
}

func signed(x float64) string {
	if x >= 0 {
		return "+" + num(x)
	}
	return num(x)
}

func pval(p float64) string {
	if p == 0 {
		return "0"
	}
	return fmt.Sprintf("%.3g", p)
}

// AssertOperation plays the two policies (as compare does) and decides;
// the session holds comparison.json and assertion.json. A failed
// assertion is not an error of the operation: the caller reads Pass.
var AssertOperation = op.Spec[AssertOptions, *Assertion]{
	Name: "assertion", Folder: "comparisons", File: "assertion.json",
	Body: func(r *op.Run, s *output.Session, o AssertOptions) (*Assertion, error) {
		rep, err := Operation.Body(r, s, o.Compare)
		if err != nil {
			return nil, err
		}
		if _, err := s.WriteJSON("comparison.json", rep); err != nil {
			return nil, err
		}
		return Decide(rep, o), nil
	},
}
