package config

import (
	"strings"
	"testing"
)

func TestPipelineConfig(t *testing.T) {
	seed := `name: "full_pipeline"
missions: ["training_facility_1"]
stages:
  - training
  - sweep
  - comparison

training_config:
  policy_class_path: "lstm"
  num_training_steps: 1000000

sweep_config:
  missions: ["training_facility_2"]
  policy_class_path: "baseline"
  strategy: "random"
  num_trials: 10
  search_space:
    recharge_below: [20, 40]
`
	doc, err := Parse("p.yaml", []byte(seed), "")
	if err != nil {
		t.Fatalf("the seed's example: %v", err)
	}
	if doc.Kind != "pipeline" || doc.Value.(*Pipeline).TrainingConfig.NumTrainingSteps != 1000000 {
		t.Errorf("decoded %s %+v", doc.Kind, doc.Value)
	}
	cases := []struct{ name, yaml, want string }{
		{"unknown stage", "name: p\nmissions: [a]\nstages: [check, comparsion]\n", `p.yaml:3:17: stages[1]: unknown stage "comparsion" (did you mean comparison?)`},
		{"unknown dependency", "name: p\nstages: [check, benchmark]\nbenchmark_config: {policies: [baseline]}\ndepends_on:\n  benchmark: [chek]\n", `p.yaml:5:15: depends_on.benchmark[0]: chek is not a stage of this pipeline (did you mean check?)`},
		{"missing input", "name: p\nstages: [comparison]\nmissions: [a]\n", "stage comparison has 1 policies to compare"},
		{"section without stage", "name: p\nstages: [check]\nbenchmark_config: {policies: [baseline]}\n", "benchmark_config: the pipeline has no benchmark stage"},
		{"training without config", "kind: pipeline\nname: p\nstages: [training]\n", "stage training needs training_config"},
		{"unknown key", "kind: pipeline\nname: p\nstages: [check]\ntraining_confg: {}\n", `training_confg: unknown key (did you mean training_config?)`},
	}
	for _, c := range cases {
		_, err := Parse("p.yaml", []byte(c.yaml), "pipeline")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}
