package threshold

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dafscript/dafscript/runtime/eval"
)

// p999 is a variable so that p999/100 is computed as Parse computes it.
var p999 = 99.9

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Threshold
	}{
		{"reward.mean > 0.5", Threshold{Field: "reward", Agg: "mean", Op: ">", Value: 0.5}},
		{"p95(steps) < 900", Threshold{Field: "steps", Agg: "p95", Q: 0.95, Op: "<", Value: 900}},
		{"  steps.p99.9<=1000 ", Threshold{Field: "steps", Agg: "p99.9", Q: p999 / 100, Op: "<=", Value: 1000}},
		{"resources_gained.carbon.max >= 1e2", Threshold{Field: "resources_gained.carbon", Agg: "max", Op: ">=", Value: 100}},
		{"mean(game.chest.heart.deposited) != 0", Threshold{Field: "game.chest.heart.deposited", Agg: "mean", Op: "!=", Value: 0}},
		{"reward.mean{policy=baseline, mission=assembler_2} == 1", Threshold{Field: "reward", Agg: "mean", Op: "==", Value: 1,
			Where: []Tag{{"policy", "baseline"}, {"mission", "assembler_2"}}}},
		{"count(reward){mission=x}>=-3", Threshold{Field: "reward", Agg: "count", Op: ">=", Value: -3, Where: []Tag{{"mission", "x"}}}},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		c.want.Expr = strings.TrimSpace(c.in)
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", c.in, d)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "empty threshold"},
		{"reward > 1", `"reward" has no aggregate; write reward.mean`},
		{"reward.maen > 1", `column 8: unknown aggregate "maen" (did you mean mean or max?)`},
		{"avg(reward) > 1", `column 1: unknown aggregate "avg"`},
		{"p101(reward) > 1", `unknown aggregate "p101"`},
		{"mean(reward > 1", "want ')' after mean(reward"},
		{"reward.mean 1", "want a comparison"},
		{"reward.mean > high", `want a number after >, got "high"`},
		{"reward.mean{polcy=a} > 1", `unknown selector "polcy" (did you mean policy?)`},
		{"reward.mean{policy=a > 1", "want ',' or '}'"},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

func episodes() Episodes {
	var es Episodes
	for i, r := range []float64{0, 0.5, 1, 1} {
		es = append(es, eval.Episode{Policy: "a", Mission: "m1", Reward: r, Steps: 100 * (i + 1), HeartsDeposited: r * 2,
			GameStats: map[string]float64{"chest.heart.deposited": r * 2}})
	}
	es = append(es, eval.Episode{Policy: "b", Mission: "m2", Reward: 0, Steps: 1000, GameStats: map[string]float64{}})
	return es
}

func TestCheck(t *testing.T) {
	es := episodes()
	cases := []struct {
		expr  string
		value float64
		n     int
		pass  bool
	}{
		{"reward.mean{policy=a} > 0.6", 0.625, 4, true},
		{"reward.mean > 0.6", 0.5, 5, false},
		{"p50(steps) <= 300", 300, 5, true},
		{"p95(steps){policy=a} < 390", 385, 4, true},
		{"steps.max < 1000", 1000, 5, false},
		{"success.mean{mission=m1} == 0.75", 0.75, 4, true},
		{"count(reward) == 5", 5, 5, true},
		{"sum(hearts_deposited) == 5", 5, 5, true},
		{"game.chest.heart.deposited.max{policy=a} == 2", 2, 4, true},
	}
	for _, c := range cases {
		r, err := Check(es, []string{c.expr})
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		o := r.Outcomes[0]
		if float64(o.Value) != c.value || o.N != c.n || o.Pass != c.pass || r.Pass != c.pass {
			t.Errorf("%s: got value %v n %d pass %v, want %v %d %v", c.expr, o.Value, o.N, o.Pass, c.value, c.n, c.pass)
		}
	}
	for _, c := range []struct{ expr, want string }{
		{"rewrd.mean > 0", `unknown field "rewrd" (did you mean reward?)`},
		{"reward.mean{policy=c} > 0", "selector policy=c matches no episode; policys: a, b"},
		{"game.chest.heart.deposted.mean > 0", `unknown game stat "chest.heart.deposted"`},
	} {
		if _, err := Check(es, []string{c.expr}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.expr, err, c.want)
		}
	}
}

func TestReportString(t *testing.T) {
	r, err := Check(episodes(), []string{"reward.mean > 0.4", "p95(steps) < 800"})
	if err != nil {
		t.Fatal(err)
	}
	want := "ok   reward.mean > 0.4  (0.5 over 5 episodes)\nFAIL p95(steps) < 800   (880 over 5 episodes)\n"
	if r.Pass || r.Failed() != 1 || r.String() != want {
		t.Errorf("pass %v failed %d, report:\n%s\nwant:\n%s", r.Pass, r.Failed(), r.String(), want)
	}
}
