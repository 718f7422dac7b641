package builtins

import (
	"context"
	"sync"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/train"
)

const launchTrainingDoc = `daf.launch_training(missions, policy="lstm", steps=100000, seed=None, hyperparameters={}, device="auto", checkpoint_every=None, resume=None, workers=1, vibes=None, init_from=None) -> TrainingJob

Starts daf.train with the same arguments in the background and returns at
once with a handle: the script goes on (evaluating, say) while the policy
trains. job.wait() blocks until the training ends and returns its
TrainingResult, or fails with the training's error; job.done() tells
whether it has ended. Ctrl-C cancels the training. A script that ends
without waiting still waits for its trainings before it finishes (they
are cancelled when the script fails).

Result fields: policy, missions, steps, seed, workers. Methods: wait(),
done().

  job = daf.launch_training("training_facility_1", policy="stateless", steps=500000, seed=1)
  base = daf.evaluate(["baseline", "random"], "training_facility_1")
  r = job.wait()
  print(r.final_reward, r.final_checkpoint)`

// TrainingJobKind is the Starlark type name of daf.launch_training's
// handle.
const TrainingJobKind = "TrainingJob"

// trainingJob is what a TrainingJob shows of the training it runs.
type trainingJob struct {
	Policy   string   `json:"policy"`
	Missions []string `json:"missions"`
	Steps    int64    `json:"steps"`
	Seed     uint64   `json:"seed"`
	Workers  int      `json:"workers"`
}

func builtinLaunchTraining(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	call, err := trainCall(t, b, args, kwargs)
	if err != nil {
		return nil, err
	}
	// A bad argument fails here, not at wait().
	if err := call.Options.Check(); err != nil {
		return nil, callError(b.Name(), op.Wrap(op.Usage, err))
	}
	env := EnvOf(t)
	r := env.Op(b.Name())
	ctx, cancel := context.WithCancel(r.Context())
	r.Ctx = ctx
	var (
		done = make(chan struct{})
		res  *train.Result
		rerr error
	)
	env.launch(cancel, func() {
		defer close(done)
		res, _, rerr = op.Do(r, train.Operation, call)
	})
	o := call.Options
	info := trainingJob{Policy: o.Policy, Missions: names(o.Missions), Steps: o.Steps, Seed: o.Seed, Workers: max(1, o.Workers)}
	var once sync.Once
	var out starlark.Value
	return NewResult(TrainingJobKind, info,
		Method{Name: "wait", Fn: func(t *starlark.Thread, _ *Result, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := starlark.UnpackArgs(TrainingJobKind+".wait", args, kwargs); err != nil {
				return nil, err
			}
			select {
			case <-done:
			case <-EnvOf(t).Context().Done():
				<-done // the training stops with the run's context
			}
			var err error
			once.Do(func() {
				if rerr != nil {
					err = callError(b.Name(), rerr)
					return
				}
				out, err = NewResult(TrainingKind, res)
			})
			if err == nil && out == nil && rerr != nil {
				err = callError(b.Name(), rerr)
			}
			if err != nil {
				return nil, err
			}
			return out, nil
		}},
		Method{Name: "done", Fn: func(t *starlark.Thread, _ *Result, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := starlark.UnpackArgs(TrainingJobKind+".done", args, kwargs); err != nil {
				return nil, err
			}
			select {
			case <-done:
				return starlark.True, nil
			default:
				return starlark.False, nil
			}
		}},
	)
}

// launch runs fn on a goroutine that WaitLaunched waits for;
// CancelLaunched calls cancel.
func (e *Env) launch(cancel context.CancelFunc, fn func()) {
	envMu.Lock()
	e.cancels = append(e.cancels, cancel)
	envMu.Unlock()
	e.launched.Add(1)
	go func() {
		defer e.launched.Done()
		defer cancel()
		fn()
	}()
}

// CancelLaunched cancels the trainings daf.launch_training started (the
// script failed).
func (e *Env) CancelLaunched() {
	envMu.Lock()
	defer envMu.Unlock()
	for _, c := range e.cancels {
		c()
	}
}

// WaitLaunched waits for every training daf.launch_training started; the
// host calls it when the script ends, before it finishes the run.
func (e *Env) WaitLaunched() { e.launched.Wait() }
