package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const goodSweep = `name: "lstm_optimization"
missions: ["training_facility_1"]
policy_class_path: "lstm"
strategy: "grid"
search_space:
  learning_rate: [0.0001, 0.001, 0.01]
  hidden_size: [64, 128, 256]
episodes_per_trial: 5
`

func TestParseSweep(t *testing.T) {
	doc, err := Parse("sweep.yaml", []byte(goodSweep), "")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Kind != "sweep" {
		t.Fatalf("kind %q, want sweep", doc.Kind)
	}
	want := &Sweep{
		Name: "lstm_optimization", Missions: []string{"training_facility_1"}, PolicyClassPath: "lstm",
		Strategy: "grid", EpisodesPerTrial: 5, Pruner: "none", Objective: "reward", Direction: "maximize",
		SearchSpace: SearchSpace{
			{Name: "hidden_size", Values: []any{int64(64), int64(128), int64(256)}},
			{Name: "learning_rate", Values: []any{0.0001, 0.001, 0.01}},
		},
	}
	if d := cmp.Diff(want, doc.Value); d != "" {
		t.Fatalf("decoded sweep (-want +got):\n%s", d)
	}
}

func TestParseRange(t *testing.T) {
	src := "kind: sweep\nname: s\nmissions: [m]\npolicy_class_path: baseline\nstrategy: tpe\nnum_trials: 9\nseed: 3\npruner: asha\n" +
		"search_space:\n  lr: {min: 0.0001, max: 0.1, log: true}\n  n: {min: 1, max: 8, type: int}\n"
	doc, err := Parse("s.yaml", []byte(src), "sweep")
	if err != nil {
		t.Fatal(err)
	}
	s := doc.Value.(*Sweep)
	want := SearchSpace{{Name: "lr", Min: 0.0001, Max: 0.1, Log: true, Type: "float"}, {Name: "n", Min: 1, Max: 8, Type: "int"}}
	if d := cmp.Diff(want, s.SearchSpace); d != "" {
		t.Fatalf("space (-want +got):\n%s", d)
	}
	if s.NumTrials != 9 || s.Seed != 3 || s.Pruner != "asha" || s.Strategy != "tpe" {
		t.Fatalf("got %+v", s)
	}
}

func TestParseTraining(t *testing.T) {
	src := "missions: [training_facility_1]\npolicy: stateless\nsteps: 20000\ncheckpoints: 5000\nhyperparameters:\n  learning_rate: 0.001\n  ent_coef: 0.02\n"
	doc, err := Parse("t.yaml", []byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	want := &Training{Missions: []string{"training_facility_1"}, Policy: "stateless", Steps: 20000, Checkpoints: 5000,
		Hyperparameters: map[string]float64{"learning_rate": 0.001, "ent_coef": 0.02}, Device: "auto"}
	if doc.Kind != "training" {
		t.Fatalf("kind %q", doc.Kind)
	}
	if d := cmp.Diff(want, doc.Value); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

const base = "name: s\nmissions: [m]\npolicy_class_path: baseline\n"

func TestErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unknown key", base + "serach_space: {a: [1]}\n", "x.yaml:4:1: serach_space: unknown key (did you mean search_space?)"},
		{"missing required", "missions: [m]\npolicy_class_path: p\nsearch_space: {a: [1]}\n", "x.yaml:1:1: name: required key is missing"},
		{"wrong type string", "name: 5\nmissions: [m]\npolicy_class_path: p\nsearch_space: {a: [1]}\n", `x.yaml:1:7: name: want a string, got the number 5`},
		{"wrong type list", "name: s\nmissions: m\npolicy_class_path: p\nsearch_space: {a: [1]}\n", `x.yaml:2:11: missions: want a list, got the string "m"`},
		{"int wanted", base + "search_space: {a: [1]}\nepisodes_per_trial: 2.5\n", "x.yaml:5:21: episodes_per_trial: want a whole number, got the number 2.5"},
		{"num_trials 0", base + "search_space: {a: [1]}\nnum_trials: 0\n", "x.yaml:5:13: num_trials: must be >= 1, got 0"},
		{"unknown strategy", base + "search_space: {a: [1]}\nstrategy: tpu\n", `x.yaml:5:11: strategy: unknown value "tpu" (did you mean tpe?); valid: grid, random, tpe`},
		{"unknown pruner", base + "search_space: {a: [1]}\npruner: medain\n", `x.yaml:5:9: pruner: unknown value "medain" (did you mean median?)`},
		{"unknown objective", base + "search_space: {a: [1]}\nobjective: reward2\n", `objective: unknown value "reward2" (did you mean reward?)`},
		{"random needs trials", base + "search_space: {a: [1]}\nstrategy: random\n", "x.yaml:1:1: num_trials: strategy random needs num_trials (>= 1)"},
		{"empty space", base + "search_space: {}\n", "x.yaml:4:15: search_space: empty search space"},
		{"empty list", base + "search_space: {a: []}\n", "x.yaml:4:19: search_space.a: empty list of values"},
		{"min > max", base + "search_space:\n  lr: {min: 1, max: 0.1}\n", "x.yaml:5:13: search_space.lr: min 1 is greater than max 0.1"},
		{"log min <= 0", base + "search_space:\n  lr: {min: 0, max: 0.1, log: true}\n", "x.yaml:5:13: search_space.lr: a log range needs min > 0, got min 0"},
		{"unknown type", base + "search_space:\n  lr: {min: 0, max: 1, type: flaot}\n", `x.yaml:5:30: search_space.lr.type: unknown type "flaot" (did you mean float?); valid: float, int`},
		{"range key", base + "search_space:\n  lr: {min: 0, mx: 1}\n", "x.yaml:5:16: search_space.lr.mx: unknown key (did you mean max?)"},
		{"range missing max", base + "search_space:\n  lr: {min: 0}\n", "search_space.lr.max: a range needs both min and max"},
		{"int bounds", base + "search_space:\n  n: {min: 0.5, max: 4, type: int}\n", "search_space.n: an int range needs whole-number bounds"},
		{"duplicate key", base + "name: t\nsearch_space: {a: [1]}\n", "x.yaml:4:1: name: key given twice (first at line 1)"},
		{"malformed", "name: [\n", "x.yaml:1:1: malformed YAML"},
		{"malformed line", "name: s\n  bad: : x\n", "x.yaml:2:1: malformed YAML"},
		{"alias", base + "search_space: &a {x: [1]}\n", "anchors and aliases"},
		{"not a mapping", "- 1\n- 2\n", "want a mapping of keys at the top level"},
		{"two documents", goodSweep + "---\nname: x\n", "more than one YAML document"},
		{"kind mismatch", "kind: training\n" + goodSweep, "this is a training config; a sweep config is expected here"},
		{"unknown kind", "kind: swep\n" + goodSweep, `kind: unknown kind "swep" (did you mean sweep?)`},
		{"nan", base + "search_space:\n  lr: {min: .nan, max: 1}\n", "want a finite number"},
		{"custom tag", base + "search_space: {a: [!foo 1]}\n", "custom YAML tag !foo"},
		{"null required", "name:\nmissions: [m]\npolicy_class_path: p\nsearch_space: {a: [1]}\n", "name: needs a value"},
		{"nested too deep", base + "search_space: {a: " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "}\n", "nested more than 32 levels deep"},
		{"too large", base + "#" + strings.Repeat("x", MaxFileBytes) + "\n", "configs are limited to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.src), "sweep")
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error\n  %v\nwant it to contain\n  %s", err, tt.want)
			}
		})
	}
}

func TestAllErrorsReported(t *testing.T) {
	_, err := Parse("x.yaml", []byte("name: 1\nmissions: m\npolicy_class_path: p\nsearch_space: {a: [1]}\nfoo: 1\n"), "sweep")
	es, ok := err.(Errors)
	if !ok || len(es) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
	if es[0].Pos.Line != 1 || es[1].Pos.Line != 2 || es[2].Pos.Line != 5 {
		t.Fatalf("errors not in source order: %v", err)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct{ src, kind, err string }{
		{goodSweep, "sweep", ""},
		{"missions: [m]\nsteps: 10\n", "training", ""},
		{"kind: training\nmissions: [m]\nsteps: 10\n", "training", ""},
		// Only missions: both kinds know it and neither is complete.
		{"missions: [m]\n", "", "could be a pipeline or sweep or training config; add a kind: key"},
		{"foo: 1\n", "", "not a config this version knows"},
		// Mostly a sweep, with a typo: decoded as a sweep to show the typo.
		{"name: s\nmissions: [m]\npolicy_class_path: p\nserch_space: {a: [1]}\n", "", "serch_space: unknown key (did you mean search_space?)"},
	}
	for _, tt := range tests {
		doc, err := Parse("x.yaml", []byte(tt.src), "")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.src, err, tt.err)
			}
			continue
		}
		if err != nil || doc.Kind != tt.kind {
			t.Errorf("%q: kind %v, err %v; want %s", tt.src, doc, err, tt.kind)
		}
	}
}

func TestDecodeValueSharesSchema(t *testing.T) {
	v := map[string]any{
		"name": "s", "missions": []any{"m"}, "policy_class_path": "baseline", "strategy": "random", "num_trials": int64(4),
		"search_space": map[string]any{"lr": map[string]any{"min": 0.001, "max": 0.1, "log": true}, "k": []any{int64(1), int64(2)}},
	}
	s := NewSweep()
	if err := DecodeValue("daf.sweep", v, s); err != nil {
		t.Fatal(err)
	}
	if s.NumTrials != 4 || len(s.SearchSpace) != 2 || s.SearchSpace[0].Name != "k" || !s.SearchSpace[1].Log {
		t.Fatalf("got %+v", s)
	}
	v["search_space"] = map[string]any{"lr": map[string]any{"min": 1.0, "max": 0.1}}
	err := DecodeValue("daf.sweep", v, NewSweep())
	if err == nil || err.Error() != "daf.sweep: search_space.lr: min 1 is greater than max 0.1" {
		t.Fatalf("error %v", err)
	}
	v["search_space"] = map[string]any{"lr": []any{0.1}}
	v["stratgy"] = "tpe"
	err = DecodeValue("daf.sweep", v, NewSweep())
	if err == nil || !strings.Contains(err.Error(), "daf.sweep: stratgy: unknown key (did you mean strategy?)") {
		t.Fatalf("error %v", err)
	}
}

func TestValidateFilesAndGeneric(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sweep.yaml")
	if err := os.WriteFile(p, []byte(goodSweep), 0o644); err != nil {
		t.Fatal(err)
	}
	kind, err := Validate(p)
	if err != nil || kind != "sweep" {
		t.Fatalf("Validate: %q %v", kind, err)
	}
	if _, err := Validate(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("missing file validated")
	}
	doc, _ := Load(p, "sweep")
	g, err := Generic(doc.Value)
	if err != nil {
		t.Fatal(err)
	}
	if g["strategy"] != "grid" || g["episodes_per_trial"] != 5 {
		t.Fatalf("generic %v", g)
	}
	sp := g["search_space"].(map[string]any)
	if len(sp["learning_rate"].([]any)) != 3 {
		t.Fatalf("generic search space %v", sp)
	}
}

func TestExamples(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, f := range files {
		if _, err := Validate(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(goodSweep))
	f.Add([]byte("kind: training\nmissions: [m]\nsteps: 10\n"))
	f.Add([]byte(base + "search_space: {lr: {min: 0.1, max: 1, log: true, type: float}}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse("f.yaml", data, "")
		if err == nil && doc.Value == nil {
			t.Fatal("no value and no error")
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}

// TestDocumentAt: an error found after decoding, naming a key, is placed
// at that key's line and column; other errors pass through.
func TestDocumentAt(t *testing.T) {
	doc, err := Parse("s.yaml", []byte("name: s\nmissions: [a, b]\npolicy_class_path: baseline\nsearch_space:\n  lr: [1, 2]\n"), "sweep")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{Fieldf("search_space.lr", "unknown"), "s.yaml:5:7: search_space.lr: unknown"},
		{Fieldf("missions[1]", "no such mission"), "s.yaml:2:15: missions[1]: no such mission"},
		{Fieldf("jobs", "not there"), "s.yaml: jobs: not there"},
		{errors.New("plain"), "plain"},
	} {
		if got := doc.At(tc.err).Error(); got != tc.want {
			t.Errorf("At(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
