package train

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/train/torch"
	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

func needTorch(t testing.TB) {
	if !torch.Available {
		t.Skip("built without libtorch")
	}
}

func missions(t testing.TB, names ...string) []*mission.Mission {
	t.Helper()
	var out []*mission.Mission
	for _, n := range names {
		m, err := mission.Get(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// small is a run that takes a second or two: 8 agents, batch 128.
func small(t testing.TB, class string, updates int64, dir string) Options {
	return Options{
		Missions: missions(t, "training_facility_1"),
		Policy:   class,
		Steps:    updates * 128,
		Seed:     11,
		Hyperparameters: map[string]float64{
			"hidden_size": 16, "num_envs": 2, "bptt_horizon": 16, "minibatch_size": 64, "threads": 1,
		},
		Device: "cpu",
		Dir:    dir,
	}
}

func weightsHash(t testing.TB, ckpt string) string {
	t.Helper()
	ck, err := torch.ReadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, v := range ck.Params {
		binary.Write(h, binary.LittleEndian, math.Float32bits(v))
	}
	for _, v := range ck.AdamAvgSq {
		binary.Write(h, binary.LittleEndian, math.Float32bits(v))
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestHyperparameters(t *testing.T) {
	h, err := ParseHyperparameters(map[string]float64{"gamma": 0.9, "update_epochs": 2})
	if err != nil {
		t.Fatal(err)
	}
	if h["gamma"] != 0.9 || h["update_epochs"] != 2 || h["learning_rate"] != 0.00092 || h["vf_coef"] != 2 {
		t.Errorf("applied %v", h)
	}
	for _, tc := range []struct {
		in   map[string]float64
		want string
	}{
		{map[string]float64{"learning_rat": 1e-3}, `unknown hyperparameter "learning_rat" (did you mean learning_rate?)`},
		{map[string]float64{"gama": 0.9}, "did you mean gamma"},
		{map[string]float64{"gamma": 1.5}, "gamma = 1.5 is out of range [0, 1]"},
		{map[string]float64{"update_epochs": 1.5}, "update_epochs = 1.5 must be an integer"},
		{map[string]float64{"bptt_horizon": math.NaN()}, "out of range"},
	} {
		_, err := ParseHyperparameters(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	needTorch(t)
	for _, tc := range []struct {
		edit func(o *Options)
		want string
	}{
		{func(o *Options) { o.Policy = "baseline" }, `policy: got "baseline", want "lstm" or "stateless"`},
		{func(o *Options) { o.Steps = 0 }, "steps: got 0, want an int >= 1"},
		{func(o *Options) { o.Missions = nil }, "missions: none given"},
		{func(o *Options) { o.Missions = append(o.Missions, nil) }, "missions[1]: got no mission"},
		{func(o *Options) { o.Curriculum = "sequential" }, `curriculum: got "sequential", want "mix" or "sequence"`},
		{func(o *Options) {
			o.Curriculum = "sequence"
			o.Missions = missions(t, "assembler_2", "training_facility.harvest")
		}, "missions[1]: training_facility.harvest has 1 cogs but missions[0] assembler_2 has 4; curriculum \"sequence\" needs the same number"},
		{func(o *Options) { o.Hyperparameters["batch_size"] = 100 }, "batch_size 100 must be a multiple of agents x bptt_horizon = 8 x 16 = 128"},
		{func(o *Options) { o.Hyperparameters["minibatch_size"] = 40 }, "minibatch_size 40 must be a multiple of bptt_horizon 16"},
		{func(o *Options) { o.Device = "tpu" }, `unknown device "tpu"`},
		{func(o *Options) { o.Hyperparameters["ent_coeff"] = 0 }, "did you mean ent_coef"},
	} {
		o := small(t, "lstm", 1, "")
		tc.edit(&o)
		_, err := Train(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

func TestTrainWritesMetricsAndCheckpoints(t *testing.T) {
	needTorch(t)
	for _, class := range []string{"stateless", "lstm"} {
		t.Run(class, func(t *testing.T) {
			dir := t.TempDir()
			o := small(t, class, 4, dir)
			o.CheckpointEvery = 256
			var tracked []string
			o.Track = func(n string) error { tracked = append(tracked, n); return nil }
			res, err := Train(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if res.Updates != 4 || res.TrainingSteps != 512 || len(res.Curve) != 4 {
				t.Fatalf("updates %d steps %d curve %d", res.Updates, res.TrainingSteps, len(res.Curve))
			}
			want := []string{filepath.Join(dir, "checkpoints/update_000002"), filepath.Join(dir, "checkpoints/update_000004")}
			if fmt.Sprint(res.Checkpoints) != fmt.Sprint(want) || res.FinalCheckpoint != want[1] {
				t.Errorf("checkpoints %v final %s", res.Checkpoints, res.FinalCheckpoint)
			}
			if len(tracked) != 9 || tracked[0] != "metrics.jsonl" {
				t.Errorf("tracked %v", tracked)
			}
			f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			lines := 0
			for sc := bufio.NewScanner(f); sc.Scan(); lines++ {
				for _, k := range []string{`"policy_loss"`, `"value_loss"`, `"entropy"`, `"approx_kl"`, `"clip_fraction"`, `"explained_variance"`, `"sps"`, `"episode_reward"`, `"hearts"`} {
					if !strings.Contains(sc.Text(), k) {
						t.Errorf("metrics line %d lacks %s: %s", lines, k, sc.Text())
					}
				}
			}
			if lines != 4 {
				t.Errorf("%d metric lines, want 4", lines)
			}
			if e := res.Curve[0].Entropy; !(e > 4.5 && e <= math.Log(157)+1e-3) {
				t.Errorf("first entropy %v, want near log(157) = %.3f", e, math.Log(157))
			}
			// The checkpoint plays as a policy.
			p, err := policy.New(policy.Spec{Class: class, Data: res.FinalCheckpoint})
			if err != nil {
				t.Fatal(err)
			}
			c, err := p.NewController(2)
			if err != nil {
				t.Fatal(err)
			}
			c.Reset(0, 1)
			c.Reset(1, 2)
			acts := make([]int32, 2)
			if err := c.Act(make([]uint8, 2*600), acts); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDeterminism: the same seed and thread count give the same weights,
// also with the rollout's overlap and with acting split across threads.
func TestDeterminism(t *testing.T) {
	needTorch(t)
	for _, tc := range []struct {
		name, class string
		hp          map[string]float64
	}{
		{"stateless", "stateless", nil},
		{"lstm", "lstm", nil},
		{"lstm-overlap", "lstm", map[string]float64{"overlap": 1}},
		{"stateless-2-threads", "stateless", map[string]float64{"threads": 2}},
		{"lstm-2-threads", "lstm", map[string]float64{"threads": 2}},
	} {
		opts := func(seed uint64) Options {
			o := small(t, tc.class, 3, t.TempDir())
			o.Seed = seed
			for k, v := range tc.hp {
				o.Hyperparameters[k] = v
			}
			return o
		}
		var hashes []string
		for i := 0; i < 2; i++ {
			res, err := Train(context.Background(), opts(11))
			if err != nil {
				t.Fatal(err)
			}
			hashes = append(hashes, weightsHash(t, res.FinalCheckpoint))
		}
		if hashes[0] != hashes[1] {
			t.Errorf("%s: two runs with seed 11 differ: %s vs %s", tc.name, hashes[0], hashes[1])
		}
		res, err := Train(context.Background(), opts(12))
		if err != nil {
			t.Fatal(err)
		}
		if weightsHash(t, res.FinalCheckpoint) == hashes[0] {
			t.Errorf("%s: seeds 11 and 12 give the same weights", tc.name)
		}
	}
}

// TestLayoutByClass: without num_envs and bptt_horizon, the stateless
// network plays 64 environments for 16 steps and the lstm 16 for 64, both
// a batch of 4096 agent-steps on a four-cog mission; a resumed run keeps
// its checkpoint's layout.
func TestLayoutByClass(t *testing.T) {
	needTorch(t)
	for _, tc := range []struct {
		class      string
		envs, bptt float64
	}{{"stateless", 64, 16}, {"lstm", 16, 64}} {
		o := Options{Missions: missions(t, "training_facility_1"), Policy: tc.class, Steps: 1, Seed: 3,
			Hyperparameters: map[string]float64{"hidden_size": 8, "threads": 1}, Device: "cpu", Dir: t.TempDir()}
		res, err := Train(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		h := res.Hyperparameters
		if h["num_envs"] != tc.envs || h["bptt_horizon"] != tc.bptt || h["batch_size"] != 4096 {
			t.Errorf("%s: num_envs %v bptt_horizon %v batch_size %v, want %v %v 4096", tc.class, h["num_envs"], h["bptt_horizon"], h["batch_size"], tc.envs, tc.bptt)
		}
	}
	// A run made with another layout resumes with it.
	o := small(t, "stateless", 2, t.TempDir())
	o.CheckpointEvery = 128
	full, err := Train(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	r := o
	r.Dir, r.Resume = t.TempDir(), full.Checkpoints[0]
	r.Hyperparameters = map[string]float64{"hidden_size": 16, "minibatch_size": 64, "threads": 1}
	resumed, err := Train(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Hyperparameters["num_envs"] != 2 || resumed.Hyperparameters["bptt_horizon"] != 16 {
		t.Errorf("resumed with num_envs %v bptt_horizon %v, want the checkpoint's 2 and 16", resumed.Hyperparameters["num_envs"], resumed.Hyperparameters["bptt_horizon"])
	}
	if weightsHash(t, resumed.FinalCheckpoint) != weightsHash(t, full.FinalCheckpoint) {
		t.Error("the resumed run's weights differ from the uninterrupted run's")
	}
}

// TestResume: a run resumed from its intermediate checkpoint ends with the
// same weights, optimizer state and curve as the run left alone.
func TestResume(t *testing.T) {
	needTorch(t)
	for _, class := range []string{"stateless", "lstm"} {
		o := small(t, class, 4, t.TempDir())
		o.CheckpointEvery = 256
		full, err := Train(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		r := small(t, class, 4, t.TempDir())
		r.CheckpointEvery = 256
		r.Resume = full.Checkpoints[0]
		resumed, err := Train(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := weightsHash(t, full.FinalCheckpoint), weightsHash(t, resumed.FinalCheckpoint); a != b {
			t.Errorf("%s: resumed weights differ", class)
		}
		if len(resumed.Curve) != 4 || resumed.Curve[3].PolicyLoss != full.Curve[3].PolicyLoss ||
			resumed.Curve[3].EpisodeReward != full.Curve[3].EpisodeReward || resumed.FinalReward != full.FinalReward {
			t.Errorf("%s: resumed curve differs:\n%+v\n%+v", class, resumed.Curve, full.Curve)
		}
		// A different run cannot resume from it.
		bad := r
		bad.Seed = 99
		if _, err := Train(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "seed 11, not 99") {
			t.Errorf("%s: resume with another seed: %v", class, err)
		}
		bad = r
		bad.Hyperparameters = map[string]float64{"hidden_size": 16, "num_envs": 2, "bptt_horizon": 16, "minibatch_size": 64, "threads": 1, "gamma": 0.9}
		if _, err := Train(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "hyperparameter gamma was 0.995, not 0.9") {
			t.Errorf("%s: resume with another gamma: %v", class, err)
		}
	}
}

// TestCurriculumSequence: a sequence plays its missions one after the
// other over equal stages, and a run resumed from a checkpoint inside the
// second stage ends with the uninterrupted run's weights.
func TestCurriculumSequence(t *testing.T) {
	needTorch(t)
	o := small(t, "stateless", 8, t.TempDir())
	o.Missions = missions(t, "assembler_2+cogs(4)", "training_facility_1+cogs(4)")
	o.Curriculum = "sequence"
	o.Hyperparameters["num_envs"] = 2
	o.CheckpointEvery = 128 * 5
	tr, err := newTrainer(o)
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	for u := 0; u < tr.totalUpdates; u++ {
		stages = append(stages, tr.stageMissions(u)[0].Name)
	}
	tr.close()
	want := "[assembler_2+cogs(4) assembler_2+cogs(4) assembler_2+cogs(4) assembler_2+cogs(4) " +
		"training_facility_1+cogs(4) training_facility_1+cogs(4) training_facility_1+cogs(4) training_facility_1+cogs(4)]"
	if fmt.Sprint(stages) != want {
		t.Errorf("stages %v, want %s", stages, want)
	}
	full, err := Train(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Checkpoints) != 2 {
		t.Fatalf("checkpoints %v", full.Checkpoints)
	}
	r := o
	r.Dir = t.TempDir()
	r.Resume = full.Checkpoints[0]
	resumed, err := Train(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := weightsHash(t, full.FinalCheckpoint), weightsHash(t, resumed.FinalCheckpoint); a != b {
		t.Errorf("resumed run ends with weights %s, uninterrupted %s", b, a)
	}
	r.Curriculum = "mix"
	r.Dir = t.TempDir()
	if _, err := Train(context.Background(), r); err == nil || !strings.Contains(err.Error(), `curriculum "sequence", not "mix"`) {
		t.Errorf("resume with another curriculum: %v", err)
	}
}

// TestGridEncoding: a run with obs_grid=1 trains a network on 4961-byte
// inputs, repeats itself, and its checkpoint plays as a policy.
func TestGridEncoding(t *testing.T) {
	needTorch(t)
	var hashes []string
	var ckpt string
	for range 2 {
		o := small(t, "lstm", 3, t.TempDir())
		o.Hyperparameters["obs_grid"] = 1
		res, err := Train(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, weightsHash(t, res.FinalCheckpoint))
		ckpt = res.FinalCheckpoint
	}
	if hashes[0] != hashes[1] {
		t.Errorf("two runs end with weights %s and %s", hashes[0], hashes[1])
	}
	ck, err := torch.ReadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Config.EncodingName() != "grid" || ck.Config.Obs != torch.GridSize {
		t.Errorf("checkpoint config %+v, want the grid encoding of %d bytes", ck.Config, torch.GridSize)
	}
	p, err := policy.New(policy.Spec{Class: "lstm", Data: ckpt, Kwargs: map[string]any{"threads": 1}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.NewController(2)
	if err != nil {
		t.Fatal(err)
	}
	obs := make([]uint8, 2*sim.ObsSize)
	for i := range obs {
		obs[i] = 0xFF
	}
	copy(obs, []uint8{0x55, sim.FeatInventory, 3})
	act := make([]int32, 2)
	if err := c.Act(obs, act); err != nil {
		t.Fatal(err)
	}
}

// TestVibes: with vibes=16 the actor has 21 outputs (noop, four moves,
// the first 16 vibes), the checkpoint records it, and its policy plays
// only those actions.
func TestVibes(t *testing.T) {
	needTorch(t)
	o := small(t, "stateless", 2, t.TempDir())
	o.Hyperparameters["vibes"] = 16
	res, ck := trainedCheckpoint(t, o)
	if ck.Config.Actions != 21 {
		t.Fatalf("checkpoint actions %d, want 21", ck.Config.Actions)
	}
	for _, a := range playedActions(t, res.FinalCheckpoint, 20) {
		if a < 0 || a >= 21 {
			t.Fatalf("action %d outside the 21 the policy was trained with", a)
		}
	}
	r := o
	r.Resume, r.Dir = res.FinalCheckpoint, t.TempDir()
	r.Steps *= 2
	r.Hyperparameters = map[string]float64{"hidden_size": 16, "num_envs": 2, "bptt_horizon": 16, "minibatch_size": 64, "threads": 1}
	if _, err := Train(context.Background(), r); err == nil || !strings.Contains(err.Error(), "hyperparameter vibes was 16, not 0") {
		t.Errorf("resume without vibes: %v", err)
	}
}

// TestNamedVibes: with Vibes [default, heart_a] the actor has 7 outputs,
// the checkpoint names the vibes, its policy plays only noop, the moves
// and those two vibes (the game's ids, 5 and 15, not the network's 5 and
// 6), the trainer's own environments see the same actions, and a resume
// that names other vibes is refused.
func TestNamedVibes(t *testing.T) {
	needTorch(t)
	o := small(t, "stateless", 2, t.TempDir())
	o.Vibes = []string{"default", "heart_a"}
	res, ck := trainedCheckpoint(t, o)
	if strings.Join(res.Vibes, ",") != "default,heart_a" {
		t.Errorf("result vibes %v", res.Vibes)
	}
	if ck.Config.Actions != 7 || strings.Join(ck.Config.VibeNames(), ",") != "default,heart_a" {
		t.Fatalf("checkpoint: %d actions, vibes %v; want 7, [default heart_a]", ck.Config.Actions, ck.Config.VibeNames())
	}
	state, err := os.ReadFile(filepath.Join(res.FinalCheckpoint, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(state), `"heart_a"`) {
		t.Errorf("state.json does not name the vibes:\n%s", state)
	}
	heartA := int32(sim.VibeAction(10))
	seen := map[int32]bool{}
	for _, a := range playedActions(t, res.FinalCheckpoint, 50) {
		if a > 5 && a != heartA {
			t.Fatalf("action %d (%s): the policy may only move, change its vibe to default or heart_a", a, sim.ActionName(int(a)))
		}
		seen[a] = true
	}
	if !seen[heartA] || !seen[5] {
		t.Errorf("in 3200 draws the policy never chose default or heart_a: %v", seen)
	}
	// The trainer plays the same game actions: its agents change vibe to
	// heart_a, and to nothing outside the list.
	tr, err := newTrainer(o)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.close()
	if err := tr.newEnvs(0); err != nil {
		t.Fatal(err)
	}
	if err := tr.rollout(); err != nil {
		t.Fatal(err)
	}
	vibes := map[int]bool{}
	for _, g := range tr.groups {
		for e := 0; e < g.vec.NumEnvs(); e++ {
			env := g.vec.Env(e)
			for a := 0; a < env.NumAgents(); a++ {
				vibes[env.Agent(a).Vibe] = true
			}
		}
	}
	for v := range vibes {
		if v != 0 && v != 10 {
			t.Errorf("an agent of the trainer has vibe %s", sim.VibeName(v))
		}
	}

	r := o
	r.Resume, r.Dir = res.FinalCheckpoint, t.TempDir()
	r.Steps *= 2
	r.Vibes = []string{"default", "heart_b"}
	if _, err := Train(context.Background(), r); err == nil || !strings.Contains(err.Error(), "chooses among the vibes [default, heart_a], not [default, heart_b]") {
		t.Errorf("resume with other vibes: %v", err)
	}
	for _, bad := range []struct {
		vibes []string
		hp    float64
		want  string
	}{
		{[]string{"hart_a"}, 0, `unknown vibe "hart_a" (did you mean heart_a`},
		{[]string{}, 0, "the list is empty"},
		{[]string{"default", "default"}, 0, `"default" is listed twice`},
		{[]string{"default"}, 16, "give one of them"},
	} {
		b := small(t, "stateless", 2, t.TempDir())
		b.Vibes = bad.vibes
		if bad.hp != 0 {
			b.Hyperparameters["vibes"] = bad.hp
		}
		if err := b.Check(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("vibes %q, hyperparameter %g: %v; want %q", bad.vibes, bad.hp, err, bad.want)
		}
	}
}

// playedActions plays the stateless checkpoint ckpt for 64 agents on an
// empty observation, draws times, and returns the game actions it chose.
func playedActions(t *testing.T, ckpt string, draws int) []int32 {
	t.Helper()
	p, err := policy.New(policy.Spec{Class: "stateless", Data: ckpt, Kwargs: map[string]any{"threads": 1}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 64
	c, err := p.NewController(n)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		c.Reset(i, uint64(i))
	}
	obs := make([]uint8, n*sim.ObsSize)
	for i := range obs {
		obs[i] = 0xFF
	}
	var all []int32
	act := make([]int32, n)
	for range draws {
		if err := c.Act(obs, act); err != nil {
			t.Fatal(err)
		}
		all = append(all, act...)
	}
	return all
}

// trainedCheckpoint trains o and reads back its final checkpoint.
func trainedCheckpoint(t *testing.T, o Options) (*Result, *torch.Checkpoint) {
	t.Helper()
	res, err := Train(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := torch.ReadCheckpoint(res.FinalCheckpoint)
	if err != nil {
		t.Fatal(err)
	}
	return res, ck
}

// TestInitFrom: a new run started from another run's checkpoint (on
// another mission) begins with its weights, not seeded ones, and fresh
// Adam state; it says where its weights came from, and keeps saying so
// when resumed. A checkpoint of another network, or init_from with
// resume, is refused naming the argument.
func TestInitFrom(t *testing.T) {
	needTorch(t)
	o := small(t, "stateless", 4, t.TempDir())
	first, err := Train(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	f := small(t, "stateless", 2, t.TempDir())
	f.Missions = missions(t, "assembler_2+cogs(4)")
	f.Hyperparameters["learning_rate"] = 1e-12 // the weights barely move: they are the checkpoint's
	f.CheckpointEvery = 128
	f.InitFrom = first.FinalCheckpoint
	tuned, err := Train(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if tuned.InitFrom != first.FinalCheckpoint {
		t.Errorf("result init_from %q, want %q", tuned.InitFrom, first.FinalCheckpoint)
	}
	w0 := paramsOf(t, first.FinalCheckpoint)
	if d := maxAbsDiff(paramsOf(t, tuned.FinalCheckpoint), w0); d > 1e-6 {
		t.Errorf("the fine-tuned run's weights are %g from the checkpoint it started from", d)
	}
	cfg, err := torch.DefaultConfig("stateless", 16)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(cfg.Init(sim.DeriveSeed(f.Seed, "weights", 0)), w0); d < 1e-3 {
		t.Fatalf("seeded and trained weights differ by %g only: the test would prove nothing", d)
	}
	ck, err := torch.ReadCheckpoint(tuned.FinalCheckpoint)
	if err != nil {
		t.Fatal(err)
	}
	if ck.AdamStep != 4 { // 2 minibatches per update; the first run took 8 steps
		t.Errorf("Adam step %d after 2 updates of the new run, want 4 (fresh state)", ck.AdamStep)
	}
	r := f
	r.InitFrom, r.Resume, r.Dir = "", tuned.Checkpoints[0], t.TempDir()
	resumed, err := Train(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.InitFrom != first.FinalCheckpoint {
		t.Errorf("resumed run: init_from %q, want %q", resumed.InitFrom, first.FinalCheckpoint)
	}

	missing := filepath.Join(t.TempDir(), "nothing")
	for _, tc := range []struct {
		edit func(o *Options)
		want string
	}{
		{func(o *Options) { o.Hyperparameters["hidden_size"] = 32 }, "holds a stateless network of hidden size 16, not stateless of 32"},
		{func(o *Options) { o.Policy = "lstm" }, "holds a stateless network of hidden size 16, not lstm of 16"},
		{func(o *Options) { o.Vibes = []string{"default", "heart_a"} }, "chooses among the vibes the first 152, not [default, heart_a]"},
		{func(o *Options) { o.Hyperparameters["relu"] = 1 }, "uses tanh activations, not relu"},
		{func(o *Options) { o.Resume = first.FinalCheckpoint }, "init_from: starts a new run from a checkpoint's weights, resume continues"},
		{func(o *Options) { o.InitFrom = missing }, "init_from: checkpoint " + missing},
	} {
		bad := small(t, "stateless", 1, "")
		bad.InitFrom = first.FinalCheckpoint
		tc.edit(&bad)
		_, err := Train(context.Background(), bad)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "init_from") {
			t.Errorf("error %v, want init_from and %q", err, tc.want)
		}
	}
}
