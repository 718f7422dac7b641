package builtins

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/journal"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/pipeline"
)

const stageDoc = `daf.stage(name, fn, depends_on=None) -> Stage

A stage of daf.pipeline: fn is called with one keyword argument per stage
it depends on (named after that stage, holding its output) and returns the
stage's output: None, a bool, number, string, list, dict, struct or daf
result (anything json.encode takes). Outputs pass through JSON, so a later
stage gets a plain value (objects as records: out.checkpoint or out["checkpoint"]); that is
also what a resumed run gets, so a stage behaves the same either way.
Objects arrive as records: out["checkpoint"] and out.checkpoint both work.
depends_on=None takes fn's parameter names as the stages it depends on.

  daf.stage("evaluate", lambda train: daf.evaluate(train.policy, "training_facility_1").summary[0].reward.mean)`

const pipelineDoc = `daf.pipeline(name, stages, resume=None) -> PipelineResult

Runs stages (daf.stage values, or functions: a function's name names the
stage and its parameters name the stages it depends on) one at a time, in
dependency order (the order given, where it allows). Unknown dependencies,
cycles, duplicate names and a session to resume that ran other stages are
errors before anything runs. A stage that fails is recorded and the
stages depending on it are skipped; the others still run.

The pipeline is a step of the run's session, <out>/runs/<id>/NN_pipeline/
(the operations its stages call are steps after it): each finished
stage's output (stages/NAME.json), journal.jsonl (what finished, with the
hash of its output), pipeline.json (the result below, without times) and
timings.json. resume="SESSION" (a run's session or a step folder of one,
as a path, FOLDER/ID or an id; or --resume SESSION on the command line)
finds this pipeline's journal there by its name, reuses the finished
stages after checking their outputs against the recorded hashes, and runs
the rest: the final pipeline.json is the one an uninterrupted run writes.

Result fields: name, status ("success": every stage completed; "partial":
some failed, some completed; "failed": none completed), stages (in run
order), stages_completed, stages_failed, stages_skipped, errors (stage,
error), outputs (stage -> output), reused (stages taken from the resumed
session), total_time_seconds and session (the pipeline's folder).

  def train():
      return {"policy": "baseline"}
  def evaluate(train):
      return daf.evaluate(train.policy, "training_facility_1", episodes=2).summary[0].reward.mean
  r = daf.pipeline("demo", [train, evaluate])
  print(r.status, r.outputs["evaluate"])`

// StageValue is a stage as Starlark sees it.
type StageValue struct {
	name string
	fn   starlark.Callable
	deps []string
}

var _ starlark.HasAttrs = (*StageValue)(nil)

func (s *StageValue) String() string {
	return fmt.Sprintf("Stage(%q, depends_on=%s)", s.name, strings.Join(s.deps, ","))
}
func (s *StageValue) Type() string         { return "Stage" }
func (s *StageValue) Freeze()              {}
func (s *StageValue) Truth() starlark.Bool { return true }
func (s *StageValue) Hash() (uint32, error) {
	return starlark.String(s.name).Hash()
}
func (s *StageValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "name":
		return starlark.String(s.name), nil
	case "depends_on":
		l := make([]starlark.Value, len(s.deps))
		for i, d := range s.deps {
			l[i] = starlark.String(d)
		}
		t := starlark.Tuple(l)
		return t, nil
	case "fn":
		return s.fn, nil
	}
	return nil, nil
}
func (s *StageValue) AttrNames() []string { return []string{"depends_on", "fn", "name"} }

// stageParams are the parameter names of a Starlark function.
func stageParams(fn starlark.Callable) ([]string, error) {
	f, ok := fn.(*starlark.Function)
	if !ok {
		return nil, nil
	}
	if f.HasVarargs() || f.HasKwargs() {
		return nil, fmt.Errorf("function %s takes *args or **kwargs; give its dependencies with daf.stage(..., depends_on=[...])", f.Name())
	}
	var out []string
	for i := 0; i < f.NumParams(); i++ {
		n, _ := f.Param(i)
		out = append(out, n)
	}
	return out, nil
}

func builtinStage(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var fn starlark.Callable
	var deps starlark.Value = starlark.None
	if err := UnpackArgs(b.Name(), args, kwargs, "name", &name, "fn", &fn, "depends_on?", &deps); err != nil {
		return nil, err
	}
	return newStage(b.Name(), name, fn, deps)
}

func newStage(fnName, name string, fn starlark.Callable, deps starlark.Value) (*StageValue, error) {
	s := &StageValue{name: name, fn: fn}
	if deps == nil || deps == starlark.None {
		ps, err := stageParams(fn)
		if err != nil {
			return nil, fmt.Errorf("%s: stage %s: %v", fnName, name, err)
		}
		s.deps = ps
		return s, nil
	}
	ds, err := Strings("depends_on", deps)
	if err != nil {
		return nil, fmt.Errorf("%s: stage %s: %v", fnName, name, err)
	}
	s.deps = ds
	// The function must take what it is given and be given what it needs.
	if f, ok := fn.(*starlark.Function); ok && !f.HasKwargs() {
		var params []string
		for i := 0; i < f.NumParams(); i++ {
			p, _ := f.Param(i)
			params = append(params, p)
			if f.ParamDefault(i) == nil && !slices.Contains(ds, p) {
				return nil, fmt.Errorf("%s: stage %s: %s needs %s, which is not in depends_on %v (a missing input)", fnName, name, f.Name(), p, ds)
			}
		}
		for _, d := range ds {
			if !slices.Contains(params, d) {
				return nil, fmt.Errorf("%s: stage %s: %s takes no parameter %s, but depends_on gives it that stage's output; add the parameter or **inputs", fnName, name, f.Name(), d)
			}
		}
	}
	return s, nil
}

// PipelineKind is the Starlark type name of daf.pipeline's result.
const PipelineKind = "PipelineResult"

type pipelineResult struct {
	Name             string                `json:"name"`
	Status           string                `json:"status"`
	Stages           []string              `json:"stages"`
	StagesCompleted  []string              `json:"stages_completed"`
	StagesFailed     []string              `json:"stages_failed"`
	StagesSkipped    []string              `json:"stages_skipped"`
	Errors           []pipeline.StageError `json:"errors"`
	Outputs          map[string]any        `json:"outputs"`
	Reused           []string              `json:"reused"`
	TotalTimeSeconds float64               `json:"total_time_seconds"`
	Session          string                `json:"session"`
}

func builtinPipeline(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var stagesV starlark.Value
	var resumeV starlark.Value = starlark.None
	if err := UnpackArgs(b.Name(), args, kwargs, "name", &name, "stages", &stagesV, "resume?", &resumeV); err != nil {
		return nil, err
	}
	env := EnvOf(t)
	items, isList := elements(stagesV)
	if !isList {
		return nil, fmt.Errorf("%s: stages: got %s, want a list of daf.stage(...) values or functions", b.Name(), stagesV.Type())
	}
	var stages []pipeline.Stage
	for i, it := range items {
		var sv *StageValue
		switch x := it.(type) {
		case *StageValue:
			sv = x
		case *starlark.Function:
			var err error
			if sv, err = newStage(b.Name(), x.Name(), x, nil); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s: stages[%d]: got %s, want daf.stage(...) or a function", b.Name(), i, it.Type())
		}
		stages = append(stages, pipeline.Stage{Name: sv.name, DependsOn: sv.deps, Run: starlarkStage(t, sv)})
	}
	resume := ""
	if s, ok := starlark.AsString(resumeV); ok && s != "" {
		// resume="...": that session or step must hold this pipeline.
		dir, err := output.NewManager(env.OutDir).FindFolder(s, env.WorkDir)
		if err == nil {
			resume, err = journal.Find(dir, pipeline.JournalKind, name)
			if err == nil && resume == "" {
				err = fmt.Errorf("%s holds no journal of pipeline %q", dir, name)
			}
		}
		if err != nil {
			return nil, op.Wrap(op.Usage, fmt.Errorf("%s: resume: %v", b.Name(), err))
		}
	} else if resumeV != starlark.None && !ok {
		return nil, fmt.Errorf("%s: resume: got %s, want a session (an id, FOLDER/ID or a folder) or None", b.Name(), resumeV.Type())
	} else if resumeV == starlark.None && env.Resume != "" {
		// --resume SESSION: the pipeline of this name in it, if any.
		j, err := journal.Find(env.Resume, pipeline.JournalKind, name)
		if err != nil {
			return nil, op.Wrap(op.Usage, fmt.Errorf("%s: resume: %v", b.Name(), err))
		}
		if j == "" && env.Logger != nil {
			env.Logger.Info("no journal of this pipeline in the resumed session; starting afresh", "pipeline", name, "session", env.Resume)
		}
		resume = j
	}
	o := pipeline.Options{Name: name, Stages: stages, Resume: resume}
	callArgs := map[string]any{"function": b.Name(), "name": name, "stages": stageNames(stages)}
	if resume != "" {
		callArgs["resumed_from"] = filepath.Dir(resume)
	}
	res, dir, err := op.Do(env.Op(b.Name()), pipeline.Operation, op.Call[pipeline.Options]{Options: o, Seed: env.Seed, Args: callArgs})
	if err != nil {
		return nil, callError(b.Name(), err)
	}
	return PipelineValue(res, dir)
}

func stageNames(st []pipeline.Stage) []string {
	out := make([]string, len(st))
	for i, s := range st {
		out[i] = s.Name
	}
	return out
}

// PipelineValue is a finished pipeline as Starlark sees it.
func PipelineValue(res *pipeline.Run, dir string) (starlark.Value, error) {
	v := pipelineResult{Name: res.Name, Status: res.Status, Stages: res.Stages, StagesCompleted: res.StagesCompleted,
		StagesFailed: res.StagesFailed, StagesSkipped: res.StagesSkipped, Errors: res.Errors, Outputs: map[string]any{},
		Reused: res.Timings.Reused, TotalTimeSeconds: res.Timings.TotalSeconds, Session: dir}
	r, err := newResult(PipelineKind, v)
	if err != nil {
		return nil, err
	}
	outs := starlark.NewDict(len(res.Outputs))
	keys := make([]string, 0, len(res.Outputs))
	for k := range res.Outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		x, err := DecodeOutput(res.Outputs[k])
		if err != nil {
			return nil, err
		}
		_ = outs.SetKey(starlark.String(k), x)
	}
	outs.Freeze()
	r.fields["outputs"] = outs
	return r, nil
}

// starlarkStage runs a stage's function on thread t with its inputs.
func starlarkStage(t *starlark.Thread, sv *StageValue) func(context.Context, map[string]json.RawMessage) (json.RawMessage, error) {
	return func(_ context.Context, in map[string]json.RawMessage) (json.RawMessage, error) {
		var kwargs []starlark.Tuple
		for _, d := range sv.deps {
			v, err := DecodeOutput(in[d])
			if err != nil {
				return nil, fmt.Errorf("input %s: %v", d, err)
			}
			kwargs = append(kwargs, starlark.Tuple{starlark.String(d), v})
		}
		v, err := starlark.Call(t, sv.fn, nil, kwargs)
		if err != nil {
			if ee, ok := err.(*starlark.EvalError); ok {
				return nil, fmt.Errorf("%s", stageBacktrace(ee.Backtrace()))
			}
			return nil, err
		}
		g, err := FromStarlark(v)
		if err != nil {
			return nil, fmt.Errorf("its output: %v", err)
		}
		return json.Marshal(g)
	}
}

// stageBacktrace keeps the frames of a stage's backtrace from the stage
// function down: the frames above daf.pipeline are the same for every
// stage and depend on where the pipeline was called.
func stageBacktrace(bt string) string {
	const mark = "<builtin>: in daf.pipeline\n"
	if i := strings.Index(bt, mark); i >= 0 {
		bt = "Traceback (most recent call last):\n" + bt[i+len(mark):]
	}
	return strings.TrimSpace(bt)
}

// DecodeOutput turns a stage's JSON output into a frozen Starlark value:
// objects become records (r["k"] and r.k), numbers ints where they are
// whole.
func DecodeOutput(data json.RawMessage) (starlark.Value, error) {
	v, err := decodeJSON(data, true)
	if err != nil {
		return nil, err
	}
	v.Freeze()
	return v, nil
}
