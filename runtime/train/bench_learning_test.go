//go:build benchlearning

package train

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/sim/policy"
)

// The learning benchmark (make bench-learning): from scratch on
// training_facility_1 with its four cogs (trained on its shaped reward;
// hearts are counted in the chests whatever the reward), train in chunks
// and after each evaluate the policy on 20 episodes, until the mean hearts
// per episode reaches 1.0 or the wall-time budget is spent. DAF_BENCH_*
// variables change the setting (docs/training.md).
var (
	benchMission    = benchEnv("DAF_BENCH_MISSION", "training_facility_1:shaped")
	benchPolicy     = benchEnv("DAF_BENCH_POLICY", "stateless")
	benchCurriculum = benchEnv("DAF_BENCH_CURRICULUM", "mix")
	benchChunk      = benchInt("DAF_BENCH_CHUNK", 1_000_000)
	benchBudget     = time.Duration(benchInt("DAF_BENCH_MINUTES", 30)) * time.Minute
	benchEpisodes   = int(benchInt("DAF_BENCH_EPISODES", 20))
	benchVibes      = benchEnv("DAF_BENCH_VIBES", "default,heart_a") // comma-separated vibe names (Options.Vibes); "all": the vibes hyperparameter's
	benchSeed       = benchInt("DAF_BENCH_SEED", 1)
	// benchWarmup, when set, is a mission trained first, until its own
	// evaluation reaches the goal; the benchmark's missions then start
	// from its last checkpoint's weights (Options.InitFrom). Its steps and
	// time count.
	benchWarmup = benchEnv("DAF_BENCH_WARMUP", "")
	benchGoal   = 1.0 // mean hearts per evaluation episode
)

func benchEnv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func benchInt(k string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(k), 10, 64); err == nil {
		return v
	}
	return def
}

// benchHyperparameters: threads 2, a constant learning rate (the run is
// resumed chunk after chunk, and an annealed rate would follow each
// chunk's length), ent_coef 0.03 (the best of 0.001-0.05 measured on
// this mission; 0.01 let the grid policy's entropy collapse), the grid
// encoding, two passes over each batch in minibatches of 2048 and
// gae_lambda 0.95 (the setting that first reached the goal, on the cheap
// heart), and vibes 16 for DAF_BENCH_VIBES=all (the default names the two
// vibes of the loop instead), then DAF_BENCH_HP="name=value,..." over
// them (docs/training.md).
func benchHyperparameters(t *testing.T) map[string]float64 {
	hp := map[string]float64{"threads": 2, "anneal_lr": 0, "ent_coef": 0.03, "vibes": 16,
		"obs_grid": 1, "update_epochs": 2, "minibatch_size": 2048, "gae_lambda": 0.95}
	for _, kv := range strings.Split(os.Getenv("DAF_BENCH_HP"), ",") {
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		f, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil {
			t.Fatalf("DAF_BENCH_HP: %q is not name=number", kv)
		}
		hp[k] = f
	}
	return hp
}

// benchPoint is one line of learning_curve.jsonl.
type benchPoint struct {
	Mission       string  `json:"mission"`    // the mission trained and evaluated: the warm-up's or the benchmark's last
	Step          int64   `json:"step"`       // agent-steps of the whole benchmark, warm-up included
	PhaseStep     int64   `json:"phase_step"` // agent-steps of this phase's run
	WallSeconds   float64 `json:"wall_seconds"`
	TrainReward   float64 `json:"train_episode_reward"` // mean over the chunk's last update with episodes
	TrainHearts   float64 `json:"train_hearts"`
	EvalReward    float64 `json:"eval_reward"` // mean reward per agent over the evaluation episodes
	EvalHearts    float64 `json:"eval_hearts"` // mean hearts in chests per evaluation episode
	EvalEpisodes  int     `json:"eval_episodes"`
	Checkpoint    string  `json:"checkpoint"`
	ReachedTarget bool    `json:"reached_target"`
}

// evalHearts plays n episodes of the mission with the policy and returns
// the mean reward per agent and the mean hearts in chests.
func evalHearts(t *testing.T, mission string, spec policy.Spec, n int, seed uint64) (reward, hearts float64) {
	t.Helper()
	rewards, hs := playMission(t, missions(t, mission)[0], spec, n, seed, "bench-eval")
	return meanOf(rewards), meanOf(hs)
}

func TestHeartsFromScratch(t *testing.T) {
	needTorch(t)
	root := os.Getenv("DAF_BENCH_OUT")
	if root == "" {
		root = t.TempDir()
	}
	names := strings.Split(benchMission, ",")
	o := Options{
		Missions: missions(t, names...), Curriculum: benchCurriculum,
		Policy: benchPolicy, Seed: uint64(benchSeed), Hyperparameters: benchHyperparameters(t), Device: benchEnv("DAF_BENCH_DEVICE", "cpu"),
	}
	if benchVibes != "all" {
		// Named vibes replace the default vibes=16 (the two cannot be
		// given together).
		o.Vibes = strings.Split(benchVibes, ",")
		delete(o.Hyperparameters, "vibes")
	}
	// One training session holds the whole benchmark, so that `dafscript
	// report` draws its curves.
	sess, err := output.NewManager(root).NewSession("training", output.RunInfo{Seed: o.Seed, Args: map[string]any{
		"benchmark": "bench-learning", "missions": benchMission, "warmup": benchWarmup, "policy": benchPolicy, "curriculum": benchCurriculum,
		"hyperparameters": o.Hyperparameters, "vibes": o.Vibes, "chunk": benchChunk, "goal_hearts": benchGoal, "episodes": benchEpisodes}})
	if err != nil {
		t.Fatal(err)
	}
	status := output.StatusFailed
	defer func() { sess.Finish(status) }()
	// The phases: the warm-up (when asked for) until it reaches the goal
	// on its own mission, then the benchmark's missions, evaluated on the
	// last of them.
	type phase struct {
		missions []string
		eval     string
	}
	phases := []phase{{names, names[len(names)-1]}}
	if benchWarmup != "" {
		phases = append([]phase{{[]string{benchWarmup}, benchWarmup}}, phases...)
	}
	began := time.Now()
	var last benchPoint
	var lines []byte
	var before int64 // agent-steps of the phases before this one
	chunk := 0
	for p, ph := range phases {
		run := o
		run.Missions = missions(t, ph.missions...)
		if p > 0 {
			run.InitFrom = last.Checkpoint
		}
		for k := int64(1); ; k++ {
			if time.Since(began) >= benchBudget {
				t.Errorf("not reached in %v: %d agent-steps, last evaluation on %s %.2f hearts per episode; curve in %s (dafscript report --out %s %s)",
					benchBudget, last.Step, last.Mission, last.EvalHearts, sess.Path("learning_curve.jsonl"), root, sess.ID())
				return
			}
			chunk++
			run.Steps = k * benchChunk
			name := fmt.Sprintf("chunk_%03d", chunk)
			run.Dir = sess.Path(name)
			run.Track = func(f string) error { return sess.Track(name + "/" + f) }
			res, err := Train(context.Background(), run)
			if err != nil {
				t.Fatal(err)
			}
			run.Resume, run.InitFrom = res.FinalCheckpoint, ""
			pt := benchPoint{Mission: ph.eval, Step: before + res.TrainingSteps, PhaseStep: res.TrainingSteps, Checkpoint: res.FinalCheckpoint, EvalEpisodes: benchEpisodes}
			for _, c := range res.Curve {
				if c.Episodes > 0 {
					pt.TrainReward, pt.TrainHearts = c.EpisodeReward, c.Hearts
				}
			}
			pt.EvalReward, pt.EvalHearts = evalHearts(t, ph.eval, policy.Spec{Class: benchPolicy, Data: res.FinalCheckpoint,
				Kwargs: map[string]any{"threads": 2}}, benchEpisodes, 7)
			pt.WallSeconds = time.Since(began).Seconds()
			pt.ReachedTarget = pt.EvalHearts >= benchGoal
			last = pt
			line, _ := json.Marshal(pt)
			lines = append(append(lines, line...), '\n')
			if _, err := sess.WriteFile("learning_curve.jsonl", lines); err != nil {
				t.Fatal(err)
			}
			// The last chunk's result holds the whole phase's curve (it is
			// carried through the checkpoints): the report's training
			// section draws reward and hearts against steps from it.
			res.SessionDir = sess.Dir()
			if _, err := sess.WriteJSON("training.json", res); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: step %d  %.0f s  train reward %.3f hearts %.2f  eval (%d episodes) reward %.3f hearts %.2f",
				ph.eval, pt.Step, pt.WallSeconds, pt.TrainReward, pt.TrainHearts, benchEpisodes, pt.EvalReward, pt.EvalHearts)
			if pt.ReachedTarget {
				t.Logf("%s: reached %.1f hearts per episode after %d agent-steps in %.0f s; session %s", ph.eval, benchGoal, pt.Step, pt.WallSeconds, sess.Dir())
				break
			}
		}
		before = last.Step
	}
	status = output.StatusDone
}
