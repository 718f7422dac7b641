package train

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/train/torch"
	"github.com/dafscript/dafscript/sim/mission"
)

// Curricula lists the accepted values of Options.Curriculum ("" means
// "mix").
var Curricula = []string{"mix", "sequence"}

// curriculumIndex is the curriculum's place in Curricula ("" is "mix").
func curriculumIndex(c string) int {
	for i, name := range Curricula {
		if c == name {
			return i
		}
	}
	return 0
}

// Check is the only validation of training options: missions, the
// curriculum, the policy class, steps, checkpoint spacing, every
// hyperparameter and the data-parallel placement.
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
	for i, m := range o.Missions {
		if m == nil {
			return fmt.Errorf("missions[%d]: got no mission, want a mission such as \"training_facility_1\"", i)
		}
	}
	if o.InitFrom != "" && o.Resume != "" {
		return errors.New("init_from: starts a new run from a checkpoint's weights, resume continues that checkpoint's own run: give one of them")
	}
	if err := checkCurriculum(o.Curriculum, o.Missions); err != nil {
		return err
	}
	if _, err := ParseHyperparameters(o.Hyperparameters); err != nil {
		return fmt.Errorf("hyperparameters: %w", err)
	}
	if o.Vibes != nil {
		if err := CheckVibes(o.Vibes); err != nil {
			return err
		}
		if o.Hyperparameters["vibes"] != 0 {
			return fmt.Errorf("vibes: names the vibes the policy chooses among; the vibes hyperparameter (%g, the first N) says it too: give one of them", o.Hyperparameters["vibes"])
		}
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
	return o.Evaluations.check()
}

// CheckVibes checks a list of vibes for Options.Vibes: known names, each
// once, at least one.
func CheckVibes(names []string) error {
	_, err := torch.VibeIDs(names)
	return err
}

// checkCurriculum checks that the missions can share one run under the
// curriculum. Every mission of this simulator has the same action set
// (sim.NumActions), so what can differ is the number of cogs: mixed
// missions may differ (each environment keeps its own), but a sequence
// replaces every environment at each stage, and the rollout is sized by
// the agents of the first.
func checkCurriculum(curriculum string, missions []*mission.Mission) error {
	switch curriculum {
	case "", "mix":
		return nil
	case "sequence":
		first := missions[0]
		for i, m := range missions[1:] {
			if m.NumAgents != first.NumAgents {
				return fmt.Errorf("missions[%d]: %s has %d cogs but missions[0] %s has %d; curriculum \"sequence\" needs the same number in every mission (set it with +cogs(N), or use curriculum \"mix\")",
					i+1, m.Name, m.NumAgents, first.Name, first.NumAgents)
			}
		}
		return nil
	}
	return fmt.Errorf("curriculum: got %q, want %s", curriculum, quotedOr(Curricula))
}

// quotedOr spells names as `"a", "b" or "c"`.
func quotedOr(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
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
