// Package compare runs policies on missions and compares them
// statistically: per-policy and per-mission summaries, every pair tested
// with Welch's t-test and the Mann-Whitney U test, Holm-Bonferroni
// adjustment over the pairs, effect sizes, and warnings when the episodes
// are too few for a difference to show.
package compare

import (
	"encoding/json"

	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/stats"
)

// Report is the result of one comparison. Maps are keyed by policy name
// (as Policies lists them) and mission name (as Missions lists them);
// encoding/json writes map keys sorted, so the JSON is stable.
type Report struct {
	Policies           []string `json:"policies"`
	Missions           []string `json:"missions"`
	EpisodesPerMission int      `json:"episodes_per_mission"`
	Seed               uint64   `json:"seed"`
	Alpha              float64  `json:"alpha"`
	Metric             string   `json:"metric"`
	// Mode is "separate" (each policy plays its own episodes, the whole
	// team under one policy) or "mixed" (the policies share each team).
	Mode     string `json:"mode"`
	MaxSteps int    `json:"max_steps,omitempty"` // 0: each mission's own

	// PolicyMissionRewards holds the metric of every episode, in episode
	// order: policy -> mission -> values.
	PolicyMissionRewards map[string]map[string][]float64 `json:"policy_mission_rewards"`
	// SummaryStatistics summarises each policy over all missions (the
	// bootstrap is stratified by mission).
	SummaryStatistics map[string]stats.Summary `json:"summary_statistics"`
	// PerMission summarises policy -> mission.
	PerMission map[string]map[string]stats.Summary `json:"per_mission"`
	// PairwiseComparisons holds every unordered pair (A before B in
	// Policies order).
	PairwiseComparisons []Pairwise `json:"pairwise_comparisons"`
	// PerMissionPairwise: mission -> every pair tested on that mission's
	// episodes alone, Holm-adjusted over the pairs of the mission (with
	// one mission it repeats PairwiseComparisons).
	PerMissionPairwise map[string][]Pairwise `json:"per_mission_pairwise,omitempty"`
	// DetailedMetrics: policy -> mission -> stat name -> mean over episodes
	// (of the per-agent mean for agent stats, prefixed "agent.").
	DetailedMetrics map[string]map[string]map[string]float64 `json:"detailed_metrics"`
	Warnings        []string                                 `json:"warnings"`

	// Episodes are the played episodes behind the report (not written to
	// JSON; daf.analyze_performance reads them).
	Episodes *eval.Results `json:"-"`
}

// Pairwise compares policy A with policy B on the metric, all missions
// pooled. MeanDiff is mean(A) - mean(B). WelchP and MannWhitneyP are
// two-sided; HolmP is WelchP adjusted over all pairs by Holm-Bonferroni,
// and Significant is HolmP <= Alpha. CohensD uses the pooled standard
// deviation; ProbImprovement is P(A > B) + 0.5 P(A = B), averaged over
// missions as rliable does. Undefined values are NaN (null in JSON).
type Pairwise struct {
	A               string  `json:"a"`
	B               string  `json:"b"`
	MeanDiff        float64 `json:"mean_diff"`
	WelchP          float64 `json:"welch_p"`
	MannWhitneyP    float64 `json:"mann_whitney_p"`
	HolmP           float64 `json:"holm_p"`
	Significant     bool    `json:"significant"`
	CohensD         float64 `json:"cohens_d"`
	ProbImprovement float64 `json:"prob_improvement"`
}

type pairwiseJSON struct {
	A               string      `json:"a"`
	B               string      `json:"b"`
	MeanDiff        stats.Float `json:"mean_diff"`
	WelchP          stats.Float `json:"welch_p"`
	MannWhitneyP    stats.Float `json:"mann_whitney_p"`
	HolmP           stats.Float `json:"holm_p"`
	Significant     bool        `json:"significant"`
	CohensD         stats.Float `json:"cohens_d"`
	ProbImprovement stats.Float `json:"prob_improvement"`
}

// MarshalJSON writes undefined values (a t-test of two constant samples
// with equal means, say) as null.
func (p Pairwise) MarshalJSON() ([]byte, error) {
	return json.Marshal(pairwiseJSON{p.A, p.B, stats.Float(p.MeanDiff), stats.Float(p.WelchP),
		stats.Float(p.MannWhitneyP), stats.Float(p.HolmP), p.Significant, stats.Float(p.CohensD),
		stats.Float(p.ProbImprovement)})
}

// UnmarshalJSON reads what MarshalJSON writes, null as NaN.
func (p *Pairwise) UnmarshalJSON(b []byte) error {
	var j pairwiseJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Pairwise{j.A, j.B, float64(j.MeanDiff), float64(j.WelchP), float64(j.MannWhitneyP),
		float64(j.HolmP), j.Significant, float64(j.CohensD), float64(j.ProbImprovement)}
	return nil
}
