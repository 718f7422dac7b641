package eval

import (
	"errors"
	"fmt"
	"math"

	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
)

// Check is the only validation of evaluation options.
func (o Options) Check() error {
	switch {
	case len(o.Entries) == 0:
		return errors.New("policies: none given; give at least one, e.g. \"baseline\"")
	case len(o.Missions) == 0:
		return errors.New("missions: none given; give at least one, e.g. \"training_facility_1\"")
	case o.Episodes < 1:
		return fmt.Errorf("episodes: got %d, want at least 1", o.Episodes)
	case o.MaxSteps < 0:
		return fmt.Errorf("max_steps: got %d, want 0 (each mission's length) or more", o.MaxSteps)
	}
	for i, e := range o.Entries {
		if len(e.Members) == 0 {
			return fmt.Errorf("policies[%d] (%s) has no members", i, e.Name)
		}
		for _, m := range e.Members {
			if !(m.Proportion > 0) || math.IsInf(m.Proportion, 0) {
				return fmt.Errorf("policy %s: proportion of %s must be a positive number, got %v", e.Name, m.Spec, m.Proportion)
			}
		}
	}
	return nil
}

// Operation is the evaluate operation (daf.evaluate, dafscript eval): it
// plays the episodes and writes the summary to
// evaluations/<session>/evaluation.json.
var Operation = op.Spec[Options, *Evaluation]{
	Name: "evaluation", Folder: "evaluations", File: "evaluation.json",
	Body: func(r *op.Run, s *output.Session, o Options) (*Evaluation, error) {
		o.Jobs = r.Jobs
		if err := distribute(r, s, &o); err != nil {
			return nil, err
		}
		o.Progress = r.Progress(int64(len(o.Entries)*len(o.Missions)*o.Episodes), "episodes")
		res, err := Run(r.Context(), o)
		if err != nil {
			return nil, err
		}
		return Summarize(res), nil
	},
}

// distribute gives o the run's executor and cache, unless it has its own.
func distribute(r *op.Run, s *output.Session, o *Options) error {
	ex, c, err := r.Distribution(s)
	if err != nil {
		return err
	}
	if o.Executor == nil {
		o.Executor = ex
	}
	if o.Cache == nil {
		o.Cache = c
	}
	return nil
}
