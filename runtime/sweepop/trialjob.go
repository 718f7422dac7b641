package sweepop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"

	"github.com/dafscript/dafscript/runtime/compare"
	"github.com/dafscript/dafscript/runtime/dist"
	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/jobs"
	"github.com/dafscript/dafscript/runtime/sweep"
	"github.com/dafscript/dafscript/runtime/train"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

// Every trial of a sweep is a runtime/dist job of kind TrialJobKind: the
// sweep gives it to the run's executor (the local pool, or NATS workers)
// and the handler runs the trial where the job lands. The in-process run
// is the same job on dist.Local, so there is one way a trial runs. The
// job's ID is the trial's content address (runtime/jobs), under which its
// outcome is kept in the result cache (kind TrialCacheKind).

// TrialJobKind is the kind of a sweep trial's job.
const TrialJobKind = "sweep.trial"

// TrialCacheKind is the kind of the cache entries of finished trials.
const TrialCacheKind = "trials"

var registerOnce sync.Once

// RegisterJobs makes this program able to run TrialJobKind jobs (workers,
// and dist.Local); cmd/dafscript's wiring calls it, and the sweep
// operation does before it runs trials. Calling it again does nothing.
// Trials that train need the neural policies registered too
// (train.Register).
func RegisterJobs() { registerOnce.Do(func() { dist.Register(TrialJobKind, runTrialJob) }) }

// param is one hyperparameter with its type, so that a trial's
// parameters reach the handler as the sweep made them (an int64 stays an
// int64, a float64 2 stays a float64).
type param struct {
	Name   string   `json:"name"`
	Int    *int64   `json:"int,omitempty"`
	Float  *float64 `json:"float,omitempty"`
	String *string  `json:"string,omitempty"`
	Bool   *bool    `json:"bool,omitempty"`
}

func encodeParams(p sweep.Params) ([]param, error) {
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]param, 0, len(names))
	for _, k := range names {
		e := param{Name: k}
		switch v := p[k].(type) {
		case int64:
			e.Int = &v
		case float64:
			e.Float = &v
		case string:
			e.String = &v
		case bool:
			e.Bool = &v
		default:
			return nil, fmt.Errorf("hyperparameter %s = %v: a %T cannot be sent to a worker", k, v, v)
		}
		out = append(out, e)
	}
	return out, nil
}

func decodeParams(ps []param) (sweep.Params, error) {
	out := make(sweep.Params, len(ps))
	for _, e := range ps {
		switch {
		case e.Int != nil:
			out[e.Name] = *e.Int
		case e.Float != nil:
			out[e.Name] = *e.Float
		case e.String != nil:
			out[e.Name] = *e.String
		case e.Bool != nil:
			out[e.Name] = *e.Bool
		default:
			return nil, fmt.Errorf("hyperparameter %s has no value", e.Name)
		}
	}
	return out, nil
}

// trialSpec is everything that decides a trial's outcome. Its canonical
// JSON, with the code version and the missions' configuration hashes, is
// the trial's content address. The trial's number is not part of it: it
// only names the folder a training goes to.
type trialSpec struct {
	Policy     string        `json:"policy"`
	Missions   []string      `json:"missions"`
	Params     []param       `json:"params"`
	Seed       uint64        `json:"seed"`
	TrainSteps int           `json:"train_steps,omitempty"`
	Episodes   int           `json:"episodes_per_trial"`
	Objective  string        `json:"objective"`
	MaxSteps   int           `json:"max_steps,omitempty"`
	Device     string        `json:"device,omitempty"`
	Pruning    sweep.Pruning `json:"pruning"`
}

// trialJob is the payload of a TrialJobKind job.
type trialJob struct {
	trialSpec
	Number int `json:"number"`
	// Session is the sweep's session folder (absolute) and Dir the
	// trial's folder in it (trials/NNNN), where a trial that trains
	// writes its checkpoints and metrics: on a worker, the session folder
	// must be there at the same path (a shared file system).
	Session string `json:"session,omitempty"`
	Dir     string `json:"dir,omitempty"`
}

// trialDir is the folder of trial k in its session, with '/'.
func trialDir(k int) string { return fmt.Sprintf("trials/%04d", k) }

// jsonFloat is a float64 that survives JSON when it is not finite (an
// objective may return NaN; the sweep then fails the trial, as it would
// in-process).
type jsonFloat float64

func (n jsonFloat) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return json.Marshal(strconv.FormatFloat(f, 'g', -1, 64))
	}
	return json.Marshal(f)
}

func (n *jsonFloat) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("number %q: %w", s, err)
		}
		*n = jsonFloat(f)
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*n = jsonFloat(f)
	return nil
}

type missionValue struct {
	Mission string    `json:"mission"`
	Value   jsonFloat `json:"value"`
}

// trialResult is a TrialJobKind job's result: the trial's outcome and
// what it reported. A failure of the objective is a result (its message
// in ObjectiveError); a failure to run the job at all (a malformed
// payload, a worker without the session folder) is the job's error.
type trialResult struct {
	sweep.Reported
	Value         jsonFloat      `json:"value"`
	MissionValues []missionValue `json:"mission_values,omitempty"`
	// Checkpoint is the final checkpoint of a trial that trains (the one
	// it was pruned at), relative to the trial's folder, and
	// CheckpointHash its SHA-256 (jobs.HashPath) as the handler wrote it.
	Checkpoint     string `json:"checkpoint,omitempty"`
	CheckpointHash string `json:"checkpoint_hash,omitempty"`
	ObjectiveError string `json:"objective_error,omitempty"`
}

// ok says whether the trial ended without an error (complete or pruned):
// only such outcomes are cached.
func (r *trialResult) ok() bool { return r.ObjectiveError == "" && r.Reported.Error == "" }

// outcome is the result as the sweep's objective returns it, with the
// checkpoint relative to the session (dir is the trial's folder there).
func (r *trialResult) outcome(dir string) (sweep.Outcome, error) {
	out := sweep.Outcome{Value: float64(r.Value)}
	for _, mv := range r.MissionValues {
		out.MissionValues = append(out.MissionValues, sweep.MissionValue{Mission: mv.Mission, Value: float64(mv.Value)})
	}
	if r.Checkpoint != "" {
		out.Checkpoint = dir + "/" + filepath.ToSlash(r.Checkpoint)
	}
	if r.ObjectiveError != "" {
		return out, errors.New(r.ObjectiveError)
	}
	return out, nil
}

// runTrialJob is the handler of TrialJobKind jobs.
func runTrialJob(ctx context.Context, payload []byte) ([]byte, error) {
	var j trialJob
	if err := json.Unmarshal(payload, &j); err != nil {
		return nil, fmt.Errorf("%s job: %w", TrialJobKind, err)
	}
	res, err := runTrial(ctx, &j)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// runTrial runs the trial j describes, here: the one way a trial runs.
func runTrial(ctx context.Context, j *trialJob) (*trialResult, error) {
	params, err := decodeParams(j.Params)
	if err != nil {
		return nil, fmt.Errorf("sweep trial %d: %w", j.Number, err)
	}
	t, err := sweep.NewTrialRun(j.Number, params, j.Seed, j.Pruning)
	if err != nil {
		return nil, err
	}
	if len(j.Missions) == 0 || j.Episodes < 1 {
		return nil, fmt.Errorf("sweep trial %d: no missions or episodes in the job", j.Number)
	}
	tr := &trial{j: j, run: t}
	for _, name := range j.Missions {
		m, err := mission.Get(name)
		if err != nil {
			return nil, fmt.Errorf("sweep trial %d: %w", j.Number, err)
		}
		tr.missions = append(tr.missions, m)
	}
	var res trialResult
	var out sweep.Outcome
	if IsNeural(j.Policy) {
		dir, err := j.trainingDir()
		if err != nil {
			return nil, err
		}
		out, err = tr.call(ctx, func(ctx context.Context) (sweep.Outcome, error) { return tr.trained(ctx, dir) })
		if out.Checkpoint != "" && ctx.Err() == nil {
			// The submitter checks that it sees this checkpoint, by its hash.
			h, herr := jobs.HashPath(filepath.Join(dir, filepath.FromSlash(out.Checkpoint)))
			if herr != nil {
				out.Checkpoint = ""
				err = errors.Join(err, herr)
			}
			res.Checkpoint, res.CheckpointHash = out.Checkpoint, h
		}
		if err != nil {
			res.ObjectiveError = err.Error()
		}
	} else {
		out, err = tr.call(ctx, tr.scripted)
		if err != nil {
			res.ObjectiveError = err.Error()
		}
	}
	if ctx.Err() != nil {
		// Cancelled (the sweep, or the worker stopping): nothing to report.
		return nil, ctx.Err()
	}
	res.Reported = t.Reported()
	res.Value = jsonFloat(out.Value)
	for _, mv := range out.MissionValues {
		res.MissionValues = append(res.MissionValues, missionValue{Mission: mv.Mission, Value: jsonFloat(mv.Value)})
	}
	return &res, nil
}

// trainingDir checks where a trial that trains writes (the trial's
// folder in the sweep's session, which must be there: on a worker, a
// shared folder) and empties it, so that a trial delivered again starts
// from nothing.
func (j *trialJob) trainingDir() (string, error) {
	if !filepath.IsAbs(j.Session) || filepath.Clean(j.Session) != j.Session || j.Dir != trialDir(j.Number) {
		return "", fmt.Errorf("sweep trial %d: session folder %q and trial folder %q: want an absolute session folder and trials/%04d", j.Number, j.Session, j.Dir, j.Number)
	}
	if _, err := os.Stat(filepath.Join(j.Session, JournalName)); err != nil {
		return "", fmt.Errorf("sweep trial %d: the sweep's session folder %s is not on this machine (%v): a trial that trains writes its checkpoints there, so every worker needs that folder at the same path (a shared file system; docs/distributed.md)",
			j.Number, j.Session, err)
	}
	dir := filepath.Join(j.Session, filepath.FromSlash(j.Dir))
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("sweep trial %d: %w", j.Number, err)
	}
	return dir, nil
}

// trial is one trial being run.
type trial struct {
	j        *trialJob
	missions []*mission.Mission
	run      *sweep.TrialRun
}

// call runs the objective, turning a panic into the trial's failure as
// the sweep does for an objective of its own.
func (tr *trial) call(ctx context.Context, f func(context.Context) (sweep.Outcome, error)) (out sweep.Outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("trial %d panicked: %v", tr.j.Number, r)
		}
	}()
	return f(ctx)
}

// scripted plays the policy with the trial's parameters as its keyword
// arguments, mission by mission; with a pruner, the mean over the
// missions played so far is reported after each (steps 1, 2, ...).
func (tr *trial) scripted(ctx context.Context) (sweep.Outcome, error) {
	t := tr.run
	spec := policy.Spec{Class: tr.j.Policy, Kwargs: map[string]any{}}
	for k, v := range t.Params {
		spec.Kwargs[k] = v
	}
	var out sweep.Outcome
	sum := 0.0
	for i, m := range tr.missions {
		v, err := tr.evaluate(ctx, spec, m)
		if err != nil {
			return sweep.Outcome{}, err
		}
		out.MissionValues = append(out.MissionValues, sweep.MissionValue{Mission: m.Name, Value: v})
		sum += v
		if tr.j.Pruning.Pruner != "none" && i < len(tr.missions)-1 && t.Report(i+1, sum/float64(i+1)) {
			return out, nil
		}
	}
	out.Value = sum / float64(len(tr.missions))
	return out, nil
}

// trained trains the network with the trial's hyperparameters for
// train_steps into dir (one thread unless the space sets threads, so that
// parallel trials share the cores and results do not depend on the
// machine), then evaluates the final checkpoint on every mission. With a
// pruner, the trainer stops PruningEvaluations times for an evaluation of
// the network so far, reported as steps 1, 2, 3. The outcome's checkpoint
// is relative to dir.
func (tr *trial) trained(ctx context.Context, dir string) (sweep.Outcome, error) {
	t := tr.run
	hyper := map[string]float64{"threads": 1}
	for k, v := range t.Params {
		f, ok := number(v)
		if !ok {
			return sweep.Outcome{}, fmt.Errorf("hyperparameter %s = %v is not a number", k, v)
		}
		hyper[k] = f
	}
	to := train.Options{
		Missions: tr.missions, Policy: tr.j.Policy, Steps: int64(tr.j.TrainSteps), Seed: t.Seed,
		Hyperparameters: hyper, Device: orDefault(tr.j.Device, "auto"), Dir: dir,
	}
	if tr.j.Pruning.Pruner != "none" {
		to.Evaluations = &train.Evaluations{Count: PruningEvaluations, Evaluate: func(ctx context.Context, e train.Evaluation) (bool, error) {
			v, _, err := tr.evaluateAll(ctx, tr.network(e.Checkpoint))
			if err != nil {
				return false, err
			}
			return t.Report(e.Number, v), nil
		}}
	}
	res, err := train.Train(ctx, to)
	if err != nil {
		return sweep.Outcome{}, err
	}
	ckpt, err := filepath.Rel(dir, res.FinalCheckpoint)
	if err != nil {
		return sweep.Outcome{}, err
	}
	out := sweep.Outcome{Checkpoint: filepath.ToSlash(ckpt)}
	if t.Pruned() {
		return out, nil
	}
	out.Value, out.MissionValues, err = tr.evaluateAll(ctx, tr.network(res.FinalCheckpoint))
	return out, err
}

func (tr *trial) network(checkpoint string) policy.Spec {
	return policy.Spec{Class: tr.j.Policy, Data: checkpoint,
		Kwargs: map[string]any{"threads": int64(1), "device": orDefault(tr.j.Device, "auto")}}
}

// evaluateAll evaluates spec on every mission: the mean over missions
// and each mission's value.
func (tr *trial) evaluateAll(ctx context.Context, spec policy.Spec) (float64, []sweep.MissionValue, error) {
	var mvs []sweep.MissionValue
	sum := 0.0
	for _, m := range tr.missions {
		v, err := tr.evaluate(ctx, spec, m)
		if err != nil {
			return 0, nil, err
		}
		mvs = append(mvs, sweep.MissionValue{Mission: m.Name, Value: v})
		sum += v
	}
	return sum / float64(len(tr.missions)), mvs, nil
}

// evaluate plays episodes_per_trial episodes of spec on m (the same
// episodes for every trial: their seeds derive from the sweep's seed) and
// returns the mean of the objective over them.
func (tr *trial) evaluate(ctx context.Context, spec policy.Spec, m *mission.Mission) (float64, error) {
	res, err := eval.Run(ctx, eval.Options{Entries: []eval.Entry{eval.Single(spec)}, Missions: []*mission.Mission{m},
		Episodes: tr.j.Episodes, Seed: tr.run.Seed, MaxSteps: tr.j.MaxSteps, Jobs: 1})
	if err != nil {
		return 0, err
	}
	sum := 0.0
	for i := range res.Results {
		e := &res.Results[i]
		agents := make([]int, len(e.Rewards))
		for a := range agents {
			agents[a] = a
		}
		sum += compare.MetricValue(tr.j.Objective, e, agents)
	}
	return sum / float64(len(res.Results)), nil
}
