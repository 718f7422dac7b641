// Package op is the one front door of every capability: an operation is
// typed Options with one Check (its only validation) and a body, run by
// Do inside the one session lifecycle (open the session, progress, run,
// write the result, finish done, failed or cancelled). The daf builtins
// convert Starlark arguments to Options and the CLI commands convert
// flags to the same Options; both then call Do. docs/architecture.md
// shows how an operation is added.
package op

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/dafscript/dafscript/runtime/cache"
	"github.com/dafscript/dafscript/runtime/dist"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/progress"
)

// Options is what every operation's options implement: Check reports the
// first invalid option, naming it and what would be right.
type Options interface {
	Check() error
}

// Run is what the caller (a script's builtins or a CLI command) gives
// every operation it runs.
type Run struct {
	Ctx context.Context
	// Out is the output root (daf_output), absolute.
	Out string
	// Info describes the run for the session manifest (script, version,
	// --var values); Do adds the seed and the arguments of the call.
	Info output.RunInfo
	// Jobs is how many goroutines an operation may use (>= 1).
	Jobs int
	// Label names the caller in progress bars ("daf.evaluate", "eval").
	Label string
	// Stderr receives progress bars, drawn only when Interactive.
	Stderr      io.Writer
	Interactive bool
	Logger      *slog.Logger
	// RunSession, when set, returns the session of the whole run (a
	// script's): each operation is then a step of it, its files in the
	// step's folder. When nil, each operation opens a session of its own
	// under its Folder (a CLI command runs one operation).
	RunSession func() (*output.Session, error)
	// Executor, when set, returns the executor of the jobs of an
	// operation running in session s (a NATS work queue, opened on first
	// use and kept for the run); nil, or a nil executor, plays them on
	// Jobs goroutines here. Results are the same bytes either way.
	Executor func(s *output.Session) (dist.Executor, error)
	// Cache, when set, returns the result cache that supplies finished
	// work and keeps new results; nil, or a nil cache: none (--no-cache).
	Cache func() (*cache.Cache, error)

	bar *progress.Bar
}

// Distribution returns the executor and the cache of an operation
// running in session s (nil for those the caller gave none of).
func (r *Run) Distribution(s *output.Session) (dist.Executor, *cache.Cache, error) {
	var (
		ex  dist.Executor
		c   *cache.Cache
		err error
	)
	if r.Executor != nil {
		if ex, err = r.Executor(s); err != nil {
			return nil, nil, err
		}
	}
	if r.Cache != nil {
		if c, err = r.Cache(); err != nil {
			return nil, nil, err
		}
	}
	return ex, c, nil
}

// open opens the operation's session, or its step of the run's session,
// and returns the function that ends it.
func (r *Run) open(folder, name string, info output.RunInfo) (*output.Session, func(output.Status, error) error, error) {
	if r.RunSession == nil {
		s, err := output.NewManager(r.Out).NewSession(folder, info)
		if err != nil {
			return nil, nil, err
		}
		return s, s.FinishWithError, nil
	}
	run, err := r.RunSession()
	if err != nil {
		return nil, nil, err
	}
	step, err := run.BeginStep(name, info.Seed, info.Args)
	if err != nil {
		return nil, nil, err
	}
	return step, func(st output.Status, cause error) error { return run.EndStep(step, st, cause) }, nil
}

// Progress returns the progress bar of the running operation, counting
// total units; Do finishes it (or stops it on failure).
func (r *Run) Progress(total int64, units string) *progress.Bar {
	r.bar = progress.New(r.Stderr, r.Interactive, total, r.Label).Units(units)
	return r.bar
}

// Context is the run's context (Background when none was set).
func (r *Run) Context() context.Context {
	if r.Ctx == nil {
		return context.Background()
	}
	return r.Ctx
}

// Spec describes one operation.
type Spec[O Options, R any] struct {
	// Name is the operation's name in logs ("evaluate").
	Name string
	// Folder is its output folder under the root ("evaluations").
	Folder string
	// File is the file its result is written to as JSON
	// ("evaluation.json"); "" when the body writes its own files.
	File string
	// Body runs the operation in session s. It may write more files to s
	// and draw progress with r.Progress.
	Body func(r *Run, s *output.Session, o O) (R, error)
}

// Call is one call of an operation: its options, the seed the manifest
// records and the call's arguments as the user gave them.
type Call[O Options] struct {
	Options O
	Seed    uint64
	Args    map[string]any
}

// Do checks c.Options (a failure is a Usage error and opens no session),
// opens a session of spec's folder (or the next step of the run's
// session), runs the body, writes the result
// file and finishes the session: done, cancelled (the context was
// cancelled or its deadline passed) or failed, recording the error. It
// returns the result and the session folder ("" when none was opened).
func Do[O Options, R any](r *Run, spec Spec[O, R], c Call[O]) (R, string, error) {
	var zero R
	if err := c.Options.Check(); err != nil {
		return zero, "", Wrap(Usage, err)
	}
	if r.Jobs < 1 {
		return zero, "", Usagef("jobs: got %d, want at least 1", r.Jobs)
	}
	info := r.Info
	info.Seed, info.Args = c.Seed, c.Args
	s, end, err := r.open(spec.Folder, spec.Name, info)
	if err != nil {
		return zero, "", err
	}
	r.bar = nil
	res, err := spec.Body(r, s, c.Options)
	if r.bar != nil {
		if err != nil {
			r.bar.Stop()
		} else {
			r.bar.Finish()
		}
		r.bar = nil
	}
	if err == nil && spec.File != "" {
		_, err = s.WriteJSON(spec.File, res)
	}
	status := output.StatusDone
	switch KindOf(err) {
	case 0:
	case Cancelled:
		status = output.StatusCancelled
	default:
		status = output.StatusFailed
	}
	if ferr := end(status, err); ferr != nil && err == nil {
		err = fmt.Errorf("finishing session %s: %w", s.Dir(), ferr)
	}
	if err != nil {
		return zero, s.Dir(), err
	}
	if r.Logger != nil {
		r.Logger.Info(spec.Name+" written", "dir", s.Dir())
	}
	return res, s.Dir(), nil
}
