package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/config"
)

// elsewhere runs obj as a worker would: the trial's number, parameters,
// seed and Pruning go through JSON to a TrialRun made by NewTrialRun, and
// what it reported comes back through JSON to be adopted.
func elsewhere(obj Objective) Objective {
	return func(ctx context.Context, t *TrialRun) (Outcome, error) {
		b, err := json.Marshal(t.Pruning())
		if err != nil {
			return Outcome{}, err
		}
		var p Pruning
		if err := json.Unmarshal(b, &p); err != nil {
			return Outcome{}, err
		}
		w, err := NewTrialRun(t.Number, t.Params, t.Seed, p)
		if err != nil {
			return Outcome{}, err
		}
		out, oerr := obj(ctx, w)
		b, err = json.Marshal(w.Reported())
		if err != nil {
			return Outcome{}, err
		}
		var r Reported
		if err := json.Unmarshal(b, &r); err != nil {
			return Outcome{}, err
		}
		t.Adopt(r)
		return out, oerr
	}
}

// A trial run elsewhere with its Pruning is pruned as it would be here,
// for every pruner and direction, with failed trials among the earlier
// ones: the results are the same bytes.
func TestTrialRunElsewhere(t *testing.T) {
	obj := func(ctx context.Context, t *TrialRun) (Outcome, error) {
		x, _ := t.Params.Float("x")
		if t.Number%5 == 3 {
			t.Report(1, x)
			return Outcome{}, errors.New("a failed trial, which the view leaves out")
		}
		for step := 1; step <= 9; step++ {
			if t.Report(step, x*float64(step)) {
				return Outcome{}, nil
			}
		}
		return Outcome{Value: x * 9}, nil
	}
	for _, pr := range []string{"none", "median", "asha"} {
		for _, dir := range []string{"maximize", "minimize"} {
			o := Options{Name: "p", Strategy: "random", NumTrials: 24, Seed: 5, Pruner: pr, Direction: dir, Jobs: 3,
				Space: config.SearchSpace{{Name: "x", Min: 0, Max: 1, Type: "float"}}}
			here, err := Run(context.Background(), o, obj)
			if err != nil {
				t.Fatal(err)
			}
			there, err := Run(context.Background(), o, elsewhere(obj))
			if err != nil {
				t.Fatal(err)
			}
			if a, b := mustJSON(t, here), mustJSON(t, there); a != b {
				t.Errorf("%s %s: run elsewhere:\n%s\nhere:\n%s", pr, dir, b, a)
			}
			if pr != "none" && here.Count(StatusPruned) == 0 {
				t.Errorf("%s %s: nothing pruned; the test shows nothing", pr, dir)
			}
		}
	}
}

// A report refused elsewhere fails the trial here with the same message.
func TestAdoptRefusedReport(t *testing.T) {
	o := opts("random", 2)
	r, err := Run(context.Background(), o, elsewhere(func(ctx context.Context, t *TrialRun) (Outcome, error) {
		t.Report(1, math.Inf(1))
		return Outcome{Value: 1}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range r.Trials {
		if tr.Status != StatusFailed || tr.Error != "intermediate value at step 1 is +Inf" {
			t.Errorf("trial %d: %s %q", tr.Number, tr.Status, tr.Error)
		}
	}
}

func TestNewTrialRunChecks(t *testing.T) {
	for _, tc := range []struct {
		p    Pruning
		want string
	}{
		{Pruning{Pruner: "median"}, "median pruner without its settings"},
		{Pruning{Pruner: "asha", ASHA: &ASHA{MinResource: 1, Eta: 1}}, "asha pruner without valid settings"},
		{Pruning{Pruner: "hyperband"}, `unknown pruner "hyperband"`},
		{Pruning{Direction: "up"}, `unknown direction "up"`},
	} {
		if _, err := NewTrialRun(3, Params{}, 0, tc.p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.p, err, tc.want)
		}
	}
}

// An error made by Fatal stops the sweep without recording the trial; a
// plain error fails the trial and the sweep goes on.
func TestFatalStopsTheSweep(t *testing.T) {
	lost := errors.New("connection lost")
	o := opts("random", 4)
	o.Journal = filepath.Join(t.TempDir(), "journal.jsonl")
	_, err := Run(context.Background(), o, func(ctx context.Context, t *TrialRun) (Outcome, error) {
		if t.Number == 2 {
			return Outcome{}, Fatal(lost)
		}
		return Outcome{Value: 1}, nil
	})
	if !errors.Is(err, lost) {
		t.Fatalf("error %v, want the fatal one", err)
	}
	// Resumed, trial 2 runs (it was not recorded) and the others do not.
	ran := map[int]bool{}
	r, err := Run(context.Background(), o, func(ctx context.Context, t *TrialRun) (Outcome, error) {
		ran[t.Number] = true
		return Outcome{Value: 1}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !ran[2] || ran[0] || ran[1] || r.Count(StatusComplete) != 4 {
		t.Errorf("resume ran %v; want trial 2 (and 3 if it had not ended)", ran)
	}
}
