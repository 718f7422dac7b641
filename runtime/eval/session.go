package eval

import (
	"context"
	"errors"

	"github.com/dafscript/dafscript/runtime/output"
)

// InSession opens a session of operation op under root, runs fn in it and
// finishes the session: done, cancelled (fn's error is a cancellation) or
// failed. It returns the session folder ("" if none was opened).
func InSession(root, op string, info output.RunInfo, fn func(s *output.Session) error) (string, error) {
	s, err := output.NewManager(root).NewSession(op, info)
	if err != nil {
		return "", err
	}
	err = fn(s)
	status := output.StatusDone
	switch {
	case errors.Is(err, context.Canceled):
		status = output.StatusCancelled
	case err != nil:
		status = output.StatusFailed
	}
	if ferr := s.FinishWithError(status, err); ferr != nil && err == nil {
		err = ferr
	}
	return s.Dir(), err
}
