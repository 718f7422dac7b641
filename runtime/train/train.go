package train

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/dafscript/dafscript/runtime/progress"
	"github.com/dafscript/dafscript/runtime/train/torch"
	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
)

// Options configure one training run.
type Options struct {
	Missions        []*mission.Mission // rotated across environments: env i plays Missions[i%len]
	Policy          string             // "stateless" or "lstm"
	Steps           int64              // agent-steps to train for, rounded up to whole updates
	Seed            uint64
	Hyperparameters map[string]float64 // overrides of the defaults (see HyperparameterNames)
	Device          string             // "auto" (CUDA when libtorch sees a GPU), "cpu" or "cuda"
	CheckpointEvery int64              // agent-steps between checkpoints (rounded to updates); 0: only the final one
	Resume          string             // a checkpoint of the same run to continue from
	Parallel        Parallel           // this process's rank in a data-parallel run (ddp.go); zero: alone
	// Workers > 1 trains with that many ranks on this machine (Launch:
	// this process is rank 0); 0 or 1: one process. Not with Parallel.
	Workers int

	Dir   string                  // where checkpoints/ and metrics.jsonl go
	Track func(name string) error // records a file (relative to Dir) in the session manifest; may be nil

	Progress     io.Writer // where the progress bar is drawn
	ShowProgress bool      // Progress is a terminal
	Logger       *slog.Logger
}

// runState is the trainer's part of a checkpoint. All randomness is
// derived from Seed and the update counters (environments and action
// sampling from the update their chunk began at, minibatch order from the
// update and epoch), so these counters are the whole random state.
type runState struct {
	Policy          string             `json:"policy"`
	Missions        []string           `json:"missions"`
	Seed            uint64             `json:"seed"`
	Hyperparameters map[string]float64 `json:"hyperparameters"`
	CheckpointEvery int                `json:"checkpoint_every_updates"`
	Update          int                `json:"update"`
	Step            int64              `json:"step"`
	Episodes        int                `json:"episodes"`
	Recent          []float64          `json:"recent_episode_rewards"`
	Curve           []CurvePoint       `json:"curve"`
	RNG             string             `json:"rng"`
}

const rngScheme = "sim.DeriveSeed(seed, label, update): envs/act from the chunk's first update, minibatch from update*epochs+epoch"

// recentEpisodes is how many of the last episodes FinalReward averages.
const recentEpisodes = 100

// Train runs PPO and returns the result. It writes checkpoints under
// Dir/checkpoints and one JSON line per update to Dir/metrics.jsonl.
func Train(ctx context.Context, o Options) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("training failed (seed %d): internal error: %v", o.Seed, r)
		}
	}()
	// libtorch's OpenMP pool belongs to the calling OS thread: keep one.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	if err := o.Parallel.Check(); err != nil {
		return nil, err
	}
	t, err := newTrainer(forRank(o))
	if err != nil {
		return nil, rankError(o.Parallel, err)
	}
	defer t.close()
	res, err = t.run(ctx)
	return res, rankError(o.Parallel, err)
}

type trainer struct {
	o       Options
	h       Hyperparameters
	cfg     torch.Config
	model   *torch.Model
	state   runState
	total   int // updates in the run
	ckEvery int

	numAgents, horizon, bptt, segs int
	halves                         []*half

	// Rollout, agent-major: row a*horizon+t.
	obs                                  []uint8
	actions                              []int32
	logp, values, rewards, terms, starts []float32
	adv, ret                             []float32
	h0, c0                               []float32 // per segment a*segsPerAgent+s
	lastValues                           []float32
	mb                                   torch.Batch

	envStart int // the update at which the environments were built
	ddp      ddpState

	metrics *os.File
	start   time.Time
	steps0  int64
}

// half is a group of environments stepped while the network acts on the
// other group.
type half struct {
	vec                  *sim.VecEnv
	lo, n                int // agents [lo, lo+n) of the rollout
	obs                  []uint8
	h, c, logits, values []float32
	logp                 []float32
	u                    []float64 // a uniform per agent, to sample its action
	actions              []int32
	rewards              []float32
	terms, prevTerm      []bool
	rngs                 []sim.RNG
}

func newTrainer(o Options) (*trainer, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	h, err := ParseHyperparameters(o.Hyperparameters)
	if err != nil {
		return nil, err
	}
	var ck *torch.Checkpoint
	var prev runState
	if o.Resume != "" {
		if ck, err = torch.ReadCheckpoint(o.Resume); err != nil {
			return nil, err
		}
		if len(ck.Trainer) == 0 || ck.AdamAvg == nil {
			return nil, fmt.Errorf("resume: checkpoint %s holds no training state (was it written by daf.train?)", o.Resume)
		}
		if err := json.Unmarshal(ck.Trainer, &prev); err != nil {
			return nil, fmt.Errorf("resume: checkpoint %s: trainer state: %v", o.Resume, err)
		}
		if err := sameRun(&prev, o, h); err != nil {
			return nil, fmt.Errorf("resume: checkpoint %s: %v", o.Resume, err)
		}
	}
	// The environment layout by class, for the same batch of 4096
	// agent-steps on four-cog missions: the lstm plays 16 environments for
	// its 64-step backpropagation window; the stateless network, with no
	// window to fill, plays 64 for 16 steps, acting on 256 agents per call,
	// which costs less per agent than 64 (docs/training.md, Performance).
	// A resumed run keeps the layout of its checkpoint.
	for k, byClass := range map[string][2]float64{"num_envs": {16, 64}, "bptt_horizon": {64, 16}} {
		if h[k] != 0 {
			continue
		}
		if v, ok := prev.Hyperparameters[k]; ok && ck != nil {
			h[k] = v
		} else if o.Policy == "lstm" {
			h[k] = byClass[0]
		} else {
			h[k] = byClass[1]
		}
	}
	t := &trainer{o: o, h: h}
	if t.cfg, err = torch.DefaultConfig(o.Policy, h.int("hidden_size")); err != nil {
		return nil, err
	}
	t.cfg.ReLU = h["relu"] == 1
	if t.cfg.Device, err = torch.ResolveDevice(orDefault(o.Device, "auto")); err != nil {
		return nil, err
	}
	t.cfg.Threads = h.int("threads")
	if t.cfg.Threads == 0 {
		t.cfg.Threads = runtime.NumCPU()
	}
	if ck != nil && ck.Config.NumParams() != t.cfg.NumParams() {
		return nil, fmt.Errorf("resume: checkpoint %s holds a %s network of hidden size %d, not %s of %d",
			o.Resume, ck.Config.Class(), ck.Config.Hidden, t.cfg.Class(), t.cfg.Hidden)
	}

	// Environments first: their agent count sizes everything else.
	t.bptt = h.int("bptt_horizon")
	t.state = runState{Policy: o.Policy, Seed: o.Seed, Hyperparameters: h, RNG: rngScheme}
	for _, m := range o.Missions {
		t.state.Missions = append(t.state.Missions, m.Name)
	}
	if err := t.newEnvs(0); err != nil {
		return nil, err
	}
	A := t.runAgents()
	batch := h.int("batch_size")
	if batch == 0 {
		batch = A * t.bptt
	}
	if batch%(A*t.bptt) != 0 {
		return nil, fmt.Errorf("batch_size %d must be a multiple of agents x bptt_horizon = %d x %d = %d "+
			"(%d environments of %v)", batch, A, t.bptt, A*t.bptt, h.int("num_envs"), t.state.Missions)
	}
	t.horizon = batch / A
	mbs := h.int("minibatch_size")
	if _, given := o.Hyperparameters["minibatch_size"]; !given && mbs > batch {
		mbs = batch
	}
	if mbs%t.bptt != 0 || batch%mbs != 0 || mbs > batch {
		return nil, fmt.Errorf("minibatch_size %d must be a multiple of bptt_horizon %d and divide batch_size %d", mbs, t.bptt, batch)
	}
	h["batch_size"], h["minibatch_size"], h["threads"] = float64(batch), float64(mbs), float64(t.cfg.Threads)
	t.total = int((o.Steps + int64(batch) - 1) / int64(batch))
	if o.CheckpointEvery > 0 {
		t.ckEvery = max(1, int(math.Round(float64(o.CheckpointEvery)/float64(batch))))
	}
	t.state.CheckpointEvery = t.ckEvery

	if t.model, err = torch.New(t.cfg); err != nil {
		return nil, err
	}
	if ck != nil {
		if err := t.model.SetParams(ck.Params); err != nil {
			return nil, err
		}
		if err := t.model.SetAdamState(ck.AdamAvg, ck.AdamAvgSq, ck.AdamStep); err != nil {
			return nil, err
		}
		t.state.Update, t.state.Step, t.state.Episodes = prev.Update, prev.Step, prev.Episodes
		t.state.Recent, t.state.Curve = prev.Recent, prev.Curve
		if t.state.Update > t.total {
			return nil, fmt.Errorf("resume: checkpoint %s is at update %d, past the %d updates of %d steps", o.Resume, prev.Update, t.total, o.Steps)
		}
		if t.state.Update > 0 {
			if err := t.newEnvs(t.state.Update); err != nil {
				return nil, err
			}
		}
	} else if err := t.model.SetParams(t.cfg.Init(sim.DeriveSeed(o.Seed, "weights", 0))); err != nil {
		return nil, err
	}
	local, err := t.localMinibatch(mbs)
	if err != nil {
		return nil, err
	}
	t.alloc(local)
	if err := t.joinGroup(); err != nil {
		return nil, err
	}
	return t, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sameRun checks that a resumed run has the settings of the checkpoint's.
func sameRun(prev *runState, o Options, h Hyperparameters) error {
	if prev.Policy != o.Policy {
		return fmt.Errorf("it trains a %s policy, not %s", prev.Policy, o.Policy)
	}
	if prev.Seed != o.Seed {
		return fmt.Errorf("it was trained with seed %d, not %d", prev.Seed, o.Seed)
	}
	var names []string
	for _, m := range o.Missions {
		names = append(names, m.Name)
	}
	if fmt.Sprint(names) != fmt.Sprint(prev.Missions) {
		return fmt.Errorf("it trains on missions %v, not %v", prev.Missions, names)
	}
	for _, k := range HyperparameterNames() {
		pv, ok := prev.Hyperparameters[k]
		if !ok {
			continue
		}
		v := h[k]
		if _, given := o.Hyperparameters[k]; !given && (k == "batch_size" || k == "minibatch_size" || k == "threads" ||
			k == "num_envs" || k == "bptt_horizon") {
			continue // automatic values are checked once resolved
		}
		if pv != v {
			return fmt.Errorf("hyperparameter %s was %v, not %v", k, pv, v)
		}
	}
	return nil
}

// newEnvs builds fresh environments for the chunk of updates that begins
// at update u, and resets per-agent sampling and recurrent state.
func (t *trainer) newEnvs(u int) error {
	h := t.h
	firstEnv, numEnvs, err := t.envShare()
	if err != nil {
		return err
	}
	groups := []int{numEnvs}
	if h["overlap"] == 1 && numEnvs >= 2 {
		groups = []int{numEnvs / 2, numEnvs - numEnvs/2}
	}
	seed := sim.DeriveSeed(t.o.Seed, "envs", uint64(u))
	t.envStart = u
	first := t.halves == nil
	lo, env0 := 0, 0
	for g, n := range groups {
		off := firstEnv + env0
		// Seeded by its index in the whole run, in whichever group or rank.
		vec, err := sim.NewVecEnvAt(off, n, sim.DeriveSeed(seed, "group", 0), func(env int, s uint64) (*sim.GameConfig, error) {
			m := t.o.Missions[(off+env)%len(t.o.Missions)]
			cfg, err := m.Build(s)
			if err != nil {
				return nil, fmt.Errorf("mission %s: %w", m.Name, err)
			}
			return cfg, nil
		})
		if err != nil {
			return err
		}
		var hf *half
		if first {
			hf = &half{lo: lo, n: vec.NumAgents()}
			t.halves = append(t.halves, hf)
		} else {
			hf = t.halves[g]
			if hf.n != vec.NumAgents() {
				return fmt.Errorf("environment group %d has %d agents, had %d", g, vec.NumAgents(), hf.n)
			}
		}
		hf.vec = vec
		lo += hf.n
		env0 += n
	}
	t.numAgents = lo
	if first {
		for _, hf := range t.halves {
			n, H := hf.n, t.cfg.Hidden
			hf.obs = make([]uint8, n*sim.ObsSize)
			hf.h, hf.c = make([]float32, n*H), make([]float32, n*H)
			hf.logits, hf.values = make([]float32, n*t.cfg.Actions), make([]float32, n)
			hf.logp, hf.u = make([]float32, n), make([]float64, n)
			hf.actions, hf.rewards = make([]int32, n), make([]float32, n)
			hf.terms, hf.prevTerm = make([]bool, n), make([]bool, n)
			hf.rngs = make([]sim.RNG, n)
		}
	}
	for _, hf := range t.halves {
		hf.vec.Reset(hf.obs)
		clear(hf.h)
		clear(hf.c)
		clear(hf.prevTerm)
		for i := range hf.rngs {
			hf.rngs[i].Seed(sim.DeriveSeed(seed, "act", uint64(t.ddp.firstAgent+hf.lo+i)))
		}
	}
	return nil
}

func (t *trainer) alloc(mbs int) {
	A, T, H := t.numAgents, t.horizon, t.cfg.Hidden
	n := A * T
	t.segs = A * T / t.bptt
	t.obs = make([]uint8, n*sim.ObsSize)
	t.actions = make([]int32, n)
	for _, p := range []*[]float32{&t.logp, &t.values, &t.rewards, &t.terms, &t.starts, &t.adv, &t.ret} {
		*p = make([]float32, n)
	}
	t.h0, t.c0 = make([]float32, t.segs*H), make([]float32, t.segs*H)
	t.lastValues = make([]float32, A)
	B := mbs / t.bptt
	m := mbs
	t.mb = torch.Batch{Obs: make([]uint8, m*sim.ObsSize), Actions: make([]int32, m),
		LogProbs: make([]float32, m), Values: make([]float32, m), Advantages: make([]float32, m),
		Returns: make([]float32, m), Starts: make([]float32, m), H0: make([]float32, B*H), C0: make([]float32, B*H),
		B: B, T: t.bptt}
}

func (t *trainer) close() {
	if t.model != nil {
		t.model.Close()
	}
	t.leaveGroup()
	if t.metrics != nil {
		t.metrics.Close()
	}
}

func (t *trainer) logger() *slog.Logger {
	if t.o.Logger != nil {
		return t.o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (t *trainer) run(ctx context.Context) (*Result, error) {
	o := t.o
	if o.Dir != "" {
		if err := os.MkdirAll(filepath.Join(o.Dir, "checkpoints"), 0o755); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(filepath.Join(o.Dir, "metrics.jsonl"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		t.metrics = f
		if err := t.track("metrics.jsonl"); err != nil {
			return nil, err
		}
	}
	batch := int64(t.h.int("batch_size"))
	bar := progress.New(o.Progress, o.ShowProgress, int64(t.total)*batch, "train "+o.Policy)
	bar.Units("steps")
	bar.Add(t.state.Step)
	defer bar.Finish()
	t.start = time.Now()
	t.steps0 = t.state.Step
	res := &Result{Policy: o.Policy, Missions: t.state.Missions, Seed: o.Seed, Device: t.cfg.Device, SessionDir: o.Dir}
	if o.Resume != "" {
		res.ResumedFrom = o.Resume
	}
	t.logger().Info("training", "policy", o.Policy, "missions", t.state.Missions, "agents", t.numAgents,
		"batch", batch, "updates", t.total, "device", t.cfg.Device, "threads", t.cfg.Threads, "libtorch", torch.Info())
	for t.state.Update < t.total {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("training cancelled at update %d: %w", t.state.Update, err)
		}
		u := t.state.Update
		if t.ckEvery > 0 && u%t.ckEvery == 0 && u != t.envStart {
			if err := t.newEnvs(u); err != nil {
				return nil, err
			}
		}
		began := time.Now()
		if err := t.rollout(); err != nil {
			return nil, fmt.Errorf("update %d: %w", u, err)
		}
		t.gae()
		pt, err := t.update()
		if err != nil {
			return nil, fmt.Errorf("update %d: %w", u, err)
		}
		t.state.Update++
		t.state.Step += batch
		pt.Step, pt.Update = t.state.Step, t.state.Update
		pt.SPS = float64(batch) / time.Since(began).Seconds()
		t.episodes(&pt)
		t.state.Curve = append(t.state.Curve, pt)
		if t.metrics != nil {
			line, _ := json.Marshal(pt)
			if _, err := t.metrics.Write(append(line, '\n')); err != nil {
				return nil, err
			}
		}
		bar.Add(batch)
		bar.Describe(fmt.Sprintf("train %s  %.0f SPS  reward %.3f", o.Policy, pt.SPS, meanOf(t.state.Recent)))
		if math.IsNaN(pt.PolicyLoss) || math.IsNaN(pt.ValueLoss) {
			return nil, fmt.Errorf("update %d: the loss is NaN (try a smaller learning_rate)", t.state.Update)
		}
		last := t.state.Update == t.total
		if last || (t.ckEvery > 0 && t.state.Update%t.ckEvery == 0) {
			path, err := t.checkpoint()
			if err != nil {
				return nil, err
			}
			res.Checkpoints = append(res.Checkpoints, path)
		}
	}
	wall := time.Since(t.start).Seconds()
	res.FinalCheckpoint = lastOr(res.Checkpoints, "")
	res.TrainingSteps = t.state.Step
	res.WallTimeSeconds = wall
	if wall > 0 {
		res.StepsPerSecond = float64(t.state.Step-t.steps0) / wall
	}
	res.FinalReward = meanOf(t.state.Recent)
	res.Hyperparameters = t.h
	res.Curve = t.state.Curve
	res.Updates = t.state.Update
	res.Episodes = t.state.Episodes
	return res, nil
}

func lastOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[len(s)-1]
}

func meanOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func (t *trainer) track(name string) error {
	if t.o.Track == nil {
		return nil
	}
	return t.o.Track(name)
}

// episodes folds the episodes that ended during the last rollout into pt
// and the recent-reward window, in group order then (env, episode) order.
func (t *trainer) episodes(pt *CurvePoint) {
	var rew, hearts float64
	n := 0
	for _, hf := range t.halves {
		for _, ep := range hf.vec.DrainEpisodes() {
			r := meanOf(ep.Rewards)
			rew += r
			hearts += ep.Game["chest.heart.amount"]
			n++
			t.state.Recent = append(t.state.Recent, r)
		}
	}
	if k := len(t.state.Recent) - recentEpisodes; k > 0 {
		t.state.Recent = append(t.state.Recent[:0], t.state.Recent[k:]...)
	}
	t.state.Episodes += n
	pt.Episodes = n
	if n > 0 {
		pt.EpisodeReward, pt.Hearts = rew/float64(n), hearts/float64(n)
	}
}

// checkpoint writes checkpoints/update_NNNNNN and returns its path.
func (t *trainer) checkpoint() (string, error) {
	name := fmt.Sprintf("checkpoints/update_%06d", t.state.Update)
	dir := name
	if t.o.Dir != "" {
		dir = filepath.Join(t.o.Dir, name)
	} else {
		return "", nil
	}
	w, err := t.model.Params()
	if err != nil {
		return "", err
	}
	avg, avgSq, step, err := t.model.AdamState()
	if err != nil {
		return "", err
	}
	st, err := json.Marshal(t.state)
	if err != nil {
		return "", err
	}
	cfg := t.cfg
	if err := torch.WriteCheckpoint(dir, &torch.Checkpoint{Config: cfg, Params: w, AdamAvg: avg, AdamAvgSq: avgSq, AdamStep: step, Trainer: st}); err != nil {
		return "", err
	}
	for _, f := range []string{"manifest.json", "state.json", "weights.bin", "optimizer.bin"} {
		if err := t.track(name + "/" + f); err != nil {
			return "", err
		}
	}
	return dir, nil
}
