package train

import (
	"errors"
	"fmt"

	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
)

// Check is the only validation of training options: missions, the policy
// class, steps, checkpoint spacing and every hyperparameter.
func (o Options) Check() error {
	switch {
	case len(o.Missions) == 0:
		return errors.New("missions: none given; name at least one mission to train on")
	case o.Policy != "stateless" && o.Policy != "lstm":
		return fmt.Errorf("policy: got %q, want \"lstm\" or \"stateless\"", o.Policy)
	case o.Steps < 1:
		return fmt.Errorf("steps: got %d, want an int >= 1", o.Steps)
	case o.CheckpointEvery < 0:
		return fmt.Errorf("checkpoint_every: got %d, want 0 (only the final checkpoint) or more", o.CheckpointEvery)
	}
	if _, err := ParseHyperparameters(o.Hyperparameters); err != nil {
		return fmt.Errorf("hyperparameters: %w", err)
	}
	switch {
	case o.Workers < 0:
		return fmt.Errorf("workers: got %d, want 1 or more (processes training together on this machine)", o.Workers)
	case o.Workers > 1 && o.Parallel.World > 1:
		return fmt.Errorf("workers: %d processes on this machine, or a rank of a run across machines (world %d), not both", o.Workers, o.Parallel.World)
	}
	if err := o.Parallel.Check(); err != nil {
		return fmt.Errorf("data-parallel training: %w", err)
	}
	return nil
}

// Operation is the train operation (daf.train, dafscript train): it
// trains inside a session of training/: checkpoints, metrics.jsonl and
// training.json (the Result) go to its folder, and the manifest records
// them with their hashes.
var Operation = op.Spec[Options, *Result]{
	Name: "training", Folder: "training", File: "training.json",
	Body: func(r *op.Run, s *output.Session, o Options) (*Result, error) {
		o.Dir, o.Track = s.Dir(), s.Track
		o.Progress, o.ShowProgress, o.Logger = r.Stderr, r.Interactive, r.Logger
		var res *Result
		var err error
		if o.Workers > 1 {
			res, err = Launch(r.Context(), o, o.Workers)
		} else {
			res, err = Train(r.Context(), o)
		}
		if err != nil {
			return nil, err
		}
		res.SessionDir = s.Dir()
		return res, nil
	},
}
