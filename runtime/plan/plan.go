// Package plan says what a config will do before it runs: the episodes,
// trials and training steps of each stage, and an estimate of the time
// they take from measured speeds. It runs nothing of the config.
//
// Plans are made for configs only. A script's work depends on its
// results (a loop until a reward is reached, a branch on a p-value), so
// it cannot be known without running the script; a dry run that
// pretended otherwise would print a plan that is not the script's.
package plan

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/dafscript/dafscript/runtime/benchmark"
	"github.com/dafscript/dafscript/runtime/config"
	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

// Speeds are the rates an estimate uses, with where each comes from.
type Speeds struct {
	// EpisodeAgentSteps is agent-steps per second of episode play on one
	// core.
	EpisodeAgentSteps float64
	EpisodeSource     string
	// TrainAgentSteps is agent-steps per second of training, by policy
	// class.
	TrainAgentSteps map[string]float64
	TrainSource     string
}

// TrainingSpeeds are the low ends of the PPO loop's measured speeds on
// training_facility_1 with 2 CPU threads (docs/performance.md,
// "stateless" 73,000-107,000 and "lstm" 30,000-43,000 agent-steps/s).
var TrainingSpeeds = map[string]float64{"stateless": 73000, "lstm": 30000}

// Measure times the baseline policy playing calibration steps of
// training_facility_1 on one core, now, on this machine.
func Measure(ctx context.Context, steps int) (Speeds, error) {
	m, err := mission.Get("training_facility_1")
	if err != nil {
		return Speeds{}, err
	}
	spec, _, err := policy.ParseSpec("baseline")
	if err != nil {
		return Speeds{}, err
	}
	start := time.Now()
	res, err := eval.Run(ctx, eval.Options{Entries: []eval.Entry{eval.Single(spec)}, Missions: []*mission.Mission{m},
		Episodes: 1, Seed: 0, MaxSteps: steps, Jobs: 1})
	if err != nil {
		return Speeds{}, err
	}
	secs := time.Since(start).Seconds()
	agentSteps := float64(res.Results[0].Steps * m.NumAgents)
	return Speeds{
		EpisodeAgentSteps: agentSteps / secs,
		EpisodeSource:     fmt.Sprintf("measured now: the baseline on training_facility_1, %d steps x %d agents on one core", res.Results[0].Steps, m.NumAgents),
		TrainAgentSteps:   TrainingSpeeds,
		TrainSource:       "docs/performance.md: the PPO loop on 2 CPU threads, low end (stateless 73,000, lstm 30,000 agent-steps/s)",
	}, nil
}

// Item is one stage's work.
type Item struct {
	Stage      string
	Work       string // "3 policies x 2 missions x 5 episodes"
	Episodes   int
	Trials     int
	TrainSteps int64 // agent-steps of training
	PlaySteps  int64 // agent-steps of episodes
	Seconds    float64
	Note       string
}

// Plan is the work of one config.
type Plan struct {
	Kind   string
	Name   string
	Items  []Item
	Speeds Speeds
}

// Total sums the items.
func (p *Plan) Total() Item {
	t := Item{Stage: "total"}
	for _, it := range p.Items {
		t.Episodes += it.Episodes
		t.Trials += it.Trials
		t.TrainSteps += it.TrainSteps
		t.PlaySteps += it.PlaySteps
		t.Seconds += it.Seconds
	}
	return t
}

func missionSteps(names []string) (int64, error) {
	var n int64
	for _, name := range names {
		m, err := mission.Get(name)
		if err != nil {
			return 0, err
		}
		n += int64(m.MaxSteps * m.NumAgents)
	}
	return n, nil
}

// episodes is the work of policies x missions x episodes.
func (p *Plan) episodes(stage string, policies int, missions []string, episodes int) error {
	per, err := missionSteps(missions)
	if err != nil {
		return fmt.Errorf("%s: %w", stage, err)
	}
	it := Item{Stage: stage, Work: fmt.Sprintf("%d policies x %d missions x %d episodes", policies, len(missions), episodes),
		Episodes: policies * len(missions) * episodes, PlaySteps: int64(policies*episodes) * per}
	it.Seconds = float64(it.PlaySteps) / p.Speeds.EpisodeAgentSteps
	it.Note = "episodes at most each mission's length"
	p.Items = append(p.Items, it)
	return nil
}

func (p *Plan) training(stage, class string, steps int64, missions int) {
	sp := p.Speeds.TrainAgentSteps[class]
	it := Item{Stage: stage, Work: fmt.Sprintf("train %s for %d agent-steps on %d missions", class, steps, missions), TrainSteps: steps}
	if sp > 0 {
		it.Seconds = float64(steps) / sp
	} else {
		it.Seconds = math.NaN()
		it.Note = "no measured speed for " + class
	}
	p.Items = append(p.Items, it)
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Config plans a decoded config (pipeline, sweep or training).
func Config(doc *config.Document, sp Speeds) (*Plan, error) {
	p := &Plan{Kind: doc.Kind, Speeds: sp}
	switch v := doc.Value.(type) {
	case *config.Pipeline:
		p.Name = v.Name
		has := func(s string) bool {
			for _, x := range v.Stages {
				if x == s {
					return true
				}
			}
			return false
		}
		trained := 0
		if has("training") {
			trained = 1
		}
		for _, s := range v.Stages {
			var err error
			switch s {
			case "check":
				p.Items = append(p.Items, Item{Stage: s, Work: "environment checks", Note: "seconds at most"})
			case "training":
				t := v.TrainingConfig
				ms := or(len(t.Missions), len(v.Missions))
				p.training(s, or(t.PolicyClassPath, "lstm"), int64(t.NumTrainingSteps), ms)
			case "sweep":
				err = p.sweep(s, sweepOf(v))
			case "comparison":
				c := v.ComparisonConfig
				if c == nil {
					c = &config.PipelineComparison{}
				}
				n := len(c.Policies)
				if n == 0 {
					n = len(config.DefaultComparisonPolicies)
				}
				err = p.episodes(s, n+trained, or2(c.Missions, v.Missions), or(c.EpisodesPerMission, v.Episodes))
			case "benchmark":
				b := v.BenchmarkConfig
				if b == nil {
					b = &config.PipelineBenchmark{}
				}
				n := len(b.Policies)
				if n == 0 {
					n = len(config.DefaultBenchmarkPolicies)
				}
				suite, serr := benchmark.Lookup(or(b.Suite, "standard"))
				if serr != nil {
					return nil, serr
				}
				err = p.episodes(s+" ("+suite.Name+")", n+trained, suite.Missions, or(b.Episodes, v.Episodes))
			}
			if err != nil {
				return nil, err
			}
		}
	case *config.Sweep:
		p.Name = v.Name
		if err := p.sweep("sweep", v); err != nil {
			return nil, err
		}
	case *config.Training:
		p.training("training", v.Policy, int64(v.Steps), len(v.Missions))
	default:
		return nil, fmt.Errorf("plan: no plan for a %s config", doc.Kind)
	}
	return p, nil
}

func or2(a, b []string) []string {
	if len(a) > 0 {
		return a
	}
	return b
}

func sweepOf(v *config.Pipeline) *config.Sweep {
	s := v.SweepConfig
	out := config.NewSweep()
	out.Name, out.Missions, out.PolicyClassPath, out.SearchSpace = v.Name, or2(s.Missions, v.Missions), s.PolicyClassPath, s.SearchSpace
	out.Strategy = or(s.Strategy, out.Strategy)
	out.NumTrials, out.TrainSteps = s.NumTrials, s.TrainSteps
	out.EpisodesPerTrial = or(s.EpisodesPerTrial, out.EpisodesPerTrial)
	return out
}

func (p *Plan) sweep(stage string, s *config.Sweep) error {
	trials := s.NumTrials
	if trials == 0 {
		trials = 1
		for _, prm := range s.SearchSpace {
			if !prm.Categorical() {
				return fmt.Errorf("%s: a grid over a range needs num_trials", stage)
			}
			trials *= len(prm.Values)
		}
	}
	per, err := missionSteps(s.Missions)
	if err != nil {
		return fmt.Errorf("%s: %w", stage, err)
	}
	it := Item{Stage: stage, Trials: trials, Episodes: trials * s.EpisodesPerTrial * len(s.Missions),
		PlaySteps: int64(trials*s.EpisodesPerTrial) * per}
	it.Work = fmt.Sprintf("%d trials x %d missions x %d episodes", trials, len(s.Missions), s.EpisodesPerTrial)
	it.Seconds = float64(it.PlaySteps) / p.Speeds.EpisodeAgentSteps
	if s.TrainSteps > 0 {
		it.TrainSteps = int64(trials) * int64(s.TrainSteps)
		it.Work += fmt.Sprintf(", each trained %d agent-steps", s.TrainSteps)
		if sp := p.Speeds.TrainAgentSteps[s.PolicyClassPath]; sp > 0 {
			it.Seconds += float64(it.TrainSteps) / sp
		}
	}
	it.Note = "at most: a pruner stops trials early"
	p.Items = append(p.Items, it)
	return nil
}

// Write prints the plan as a table with the speeds it assumed.
func (p *Plan) Write(w io.Writer) {
	fmt.Fprintf(w, "Plan of %s config %s (nothing is run)\n\n", p.Kind, p.Name)
	fmt.Fprintf(w, "%-22s %-58s %10s %8s %14s %14s %10s\n", "stage", "work", "episodes", "trials", "train steps", "play steps", "estimate")
	rows := append(append([]Item{}, p.Items...), p.Total())
	for _, it := range rows {
		fmt.Fprintf(w, "%-22s %-58s %10d %8d %14d %14d %10s\n", it.Stage, it.Work, it.Episodes, it.Trials, it.TrainSteps, it.PlaySteps, duration(it.Seconds))
	}
	fmt.Fprintf(w, "\nSpeeds:\n  episodes: %.0f agent-steps/s (%s)\n  training: %s\n", p.Speeds.EpisodeAgentSteps, p.Speeds.EpisodeSource, p.Speeds.TrainSource)
	fmt.Fprintln(w, "Episodes are counted at their full length and on one core: an episode that ends early, or --jobs N, takes less; a neural policy plays slower than the scripted baseline measured.")
}

func duration(s float64) string {
	if math.IsNaN(s) {
		return "?"
	}
	return (time.Duration(s * float64(time.Second))).Round(100 * time.Millisecond).String()
}
