// Package sweep searches hyperparameters: it proposes trials (grid,
// random or TPE), runs an objective on each over a pool of goroutines,
// stops hopeless trials (median or ASHA pruning over intermediate
// reports), keeps a crash-safe journal for resume, and reduces the trials
// into a Result whose JSON is byte-identical whatever the number of jobs,
// the timing, or how many times the sweep was interrupted and resumed.
// It knows nothing of training or evaluation: the caller's Objective does
// the work of one trial.
package sweep

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/dafscript/dafscript/runtime/config"
	"github.com/dafscript/dafscript/sim/suggest"
)

// Strategies, Directions: the names Options accepts.
var (
	Strategies = []string{"grid", "random", "tpe"}
	Directions = []string{"maximize", "minimize"}
)

// DefaultWindow is the default number of trials that may run at the same
// time in a sweep whose proposals or pruning depend on earlier results
// (TPE, or any pruner); see Options.Window.
const DefaultWindow = 4

// MaxTrials bounds num_trials.
const MaxTrials = 1 << 20

// Options configures Run.
type Options struct {
	Name string
	// Space is the search space (sorted by name, as config decodes it).
	Space config.SearchSpace
	// Strategy is "grid", "random" or "tpe".
	Strategy string
	// NumTrials is the number of trials; 0 with strategy grid means the
	// whole grid. A grid larger than NumTrials is sampled without
	// repeats (seeded) and the sample visited in grid order.
	NumTrials int
	// Seed drives every random choice of the sweep; it is also handed to
	// each trial (TrialRun.Seed), the same for all trials, so that trials
	// are compared on the same episodes.
	Seed uint64
	// Pruner is "none" (or ""), "median" or "asha".
	Pruner string
	// Direction is "maximize" (the default when "") or "minimize".
	Direction string
	// Objective names what the objective returns ("reward"); recorded.
	Objective string
	// Setup describes what a trial does (missions, policy, episodes,
	// training steps, code version): anything that changes results but
	// is not a sweep option. It is stored in the journal and compared on
	// resume, so a journal is never resumed by a different sweep. It
	// must marshal to JSON.
	Setup any
	// Jobs is the number of trials run at the same time (0: one per
	// core). It never changes the result.
	Jobs int
	// Window (0: DefaultWindow) applies when the strategy is tpe or a
	// pruner is set: trial k is proposed, and pruned, knowing the
	// results of trials 0..k-Window-1 only, and trials k-Window..k-1 as
	// pending (TPE's constant liar: their points with the worst loss).
	// Trial k therefore starts only once trials 0..k-Window-1 have all
	// ended, so at most Window trials run at once; set Window >= Jobs to
	// keep every job busy. Window changes results (1 is sequential TPE);
	// Jobs does not.
	Window int
	// Journal is the path of the sweep's journal; "" keeps none. An
	// existing journal of the same sweep is resumed: its ended trials are
	// not run again.
	Journal string
	// TPE, Median and ASHA tune the sampler and pruners; zero values take
	// DefaultTPE, DefaultMedian and DefaultASHA.
	TPE    TPE
	Median Median
	ASHA   ASHA
	// OnTrial, if set, is called after each trial ends (or is read from
	// the journal), one call at a time, in the order trials end. For
	// progress display only.
	OnTrial func(t Trial, done, total int)
}

// FromConfig makes Options from a decoded sweep config; Setup records the
// missions, policy, episodes and training steps.
func FromConfig(c *config.Sweep) Options {
	return Options{
		Name:      c.Name,
		Space:     c.SearchSpace,
		Strategy:  c.Strategy,
		NumTrials: c.NumTrials,
		Seed:      c.Seed,
		Pruner:    c.Pruner,
		Direction: c.Direction,
		Objective: c.Objective,
		Jobs:      c.Jobs,
		Window:    c.Window,
		Setup: map[string]any{
			"missions":           c.Missions,
			"policy_class_path":  c.PolicyClassPath,
			"episodes_per_trial": c.EpisodesPerTrial,
			"train_steps":        c.TrainSteps,
		},
	}
}

func oneOf(what, v string, valid []string) error {
	for _, s := range valid {
		if s == v {
			return nil
		}
	}
	return fmt.Errorf("unknown %s %q%s; valid: %s", what, v, suggest.Hint(v, valid, 1), strings.Join(valid, ", "))
}

// Check validates the options (the only validation Run relies on) and
// fills in defaults.
func (o *Options) Check() error {
	if o.Pruner == "" {
		o.Pruner = "none"
	}
	if o.Direction == "" {
		o.Direction = "maximize"
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.TPE == (TPE{}) {
		o.TPE = DefaultTPE
	}
	if o.Median == (Median{}) {
		o.Median = DefaultMedian
	}
	if o.ASHA == (ASHA{}) {
		o.ASHA = DefaultASHA
	}
	if o.Jobs == 0 {
		o.Jobs = runtime.GOMAXPROCS(0)
	}
	if err := oneOf("strategy", o.Strategy, Strategies); err != nil {
		return err
	}
	if err := oneOf("pruner", o.Pruner, Pruners); err != nil {
		return err
	}
	if err := oneOf("direction", o.Direction, Directions); err != nil {
		return err
	}
	switch {
	case o.Jobs < 0:
		return fmt.Errorf("jobs must be >= 0, got %d", o.Jobs)
	case o.Window < 0:
		return fmt.Errorf("window must be >= 1, got %d", o.Window)
	case o.NumTrials < 0 || o.NumTrials > MaxTrials:
		return fmt.Errorf("num_trials must be in [1, %d], got %d", MaxTrials, o.NumTrials)
	case o.NumTrials == 0 && o.Strategy != "grid":
		return fmt.Errorf("num_trials must be >= 1 for strategy %s", o.Strategy)
	case o.TPE.Startup < 0 || o.TPE.Candidates < 1 || !(o.TPE.PriorW > 0):
		return fmt.Errorf("tpe settings out of range: %+v", o.TPE)
	case o.Median.Startup < 0 || o.Median.Warmup < 0:
		return fmt.Errorf("median pruner settings out of range: %+v", o.Median)
	case o.ASHA.MinResource < 1 || o.ASHA.Eta < 2:
		return fmt.Errorf("asha settings out of range (min_resource >= 1, eta >= 2): %+v", o.ASHA)
	}
	s, err := newSpace(o.Space)
	if err != nil {
		return err
	}
	if o.Strategy == "grid" {
		n, err := s.gridSize()
		if err != nil {
			return err
		}
		if o.NumTrials == 0 {
			o.NumTrials = n
		}
		if o.NumTrials > n {
			return fmt.Errorf("num_trials %d is more than the %d points of the grid", o.NumTrials, n)
		}
	}
	return nil
}
