package builtins

import (
	"context"
	"testing"

	"github.com/dafscript/dafscript/runtime/eval"
)

func TestEpisodeDeterministic(t *testing.T) {
	_, out := mustExec(t, &Env{Seed: 5}, `
a = daf.episode("training_facility_1", "random", seed=7, max_steps=60)
b = daf.episode("training_facility_1", daf.policy("random"), seed=7, max_steps=60)
c = daf.episode("training_facility_1", "random", seed=8, max_steps=60)
d = daf.episode("training_facility_1", "random", max_steps=60)
e = daf.episode("training_facility_1", "random", seed=5, max_steps=60)
print(a == b, json.encode(a) == json.encode(b), a == c, d == e, a.seed, d.seed)
print(a.steps, a.mission, a.policy, len(a.rewards), len(a.agent_stats), a.assignment)
`)
	if want := "True True False True 7 5\n60 training_facility_1 random 4 4 [\"random\", \"random\", \"random\", \"random\"]\n"; out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// The result is the episode eval plays for the same seed.
func TestEpisodeMatchesEval(t *testing.T) {
	g, _ := mustExec(t, nil, `r = daf.episode("training_facility_1", "baseline", seed=11, max_steps=200)`)
	_, gv, ok := ResultOf(g["r"])
	if !ok {
		t.Fatal("not a result")
	}
	ep := gv.(eval.Episode)
	ms, err := Missions("t", "m", evalExpr(t, `"training_facility_1"`, nil))
	if err != nil {
		t.Fatal(err)
	}
	specs, _ := PolicySpecs("t", "p", evalExpr(t, `"baseline"`, nil))
	res, err := eval.Run(context.Background(), eval.Options{Entries: []eval.Entry{eval.Single(specs[0])}, Missions: ms, Episodes: 1, Seed: 3, MaxSteps: 200})
	if err != nil {
		t.Fatal(err)
	}
	want := res.Results[0]
	g, _ = mustExec(t, nil, "r = daf.episode(\"training_facility_1\", \"baseline\", seed="+uitoa(want.Seed)+", max_steps=200)")
	_, gv, _ = ResultOf(g["r"])
	got := gv.(eval.Episode)
	if got.Steps != want.Steps || got.Reward != want.Reward || got.HeartsDeposited != want.HeartsDeposited || got.ActionSuccess != want.ActionSuccess {
		t.Errorf("daf.episode(seed=%d) = %+v\neval.Run episode = %+v", want.Seed, got, want)
	}
	_ = ep
}

func TestEpisodeArgs(t *testing.T) {
	for _, tc := range []struct{ src, out, err string }{
		{src: `r = daf.episode("training_facility_1", ["baseline", "noop", "random", "noop"], seed=1, max_steps=20)
print(r.assignment, r.policy, r.steps)`, out: "[\"baseline\", \"noop\", \"random\", \"noop\"] baseline+noop+random 20\n"},
		{src: `print(daf.episode(mission=daf.mission("training_facility_1"), policy="noop", seed=None, max_steps=None).steps == daf.mission("training_facility_1").max_steps)`, out: "True\n"},
		{src: `print(daf.episode("training_facility_1", "noop", max_steps=3).rewards)`, out: "[0.0, 0.0, 0.0, 0.0]\n"},
		{src: `daf.episode("traning_facility_1", "noop")`, err: `daf.episode: mission: unknown mission "traning_facility_1" (did you mean training_facility_1`},
		{src: `daf.episode("training_facility_1", "basline")`, err: `daf.episode: policy: unknown policy "basline" (did you mean baseline?)`},
		{src: `daf.episode("training_facility_1", ["noop", "noop"])`, err: `daf.episode: policy: mission training_facility_1 has 4 agents but 2 policies were given`},
		{src: `daf.episode("training_facility_1", ["noop", "noop", "noop", "noop::0.5"])`, err: `daf.episode: policy[3]: a proportion`},
		{src: `daf.episode(["training_facility_1", "training_facility_2"], "noop")`, err: `daf.episode: mission: got 2 missions, want one`},
		{src: `daf.episode("training_facility_1", "noop", seed="7")`, err: `daf.episode: seed: got string, want an int or None`},
		{src: `daf.episode("training_facility_1", "noop", seed=-1)`, err: `daf.episode: seed: got -1, want an integer in [0, 2**64)`},
		{src: `daf.episode("training_facility_1", "noop", max_steps=0)`, err: `daf.episode: max_steps: got 0, want an int in [1, 1073741824]`},
		{src: `daf.episode("training_facility_1", "noop", max_steps=2.5)`, err: `daf.episode: max_steps: got float, want an int`},
		{src: `daf.episode("training_facility_1", "noop", seeed=1)`, err: `daf.episode: unexpected keyword argument "seeed" (did you mean seed?)`},
		{src: `daf.episode("training_facility_1")`, err: `daf.episode: missing argument for policy`},
		{src: `daf.episode("training_facility_1", 3)`, err: `daf.episode: policy: got int, want a policy name`},
	} {
		t.Run(tc.src, func(t *testing.T) {
			_, out, err := exec(t, nil, tc.src)
			checkRun(t, out, err, tc.out, tc.err)
		})
	}
}

func TestEpisodeEnvMaxSteps(t *testing.T) {
	_, out := mustExec(t, &Env{MaxSteps: 7}, `print(daf.episode("training_facility_1", "noop").steps, daf.episode("training_facility_1", "noop", max_steps=9).steps)`)
	if out != "7 9\n" {
		t.Errorf("got %q", out)
	}
}

func TestEpisodeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := exec(t, &Env{Ctx: ctx}, `daf.episode("training_facility_1", "noop")`)
	checkErr(t, err, "daf.episode: cancelled")
}

func TestEpisodeSwappedArguments(t *testing.T) {
	wantErr(t, `daf.episode(daf.policy("noop"), "training_facility_1")`, "daf.episode: mission: got PolicySpec; the mission comes first: daf.episode(mission, policy")
}

func TestEpisodePanicNamesSeed(t *testing.T) {
	wantErr(t, `daf.episode("training_facility_1", "test_panic", seed=77)`,
		`daf.episode: policy test_panic on mission training_facility_1, episode 0 (seed 77): internal error: policy exploded`)
}
