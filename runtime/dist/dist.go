// Package dist runs jobs: on a pool of goroutines (Local), or through a
// NATS JetStream work queue served by workers that run in this process,
// in other processes or on other machines (package dist/queue). A job is a kind
// (a handler registered with Register) and a JSON payload; its result is
// bytes. Jobs are delivered at least once and must be idempotent; results
// come back keyed by the job's index, so a caller that stores them by
// index and reduces them in that order gets the same bytes whatever ran
// them.
package dist

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
)

// Job is one unit of work.
type Job struct {
	// ID is the job's content address (runtime/jobs): the queue drops a
	// second copy of the same ID within a run.
	ID string
	// Kind names the handler that runs it.
	Kind string
	// Payload is the handler's input.
	Payload []byte
	// Cost orders the work: higher cost starts first. Results do not
	// depend on it.
	Cost int
	// Desc says what the job is, for error messages ("policy baseline on
	// mission training_facility_1, episodes 0-3 (seed 7)").
	Desc string
}

// Handler runs a job's payload and returns its result. An error is the
// job's failure: it is reported, not retried (handlers are deterministic).
type Handler func(ctx context.Context, payload []byte) ([]byte, error)

var (
	regMu    sync.RWMutex
	handlers = map[string]Handler{}
)

// Register makes kind runnable by this program's executors and workers.
// It is meant for init functions; registering a kind twice panics.
func Register(kind string, h Handler) {
	regMu.Lock()
	defer regMu.Unlock()
	if kind == "" || h == nil {
		panic("dist.Register: empty kind or nil handler")
	}
	if _, dup := handlers[kind]; dup {
		panic("dist.Register: kind " + kind + " registered twice")
	}
	handlers[kind] = h
}

func handler(kind string) (Handler, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	h, ok := handlers[kind]
	return h, ok
}

// Call runs the handler of kind on payload, turning a panic into an error.
func Call(ctx context.Context, kind string, payload []byte) (out []byte, err error) {
	h, ok := handler(kind)
	if !ok {
		return nil, fmt.Errorf("no handler for jobs of kind %q in this program", kind)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return h(ctx, payload)
}

// Done receives the outcome of job i (its index in the slice given to
// Run). Executors call it from one goroutine at a time, once per job that
// finished; a job the run abandoned (cancelled) gets no call.
type Done func(i int, result []byte, err error)

// Executor runs jobs.
type Executor interface {
	// Run runs every job and calls done for each as it finishes. It
	// returns when all have finished, or with ctx's error once it is
	// cancelled, or with an error of the executor itself (a lost
	// connection, a job that crashed every worker it was given to, a
	// worker of another code version).
	Run(ctx context.Context, jobs []Job, done Done) error
	// Close releases what the executor holds (connections, an embedded
	// server).
	Close() error
}

// Local runs jobs on a pool of goroutines in this process.
type Local struct {
	// Workers is the number of goroutines; < 1 means 1.
	Workers int
}

// Run implements Executor: the costliest jobs start first.
func (l Local) Run(ctx context.Context, jobs []Job, done Done) error {
	order := make([]int, len(jobs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return jobs[order[a]].Cost > jobs[order[b]].Cost })
	var (
		next atomic.Int64
		mu   sync.Mutex
		wg   sync.WaitGroup
	)
	for w := 0; w < max(1, min(l.Workers, len(jobs))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(jobs) || ctx.Err() != nil {
					return
				}
				i := order[k]
				out, err := Call(ctx, jobs[i].Kind, jobs[i].Payload)
				if errors.Is(err, context.Canceled) && ctx.Err() != nil {
					return
				}
				mu.Lock()
				done(i, out, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// Close implements Executor.
func (Local) Close() error { return nil }
