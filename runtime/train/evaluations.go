package train

import (
	"context"
	"errors"
	"fmt"
)

// Evaluations asks a training run to stop for evaluations by the caller,
// every Every updates, or, when Every is 0, Count times spread evenly
// over the run (after updates floor(k*total/(Count+1)), k = 1..Count):
// the trainer writes a checkpoint of the
// network as it stands (if that update has none yet) and calls Evaluate
// with it. Evaluate may ask the run to stop (a sweep's pruner does); the
// run then ends there and returns its result so far, with that checkpoint
// as its final one. The last update is never evaluated here: the caller
// evaluates the final checkpoint itself.
type Evaluations struct {
	// Every is the number of updates between evaluations; 0: use Count.
	Every int
	// Count is the number of evaluations spread over the run when Every
	// is 0 (fewer when the run has too few updates).
	Count int
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
	case e.Every < 0 || e.Count < 0 || (e.Every == 0 && e.Count == 0):
		return fmt.Errorf("evaluations: every %d updates, count %d; want Every >= 1, or Every 0 and Count >= 1", e.Every, e.Count)
	case e.Evaluate == nil:
		return errors.New("evaluations: no Evaluate function")
	}
	return nil
}

// evaluate runs the intermediate evaluation due after the update just
// done, if any, and says whether the run should stop.
func (t *trainer) evaluate(ctx context.Context, res *Result) (stop bool, err error) {
	ev := t.opts.Evaluations
	if ev == nil {
		return false, nil
	}
	u := t.state.Update
	number := ev.number(u, t.totalUpdates)
	if number == 0 {
		return false, nil
	}
	if t.opts.Dir == "" {
		return false, errors.New("evaluations: a training run evaluated on the way needs Dir, for its checkpoints")
	}
	path := ""
	if t.checkpointEvery > 0 && u%t.checkpointEvery == 0 {
		path = lastOr(res.Checkpoints, "") // written just now
	} else {
		if path, err = t.checkpoint(); err != nil {
			return false, err
		}
		res.Checkpoints = append(res.Checkpoints, path)
	}
	stop, err = ev.Evaluate(ctx, Evaluation{Number: number, Update: u, Step: t.state.Step, Checkpoint: path})
	if err != nil {
		return false, fmt.Errorf("evaluation after update %d: %w", u, err)
	}
	return stop, nil
}

// number is the number of the evaluation due after update u of a run of
// total updates; 0 when none is due.
func (e *Evaluations) number(u, total int) int {
	if u <= 0 || u >= total {
		return 0
	}
	if e.Every > 0 {
		if u%e.Every != 0 {
			return 0
		}
		return u / e.Every
	}
	n, prev := 0, 0
	for k := 1; k <= e.Count; k++ {
		p := k * total / (e.Count + 1)
		if p <= prev || p >= total {
			continue
		}
		prev = p
		n++
		if p == u {
			return n
		}
	}
	return 0
}
