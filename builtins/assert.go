package builtins

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/dafscript/dafscript/runtime/benchmark"
	"github.com/dafscript/dafscript/runtime/compare"
	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/threshold"
	"github.com/dafscript/dafscript/sim/mission"
)

// Failure is a failed check (a statistical assertion, a threshold): not a
// broken script but a regression. The test runner shows it as a failed
// assertion at Pos (interp.Failure); builtins return it wrapped as an
// op.Regression error (see failure), so that op.KindOf finds its kind
// through starlark's EvalError and a script run exits with 3.
type Failure struct {
	Pos syntax.Position
	Msg string
}

func (f *Failure) Error() string                      { return f.Msg }
func (f *Failure) Failure() (syntax.Position, string) { return f.Pos, f.Msg }

// failure returns a Failure at the caller's position, of kind
// op.Regression.
func failure(t *starlark.Thread, msg string) error {
	var pos syntax.Position
	if t != nil && t.CallStackDepth() > 1 {
		pos = t.CallFrame(1).Pos
	}
	return op.Wrap(op.Regression, &Failure{Pos: pos, Msg: msg})
}

const assertBetterDoc = `assert.better(a, b, missions=None, suite=None, episodes=10, alpha=0.01, seed=None, metric="reward", max_steps=None) -> Assertion

In *_test.star files only. Plays policies a and b on the missions (or the
missions of a benchmark suite: "minimal", "standard", "full") for the given
episodes each, as daf.compare does (episode e of a mission has the same
seed for both), and fails unless a's mean metric is greater than b's by a
one-sided Welch t-test at level alpha. The same seed gives the same
episodes and so the same verdict: the assertion is never flaky. The
message shows both means, the difference with its 1-2*alpha confidence
interval, Cohen's d and the p-value. Returns the verdict (kind, a, b,
mean_a, mean_b, n, test: diff, ci_low, ci_high, level, p, cohens_d,
margin, alpha; pass) when it holds; the comparison is written to
<out>/comparisons/<session>/ (comparison.json, assertion.json).

  assert.better("baseline", "random", suite="standard", episodes=5, seed=1)`

const assertNotWorseDoc = `assert.not_worse(a, b, margin, missions=None, suite=None, episodes=10, alpha=0.01, seed=None, metric="reward", max_steps=None) -> Assertion

In *_test.star files only. As assert.better, but fails unless a is not
worse than b by margin or more (in the metric's units): a one-sided Welch
test of mean(a) - mean(b) > -margin at level alpha (a non-inferiority
test). Use it to pin that a change keeps a policy as good as before.

  assert.not_worse("lstm:ckpt/new.pt", "lstm:ckpt/old.pt", margin=0.05, suite="minimal", episodes=20, seed=3)`

// AssertDocs documents the members AssertMembers adds, keyed
// "assert.<name>".
var AssertDocs = map[string]string{"assert.better": assertBetterDoc, "assert.not_worse": assertNotWorseDoc}

// AssertMembers are the statistical assertions the CLI adds to the
// assert module of test files (interp.TestConfig.AssertExtras): interp's
// assert module is generic, and these need the runtime.
func AssertMembers() starlark.StringDict {
	return starlark.StringDict{
		"better": starlark.NewBuiltin("assert.better", guard(func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return assertShift(t, b, args, kwargs, false)
		})),
		"not_worse": starlark.NewBuiltin("assert.not_worse", guard(func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return assertShift(t, b, args, kwargs, true)
		})),
	}
}

// suiteMissions reads missions= or suite= (one of them).
func suiteMissions(fnName string, mis, suite starlark.Value) ([]*mission.Mission, string, error) {
	hasM, hasS := mis != nil && mis != starlark.None, suite != nil && suite != starlark.None
	switch {
	case hasM && hasS:
		return nil, "", fmt.Errorf("%s: give missions or suite, not both", fnName)
	case !hasM && !hasS:
		return nil, "", fmt.Errorf("%s: give missions=[...] or suite= (one of %s)", fnName, strings.Join(benchmark.SuiteNames(), ", "))
	case hasM:
		ms, err := Missions(fnName, "missions", mis)
		return ms, "", err
	}
	name, ok := starlark.AsString(suite)
	if !ok {
		return nil, "", fmt.Errorf("%s: suite: got %s, want a suite name (%s)", fnName, suite.Type(), strings.Join(benchmark.SuiteNames(), ", "))
	}
	s, err := benchmark.Lookup(name)
	if err != nil {
		return nil, "", fmt.Errorf("%s: suite: %v", fnName, err)
	}
	var ms []*mission.Mission
	for _, n := range s.Missions {
		m, err := mission.Get(n)
		if err != nil {
			return nil, "", err
		}
		ms = append(ms, m)
	}
	return ms, name, nil
}

func assertShift(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, notWorse bool) (starlark.Value, error) {
	var a, bb, mis, suite, epV, seedV, maxV, marginV starlark.Value = nil, nil, starlark.None, starlark.None, starlark.None, starlark.None, starlark.None, starlark.None
	alpha := starlark.Value(starlark.Float(0.01))
	metric := "reward"
	params := []any{"a", &a, "b", &bb}
	if notWorse {
		params = append(params, "margin", &marginV)
	}
	params = append(params, "missions?", &mis, "suite?", &suite, "episodes?", &epV, "alpha?", &alpha, "seed?", &seedV, "metric?", &metric, "max_steps?", &maxV)
	if err := UnpackArgs(b.Name(), args, kwargs, params...); err != nil {
		return nil, err
	}
	env := EnvOf(t)
	ea, err := policyEntries(b.Name(), "a", a)
	if err != nil {
		return nil, err
	}
	eb, err := policyEntries(b.Name(), "b", bb)
	if err != nil {
		return nil, err
	}
	if len(ea) != 1 || len(eb) != 1 {
		return nil, fmt.Errorf("%s: a and b are one policy (or one team mix) each", b.Name())
	}
	ms, suiteName, err := suiteMissions(b.Name(), mis, suite)
	if err != nil {
		return nil, err
	}
	episodes, err := IntArg("episodes", epV, 10, 1, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	seed, err := SeedArg(t, seedV)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	al, ok := starlark.AsFloat(alpha)
	if !ok {
		return nil, fmt.Errorf("%s: alpha: got %s, want a number such as 0.01", b.Name(), alpha.Type())
	}
	margin := 0.0
	if notWorse {
		if margin, ok = starlark.AsFloat(marginV); !ok {
			return nil, fmt.Errorf("%s: margin: got %s, want a number >= 0 in the metric's units", b.Name(), marginV.Type())
		}
	}
	maxSteps, err := IntArg("max_steps", maxV, env.MaxSteps, 1, 1<<30)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	o := compare.AssertOptions{Margin: margin, NotWorse: notWorse, Compare: compare.Options{
		Policies: []eval.Entry{ea[0], eb[0]}, Missions: ms, EpisodesPerMission: episodes, Seed: seed, Alpha: al, Metric: metric, MaxSteps: maxSteps}}
	args0 := map[string]any{"function": b.Name(), "a": ea[0].Name, "b": eb[0].Name, "missions": names(ms), "episodes": episodes,
		"alpha": al, "metric": metric, "max_steps": maxSteps, "margin": margin}
	if suiteName != "" {
		args0["suite"] = suiteName
	}
	v, dir, err := op.Do(env.Op(b.Name()), compare.AssertOperation, op.Call[compare.AssertOptions]{Options: o, Seed: seed, Args: args0})
	if err != nil {
		return nil, callError(b.Name(), err)
	}
	if !v.Pass {
		return nil, failure(t, fmt.Sprintf("%s: %s (episodes in %s)", b.Name(), v.Message(), dir))
	}
	return NewResult("Assertion", v)
}

// checkMethod is the check(*thresholds) method of results made of
// episodes (EvaluationResult, BenchmarkResult): every threshold must hold,
// else the call fails with a regression listing them all.
func checkMethod(kind string, episodes func() threshold.Episodes) Method {
	return Method{Name: "check", Fn: func(t *starlark.Thread, r *Result, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		name := kind + ".check"
		if len(kwargs) > 0 {
			return nil, fmt.Errorf("%s: takes threshold strings only, e.g. r.check(\"reward.mean > 0.5\", \"p95(steps) < 900\")", name)
		}
		var exprs []string
		for i, a := range args {
			s, ok := starlark.AsString(a)
			if !ok {
				return nil, fmt.Errorf("%s: argument %d: got %s, want a threshold string such as \"reward.mean > 0.5\"", name, i+1, a.Type())
			}
			exprs = append(exprs, s)
		}
		rep, err := threshold.Check(episodes(), exprs)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		summary := fmt.Sprintf("%s: %d of %d thresholds hold\n%s", name, len(rep.Outcomes)-rep.Failed(), len(rep.Outcomes), strings.TrimRight(rep.String(), "\n"))
		if !rep.Pass {
			return nil, failure(t, summary)
		}
		if t.Print != nil {
			t.Print(t, summary)
		}
		return NewResult("ThresholdReport", rep)
	}}
}
