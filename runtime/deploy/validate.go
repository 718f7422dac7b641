// Package deploy is the validation gate and the deploy, rollback and
// listing operations on a registry (daf.validate, daf.deploy,
// daf.rollback, daf.registry and their commands).
package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/pkg"
	"github.com/dafscript/dafscript/runtime/stats"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

// ValidateOptions configures Validate.
type ValidateOptions struct {
	Package string // the .dafpkg file
	// Missions to play; none means only the package checks (hashes, load).
	Missions []string
	Episodes int // per mission, >= 1 when missions are given
	// MinReward, if not nil, is the least mean episode reward (over every
	// mission and episode) the package must reach.
	MinReward *float64
	// Against, if not empty, is a policy spec (e.g. "baseline") the
	// package must not be significantly worse than.
	Against  string
	Alpha    float64 // significance level of that test, in (0, 1); 0 means 0.05
	Seed     uint64
	MaxSteps int // > 0 overrides the missions' episode length
	Jobs     int
}

// DefaultAlpha is the significance level of the comparison with the
// reference when Alpha is 0.
const DefaultAlpha = 0.05

// alpha is Alpha, or DefaultAlpha when unset.
func (o ValidateOptions) alpha() float64 {
	if o.Alpha == 0 {
		return DefaultAlpha
	}
	return o.Alpha
}

// Check is the only validation of validation options.
func (o ValidateOptions) Check() error {
	if o.Package == "" {
		return errors.New("package: no .dafpkg file given")
	}
	if a := o.alpha(); !(a > 0 && a < 1) {
		return fmt.Errorf("alpha must be in (0, 1), got %v", o.Alpha)
	}
	if o.MaxSteps < 0 {
		return fmt.Errorf("max_steps must be >= 0, got %d", o.MaxSteps)
	}
	if len(o.Missions) == 0 {
		if o.MinReward != nil || o.Against != "" {
			return errors.New("missions: min_reward and against need missions to play")
		}
		return nil
	}
	for _, m := range o.Missions {
		if _, err := mission.Get(m); err != nil {
			return fmt.Errorf("missions: %w", err)
		}
	}
	if o.Episodes < 1 {
		return fmt.Errorf("episodes must be >= 1, got %d", o.Episodes)
	}
	if o.MinReward != nil && (math.IsNaN(*o.MinReward) || math.IsInf(*o.MinReward, 0)) {
		return fmt.Errorf("min_reward must be a finite number, got %v", *o.MinReward)
	}
	if o.Against != "" {
		if _, _, err := policy.ParseSpec(o.Against); err != nil {
			return fmt.Errorf("against: %w", err)
		}
		if n := o.Episodes * len(o.Missions); n < 2 {
			return fmt.Errorf("against: a test needs at least 2 episodes per policy, got %d (raise episodes)", n)
		}
	}
	return nil
}

// Check names of a ValidationResult, in the order they run.
const (
	CheckHashes   = "hashes"
	CheckLoads    = "loads"
	CheckPlays    = "plays"
	CheckReward   = "min_reward"
	CheckNotWorse = "not_worse"
)

// CheckResult is one check of the gate.
type CheckResult struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"`
}

// Reference is the comparison with the reference policy: a one-sided
// Welch t-test of H0 "the package's mean episode reward is at least the
// reference's" against H1 "it is lower"; the package is significantly
// worse when P < Alpha.
type Reference struct {
	Policy     string  `json:"policy"`
	MeanReward float64 `json:"mean_reward"`
	MeanDiff   float64 `json:"mean_diff"` // package - reference
	T          float64 `json:"t"`
	DF         float64 `json:"df"`
	P          float64 `json:"p_one_sided"`
	Alpha      float64 `json:"alpha"`
	Worse      bool    `json:"significantly_worse"`
}

// ValidationResult is the gate's verdict.
type ValidationResult struct {
	Package    string        `json:"package"`
	SHA256     string        `json:"sha256"`
	Name       string        `json:"name"`
	Version    string        `json:"version"`
	Passed     bool          `json:"passed"`
	Reasons    []string      `json:"reasons"` // why it failed, one per failed check
	Checks     []CheckResult `json:"checks"`
	Episodes   int           `json:"episodes"` // played by the package, all missions
	MeanReward float64       `json:"mean_reward"`
	Reference  *Reference    `json:"reference,omitempty"`
}

func (r *ValidationResult) add(name string, err error, detail string) {
	c := CheckResult{Name: name, Passed: err == nil, Detail: detail}
	if err != nil {
		c.Detail = err.Error()
		r.Reasons = append(r.Reasons, name+": "+err.Error())
	}
	r.Checks = append(r.Checks, c)
}

// Validate runs the gate: the package's hashes match, it loads, it plays
// the episodes without error, meets MinReward and is not significantly
// worse than Against. A failed check is a result, not an error; the error
// is for options that are wrong or a cancelled context. With a session,
// the result is recorded there as validation.json.
func Validate(ctx context.Context, sess *output.Session, o ValidateOptions) (*ValidationResult, error) {
	r, err := validate(ctx, o)
	if err != nil || sess == nil {
		return r, err
	}
	if _, err := sess.WriteJSON("validation.json", r); err != nil {
		return nil, err
	}
	return r, nil
}

func validate(ctx context.Context, o ValidateOptions) (*ValidationResult, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	r := &ValidationResult{Package: o.Package, Checks: []CheckResult{}, Reasons: []string{}}
	defer func() { r.Passed = len(r.Reasons) == 0 }()
	p, err := pkg.Open(o.Package)
	if err != nil {
		r.add(CheckHashes, err, "")
		return r, nil
	}
	r.SHA256, r.Name, r.Version = p.SHA256, p.Manifest.Name, p.Manifest.Version
	detail := "the manifest reads; no other file"
	if n := len(p.Manifest.Files); n > 0 {
		detail = fmt.Sprintf("the manifest reads; %d files match their sha256", n)
	}
	r.add(CheckHashes, nil, detail)
	if _, err := p.Policy(nil); err != nil {
		r.add(CheckLoads, err, "")
		return r, nil
	}
	r.add(CheckLoads, nil, "policy "+p.Manifest.Policy.Class)
	if len(o.Missions) == 0 {
		return r, nil
	}
	var ms []*mission.Mission
	for _, name := range o.Missions {
		m, err := mission.Get(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	run := func(spec policy.Spec) ([]float64, error) {
		res, err := eval.Run(ctx, eval.Options{Entries: []eval.Entry{eval.Single(spec)}, Missions: ms,
			Episodes: o.Episodes, Seed: o.Seed, MaxSteps: o.MaxSteps, Jobs: o.Jobs})
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(res.Results))
		for i, e := range res.Results {
			out[i] = e.Reward
		}
		return out, nil
	}
	mine, err := run(policy.Spec{Class: pkg.Class, Data: o.Package})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.add(CheckPlays, err, "")
		return r, nil
	}
	r.Episodes, r.MeanReward = len(mine), stats.Mean(mine)
	r.add(CheckPlays, nil, fmt.Sprintf("%d episodes on %s", len(mine), strings.Join(o.Missions, ", ")))
	if o.MinReward != nil {
		if r.MeanReward >= *o.MinReward {
			r.add(CheckReward, nil, fmt.Sprintf("mean reward %.4g >= %.4g", r.MeanReward, *o.MinReward))
		} else {
			r.add(CheckReward, fmt.Errorf("mean reward %.4g is below the minimum %.4g", r.MeanReward, *o.MinReward), "")
		}
	}
	if o.Against != "" {
		spec, _, _ := policy.ParseSpec(o.Against)
		ref, err := run(spec)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("against %s: %w", o.Against, err)
		}
		r.Reference = compare(mine, ref, o.Against, o.alpha())
		rf := r.Reference
		detail := fmt.Sprintf("mean %.4g vs %.4g for %s (one-sided Welch t-test, p = %.4g, alpha %.4g)", r.MeanReward, rf.MeanReward, rf.Policy, rf.P, rf.Alpha)
		if rf.Worse {
			r.add(CheckNotWorse, errors.New("significantly worse: "+detail), "")
		} else {
			r.add(CheckNotWorse, nil, detail)
		}
	}
	return r, nil
}

// compare tests whether a is significantly lower than b: one-sided
// Welch's t-test, p = P(T <= t) from the two-sided p of stats.WelchTTest.
// When both samples are constant, t is ±Inf (p 0 or 1) if the means
// differ and undefined if they are equal, which is not worse.
func compare(a, b []float64, name string, alpha float64) *Reference {
	t, df, p2 := stats.WelchTTest(a, b)
	p := math.NaN()
	switch {
	case math.IsNaN(t):
	case t < 0:
		p = p2 / 2
	default:
		p = 1 - p2/2
	}
	return &Reference{Policy: name, MeanReward: stats.Mean(b), MeanDiff: stats.Mean(a) - stats.Mean(b),
		T: t, DF: df, P: p, Alpha: alpha, Worse: !math.IsNaN(p) && p < alpha}
}

// MarshalJSON writes undefined statistics (NaN, ±Inf) as null.
func (r Reference) MarshalJSON() ([]byte, error) {
	type ref struct {
		Policy     string      `json:"policy"`
		MeanReward stats.Float `json:"mean_reward"`
		MeanDiff   stats.Float `json:"mean_diff"`
		T          stats.Float `json:"t"`
		DF         stats.Float `json:"df"`
		P          stats.Float `json:"p_one_sided"`
		Alpha      float64     `json:"alpha"`
		Worse      bool        `json:"significantly_worse"`
	}
	return json.Marshal(ref{r.Policy, stats.Float(r.MeanReward), stats.Float(r.MeanDiff), stats.Float(r.T),
		stats.Float(r.DF), stats.Float(r.P), r.Alpha, r.Worse})
}
