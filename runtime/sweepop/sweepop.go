// Package sweepop is the sweep operation (daf.sweep, dafscript sweep): it
// turns a sweep config into trials that apply their hyperparameters for
// real and runs them with runtime/sweep inside one output session. A
// neural policy (lstm, stateless) is trained by runtime/train with the
// trial's hyperparameters and its final checkpoint evaluated; a scripted
// policy (baseline) receives them as its tunable parameters and is
// evaluated. Each trial is a runtime/dist job (TrialJobKind) given to the
// run's executor, the local pool unless the run has another (NATS
// workers), and finished trials are kept in the result cache by content
// address (trialjob.go, objective.go). The session holds the journal
// (journal.jsonl), the result (sweep.json) and, for neural policies, each
// trial's training under trials/NNNN/.
package sweepop

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/dafscript/dafscript/runtime/compare"
	"github.com/dafscript/dafscript/runtime/config"
	"github.com/dafscript/dafscript/runtime/journal"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/sweep"
	"github.com/dafscript/dafscript/runtime/train"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

// JournalName and ResultName are the sweep's files in its session.
const (
	JournalName = journal.FileName
	ResultName  = "sweep.json"
)

// PruningEvaluations is how many times a trial that trains is evaluated on
// the way when a pruner is set: after each quarter of its updates but the
// last, reported as steps 1, 2, 3.
const PruningEvaluations = 3

// NeuralClasses are the policies a trial trains.
var NeuralClasses = []string{"lstm", "stateless"}

// Options configure one sweep.
type Options struct {
	// Config is the sweep, decoded with its defaults (config.NewSweep).
	Config config.Sweep
	// Resume is the journal of an earlier run of the same sweep
	// (journal.Find(dir, sweep.JournalKind, name) finds it in a session
	// or step folder); its ended trials are kept and not run again. ""
	// starts afresh.
	Resume string
	// MaxSteps > 0 caps every evaluation episode (--episode-steps).
	MaxSteps int
	// Device trains neural policies on "auto" (the default when ""),
	// "cpu" or "cuda".
	Device string
}

// IsNeural says whether class is trained in each trial.
func IsNeural(class string) bool {
	for _, c := range NeuralClasses {
		if c == class {
			return true
		}
	}
	return false
}

// Check is the only validation of a sweep: the missions, the policy, every
// hyperparameter's name and values against what the policy or the trainer
// accepts (with a did-you-mean), train_steps, and the sweep's own options
// (strategy, pruner, num_trials, the grid). A problem with one key is a
// *config.FieldError naming it, which config.Document.At places in a
// file.
func (o Options) Check() error {
	_, _, err := o.build()
	return err
}

// build checks the options and returns the sweep's options (without
// journal, jobs or callbacks) and the missions.
func (o Options) build() (sweep.Options, []*mission.Mission, error) {
	c := o.Config
	var ms []*mission.Mission
	if len(c.Missions) == 0 {
		return sweep.Options{}, nil, errors.New("missions: none given; name at least one mission, e.g. \"training_facility_1\"")
	}
	for i, name := range c.Missions {
		m, err := mission.Get(name)
		if err != nil {
			return sweep.Options{}, nil, config.Fieldf(fmt.Sprintf("missions[%d]", i), "%v", err)
		}
		ms = append(ms, m)
	}
	switch {
	case c.EpisodesPerTrial < 1:
		return sweep.Options{}, nil, config.Fieldf("episodes_per_trial", "got %d, want at least 1", c.EpisodesPerTrial)
	case o.MaxSteps < 0:
		return sweep.Options{}, nil, fmt.Errorf("episode steps: got %d, want 0 (each mission's length) or more", o.MaxSteps)
	case c.TrainSteps < 0:
		return sweep.Options{}, nil, config.Fieldf("train_steps", "got %d, want 0 or more", c.TrainSteps)
	}
	if err := checkObjective(c.Objective); err != nil {
		return sweep.Options{}, nil, err
	}
	class := strings.TrimSpace(c.PolicyClassPath)
	if IsNeural(class) {
		if c.TrainSteps < 1 {
			return sweep.Options{}, nil, config.Fieldf("train_steps", "policy %s is trained in every trial; give train_steps >= 1 (agent-steps per trial)", class)
		}
		switch o.Device {
		case "", "auto", "cpu", "cuda":
		default:
			return sweep.Options{}, nil, fmt.Errorf("device: got %q, want \"auto\", \"cpu\" or \"cuda\"", o.Device)
		}
		for _, p := range c.SearchSpace {
			if err := checkHyperparameter(p); err != nil {
				return sweep.Options{}, nil, config.Fieldf("search_space."+p.Name, "%v", err)
			}
		}
	} else {
		if _, err := policy.New(policy.Spec{Class: class}); err != nil {
			return sweep.Options{}, nil, config.Fieldf("policy_class_path", "%v", err)
		}
		if c.TrainSteps > 0 {
			return sweep.Options{}, nil, config.Fieldf("train_steps", "policy %s is scripted, nothing is trained; leave train_steps out (or tune %s)", class, strings.Join(NeuralClasses, " or "))
		}
		for _, p := range c.SearchSpace {
			if err := checkTunable(class, p); err != nil {
				return sweep.Options{}, nil, config.Fieldf("search_space."+p.Name, "%v", err)
			}
		}
	}
	so := sweep.FromConfig(&c)
	setup := so.Setup.(map[string]any)
	setup["episode_steps"] = o.MaxSteps
	if IsNeural(class) {
		setup["device"] = orDefault(o.Device, "auto")
	}
	// Check fills defaults into a copy: the caller's options stay as given.
	chk := so
	if chk.Jobs == 0 {
		chk.Jobs = 1
	}
	if err := chk.Check(); err != nil {
		return sweep.Options{}, nil, err
	}
	so.NumTrials = chk.NumTrials // a whole grid's size, for the progress bar
	return so, ms, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func checkObjective(name string) error {
	for _, m := range compare.Metrics {
		if m == name {
			return nil
		}
	}
	return config.Fieldf("objective", "unknown objective %q; valid: %s", name, strings.Join(compare.Metrics, ", "))
}

// number reads a parameter value that must be numeric (bools are 0 and 1).
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case int:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// checkHyperparameter checks a searched training hyperparameter: a name
// the trainer knows, and values in its range (whole numbers where it
// takes them).
func checkHyperparameter(p config.Param) error {
	lo, hi, integer, ok := train.HyperparameterRange(p.Name)
	if !ok {
		_, err := train.ParseHyperparameters(map[string]float64{p.Name: 0})
		return err
	}
	return checkValues(p, lo, hi, integer, "the trainer")
}

// checkTunable checks a searched parameter of a scripted policy.
func checkTunable(class string, p config.Param) error {
	t, err := policy.LookupTunable(class, p.Name)
	if err != nil {
		return err
	}
	return checkValues(p, t.Min, t.Max, t.Int, class)
}

func checkValues(p config.Param, lo, hi float64, integer bool, who string) error {
	want := "a number"
	if integer {
		want = "a whole number"
	}
	bounds := fmt.Sprintf("%s takes %s from %v to %v", who, want, lo, hi)
	if p.Categorical() {
		for i, v := range p.Values {
			f, ok := number(v)
			switch {
			case !ok:
				return fmt.Errorf("values[%d]: got %v (%T); %s", i, v, v, bounds)
			case f < lo || f > hi || (integer && f != math.Trunc(f)):
				return fmt.Errorf("values[%d]: %v is out of range; %s", i, v, bounds)
			}
		}
		return nil
	}
	if integer && p.Type != "int" {
		return fmt.Errorf("a float range for a whole-number setting; add type: int (%s)", bounds)
	}
	if p.Min < lo || p.Max > hi {
		return fmt.Errorf("range [%v, %v] goes out of range; %s", p.Min, p.Max, bounds)
	}
	return nil
}

// copyFile copies the journal to resume into the new session, which then
// appends to its own copy: the old session stays as it was.
func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// endedTrials lists the numbers of the trials a journal holds.
func endedTrials(path string) ([]int, error) {
	recs, err := journal.Read(path)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, r := range recs {
		if r.Type != "trial" {
			continue
		}
		var t struct {
			Number int `json:"number"`
		}
		if err := r.Decode(&t); err != nil {
			return nil, err
		}
		out = append(out, t.Number)
	}
	return out, nil
}

// linkTree makes the files under src appear under the session's folder
// rel, hard-linked (checkpoints are never rewritten in place) or copied
// where links are not possible, and records them in the manifest.
func linkTree(s *output.Session, rel, src string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) && path == src {
			return nil
		}
		if err != nil {
			return err
		}
		sub, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(filepath.Join(rel, sub))
		dst := s.Path(name)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if err := os.Link(path, dst); err != nil {
			if err := copyFile(dst, path); err != nil {
				return err
			}
		}
		return s.Track(name)
	})
}

// Operation is the sweep operation: it runs the trials in a session of
// sweeps/, with the journal at journal.jsonl and the result, written by
// Result.JSON, at sweep.json; progress is one bar counting trials and
// showing the best value so far.
var Operation = op.Spec[Options, *sweep.Result]{
	Name: "sweep", Folder: "sweeps",
	Body: func(r *op.Run, s *output.Session, o Options) (*sweep.Result, error) {
		so, ms, err := o.build()
		if err != nil {
			return nil, op.Wrap(op.Usage, err)
		}
		if so.Jobs == 0 {
			so.Jobs = r.Jobs
		}
		so.Journal = s.Path(JournalName)
		if o.Resume != "" {
			if err := copyFile(so.Journal, o.Resume); err != nil {
				return nil, err
			}
			// The trainings of the trials kept, which their checkpoints
			// name relative to the session (not those of trials that were
			// running: they run again from the start).
			ended, err := endedTrials(so.Journal)
			if err != nil {
				return nil, fmt.Errorf("resume: %w", err)
			}
			for _, k := range ended {
				rel := filepath.Join("trials", fmt.Sprintf("%04d", k))
				if err := linkTree(s, rel, filepath.Join(filepath.Dir(o.Resume), rel)); err != nil {
					return nil, fmt.Errorf("resume: %w", err)
				}
			}
		}
		if err := s.Track(JournalName); err != nil {
			return nil, err
		}
		bar := r.Progress(int64(so.NumTrials), "trials")
		var best *float64
		so.OnTrial = func(t sweep.Trial, done, total int) {
			bar.Add(1)
			if t.Status == sweep.StatusComplete && (best == nil || (so.Direction == "minimize") == (*t.Value < *best)) {
				v := *t.Value
				best = &v
			}
			desc := fmt.Sprintf("%s %s", r.Label, so.Name)
			if best != nil {
				desc += fmt.Sprintf("  best %s %s", so.Objective, compare.Num(*best))
			}
			bar.Describe(desc)
		}
		obj, err := newObjective(r, s, o, ms)
		if err != nil {
			return nil, err
		}
		res, err := sweep.Run(r.Context(), so, obj.run)
		if err != nil {
			return nil, err
		}
		data, err := res.JSON()
		if err != nil {
			return nil, err
		}
		if _, err := s.WriteFile(ResultName, data); err != nil {
			return nil, err
		}
		return res, nil
	},
}
