package config

// Training is the schema of a training run: a YAML file of kind training
// and the arguments of daf.train. Hyperparameter names and ranges are
// checked by the trainer, which owns that list.
type Training struct {
	Missions        []string           `yaml:"missions" config:"required,min=1"`
	Policy          string             `yaml:"policy" config:"enum=lstm|stateless"`
	Steps           int                `yaml:"steps" config:"required,min=1"`
	Seed            uint64             `yaml:"seed"`
	Checkpoints     int                `yaml:"checkpoints" config:"min=0"` // agent-steps between checkpoints; 0: only the final one
	Hyperparameters map[string]float64 `yaml:"hyperparameters"`
	Vibes           []string           `yaml:"vibes"` // the only vibes the policy may choose; absent: all
	Device          string             `yaml:"device" config:"enum=auto|cpu|cuda"`
}

// NewTraining returns a Training with its defaults: policy lstm, device
// auto.
func NewTraining() *Training { return &Training{Policy: "lstm", Device: "auto"} }

func init() {
	Register("training", func() any { return NewTraining() }, "a training run (daf.train)")
}
