package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dafscript/dafscript/runtime/journal"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
)

// stages builds a diamond a -> (b, c) -> d; each stage's output sums its
// inputs plus its own number, and calls counts its runs. fail names a
// stage that fails.
func stages(calls map[string]int, fail string) []Stage {
	mk := func(name string, n int, deps ...string) Stage {
		return Stage{Name: name, DependsOn: deps, Run: func(_ context.Context, in map[string]json.RawMessage) (json.RawMessage, error) {
			calls[name]++
			if name == fail {
				return nil, errors.New("injected failure")
			}
			sum := n
			for _, d := range deps {
				var v struct{ Sum int }
				if err := json.Unmarshal(in[d], &v); err != nil {
					return nil, err
				}
				sum += v.Sum
			}
			return json.Marshal(map[string]any{"Sum": sum, "stage": name})
		}}
	}
	return []Stage{mk("a", 1), mk("b", 10, "a"), mk("c", 100, "a"), mk("d", 1000, "b", "c")}
}

// findJournal is the journal of pipeline name in dir, as a resume finds it.
func findJournal(t *testing.T, dir, name string) string {
	t.Helper()
	j, err := journal.Find(dir, JournalKind, name)
	if err != nil || j == "" {
		t.Fatalf("no journal of pipeline %s in %s: %v", name, dir, err)
	}
	return j
}

func runOp(t *testing.T, out string, o Options) (*Run, string) {
	t.Helper()
	r := &op.Run{Out: out, Jobs: 1}
	res, dir, err := op.Do(r, Operation, op.Call[Options]{Options: o})
	if err != nil {
		t.Fatal(err)
	}
	return res, dir
}

func TestCheck(t *testing.T) {
	ok := func(context.Context, map[string]json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage("1"), nil
	}
	cases := []struct {
		name   string
		stages []Stage
		want   string
	}{
		{"unknown", []Stage{{Name: "a", Run: ok}, {Name: "b", DependsOn: []string{"aa"}, Run: ok}}, `stage b depends on unknown stage "aa" (did you mean a?); stages: a, b`},
		{"cycle", []Stage{{Name: "a", DependsOn: []string{"c"}, Run: ok}, {Name: "b", DependsOn: []string{"a"}, Run: ok}, {Name: "c", DependsOn: []string{"b"}, Run: ok}},
			"stages depend on each other in a cycle: a -> c -> b -> a"},
		{"self", []Stage{{Name: "a", DependsOn: []string{"a"}, Run: ok}}, "stage a depends on itself"},
		{"twice", []Stage{{Name: "a", Run: ok}, {Name: "a", Run: ok}}, `stages[1]: stage "a" is listed twice`},
		{"bad name", []Stage{{Name: "a-b", Run: ok}}, `stages[0]: name "a-b"`},
		{"none", nil, "stages: none given"},
	}
	for _, c := range cases {
		err := Options{Name: "p", Stages: c.stages}.Check()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	if err := (Options{Name: "p", Stages: []Stage{{Name: "a", Run: ok}}, Resume: filepath.Join(t.TempDir(), JournalName)}).Check(); err == nil || !strings.Contains(err.Error(), "is not a pipeline's folder") {
		t.Errorf("resume of a non-session: %v", err)
	}
}

func TestOrderMovesStagesAfterTheirDependencies(t *testing.T) {
	ok := func(context.Context, map[string]json.RawMessage) (json.RawMessage, error) { return nil, nil }
	idx, err := order([]Stage{{Name: "report", DependsOn: []string{"eval"}, Run: ok}, {Name: "train", Run: ok}, {Name: "eval", DependsOn: []string{"train"}, Run: ok}})
	if err != nil || !cmp.Equal(idx, []int{1, 2, 0}) {
		t.Errorf("order = %v, %v; want [1 2 0]", idx, err)
	}
}

func TestRunPassesOutputs(t *testing.T) {
	calls := map[string]int{}
	res, dir := runOp(t, t.TempDir(), Options{Name: "p", Stages: stages(calls, "")})
	if res.Status != StatusSuccess || string(res.Outputs["d"]) != `{"Sum":1112,"stage":"d"}` {
		t.Fatalf("status %s, d = %s", res.Status, res.Outputs["d"])
	}
	for _, f := range []string{"pipeline.json", "timings.json", "journal.jsonl", "stages/a.json", "stages/d.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestFailureThenResume(t *testing.T) {
	out := t.TempDir()
	calls := map[string]int{}
	res, dir := runOp(t, out, Options{Name: "p", Stages: stages(calls, "c")})
	want := Result{Name: "p", Status: StatusPartial, Stages: []string{"a", "b", "c", "d"}, StagesCompleted: []string{"a", "b"},
		StagesFailed: []string{"c"}, StagesSkipped: []string{"d"}, Errors: []StageError{{"c", "injected failure"}}}
	got := *res.Result
	got.Outputs = nil
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("failed run (-want +got):\n%s", d)
	}
	// Resume: a and b are reused, c and d run.
	calls2 := map[string]int{}
	res2, dir2 := runOp(t, out, Options{Name: "p", Stages: stages(calls2, ""), Resume: findJournal(t, dir, "p")})
	if res2.Status != StatusSuccess || !cmp.Equal(calls2, map[string]int{"c": 1, "d": 1}) || !cmp.Equal(res2.Timings.Reused, []string{"a", "b"}) {
		t.Fatalf("resume: status %s, calls %v, reused %v", res2.Status, calls2, res2.Timings.Reused)
	}
	if res2.Timings.ResumedFrom != dir {
		t.Errorf("resumed_from %q, want %q", res2.Timings.ResumedFrom, dir)
	}
	// The same pipeline.json as a run never interrupted.
	_, fresh := runOp(t, out, Options{Name: "p", Stages: stages(map[string]int{}, "")})
	a, _ := os.ReadFile(filepath.Join(dir2, "pipeline.json"))
	b, _ := os.ReadFile(filepath.Join(fresh, "pipeline.json"))
	if string(a) != string(b) {
		t.Errorf("resumed pipeline.json differs from a fresh run's:\n%s\n%s", a, b)
	}
	// A changed output is refused.
	if err := os.WriteFile(filepath.Join(dir, "stages", "a.json"), []byte(`{"Sum":2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Options{Name: "p", Stages: stages(map[string]int{}, ""), Resume: findJournal(t, dir, "p")}.Check()
	if err == nil || !strings.Contains(err.Error(), "stage a: stages/a.json has changed since it was written") {
		t.Errorf("tampered output: %v", err)
	}
	// Other stages: refused.
	other := stages(map[string]int{}, "")[:2]
	if err := (Options{Name: "p", Stages: other, Resume: findJournal(t, dir2, "p")}).Check(); err == nil || !strings.Contains(err.Error(), "with other stages (a b(a) c(a) d(b,c))") {
		t.Errorf("other stages: %v", err)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st := []Stage{{Name: "a", Run: func(context.Context, map[string]json.RawMessage) (json.RawMessage, error) {
		cancel()
		return json.RawMessage("1"), nil
	}}, {Name: "b", DependsOn: []string{"a"}, Run: func(context.Context, map[string]json.RawMessage) (json.RawMessage, error) {
		t.Error("b ran after cancellation")
		return nil, nil
	}}}
	_, _, err := op.Do(&op.Run{Ctx: ctx, Out: t.TempDir(), Jobs: 1}, Operation, op.Call[Options]{Options: Options{Name: "p", Stages: st}})
	if op.KindOf(err) != op.Cancelled {
		t.Errorf("err = %v, want cancelled", err)
	}
}

// In a script, a pipeline is a step of the run's session, and a resume
// of that session finds the pipeline's journal by its name among the
// steps, next to a sweep's or another pipeline's.
func TestStepOfARunSessionResumes(t *testing.T) {
	out := t.TempDir()
	runIn := func(o Options) (*output.Session, *Run, string) {
		s, err := output.NewManager(out).NewSession("runs", output.RunInfo{})
		if err != nil {
			t.Fatal(err)
		}
		r := &op.Run{Out: out, Jobs: 1, RunSession: func() (*output.Session, error) { return s, nil }}
		// Another pipeline first: the lookup is by name, not by position.
		if _, _, err := op.Do(r, Operation, op.Call[Options]{Options: Options{Name: "other", Stages: stages(map[string]int{}, "")}}); err != nil {
			t.Fatal(err)
		}
		res, dir, err := op.Do(r, Operation, op.Call[Options]{Options: o})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Finish(output.StatusDone); err != nil {
			t.Fatal(err)
		}
		return s, res, dir
	}
	first, _, step := runIn(Options{Name: "p", Stages: stages(map[string]int{}, "d")})
	if want := filepath.Join(first.Dir(), "02_pipeline"); step != want {
		t.Fatalf("the pipeline's folder is %s, want the step %s", step, want)
	}
	calls := map[string]int{}
	_, res, _ := runIn(Options{Name: "p", Stages: stages(calls, ""), Resume: findJournal(t, first.Dir(), "p")})
	if !cmp.Equal(res.Timings.Reused, []string{"a", "b", "c"}) || !cmp.Equal(calls, map[string]int{"d": 1}) || res.Timings.ResumedFrom != step {
		t.Errorf("reused %v, calls %v, from %s", res.Timings.Reused, calls, res.Timings.ResumedFrom)
	}
}
