package train

import (
	"context"
	"errors"
	"fmt"

	"github.com/dafscript/dafscript/runtime/output"
)

// InSession trains inside a new session of operation "training" under
// root (daf_output): checkpoints, metrics.jsonl and training.json (the
// Result) go to its folder, and its manifest records them with their
// hashes. The session ends done, cancelled or failed with the run.
func InSession(ctx context.Context, root string, info output.RunInfo, o Options) (*Result, string, error) {
	s, err := output.NewManager(root).NewSession("training", info)
	if err != nil {
		return nil, "", err
	}
	o.Dir, o.Track = s.Dir(), s.Track
	res, err := Train(ctx, o)
	if err == nil {
		res.SessionDir = s.Dir()
		_, err = s.WriteJSON("training.json", res)
	}
	status := output.StatusDone
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		status = output.StatusCancelled
	case err != nil:
		status = output.StatusFailed
	}
	if ferr := s.FinishWithError(status, err); ferr != nil && err == nil {
		err = fmt.Errorf("finishing session %s: %w", s.Dir(), ferr)
	}
	if err != nil {
		return nil, s.Dir(), err
	}
	return res, s.Dir(), nil
}
