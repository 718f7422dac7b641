package report

import (
	"math"

	"github.com/dafscript/dafscript/runtime/analysis"
	"github.com/dafscript/dafscript/runtime/compare"
	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/stats"
	"github.com/dafscript/dafscript/runtime/trainresult"
)

func summary(n int, mean, std, lo, hi float64) stats.Summary {
	return stats.Summary{N: n, Mean: mean, Std: std, Median: mean, IQM: mean, CILow: lo, CIHigh: hi, Min: lo - std, Max: hi + std}
}

// fixtureReport is a comparison of three policies on two missions as
// runtime/compare would report it.
func fixtureReport() compare.Report {
	pols := []string{"random", "baseline", "noop"}
	miss := []string{"training_facility_1", "assembler_2"}
	r := compare.Report{
		Policies: pols, Missions: miss, EpisodesPerMission: 5, Seed: 7, Alpha: 0.05,
		Metric: "reward", Mode: "separate",
		PolicyMissionRewards: map[string]map[string][]float64{},
		SummaryStatistics: map[string]stats.Summary{
			"random":   summary(10, 0.4, 0.5, 0.1, 0.75),
			"baseline": summary(10, 3.2, 1.1, 2.5, 3.9),
			"noop":     {N: 10, Mean: 0, Std: 0, Median: 0, IQM: 0, CILow: 0, CIHigh: 0},
		},
		PerMission: map[string]map[string]stats.Summary{
			"random":   {"training_facility_1": summary(5, 0.6, 0.5, 0.2, 1.0), "assembler_2": summary(5, 0.2, 0.4, 0, 0.5)},
			"baseline": {"training_facility_1": summary(5, 4.0, 0.8, 3.4, 4.6), "assembler_2": summary(5, 2.4, 0.9, 1.7, 3.1)},
			"noop":     {"training_facility_1": {N: 5}, "assembler_2": {N: 5}},
		},
		PairwiseComparisons: []compare.Pairwise{
			{A: "random", B: "baseline", MeanDiff: -2.8, WelchP: 0.00002, MannWhitneyP: 0.0002, HolmP: 0.00006, Significant: true, CohensD: -3.1, ProbImprovement: 0.02},
			{A: "random", B: "noop", MeanDiff: 0.4, WelchP: 0.04, MannWhitneyP: 0.03, HolmP: 0.08, Significant: false, CohensD: 1.1, ProbImprovement: 0.7},
			{A: "baseline", B: "noop", MeanDiff: 3.2, WelchP: 0.00001, MannWhitneyP: 0.0001, HolmP: 0.00004, Significant: true, CohensD: math.NaN(), ProbImprovement: 1},
		},
		DetailedMetrics: map[string]map[string]map[string]float64{},
		Warnings:        []string{"noop: every episode scored 0 on training_facility_1; its confidence interval is degenerate"},
	}
	metrics := []string{"agent.action.move.success", "agent.action.move.failed", "agent.carbon.gained", "agent.energy.gained",
		"agent.inventory.diversity", "agent.status.max_steps_without_motion", "game.chest.heart.deposited", "game.tokens_written", "reward", "hearts"}
	for pi, p := range pols {
		r.PolicyMissionRewards[p] = map[string][]float64{}
		r.DetailedMetrics[p] = map[string]map[string]float64{}
		for mi, m := range miss {
			var xs []float64
			for e := 0; e < 5; e++ {
				xs = append(xs, float64((pi*7+mi*3+e)%5))
			}
			r.PolicyMissionRewards[p][m] = xs
			r.DetailedMetrics[p][m] = map[string]float64{}
			for k, name := range metrics {
				r.DetailedMetrics[p][m][name] = float64(pi*10+mi*3+k) / 4
			}
			r.DetailedMetrics[p][m]["agent.decoder.gained"] = 0 // zero everywhere: left out
		}
	}
	return r
}

func fixtureAnalysis() analysis.MissionAnalysis {
	return analysis.MissionAnalysis{
		Name: "training_facility_1", Loadable: true, NumAgents: 2, MaxSteps: 1000, Width: 13, Height: 9,
		ObjectCounts:   map[string]int{"wall": 40, "agent": 2, "charger": 1, "assembler": 1, "chest": 1, "carbon_extractor": 1, "oxygen_extractor": 1, "germanium_extractor": 1, "silicon_extractor": 1},
		AllReachable:   false,
		Unreachable:    []string{"silicon_extractor@7,11 from agent 1"},
		ResourceBudget: map[string]int{"carbon": 100, "oxygen": 80, "germanium": 20, "silicon": 150},
		MaxHearts:      4,
		Grid: []string{
			"#############",
			"#...........#",
			"#.@..+..c...#",
			"#....&......#",
			"#.@..=..o...#",
			"#...........#",
			"#.......G.###",
			"#.........#s#",
			"#############",
		},
	}
}

func fixtureTraining() trainresult.Result {
	r := trainresult.Result{
		Policy: "lstm", Missions: []string{"training_facility_1"}, FinalCheckpoint: "daf_output/training/20260131_142501/checkpoints/final.dt",
		TrainingSteps: 40960, WallTimeSeconds: 12.5, StepsPerSecond: 3276.8, FinalReward: 1.75,
		Hyperparameters: map[string]float64{"learning_rate": 0.0003, "gamma": 0.99, "clip_coef": 0.2, "batch_size": 4096},
		Seed:            3, Device: "cpu", Updates: 10, Episodes: 40,
		Checkpoints: []string{"checkpoints/000005.dt", "checkpoints/final.dt"},
	}
	for u := 1; u <= 10; u++ {
		p := trainresult.CurvePoint{Step: int64(u) * 4096, Update: u, PolicyLoss: -0.01 * float64(u%3), ValueLoss: 1 / float64(u),
			Entropy: 5 - 0.2*float64(u), ApproxKL: 0.001 * float64(u), ClipFraction: 0.01 * float64(u%4), ExplainedVariance: 0.08 * float64(u), SPS: 3000 + 50*float64(u)}
		if u%2 == 0 {
			p.Episodes, p.EpisodeReward, p.Hearts = 8, 0.2*float64(u), 0.1*float64(u)
		}
		r.Curve = append(r.Curve, p)
	}
	return r
}

func fixtureEvaluation() eval.Evaluation {
	e := eval.Evaluation{Policies: []string{"baseline", "random"}, Missions: []string{"training_facility_1", "assembler_2"}, Episodes: 3, Seed: 11}
	for pi, p := range e.Policies {
		for mi, m := range e.Missions {
			mean := 3 - 2*float64(pi) + float64(mi)
			e.Summary = append(e.Summary, eval.Row{Policy: p, Mission: m, Episodes: 3, Reward: summary(3, mean, 0.5, mean-0.6, mean+0.6),
				HeartsMade: mean / 2, HeartsDeposited: mean / 3, Steps: 1000, SuccessRate: 2.0 / 3, ActionFailureRate: 0.125,
				ResourcesGained: map[string]float64{"carbon": 10 * mean, "oxygen": 5 * mean}})
		}
	}
	return e
}

func fixturePerformance() analysis.Performance {
	return analysis.Performance{Mission: "training_facility_1", Policies: []analysis.PolicyPerformance{
		{Policy: "baseline", Episodes: 4, SuccessRate: 0.75, HeartsPerEpisode: 1.5, RewardPerEpisode: 1.5, StepsPerEpisode: 1000, ActionFailureRate: 0.1, StepsWithoutMotion: 12,
			ResourceFlow: map[string]float64{"carbon.gained": 20, "heart.deposited": 1.5}},
		{Policy: "random", Episodes: 4, SuccessRate: 0, HeartsPerEpisode: 0, RewardPerEpisode: 0, StepsPerEpisode: 1000, ActionFailureRate: 0.6, StepsWithoutMotion: 40,
			ResourceFlow: map[string]float64{"carbon.gained": 2}},
	}}
}
