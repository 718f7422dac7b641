// Package trainresult holds the plain result types of a training run, so
// that what reads them (reports, the builtins) does not depend on the
// trainer and its libtorch backend.
package trainresult

// Result is what one training run returns (daf.train's TrainingResult).
type Result struct {
	Policy          string             `json:"policy"`
	Missions        []string           `json:"missions"`
	FinalCheckpoint string             `json:"final_checkpoint"`
	TrainingSteps   int64              `json:"training_steps"`
	WallTimeSeconds float64            `json:"wall_time_seconds"`
	StepsPerSecond  float64            `json:"steps_per_second"`
	FinalReward     float64            `json:"final_reward"`
	Hyperparameters map[string]float64 `json:"hyperparameters"`
	Curve           []CurvePoint       `json:"curve"`

	// Beyond the contract's fields.
	Curriculum  string   `json:"curriculum"` // "mix" or "sequence"
	Seed        uint64   `json:"seed"`
	Device      string   `json:"device"`
	Updates     int      `json:"updates"`
	Episodes    int      `json:"episodes"`
	SessionDir  string   `json:"session_dir,omitempty"`
	Checkpoints []string `json:"checkpoints"`
	ResumedFrom string   `json:"resumed_from,omitempty"`
	InitFrom    string   `json:"init_from,omitempty"` // the checkpoint whose weights the run started from (Options.InitFrom)
	Vibes       []string `json:"vibes"`               // the vibes the policy chose among, when named (Options.Vibes); null: as the vibes hyperparameter says
}

// CurvePoint is the state of training after one PPO update. EpisodeReward
// and Hearts average the episodes that ended since the previous point (0
// when none did); SPS is agent-steps per second of wall time over the
// update.
type CurvePoint struct {
	Step              int64   `json:"step"`
	Update            int     `json:"update"`
	EpisodeReward     float64 `json:"episode_reward"`
	Hearts            float64 `json:"hearts"`
	PolicyLoss        float64 `json:"policy_loss"`
	ValueLoss         float64 `json:"value_loss"`
	Entropy           float64 `json:"entropy"`
	ApproxKL          float64 `json:"approx_kl"`
	ClipFraction      float64 `json:"clip_fraction"`
	ExplainedVariance float64 `json:"explained_variance"`
	SPS               float64 `json:"sps"`
	Episodes          int     `json:"episodes"`
}
