//go:build learning

package train

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/dafscript/dafscript/runtime/stats"
	"github.com/dafscript/dafscript/sim/policy"
)

// Learning settings; DAF_LEARN_* environment variables override them to
// explore other missions.
var (
	learnMission = envOr("DAF_LEARN_MISSION", "assembler_2+heart_chorus")
	learnPolicy  = envOr("DAF_LEARN_POLICY", "stateless")
	learnSteps   = envInt("DAF_LEARN_STEPS", 1_500_000)
	learnEvals   = envInt("DAF_LEARN_EPISODES", 24)
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(k string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(k), 10, 64); err == nil {
		return v
	}
	return def
}

// playEpisodes returns the mean reward per agent of n episodes of the mission.
func playEpisodes(t *testing.T, spec policy.Spec, n int, seed uint64) []float64 {
	t.Helper()
	rewards, _ := playMission(t, missions(t, learnMission)[0], spec, n, seed, "learning-eval")
	return rewards
}

// TestLearn trains on one mission for at most learnSteps agent-steps and
// checks that the trained policy beats random (Welch p < 0.01).
func TestLearn(t *testing.T) {
	needTorch(t)
	dir := t.TempDir()
	began := time.Now()
	res, err := Train(context.Background(), Options{
		Missions: missions(t, learnMission), Policy: learnPolicy, Steps: learnSteps, Seed: 1,
		Hyperparameters: map[string]float64{"threads": 2}, Device: "cpu", Dir: dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trained %s on %s: %d steps in %.0f s (%.0f SPS), final reward %.3f",
		learnPolicy, learnMission, res.TrainingSteps, time.Since(began).Seconds(), res.StepsPerSecond, res.FinalReward)
	var withEpisodes []CurvePoint
	for _, pt := range res.Curve {
		if pt.Episodes > 0 {
			withEpisodes = append(withEpisodes, pt)
		}
	}
	for i, pt := range withEpisodes {
		if i%max(1, len(withEpisodes)/10) == 0 || i == len(withEpisodes)-1 {
			t.Logf("update %d step %d reward %.3f entropy %.3f kl %.4f ev %.3f sps %.0f", pt.Update, pt.Step, pt.EpisodeReward, pt.Entropy, pt.ApproxKL, pt.ExplainedVariance, pt.SPS)
		}
	}
	n := int(learnEvals)
	trained := playEpisodes(t, policy.Spec{Class: learnPolicy, Data: res.FinalCheckpoint, Kwargs: map[string]any{"threads": 2}}, n, 7)
	random := playEpisodes(t, policy.Spec{Class: "random"}, n, 7)
	baseline := playEpisodes(t, policy.Spec{Class: "baseline"}, n, 7)
	t.Logf("baseline (scripted) on the same episodes: mean %.4f (std %.4f)", stats.Mean(baseline), stats.Std(baseline))
	_, _, p := stats.WelchTTest(trained, random)
	t.Logf("%d episodes: trained mean %.4f (std %.4f), random mean %.4f (std %.4f), Welch p = %.3g",
		n, stats.Mean(trained), stats.Std(trained), stats.Mean(random), stats.Std(random), p)
	if !(stats.Mean(trained) > stats.Mean(random) && p < 0.01) {
		t.Errorf("the trained policy does not beat random at p < 0.01")
	}
}
