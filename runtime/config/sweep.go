package config

// Sweep is the schema of a sweep: a YAML file of kind sweep and the
// keyword arguments of daf.sweep. Check states the rules across fields.
type Sweep struct {
	Name             string      `yaml:"name" config:"required"`
	Missions         []string    `yaml:"missions" config:"required,min=1"`
	PolicyClassPath  string      `yaml:"policy_class_path" config:"required"`
	Strategy         string      `yaml:"strategy" config:"enum=grid|random|tpe"`
	SearchSpace      SearchSpace `yaml:"search_space" config:"required"`
	EpisodesPerTrial int         `yaml:"episodes_per_trial" config:"min=1"`
	NumTrials        int         `yaml:"num_trials,omitempty" config:"min=1"` // 0 (absent): the grid's size; required for random and tpe
	Seed             uint64      `yaml:"seed"`
	Pruner           string      `yaml:"pruner" config:"enum=none|median|asha"`
	TrainSteps       int         `yaml:"train_steps" config:"min=0"` // 0: no training (a scripted policy)
	Objective        string      `yaml:"objective" config:"enum=reward|hearts|performance_score"`
	Direction        string      `yaml:"direction" config:"enum=maximize|minimize"`
	Jobs             int         `yaml:"jobs" config:"min=0"`   // 0: one per core
	Window           int         `yaml:"window" config:"min=0"` // 0: the default (4); see sweep.Options.Window
}

// NewSweep returns a Sweep with its defaults: strategy grid, 5 episodes
// per trial, no pruner, objective reward, direction maximize.
func NewSweep() *Sweep {
	return &Sweep{Strategy: "grid", EpisodesPerTrial: 5, Pruner: "none", Objective: "reward", Direction: "maximize"}
}

// Check states the rules that involve several keys.
func (s *Sweep) Check() error {
	if s.Strategy != "grid" && s.NumTrials == 0 {
		return Fieldf("num_trials", "strategy %s needs num_trials (>= 1)", s.Strategy)
	}
	return nil
}

func init() {
	Register("sweep", func() any { return NewSweep() }, "a hyperparameter sweep (daf.sweep, dafscript sweep)")
}
