// Package analysis inspects a mission before it is played (is every
// station reachable, how many hearts can its map fund) and summarises how
// policies performed on it afterwards.
package analysis

// MissionAnalysis describes one mission as built with its default seed.
type MissionAnalysis struct {
	Name      string   `json:"name"`
	Loadable  bool     `json:"loadable"`
	Errors    []string `json:"errors"`
	NumAgents int      `json:"num_agents"`
	MaxSteps  int      `json:"max_steps"`
	Width     int      `json:"width"`
	Height    int      `json:"height"`
	// ObjectCounts counts map objects by name, walls included, agents
	// under "agent".
	ObjectCounts map[string]int `json:"object_counts"`
	// AllReachable: every station can be used (an agent can stand next to
	// it) from every spawn.
	AllReachable bool `json:"all_reachable"`
	// Unreachable lists "station@row,col from agent N" for each failure.
	Unreachable []string `json:"unreachable"`
	// ResourceBudget is the most of each resource the map's extractors can
	// yield within max_steps, given their max uses and cooldowns.
	ResourceBudget map[string]int `json:"resource_budget"`
	// MaxHearts is the most hearts that budget funds with the cheapest
	// heart recipe.
	MaxHearts int      `json:"max_hearts"`
	Grid      []string `json:"grid"` // rows of ASCII
}

// PolicyPerformance summarises one policy's episodes on one mission (or
// all missions given).
type PolicyPerformance struct {
	Policy   string `json:"policy"`
	Episodes int    `json:"episodes"`
	// SuccessRate is the fraction of episodes with at least one heart
	// deposited in a chest.
	SuccessRate       float64 `json:"success_rate"`
	HeartsPerEpisode  float64 `json:"hearts_per_episode"`
	RewardPerEpisode  float64 `json:"reward_per_episode"` // mean per-agent reward
	StepsPerEpisode   float64 `json:"steps_per_episode"`
	ActionFailureRate float64 `json:"action_failure_rate"` // failed / all actions
	// StepsWithoutMotion is status.max_steps_without_motion, mean per agent.
	StepsWithoutMotion float64 `json:"steps_without_motion"`
	// ResourceFlow: resource -> mean per episode of gained, lost and (for
	// chests) deposited, summed over agents: "carbon.gained", ...
	ResourceFlow map[string]float64 `json:"resource_flow"`
}

// Performance is the result of AnalyzePerformance.
type Performance struct {
	Mission  string              `json:"mission"` // "" when all missions are pooled
	Policies []PolicyPerformance `json:"policies"`
}
