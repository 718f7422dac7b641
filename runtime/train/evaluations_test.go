package train

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// TestEvaluations: the trainer stops every Every updates with a
// checkpoint of the network at that update, numbers the evaluations from
// 1, never evaluates the last update, ends the run when asked to, and
// returns an evaluation's error.
func TestEvaluations(t *testing.T) {
	needTorch(t)
	for _, tc := range []struct {
		name        string
		updates     int64
		every       int
		count       int
		ckEvery     int64 // agent-steps; 128 per update
		stopAt      int   // evaluation number that asks to stop; 0: never
		fail        bool
		wantUpdates []int
		wantRun     int // updates the run did
	}{
		{name: "every 2 of 7", updates: 7, every: 2, wantUpdates: []int{2, 4, 6}, wantRun: 7},
		{name: "every 2 of 6: not the last", updates: 6, every: 2, wantUpdates: []int{2, 4}, wantRun: 6},
		{name: "shares the checkpoints", updates: 4, every: 1, ckEvery: 256, wantUpdates: []int{1, 2, 3}, wantRun: 4},
		{name: "stop at the second", updates: 7, every: 2, stopAt: 2, wantUpdates: []int{2, 4}, wantRun: 4},
		{name: "count 3 of 8", updates: 8, count: 3, wantUpdates: []int{2, 4, 6}, wantRun: 8},
		{name: "count 3 of 3: fewer", updates: 3, count: 3, wantUpdates: []int{1, 2}, wantRun: 3},
		{name: "error", updates: 5, every: 2, fail: true, wantUpdates: []int{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := small(t, "stateless", tc.updates, t.TempDir())
			o.CheckpointEvery = tc.ckEvery
			var got []int
			o.Evaluations = &Evaluations{Every: tc.every, Count: tc.count, Evaluate: func(ctx context.Context, e Evaluation) (bool, error) {
				got = append(got, e.Update)
				if e.Number != len(got) || e.Step != int64(e.Update)*128 {
					t.Errorf("evaluation %+v is number %d", e, len(got))
				}
				if want := filepath.Join(o.Dir, "checkpoints", "update_"+pad6(e.Update)); e.Checkpoint != want {
					t.Errorf("checkpoint %s, want %s", e.Checkpoint, want)
				}
				if tc.fail {
					return false, errors.New("no evaluation today")
				}
				return e.Number == tc.stopAt, nil
			}}
			res, err := Train(context.Background(), o)
			if tc.fail {
				if err == nil || err.Error() != "evaluation after update 2: no evaluation today" {
					t.Fatalf("error %v", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.wantUpdates) {
				t.Fatalf("evaluated after updates %v, want %v", got, tc.wantUpdates)
			}
			for i := range got {
				if got[i] != tc.wantUpdates[i] {
					t.Fatalf("evaluated after updates %v, want %v", got, tc.wantUpdates)
				}
			}
			if tc.fail {
				return
			}
			if res.Updates != tc.wantRun {
				t.Errorf("ran %d updates, want %d", res.Updates, tc.wantRun)
			}
			if want := filepath.Join(o.Dir, "checkpoints", "update_"+pad6(tc.wantRun)); res.FinalCheckpoint != want {
				t.Errorf("final checkpoint %s, want %s", res.FinalCheckpoint, want)
			}
			seen := map[string]bool{}
			for _, c := range res.Checkpoints {
				if seen[c] {
					t.Errorf("checkpoint %s listed twice: %v", c, res.Checkpoints)
				}
				seen[c] = true
			}
		})
	}
	o := small(t, "stateless", 2, t.TempDir())
	o.Evaluations = &Evaluations{Every: 0}
	if err := o.Check(); err == nil {
		t.Error("Every 0 accepted")
	}
}

func pad6(u int) string { return fmt.Sprintf("%06d", u) }

// TestEvaluationsChangeNothing: a run evaluated on the way (and not
// stopped) trains the same network as a run that is not.
func TestEvaluationsChangeNothing(t *testing.T) {
	needTorch(t)
	plain := small(t, "stateless", 5, t.TempDir())
	a, err := Train(context.Background(), plain)
	if err != nil {
		t.Fatal(err)
	}
	evaluated := small(t, "stateless", 5, t.TempDir())
	evaluated.Evaluations = &Evaluations{Every: 2, Evaluate: func(context.Context, Evaluation) (bool, error) { return false, nil }}
	b, err := Train(context.Background(), evaluated)
	if err != nil {
		t.Fatal(err)
	}
	if weightsHash(t, a.FinalCheckpoint) != weightsHash(t, b.FinalCheckpoint) || len(b.Checkpoints) != 3 {
		t.Errorf("evaluations changed the training (checkpoints %v)", b.Checkpoints)
	}
}
