package config

import (
	"slices"
	"strings"

	"github.com/dafscript/dafscript/sim/suggest"
)

// PipelineStages are the stages a pipeline config may list.
var PipelineStages = []string{"check", "training", "sweep", "comparison", "benchmark"}

// Pipeline is the schema of a pipeline config (dafscript pipeline FILE):
// the stages to run, in order, and one section per stage. comparison and
// benchmark depend on training when it is listed (they then include the
// trained policy) and default to DefaultComparisonPolicies and
// DefaultBenchmarkPolicies; depends_on adds dependencies (stage ->
// stages).
type Pipeline struct {
	Name             string              `yaml:"name" config:"required"`
	Stages           []string            `yaml:"stages" config:"required,min=1"`
	DependsOn        map[string][]string `yaml:"depends_on"`
	Missions         []string            `yaml:"missions"` // default missions of every stage
	Seed             uint64              `yaml:"seed"`
	Episodes         int                 `yaml:"episodes" config:"min=1"` // default episodes per policy and mission
	TrainingConfig   *PipelineTraining   `yaml:"training_config"`
	SweepConfig      *PipelineSweep      `yaml:"sweep_config"`
	ComparisonConfig *PipelineComparison `yaml:"comparison_config"`
	BenchmarkConfig  *PipelineBenchmark  `yaml:"benchmark_config"`
}

// PipelineTraining is a pipeline's training_config.
type PipelineTraining struct {
	PolicyClassPath  string             `yaml:"policy_class_path" config:"enum=lstm|stateless"`
	NumTrainingSteps int                `yaml:"num_training_steps" config:"required,min=1"`
	Missions         []string           `yaml:"missions"`
	Hyperparameters  map[string]float64 `yaml:"hyperparameters"`
}

// PipelineSweep is a pipeline's sweep_config (daf.sweep's arguments).
type PipelineSweep struct {
	Missions         []string    `yaml:"missions"`
	PolicyClassPath  string      `yaml:"policy_class_path"`
	Strategy         string      `yaml:"strategy" config:"enum=grid|random|tpe"`
	NumTrials        int         `yaml:"num_trials" config:"min=0"`
	SearchSpace      SearchSpace `yaml:"search_space"`
	EpisodesPerTrial int         `yaml:"episodes_per_trial" config:"min=1"`
	TrainSteps       int         `yaml:"train_steps" config:"min=0"`
}

// PipelineComparison is a pipeline's comparison_config.
type PipelineComparison struct {
	Policies           []string `yaml:"policies"`
	Missions           []string `yaml:"missions"`
	EpisodesPerMission int      `yaml:"episodes_per_mission" config:"min=1"`
	Alpha              float64  `yaml:"alpha"`
}

// PipelineBenchmark is a pipeline's benchmark_config.
type PipelineBenchmark struct {
	Policies []string `yaml:"policies"`
	Suite    string   `yaml:"suite" config:"enum=minimal|standard|full"`
	Episodes int      `yaml:"episodes" config:"min=1"`
}

// NewPipeline returns a Pipeline with its defaults: 5 episodes.
func NewPipeline() *Pipeline { return &Pipeline{Episodes: 5} }

// Check states the rules across keys: known, distinct stages; known
// dependencies; a section for each stage that needs one, none for a
// stage not listed; and every stage's inputs (missions, policies).
func (p *Pipeline) Check() error {
	for i, s := range p.Stages {
		if !slices.Contains(PipelineStages, s) {
			return Fieldf(index("stages", i), "unknown stage %q%s; stages: %s", s, suggest.Hint(s, PipelineStages, 1), strings.Join(PipelineStages, ", "))
		}
		if slices.Contains(p.Stages[:i], s) {
			return Fieldf(index("stages", i), "stage %s is listed twice", s)
		}
	}
	has := func(s string) bool { return slices.Contains(p.Stages, s) }
	keys := make([]string, 0, len(p.DependsOn))
	for k := range p.DependsOn {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !has(k) {
			return Fieldf(join("depends_on", k), "%s is not a stage of this pipeline%s; stages: %s", k, suggest.Hint(k, p.Stages, 1), strings.Join(p.Stages, ", "))
		}
		for i, d := range p.DependsOn[k] {
			if !has(d) {
				return Fieldf(index(join("depends_on", k), i), "%s is not a stage of this pipeline%s; stages: %s", d, suggest.Hint(d, PipelineStages, 1), strings.Join(p.Stages, ", "))
			}
		}
	}
	sections := []struct {
		stage, key string
		given      bool
	}{
		{"training", "training_config", p.TrainingConfig != nil},
		{"sweep", "sweep_config", p.SweepConfig != nil},
		{"comparison", "comparison_config", p.ComparisonConfig != nil},
		{"benchmark", "benchmark_config", p.BenchmarkConfig != nil},
	}
	for _, s := range sections {
		if s.given && !has(s.stage) {
			return Fieldf(s.key, "the pipeline has no %s stage; add it to stages or remove %s", s.stage, s.key)
		}
	}
	missions := func(own []string) bool { return len(own) > 0 || len(p.Missions) > 0 }
	if has("training") {
		if p.TrainingConfig == nil {
			return Fieldf("", "stage training needs training_config (policy_class_path, num_training_steps)")
		}
		if !missions(p.TrainingConfig.Missions) {
			return Fieldf("training_config", "no missions to train on: give training_config.missions or missions")
		}
	}
	if has("sweep") {
		if p.SweepConfig == nil || len(p.SweepConfig.SearchSpace) == 0 || p.SweepConfig.PolicyClassPath == "" {
			return Fieldf("sweep_config", "stage sweep needs sweep_config with policy_class_path and search_space")
		}
		if !missions(p.SweepConfig.Missions) {
			return Fieldf("sweep_config", "no missions to sweep on: give sweep_config.missions or missions")
		}
	}
	if has("comparison") {
		c := p.ComparisonConfig
		n := len(DefaultComparisonPolicies)
		if c != nil && len(c.Policies) > 0 {
			n = len(c.Policies)
		}
		if has("training") {
			n++
		}
		if n < 2 {
			return Fieldf("comparison_config", "stage comparison has %d policies to compare; list at least two in comparison_config.policies (the trained policy counts when training is a stage)", n)
		}
		if c == nil || !missions(c.Missions) {
			if len(p.Missions) == 0 {
				return Fieldf("comparison_config", "no missions to compare on: give comparison_config.missions or missions")
			}
		}
		if c != nil && c.Alpha != 0 && !(c.Alpha > 0 && c.Alpha < 1) {
			return Fieldf("comparison_config.alpha", "got %v, want a number between 0 and 1", c.Alpha)
		}
	}
	if has("benchmark") {
		_ = p.BenchmarkConfig // policies default to DefaultBenchmarkPolicies
	}
	return nil
}

// The policies a comparison and a benchmark play when their section
// lists none (besides the trained policy, when training is a stage).
var (
	DefaultComparisonPolicies = []string{"baseline"}
	DefaultBenchmarkPolicies  = []string{"baseline", "random"}
)

func init() {
	Register("pipeline", func() any { return NewPipeline() }, "a pipeline of stages (dafscript pipeline)")
}
