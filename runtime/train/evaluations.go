package train

import (
	"context"
	"errors"
	"fmt"
)

// Evaluations asks a training run to stop every Every updates for an
// evaluation by the caller: the trainer writes a checkpoint of the
// network as it stands (if that update has none yet) and calls Evaluate
// with it. Evaluate may ask the run to stop (a sweep's pruner does); the
// run then ends there and returns its result so far, with that checkpoint
// as its final one. The last update is never evaluated here: the caller
// evaluates the final checkpoint itself.
type Evaluations struct {
	// Every is the number of updates between evaluations (>= 1).
	Every int
	// Evaluate is called with each evaluation, in order; an error stops
	// the run and is returned by Train.
	Evaluate func(ctx context.Context, e Evaluation) (stop bool, err error)
}

// Evaluation is one intermediate evaluation point of a training run.
type Evaluation struct {
	// Number counts the evaluations of the run from 1: the step a sweep
	// reports the value at.
	Number int
	// Update and Step are where training stands: updates done and
	// agent-steps trained.
	Update int
	Step   int64
	// Checkpoint is the checkpoint of the network at Update.
	Checkpoint string
}

func (e *Evaluations) check() error {
	if e == nil {
		return nil
	}
	switch {
	case e.Every < 1:
		return fmt.Errorf("evaluations: every %d updates; want 1 or more", e.Every)
	case e.Evaluate == nil:
		return errors.New("evaluations: no Evaluate function")
	}
	return nil
}

// evaluate runs the intermediate evaluation due after the update just
// done, if any, and says whether the run should stop.
func (t *trainer) evaluate(ctx context.Context, res *Result) (stop bool, err error) {
	ev := t.o.Evaluations
	u := t.state.Update
	if ev == nil || u%ev.Every != 0 || u >= t.total {
		return false, nil
	}
	if t.o.Dir == "" {
		return false, errors.New("evaluations: a training run evaluated on the way needs Dir, for its checkpoints")
	}
	path := ""
	if t.ckEvery > 0 && u%t.ckEvery == 0 {
		path = lastOr(res.Checkpoints, "") // written just now
	} else {
		if path, err = t.checkpoint(); err != nil {
			return false, err
		}
		res.Checkpoints = append(res.Checkpoints, path)
	}
	stop, err = ev.Evaluate(ctx, Evaluation{Number: u / ev.Every, Update: u, Step: t.state.Step, Checkpoint: path})
	if err != nil {
		return false, fmt.Errorf("evaluation after update %d: %w", u, err)
	}
	return stop, nil
}
