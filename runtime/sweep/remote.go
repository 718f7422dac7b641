package sweep

import (
	"errors"
	"fmt"
)

// A trial may run elsewhere: in another goroutine through a job
// executor, or on a worker machine. Everything that decides its outcome
// besides the objective's own setup is its number, parameters, seed and
// Pruning; the worker rebuilds the TrialRun with NewTrialRun, runs the
// objective on it, and sends back its Reported, which the sweep's own
// TrialRun then Adopts. The pruner sees the same fixed view of earlier
// trials on the worker as it would here, so its decisions are the same.

// Pruning is what decides whether a trial is pruned: the pruner and its
// settings, the direction, and the trials it may see (the trials before
// its window, as they ended, in order; failed ones left out, as no
// pruner reads them). Only the settings of the pruner in use are set, and
// the view only when there is a pruner, so that it is the same for every
// trial whose pruning cannot differ.
type Pruning struct {
	Pruner    string  `json:"pruner"`
	Direction string  `json:"direction"`
	Median    *Median `json:"median,omitempty"`
	ASHA      *ASHA   `json:"asha,omitempty"`
	View      []Seen  `json:"view,omitempty"`
}

// Seen is what a pruner reads of an earlier trial.
type Seen struct {
	Status       Status   `json:"status"`
	Intermediate []Report `json:"intermediate,omitempty"`
}

// Pruning returns what decides the trial's pruning.
func (t *TrialRun) Pruning() Pruning {
	p := Pruning{Pruner: "none", Direction: "maximize"}
	if t.sign > 0 {
		p.Direction = "minimize"
	}
	switch pr := t.pruner.(type) {
	case Median:
		p.Pruner, p.Median = "median", &pr
	case ASHA:
		p.Pruner, p.ASHA = "asha", &pr
	default:
		return p
	}
	for _, v := range t.view {
		if v.Status == StatusFailed {
			continue // no pruner reads failed trials
		}
		p.View = append(p.View, Seen{Status: v.Status, Intermediate: v.Intermediate})
	}
	return p
}

// NewTrialRun makes the TrialRun of trial number with params and seed
// that prunes as p says: the TrialRun a sweep would hand its objective.
func NewTrialRun(number int, params Params, seed uint64, p Pruning) (*TrialRun, error) {
	t := &TrialRun{Number: number, Params: params, Seed: seed, pruner: noPruner{}}
	switch p.Direction {
	case "maximize", "":
		t.sign = -1
	case "minimize":
		t.sign = 1
	default:
		return nil, fmt.Errorf("trial %d: unknown direction %q; valid: maximize, minimize", number, p.Direction)
	}
	switch p.Pruner {
	case "none", "":
	case "median":
		if p.Median == nil {
			return nil, fmt.Errorf("trial %d: median pruner without its settings", number)
		}
		t.pruner = *p.Median
	case "asha":
		if p.ASHA == nil || p.ASHA.MinResource < 1 || p.ASHA.Eta < 2 {
			return nil, fmt.Errorf("trial %d: asha pruner without valid settings (min_resource >= 1, eta >= 2)", number)
		}
		t.pruner = *p.ASHA
	default:
		return nil, fmt.Errorf("trial %d: unknown pruner %q; valid: none, median, asha", number, p.Pruner)
	}
	for _, s := range p.View {
		t.view = append(t.view, &Trial{Status: s.Status, Intermediate: s.Intermediate})
	}
	return t, nil
}

// Reported is what a trial's objective reported: its intermediate values,
// whether the pruner stopped it, and the report that was refused (a NaN
// value, a step that does not increase), which fails the trial.
type Reported struct {
	Reports []Report `json:"reports,omitempty"`
	Pruned  bool     `json:"pruned,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Reported returns what the trial reported so far.
func (t *TrialRun) Reported() Reported {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := Reported{Reports: append([]Report(nil), t.reps...), Pruned: t.pruned}
	if t.err != nil {
		r.Error = t.err.Error()
	}
	return r
}

// Adopt takes what the same trial reported where it ran (a worker) as if
// its objective had reported it here; it replaces what t had.
func (t *TrialRun) Adopt(r Reported) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reps = append([]Report(nil), r.Reports...)
	t.pruned = r.Pruned && len(r.Reports) > 0
	t.err = nil
	if r.Error != "" {
		t.err = errors.New(r.Error)
	}
}

// Fatal marks an objective's error as one that stops the sweep instead
// of failing the trial: the trial is not recorded, and runs again when
// the sweep is resumed. It is for failures of what runs the trials (a
// lost connection to the work queue, a worker of another build), not of
// the trial itself.
func Fatal(err error) error {
	if err == nil {
		return nil
	}
	return &fatalError{err}
}

type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// isFatal tells an error made by Fatal.
func isFatal(err error) bool {
	var f *fatalError
	return errors.As(err, &f)
}
