package plan

import (
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/config"
)

func TestPipelinePlan(t *testing.T) {
	doc, err := config.Parse("p.yaml", []byte(`name: p
missions: [training_facility_1]
episodes: 3
stages: [check, training, sweep, comparison, benchmark]
training_config: {policy_class_path: stateless, num_training_steps: 73000}
sweep_config:
  policy_class_path: baseline
  search_space: {recharge_below: [20, 40, 60]}
  episodes_per_trial: 2
comparison_config: {policies: [baseline, random]}
benchmark_config: {suite: standard}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	sp := Speeds{EpisodeAgentSteps: 4000, TrainAgentSteps: TrainingSpeeds}
	p, err := Config(doc, sp)
	if err != nil {
		t.Fatal(err)
	}
	// training_facility_1: 1000 steps x 4 agents per episode.
	want := []struct {
		stage            string
		episodes, trials int
		train, play      int64
		seconds          float64
	}{
		{"check", 0, 0, 0, 0, 0},
		{"training", 0, 0, 73000, 0, 1},
		{"sweep", 6, 3, 0, 6 * 4000, 6},
		{"comparison", 9, 0, 0, 9 * 4000, 9},              // 2 policies + the trained one
		{"benchmark (standard)", 27, 0, 0, 27 * 4000, 27}, // 3 policies x 3 missions x 3 episodes
	}
	if len(p.Items) != len(want) {
		t.Fatalf("%d items, want %d", len(p.Items), len(want))
	}
	for i, w := range want {
		it := p.Items[i]
		if it.Stage != w.stage || it.Episodes != w.episodes || it.Trials != w.trials || it.TrainSteps != w.train || it.PlaySteps != w.play || it.Seconds != w.seconds {
			t.Errorf("item %d = %+v, want %+v", i, it, w)
		}
	}
	if tot := p.Total(); tot.Episodes != 42 || tot.Seconds != 43 {
		t.Errorf("total %+v", tot)
	}
	var b strings.Builder
	p.Write(&b)
	if !strings.Contains(b.String(), "Plan of pipeline config p (nothing is run)") || !strings.Contains(b.String(), "43s") {
		t.Errorf("plan text:\n%s", b.String())
	}
}

func TestGridOverRangeNeedsTrials(t *testing.T) {
	doc, err := config.Parse("s.yaml", []byte("kind: sweep\nname: s\nmissions: [training_facility_1]\npolicy_class_path: baseline\nstrategy: random\nnum_trials: 4\nsearch_space:\n  recharge_below: {min: 10, max: 60, type: int}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Config(doc, Speeds{EpisodeAgentSteps: 1000})
	if err != nil || p.Items[0].Trials != 4 || p.Items[0].Episodes != 20 {
		t.Fatalf("sweep plan %+v, %v", p, err)
	}
}
