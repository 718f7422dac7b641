package op

import (
	"context"
	"errors"
	"fmt"
)

// Kind says what went wrong in a run; each kind has one exit code
// (docs/cli.md). Commands and builtins never choose codes: they return
// errors, and the CLI maps them with ExitCode.
type Kind uint8

const (
	Failed     Kind = iota + 1 // the run failed (script error, I/O, a failing episode): 1
	Usage                      // bad command line or options: 2
	Regression                 // `dafscript test` found failures: 3
	Unhealthy                  // the environment check failed: 4
	Cancelled                  // interrupted (Ctrl-C, deadline): 130
)

// ExitCode is the process exit code of the kind.
func (k Kind) ExitCode() int {
	switch k {
	case Usage:
		return 2
	case Regression:
		return 3
	case Unhealthy:
		return 4
	case Cancelled:
		return 130
	}
	return 1
}

// Error is an error of a known kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Wrap returns err as an error of kind k (nil stays nil).
func Wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Err: err}
}

// Usagef returns a usage error.
func Usagef(format string, a ...any) error { return &Error{Kind: Usage, Err: fmt.Errorf(format, a...)} }

// KindOf classifies err: the kind of the outermost *Error in its chain,
// Cancelled for a context's cancellation or deadline, else Failed. nil
// has no kind (0).
func KindOf(err error) Kind {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Cancelled
	}
	return Failed
}

// ExitCode is the exit code of err: 0 for nil.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	return KindOf(err).ExitCode()
}
