// Package pipeline runs a pipeline: named stages with dependencies, each
// producing one JSON output that the stages depending on it receive. The
// stages run one at a time in dependency order (the order given, where
// it allows). Every finished stage's output is written to the session
// (stages/NAME.json) and recorded in an append-only journal
// (runtime/journal), so that a later run with Resume reuses the finished
// stages — their outputs checked against the recorded hashes — and runs
// only the rest.
//
// The deterministic result (pipeline.json: status, stages completed and
// failed, errors, outputs) does not depend on timing or on resuming: a
// run interrupted and resumed writes the same pipeline.json as a run that
// was never interrupted. Wall-clock times go to timings.json.
package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dafscript/dafscript/runtime/journal"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/sim/suggest"
)

// Stage is one step of a pipeline. Run receives the outputs of the
// stages named in DependsOn (canonical JSON, keyed by stage name) and
// returns its own output as JSON.
type Stage struct {
	Name      string
	DependsOn []string
	Run       func(ctx context.Context, inputs map[string]json.RawMessage) (json.RawMessage, error)
}

// Options configure a pipeline run.
type Options struct {
	Name   string
	Stages []Stage
	// Resume, if set, is the journal of an earlier run of the same
	// pipeline (journal.Find(dir, JournalKind, name) finds it in a
	// session or step folder): its finished stages are reused, not rerun.
	Resume string
}

// Status values of a pipeline.
const (
	StatusSuccess = "success" // every stage completed
	StatusPartial = "partial" // some stage failed, some completed
	StatusFailed  = "failed"  // no stage completed
)

// Stage status values in the journal and in timings.json.
const (
	stageDone    = "done"
	stageFailed  = "failed"
	stageSkipped = "skipped" // a stage it depends on did not complete
)

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Check is the only validation of a pipeline: names, dependencies (known,
// earlier-runnable, no cycle) and the session to resume. Nothing runs
// when it fails.
func (o Options) Check() error {
	if !validName(o.Name) {
		return fmt.Errorf("name: %q is not a name; use letters, digits and '_', e.g. \"training\"", o.Name)
	}
	if len(o.Stages) == 0 {
		return errors.New("stages: none given; give at least one stage")
	}
	names := make([]string, len(o.Stages))
	for i, s := range o.Stages {
		if !validName(s.Name) {
			return fmt.Errorf("stages[%d]: name %q: use letters, digits and '_' (it names the stage's output for the stages after it)", i, s.Name)
		}
		if slices.Contains(names[:i], s.Name) {
			return fmt.Errorf("stages[%d]: stage %q is listed twice", i, s.Name)
		}
		if s.Run == nil {
			return fmt.Errorf("stage %s: nothing to run", s.Name)
		}
		names[i] = s.Name
	}
	for _, s := range o.Stages {
		seen := map[string]bool{}
		for _, d := range s.DependsOn {
			if d == s.Name {
				return fmt.Errorf("stage %s depends on itself", s.Name)
			}
			if !slices.Contains(names, d) {
				return fmt.Errorf("stage %s depends on unknown stage %q%s; stages: %s", s.Name, d, suggest.Hint(d, names, 1), strings.Join(names, ", "))
			}
			if seen[d] {
				return fmt.Errorf("stage %s lists %s twice in depends_on", s.Name, d)
			}
			seen[d] = true
		}
	}
	if _, err := order(o.Stages); err != nil {
		return err
	}
	if o.Resume != "" {
		if _, err := readPrevious(o.Resume, o); err != nil {
			return err
		}
	}
	return nil
}

// order returns the stages' indices in run order: the given order, a
// stage moved after its dependencies where needed. A cycle is an error
// naming it.
func order(stages []Stage) ([]int, error) {
	index := map[string]int{}
	for i, s := range stages {
		index[s.Name] = i
	}
	const (
		unseen = iota
		visiting
		visited
	)
	state := make([]int, len(stages))
	var out []int
	var path []string
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case visited:
			return nil
		case visiting:
			start := slices.Index(path, stages[i].Name)
			cycle := append(slices.Clone(path[start:]), stages[i].Name)
			return fmt.Errorf("stages depend on each other in a cycle: %s", strings.Join(cycle, " -> "))
		}
		state[i] = visiting
		path = append(path, stages[i].Name)
		for _, d := range stages[i].DependsOn {
			if err := visit(index[d]); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[i] = visited
		out = append(out, i)
		return nil
	}
	for i := range stages {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// StageError is the failure of one stage.
type StageError struct {
	Stage string `json:"stage"`
	Error string `json:"error"`
}

// Result is the deterministic outcome of a pipeline (pipeline.json).
type Result struct {
	Name            string                     `json:"name"`
	Status          string                     `json:"status"`
	Stages          []string                   `json:"stages"` // in run order
	StagesCompleted []string                   `json:"stages_completed"`
	StagesFailed    []string                   `json:"stages_failed"`
	StagesSkipped   []string                   `json:"stages_skipped"`
	Errors          []StageError               `json:"errors"`
	Outputs         map[string]json.RawMessage `json:"outputs"`
}

// Timings is what a run measured (timings.json): wall times, which
// stages were reused from the session resumed, and which session that
// was. It is kept out of Result so that Result stays reproducible.
type Timings struct {
	TotalSeconds float64            `json:"total_time_seconds"`
	Stages       map[string]float64 `json:"stage_seconds"`
	Reused       []string           `json:"reused"`
	ResumedFrom  string             `json:"resumed_from,omitempty"`
}

// Run is a finished pipeline: its result, its timings and its session.
type Run struct {
	*Result
	Timings *Timings
}

// journal records
type startRecord struct {
	Name   string     `json:"name"`
	Stages []stageSig `json:"stages"`
}

type stageSig struct {
	Name      string   `json:"name"`
	DependsOn []string `json:"depends_on"`
}

type stageRecord struct {
	Stage  string `json:"stage"`
	Status string `json:"status"`
	File   string `json:"file,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Error  string `json:"error,omitempty"`
	Reused bool   `json:"reused,omitempty"`
}

func signature(o Options) startRecord {
	r := startRecord{Name: o.Name}
	for _, s := range o.Stages {
		r.Stages = append(r.Stages, stageSig{Name: s.Name, DependsOn: append([]string{}, s.DependsOn...)})
	}
	return r
}

// JournalName and StagesDir are where a pipeline keeps its journal and
// its stages' outputs, in its session or step folder. JournalKind is the
// type of the journal's header record (the pipeline's name and stages),
// by which journal.Find finds it.
const (
	JournalName = journal.FileName
	StagesDir   = "stages"
	JournalKind = "pipeline"
)

// readPrevious returns the verified outputs of the finished stages
// recorded in the journal at path, which must be of the same pipeline.
func readPrevious(path string, o Options) (map[string]json.RawMessage, error) {
	dir := filepath.Dir(path)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("resume: %s is not a pipeline's folder (no %s)", dir, JournalName)
	}
	recs, err := journal.Read(path)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	if len(recs) == 0 || recs[0].Type != JournalKind {
		return nil, fmt.Errorf("resume: the journal of %s does not start with the pipeline's description", dir)
	}
	var start startRecord
	if err := recs[0].Decode(&start); err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	want, _ := json.Marshal(signature(o))
	got, _ := json.Marshal(start)
	if string(want) != string(got) {
		return nil, fmt.Errorf("resume: %s ran pipeline %s with other stages (%s); resume it with the same stages, or run afresh", dir, start.Name, sigText(start))
	}
	out := map[string]json.RawMessage{}
	for _, r := range recs[1:] {
		if r.Type != "stage" {
			continue
		}
		var sr stageRecord
		if err := r.Decode(&sr); err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
		if sr.Status != stageDone {
			delete(out, sr.Stage)
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(sr.File)))
		if err != nil {
			return nil, fmt.Errorf("resume: stage %s: its output is gone: %v", sr.Stage, err)
		}
		if h := sha(data); h != sr.SHA256 {
			return nil, fmt.Errorf("resume: stage %s: %s has changed since it was written (sha256 %s, recorded %s); run afresh", sr.Stage, sr.File, h, sr.SHA256)
		}
		out[sr.Stage] = data
	}
	return out, nil
}

func sigText(s startRecord) string {
	var parts []string
	for _, st := range s.Stages {
		p := st.Name
		if len(st.DependsOn) > 0 {
			p += "(" + strings.Join(st.DependsOn, ",") + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Canonical returns v's JSON with object keys sorted and no spaces, the
// form whose hash the journal records.
func Canonical(data []byte) (json.RawMessage, error) {
	var v any
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// Operation runs a pipeline in its step of the run's session
// (runs/<id>/NN_pipeline/ in a script), or in a session of its own
// (pipelines/<id>/) when the run has none: journal.jsonl,
// stages/NAME.json for each finished stage, pipeline.json (the Result)
// and timings.json. A failed stage does not fail the operation: the
// Result says so. A cancelled context does.
var Operation = op.Spec[Options, *Run]{
	Name: "pipeline", Folder: "pipelines",
	Body: func(r *op.Run, s *output.Session, o Options) (*Run, error) {
		return run(r.Context(), s, o)
	},
}

func run(ctx context.Context, s *output.Session, o Options) (*Run, error) {
	start := time.Now()
	prev := map[string]json.RawMessage{}
	if o.Resume != "" {
		var err error
		if prev, err = readPrevious(o.Resume, o); err != nil {
			return nil, err
		}
	}
	idx, _ := order(o.Stages)
	j, _, err := journal.Open(s.Path(JournalName))
	if err != nil {
		return nil, err
	}
	defer j.Close()
	if err := s.Track(JournalName); err != nil {
		return nil, err
	}
	if err := j.Append(JournalKind, signature(o)); err != nil {
		return nil, err
	}
	res := &Result{Name: o.Name, StagesCompleted: []string{}, StagesFailed: []string{}, StagesSkipped: []string{},
		Errors: []StageError{}, Outputs: map[string]json.RawMessage{}}
	tm := &Timings{Stages: map[string]float64{}, Reused: []string{}}
	if o.Resume != "" {
		tm.ResumedFrom = filepath.Dir(o.Resume)
	}
	for _, i := range idx {
		st := o.Stages[i]
		res.Stages = append(res.Stages, st.Name)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		inputs := map[string]json.RawMessage{}
		missing := ""
		for _, d := range st.DependsOn {
			out, ok := res.Outputs[d]
			if !ok {
				missing = d
				break
			}
			inputs[d] = out
		}
		if missing != "" {
			res.StagesSkipped = append(res.StagesSkipped, st.Name)
			if err := j.Append("stage", stageRecord{Stage: st.Name, Status: stageSkipped, Error: "stage " + missing + " did not complete"}); err != nil {
				return nil, err
			}
			continue
		}
		var out json.RawMessage
		reused := false
		t0 := time.Now()
		if data, ok := prev[st.Name]; ok {
			out, reused = data, true
		} else {
			raw, err := st.Run(ctx, inputs)
			if err == nil {
				out, err = Canonical(raw)
				if err != nil {
					err = fmt.Errorf("its output is not JSON: %v", err)
				}
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if err != nil {
				res.StagesFailed = append(res.StagesFailed, st.Name)
				res.Errors = append(res.Errors, StageError{Stage: st.Name, Error: err.Error()})
				tm.Stages[st.Name] = time.Since(t0).Seconds()
				if err := j.Append("stage", stageRecord{Stage: st.Name, Status: stageFailed, Error: err.Error()}); err != nil {
					return nil, err
				}
				continue
			}
		}
		file := StagesDir + "/" + st.Name + ".json"
		if _, err := s.WriteFile(file, out); err != nil {
			return nil, err
		}
		if err := j.Append("stage", stageRecord{Stage: st.Name, Status: stageDone, File: file, SHA256: sha(out), Reused: reused}); err != nil {
			return nil, err
		}
		res.Outputs[st.Name] = out
		res.StagesCompleted = append(res.StagesCompleted, st.Name)
		if reused {
			tm.Reused = append(tm.Reused, st.Name)
		} else {
			tm.Stages[st.Name] = time.Since(t0).Seconds()
		}
	}
	switch {
	case len(res.StagesCompleted) == len(o.Stages):
		res.Status = StatusSuccess
	case len(res.StagesCompleted) > 0:
		res.Status = StatusPartial
	default:
		res.Status = StatusFailed
	}
	if err := j.Append("end", map[string]string{"status": res.Status}); err != nil {
		return nil, err
	}
	if _, err := s.WriteJSON("pipeline.json", res); err != nil {
		return nil, err
	}
	tm.TotalSeconds = time.Since(start).Seconds()
	if _, err := s.WriteJSON("timings.json", tm); err != nil {
		return nil, err
	}
	return &Run{Result: res, Timings: tm}, nil
}
