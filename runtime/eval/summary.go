package eval

import (
	"github.com/dafscript/dafscript/runtime/stats"
	"github.com/dafscript/dafscript/sim"
)

// Row summarises the episodes of one policy on one mission.
type Row struct {
	Policy   string        `json:"policy"`
	Mission  string        `json:"mission"`
	Episodes int           `json:"episodes"`
	Reward   stats.Summary `json:"reward"` // mean per-agent episode reward
	// Means over episodes.
	HeartsMade      float64 `json:"hearts_made"`
	HeartsDeposited float64 `json:"hearts_deposited"`
	Steps           float64 `json:"steps"`
	// SuccessRate is the fraction of episodes with a heart deposited.
	SuccessRate float64 `json:"success_rate"`
	// ActionFailureRate is failed actions over all actions.
	ActionFailureRate float64            `json:"action_failure_rate"`
	ResourcesGained   map[string]float64 `json:"resources_gained"`
}

// Evaluation is the result of daf.evaluate and `dafscript eval`: a
// summary per policy and mission, then every episode.
type Evaluation struct {
	Policies []string  `json:"policies"`
	Missions []string  `json:"missions"`
	Episodes int       `json:"episodes"`
	Seed     uint64    `json:"seed"`
	MaxSteps int       `json:"max_steps,omitempty"`
	Summary  []Row     `json:"summary"`
	Results  []Episode `json:"results"`
}

// Summarize builds the Evaluation of res. Reward intervals are bootstrap
// intervals seeded from res.Seed, so they are reproducible too.
func Summarize(res *Results) *Evaluation {
	ev := &Evaluation{Policies: res.Policies, Missions: res.Missions, Episodes: res.Episodes,
		Seed: res.Seed, MaxSteps: res.MaxSteps, Summary: []Row{}, Results: res.Results}
	for i, p := range res.Policies {
		for j, m := range res.Missions {
			eps := res.Of(i, j)
			row := Row{Policy: p, Mission: m, Episodes: len(eps), ResourcesGained: map[string]float64{}}
			rewards := make([]float64, len(eps))
			var failed, all float64
			for k, e := range eps {
				rewards[k] = e.Reward
				row.HeartsMade += e.HeartsMade
				row.HeartsDeposited += e.HeartsDeposited
				row.Steps += float64(e.Steps)
				if e.HeartsDeposited >= 1 {
					row.SuccessRate++
				}
				failed += e.ActionFailed
				all += e.ActionSuccess + e.ActionFailed
				for _, r := range sim.ResourceNames() {
					if v := e.ResourcesGained[r]; v != 0 {
						row.ResourcesGained[r] += v
					}
				}
			}
			n := float64(len(eps))
			row.HeartsMade /= n
			row.HeartsDeposited /= n
			row.Steps /= n
			row.SuccessRate /= n
			if all > 0 {
				row.ActionFailureRate = failed / all
			}
			for r := range row.ResourcesGained {
				row.ResourcesGained[r] /= n
			}
			row.Reward = stats.Summarize([][]float64{rewards}, sim.DeriveSeed(res.Seed, "eval.ci."+p, uint64(j)))
			ev.Summary = append(ev.Summary, row)
		}
	}
	return ev
}

// ResultsOf returns the episodes of an Evaluation as Results.
func (ev *Evaluation) ResultsOf() *Results {
	return &Results{Policies: ev.Policies, Missions: ev.Missions, Episodes: ev.Episodes,
		Seed: ev.Seed, MaxSteps: ev.MaxSteps, Results: ev.Results}
}
