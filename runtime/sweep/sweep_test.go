package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dafscript/dafscript/runtime/compare"
	"github.com/dafscript/dafscript/runtime/config"
	"github.com/dafscript/dafscript/runtime/journal"
)

// mixedSpace has every kind of parameter.
func mixedSpace() config.SearchSpace {
	return config.SearchSpace{
		{Name: "act", Values: []any{"relu", "tanh", "gelu"}},
		{Name: "lr", Min: 1e-4, Max: 1e-1, Log: true, Type: "float"},
		{Name: "n", Min: 1, Max: 10, Type: "int"},
		{Name: "x", Min: -5, Max: 5, Type: "float"},
	}
}

// synthetic is a known objective to minimise: 0 at act=tanh, lr=0.003,
// n=7, x=1.3.
func synthetic(p Params) float64 {
	lr, _ := p.Float("lr")
	n, _ := p.Float("n")
	x, _ := p.Float("x")
	v := math.Pow(math.Log10(lr)-math.Log10(0.003), 2) + 0.05*(n-7)*(n-7) + 0.2*(x-1.3)*(x-1.3)
	if p["act"] != "tanh" {
		v += 0.5
	}
	return v
}

func syntheticObjective(ctx context.Context, t *TrialRun) (Outcome, error) {
	return Outcome{Value: synthetic(t.Params)}, nil
}

func opts(strategy string, n int) Options {
	return Options{Name: "t", Space: mixedSpace(), Strategy: strategy, NumTrials: n, Seed: 7, Direction: "minimize", Objective: "loss", Jobs: 1}
}

func mustJSON(t *testing.T, r *Result) string {
	t.Helper()
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCheckErrors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"empty space", func(o *Options) { o.Space = nil }, "search_space: empty search space"},
		{"min > max", func(o *Options) { o.Space = config.SearchSpace{{Name: "lr", Min: 1, Max: 0.1, Type: "float"}} }, "search_space.lr: min 1 is greater than max 0.1"},
		{"log min 0", func(o *Options) { o.Space = config.SearchSpace{{Name: "lr", Min: 0, Max: 1, Log: true, Type: "float"}} }, "search_space.lr: a log range needs min > 0"},
		{"unknown type", func(o *Options) { o.Space = config.SearchSpace{{Name: "k", Min: 0, Max: 1, Type: "double"}} }, `search_space.k: unknown type "double"`},
		{"unknown strategy", func(o *Options) { o.Strategy = "tpee" }, `unknown strategy "tpee" (did you mean tpe?)`},
		{"unknown pruner", func(o *Options) { o.Pruner = "ashaa" }, `unknown pruner "ashaa" (did you mean asha?)`},
		{"unknown direction", func(o *Options) { o.Direction = "maximise" }, `unknown direction "maximise" (did you mean maximize?)`},
		{"num_trials 0", func(o *Options) { o.NumTrials = 0 }, "num_trials must be >= 1 for strategy random"},
		{"grid float", func(o *Options) { o.Strategy = "grid" }, "search_space.lr: strategy grid needs a list of values or an int range"},
		{"grid too small", func(o *Options) {
			o.Strategy, o.NumTrials, o.Space = "grid", 5, config.SearchSpace{{Name: "a", Values: []any{int64(1), int64(2)}}}
		}, "num_trials 5 is more than the 2 points of the grid"},
		{"jobs", func(o *Options) { o.Jobs = -1 }, "jobs must be >= 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts("random", 4)
			tt.mod(&o)
			err := o.Check()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if _, err := Run(context.Background(), o, syntheticObjective); err == nil {
				t.Fatal("Run accepted what Check refused")
			}
		})
	}
}

func TestObjectivesMatchCompareMetrics(t *testing.T) {
	// config's enum for objective must list the metrics the evaluator has.
	for _, m := range compare.Metrics {
		s := config.NewSweep()
		s.Objective = m
		src := fmt.Sprintf("name: s\nmissions: [m]\npolicy_class_path: p\nsearch_space: {a: [1]}\nobjective: %s\n", m)
		if _, err := config.Parse("x.yaml", []byte(src), "sweep"); err != nil {
			t.Errorf("metric %s: %v", m, err)
		}
	}
}

func TestGrid(t *testing.T) {
	o := Options{Name: "g", Strategy: "grid", Seed: 1, Jobs: 2, Space: config.SearchSpace{
		{Name: "a", Values: []any{"x", "y"}},
		{Name: "b", Min: 1, Max: 3, Type: "int"},
	}}
	r, err := Run(context.Background(), o, func(ctx context.Context, t *TrialRun) (Outcome, error) {
		b, _ := t.Params.Float("b")
		v := b
		if t.Params["a"] == "y" {
			v += 10
		}
		return Outcome{Value: v}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range r.Trials {
		got = append(got, fmt.Sprintf("%v%v", tr.Params["a"], tr.Params["b"]))
		if _, ok := tr.Params["b"].(int64); !ok {
			t.Fatalf("int parameter is %T", tr.Params["b"])
		}
	}
	if strings.Join(got, " ") != "x1 x2 x3 y1 y2 y3" {
		t.Fatalf("grid order %v", got)
	}
	if b, _ := r.Best(); b.Number != 5 {
		t.Fatalf("best %d, want 5 (maximize by default)", b.Number)
	}
	top := r.Top(2)
	if len(top) != 2 || top[0].Number != 5 || top[1].Number != 4 {
		t.Fatalf("top %v", top)
	}
	// A smaller num_trials samples the grid without repeats.
	o.NumTrials = 4
	r, err = Run(context.Background(), o, syntheticObjective)
	if err != nil || len(r.Trials) != 4 {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tr := range r.Trials {
		k := fmt.Sprint(tr.Params)
		if seen[k] {
			t.Fatalf("grid point %s twice", k)
		}
		seen[k] = true
	}
}

func TestRandomAndTPEStayInSpace(t *testing.T) {
	for _, s := range []string{"random", "tpe"} {
		r, err := Run(context.Background(), opts(s, 40), syntheticObjective)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range r.Trials {
			lr, _ := tr.Params.Float("lr")
			n := tr.Params["n"].(int64)
			x, _ := tr.Params.Float("x")
			a := tr.Params["act"].(string)
			if lr < 1e-4 || lr > 0.1 || n < 1 || n > 10 || x < -5 || x > 5 || (a != "relu" && a != "tanh" && a != "gelu") {
				t.Fatalf("%s: trial %d out of space: %v", s, tr.Number, tr.Params)
			}
		}
	}
}

func TestSeeds(t *testing.T) {
	for _, s := range []string{"random", "tpe"} {
		a, _ := Run(context.Background(), opts(s, 15), syntheticObjective)
		b, _ := Run(context.Background(), opts(s, 15), syntheticObjective)
		o := opts(s, 15)
		o.Seed = 8
		c, _ := Run(context.Background(), o, syntheticObjective)
		if mustJSON(t, a) != mustJSON(t, b) {
			t.Fatalf("%s: same seed, different results", s)
		}
		if mustJSON(t, a) == mustJSON(t, c) {
			t.Fatalf("%s: different seeds, same results", s)
		}
	}
}

// jittery sleeps a trial-dependent random time so that trials end in a
// different order at each jobs count, and reports a learning curve.
func jittery(ctx context.Context, t *TrialRun) (Outcome, error) {
	v := synthetic(t.Params)
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for step := 1; step <= 9; step++ {
		time.Sleep(time.Duration(r.IntN(300)) * time.Microsecond)
		if t.Report(step, v*(1+3/float64(step))) {
			return Outcome{}, nil
		}
	}
	return Outcome{Value: v, MissionValues: []MissionValue{{"m1", v}, {"m2", v / 2}}}, nil
}

func TestDeterministicAtAnyJobs(t *testing.T) {
	for _, pr := range []string{"none", "median", "asha"} {
		for _, s := range []string{"random", "tpe"} {
			var want string
			for _, jobs := range []int{1, 3, 8} {
				o := opts(s, 30)
				o.Pruner, o.Jobs = pr, jobs
				r, err := Run(context.Background(), o, jittery)
				if err != nil {
					t.Fatal(err)
				}
				got := mustJSON(t, r)
				if want == "" {
					want = got
					if pr != "none" && r.Count(StatusPruned) == 0 {
						t.Errorf("%s/%s: nothing pruned", s, pr)
					}
				} else if got != want {
					t.Fatalf("%s/%s: jobs %d gives a different result than jobs 1", s, pr, jobs)
				}
			}
		}
	}
}

func TestFailures(t *testing.T) {
	o := opts("random", 5)
	r, err := Run(context.Background(), o, func(ctx context.Context, t *TrialRun) (Outcome, error) {
		switch t.Number {
		case 0:
			return Outcome{}, errors.New("boom")
		case 1:
			panic("bad")
		case 2:
			return Outcome{Value: math.NaN()}, nil
		case 3:
			t.Report(2, 1)
			t.Report(1, 1)
			return Outcome{Value: 1}, nil
		}
		return Outcome{Value: 3}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantErr := []string{"boom", "trial 1 panicked: bad", "objective value is NaN", "intermediate step 1 does not follow step 2"}
	for i, w := range wantErr {
		if r.Trials[i].Status != StatusFailed || !strings.Contains(r.Trials[i].Error, w) || r.Trials[i].Value != nil {
			t.Errorf("trial %d: %+v, want failed with %q", i, r.Trials[i], w)
		}
	}
	if r.BestTrial != 4 {
		t.Fatalf("best %d", r.BestTrial)
	}
}

func TestPruners(t *testing.T) {
	// Half the trials are hopeless from the first step on.
	obj := func(ctx context.Context, t *TrialRun) (Outcome, error) {
		x, _ := t.Params.Float("x")
		for step := 1; step <= 27; step++ {
			if t.Report(step, x*float64(step)) {
				return Outcome{}, nil
			}
		}
		return Outcome{Value: x * 27}, nil
	}
	for _, pr := range []string{"median", "asha"} {
		o := Options{Name: "p", Strategy: "random", NumTrials: 30, Seed: 3, Pruner: pr, Jobs: 4,
			Space: config.SearchSpace{{Name: "x", Min: 0, Max: 1, Type: "float"}}}
		r, err := Run(context.Background(), o, obj)
		if err != nil {
			t.Fatal(err)
		}
		np := r.Count(StatusPruned)
		if np < 5 {
			t.Errorf("%s pruned %d of 30", pr, np)
		}
		// The pruned trials are the worse ones: every pruned x is below the
		// best complete x.
		b, _ := r.Best()
		bx, _ := b.Params.Float("x")
		for _, tr := range r.Trials {
			x, _ := tr.Params.Float("x")
			if tr.Status == StatusPruned && x > bx {
				t.Errorf("%s pruned trial %d (x=%v) better than the best (x=%v)", pr, tr.Number, x, bx)
			}
			if tr.Status == StatusPruned && (tr.Value == nil || len(tr.Intermediate) == 0) {
				t.Errorf("%s: pruned trial without its last value", pr)
			}
		}
	}
}

func TestMedianPrunerRule(t *testing.T) {
	done := func(vals ...float64) *Trial {
		t := &Trial{Status: StatusComplete}
		for i, v := range vals {
			t.Intermediate = append(t.Intermediate, Report{i + 1, v})
		}
		return t
	}
	view := []*Trial{done(1, 2), done(2, 4), done(3, 6)}
	m := Median{Startup: 3}
	// maximize (sign -1): at step 2 the median is 4.
	if m.prune(view, -1, []Report{{1, 5}, {2, 5}}) {
		t.Error("5 > median 4 pruned")
	}
	if !m.prune(view, -1, []Report{{1, 1}, {2, 3}}) {
		t.Error("best 3 < median 4 not pruned")
	}
	if (Median{Startup: 4}).prune(view, -1, []Report{{1, 0}}) {
		t.Error("pruned before startup trials")
	}
	a := ASHA{MinResource: 1, Eta: 3}
	// Rung 0 (step 1): values 1, 2, 3 and ours; top 4/3 = 1 goes on.
	if !a.prune(view, -1, []Report{{1, 2.5}}) {
		t.Error("asha kept a trial below the best at rung 0")
	}
	if a.prune(view, -1, []Report{{1, 3.5}}) {
		t.Error("asha pruned the best at rung 0")
	}
	// Step 2 reaches no new rung (rung 1 is at step 3): no decision.
	if a.prune(view, -1, []Report{{1, 3.5}, {2, 0}}) {
		t.Error("asha judged a step between rungs")
	}
}

func TestImportance(t *testing.T) {
	o := Options{Name: "i", Strategy: "random", NumTrials: 60, Seed: 1, Jobs: 2, Space: config.SearchSpace{
		{Name: "a", Min: 0, Max: 1, Type: "float"},
		{Name: "b", Min: 0, Max: 1, Type: "float"},
		{Name: "c", Values: []any{"p", "q"}},
	}}
	r, err := Run(context.Background(), o, func(ctx context.Context, t *TrialRun) (Outcome, error) {
		a, _ := t.Params.Float("a")
		return Outcome{Value: 10 * a}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Importance) != 3 || r.Importance[0].Parameter != "a" || r.Importance[0].Share < 0.7 || r.Importance[0].EtaSquared < 0.9 {
		t.Fatalf("importance %+v", r.Importance)
	}
	var sum float64
	for _, im := range r.Importance {
		sum += im.Share
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Fatalf("shares sum to %v", sum)
	}
}

func TestTable(t *testing.T) {
	r, err := Run(context.Background(), opts("random", 5), syntheticObjective)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	best, _ := r.Best()
	for _, w := range []string{"trial", "status", "loss", "act", "lr", "time", fmt.Sprintf("%d *", best.Number), "5 trials (5 complete, 0 pruned, 0 failed)", "best: trial", "importance"} {
		if !strings.Contains(out, w) {
			t.Errorf("table lacks %q:\n%s", w, out)
		}
	}
	// Without durations (a result read back from its JSON): no time column.
	for i := range r.Trials {
		r.Trials[i].Duration = 0
	}
	b.Reset()
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "time") {
		t.Errorf("a table without durations has a time column:\n%s", b.String())
	}
}

func TestTPEBeatsRandom(t *testing.T) {
	// Deterministic (seeded): 8 seeds, 40 trials each.
	var tpe, rnd []float64
	for seed := uint64(1); seed <= 8; seed++ {
		for _, s := range []string{"tpe", "random"} {
			o := opts(s, 40)
			o.Seed = seed
			r, err := Run(context.Background(), o, syntheticObjective)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := r.Best()
			if s == "tpe" {
				tpe = append(tpe, *b.Value)
			} else {
				rnd = append(rnd, *b.Value)
			}
		}
	}
	if median(tpe) >= median(rnd) {
		t.Fatalf("median regret: tpe %v, random %v", median(tpe), median(rnd))
	}
}

func TestResumeAfterCancel(t *testing.T) {
	want, err := Run(context.Background(), func() Options { o := opts("tpe", 20); o.Pruner = "median"; return o }(), jittery)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	o := opts("tpe", 20)
	o.Pruner, o.Journal, o.Jobs = "median", path, 3
	ctx, cancel := context.WithCancel(context.Background())
	var calls sync.Map
	_, err = Run(ctx, o, func(c context.Context, t *TrialRun) (Outcome, error) {
		calls.Store(t.Number, true)
		if t.Number == 11 {
			cancel()
			<-c.Done()
			return Outcome{}, c.Err()
		}
		return jittery(c, t)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	recs, _ := journal.Read(path)
	ended := map[int]bool{}
	for _, rec := range recs[1:] {
		var tr trialRecord
		rec.Decode(&tr)
		ended[tr.Number] = true
	}
	if len(ended) == 0 || ended[11] {
		t.Fatalf("journal holds %v", ended)
	}
	var rerun atomic.Int32
	got, err := Run(context.Background(), o, func(c context.Context, t *TrialRun) (Outcome, error) {
		if ended[t.Number] {
			t.Report(1, 0)
			rerun.Add(1)
		}
		return jittery(c, t)
	})
	if err != nil {
		t.Fatal(err)
	}
	if rerun.Load() != 0 {
		t.Fatalf("%d ended trials ran again", rerun.Load())
	}
	if mustJSON(t, got) != mustJSON(t, want) {
		t.Fatalf("resumed result differs from the uninterrupted one")
	}
	// Resuming a finished sweep runs nothing and gives the same result.
	again, err := Run(context.Background(), o, func(c context.Context, t *TrialRun) (Outcome, error) {
		return Outcome{}, errors.New("ran")
	})
	if err != nil || mustJSON(t, again) != mustJSON(t, want) {
		t.Fatalf("second resume: %v", err)
	}
	// Other options: refused.
	o.Seed++
	if _, err := Run(context.Background(), o, jittery); !errors.Is(err, ErrJournalMismatch) || !strings.Contains(err.Error(), "seed is 7 in the journal, 8 now") {
		t.Fatalf("mismatch: %v", err)
	}
}

// TestMain lets the test binary run a sweep as a separate process for
// the kill test.
func TestMain(m *testing.M) {
	if path := os.Getenv("SWEEP_TEST_JOURNAL"); path != "" {
		o := killOptions(path)
		_, err := Run(context.Background(), o, slowObjective)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func killOptions(path string) Options {
	o := opts("tpe", 24)
	o.Pruner, o.Journal, o.Jobs = "asha", path, 3
	return o
}

func slowObjective(ctx context.Context, t *TrialRun) (Outcome, error) {
	v := synthetic(t.Params)
	for step := 1; step <= 9; step++ {
		time.Sleep(2 * time.Millisecond)
		if t.Report(step, v*(1+3/float64(step))) {
			return Outcome{}, nil
		}
	}
	return Outcome{Value: v}, nil
}

// TestKill9Resume kills a sweep process at several moments and resumes
// it in this process: the result equals the uninterrupted run's, and no
// trial in the journal runs again.
func TestKill9Resume(t *testing.T) {
	want, err := Run(context.Background(), func() Options { o := killOptions(""); o.Journal = ""; return o }(), slowObjective)
	if err != nil {
		t.Fatal(err)
	}
	for _, after := range []int{1, 6, 13} {
		path := filepath.Join(t.TempDir(), "journal.jsonl")
		cmd := startSweepProcess(t, path)
		// Wait until the journal holds `after` trials, then kill -9.
		deadline := time.Now().Add(30 * time.Second)
		for {
			recs, _ := journal.Read(path)
			if len(recs) > after {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("sweep process made no progress")
			}
			time.Sleep(time.Millisecond)
		}
		cmd.Process.Kill()
		cmd.Wait()
		recs, err := journal.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		ended := map[int]bool{}
		for _, rec := range recs[1:] {
			var tr trialRecord
			rec.Decode(&tr)
			ended[tr.Number] = true
		}
		if len(ended) >= 24 {
			t.Fatalf("the sweep finished before the kill; slow it down")
		}
		var rerun atomic.Int32
		got, err := Run(context.Background(), killOptions(path), func(c context.Context, tr *TrialRun) (Outcome, error) {
			if ended[tr.Number] {
				rerun.Add(1)
			}
			return slowObjective(c, tr)
		})
		if err != nil {
			t.Fatal(err)
		}
		if rerun.Load() != 0 {
			t.Fatalf("after %d: %d ended trials ran again", after, rerun.Load())
		}
		if mustJSON(t, got) != mustJSON(t, want) {
			t.Fatalf("killed after %d trials: resumed result differs", after)
		}
	}
}

func TestFromConfig(t *testing.T) {
	doc, err := config.Load("../config/testdata/sweep_tpe.yaml", "sweep")
	if err != nil {
		t.Fatal(err)
	}
	o := FromConfig(doc.Value.(*config.Sweep))
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	if o.Strategy != "tpe" || o.NumTrials != 12 || o.Seed != 7 || o.Pruner != "median" || o.Jobs != 2 || o.Window != DefaultWindow || len(o.Space) != 3 {
		t.Fatalf("options %+v", o)
	}
	setup := o.Setup.(map[string]any)
	if setup["train_steps"] != 20000 || setup["policy_class_path"] != "stateless" {
		t.Fatalf("setup %v", setup)
	}
}
