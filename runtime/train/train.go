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
	"slices"
	"strings"
	"time"

	"github.com/dafscript/dafscript/runtime/progress"
	"github.com/dafscript/dafscript/runtime/train/torch"
	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
)

// Options configure one training run.
type Options struct {
	Missions        []*mission.Mission // see Curriculum
	Curriculum      string             // "" or "mix": env i plays Missions[i%len]; "sequence": the run is cut into len(Missions) equal stages, stage k played by every environment on Missions[k]
	Policy          string             // "stateless" or "lstm"
	Steps           int64              // agent-steps to train for, rounded up to whole updates
	Seed            uint64
	Hyperparameters map[string]float64 // overrides of the defaults (see HyperparameterNames)
	Device          string             // "auto" (CUDA when libtorch sees a GPU), "cpu" or "cuda"
	CheckpointEvery int64              // agent-steps between checkpoints (rounded to updates); 0: only the final one
	Resume          string             // a checkpoint of the same run to continue from
	// InitFrom is a checkpoint whose weights this new run starts from
	// instead of seeded ones (fine-tuning: on any missions, with fresh
	// Adam state and counters); its network must be the one this run
	// trains. Not with Resume. In data-parallel training only rank 0
	// reads it and the others take its weights.
	InitFrom    string
	Parallel    Parallel     // this process's rank in a data-parallel run (ddp.go); zero: alone
	Evaluations *Evaluations // optional evaluations on the way (evaluations.go)
	// Workers > 1 trains with that many ranks on this machine (Launch:
	// this process is rank 0); 0 or 1: one process. Not with Parallel.
	Workers int
	// Vibes, when given, are the only vibes the policy may choose (by
	// name, in order): its actions are noop, the four moves and these.
	// Not with the vibes hyperparameter, which takes the first N.
	Vibes []string

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
	Curriculum      string             `json:"curriculum,omitempty"`
	Seed            uint64             `json:"seed"`
	Hyperparameters map[string]float64 `json:"hyperparameters"`
	CheckpointEvery int                `json:"checkpoint_every_updates"`
	Update          int                `json:"update"`
	Step            int64              `json:"step"`
	Episodes        int                `json:"episodes"`
	Recent          []float64          `json:"recent_episode_rewards"`
	InitFrom        string             `json:"init_from,omitempty"` // the checkpoint the run's weights started from
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

	if err := o.Check(); err != nil {
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
	opts            Options
	hyper           Hyperparameters
	netConfig       torch.Config
	model           *torch.Model
	state           runState
	totalUpdates    int // updates in the run
	checkpointEvery int // updates between checkpoints; 0: only the final one

	numAgents    int // agents of all environments together
	rolloutSteps int // steps every agent plays per rollout
	segmentSteps int // bptt_horizon: rows per segment, the unit of minibatches
	numSegments  int // numAgents * rolloutSteps / segmentSteps
	groups       []*envGroup
	initFrom     *torch.Checkpoint // Options.InitFrom's, read by rank 0

	// Rollout, agent-major: row a*rolloutSteps+t.
	obs                                             []uint8
	actions                                         []int32
	logProbs, values, rewards, dones, episodeStarts []float32
	advantages, returns                             []float32
	segmentHidden, segmentCell                      []float32 // recurrent state at each segment's start, per segment a*segmentsPerAgent+s
	bootstrapValues                                 []float32 // value of the observation after the rollout, per agent
	minibatch                                       torch.Batch

	envsBuiltAt int // the update at which the environments were built
	ddp         ddpState

	metrics   *os.File
	startTime time.Time
	startStep int64 // the step the run started (or resumed) at
}

// envGroup is a group of environments stepped while the network acts on
// the other group.
type envGroup struct {
	vec                          *sim.VecEnv
	firstAgent, numAgents        int     // agents [firstAgent, firstAgent+numAgents) of the rollout
	obs                          []uint8 // as the simulator writes them: the network's input with either encoding
	hidden, cell, logits, values []float32
	logProbs                     []float32
	uniforms                     []float64 // a uniform per agent, to sample its action
	actions                      []int32   // the network's
	gameActions                  []int32   // the game's, when they differ (Options.Vibes)
	rewards                      []float32
	dones, prevDone              []bool
	rngs                         []sim.RNG
}

func newTrainer(o Options) (*trainer, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	h, err := ParseHyperparameters(o.Hyperparameters)
	if err != nil {
		return nil, err
	}
	ck, prev, err := readResume(o, h)
	if err != nil {
		return nil, err
	}
	defaultLayout(h, o.Policy, prev, ck != nil)
	t := &trainer{opts: o, hyper: h}
	if err := t.configureNetwork(ck); err != nil {
		return nil, err
	}
	if o.InitFrom != "" && o.Parallel.Rank == 0 {
		if t.initFrom, err = torch.ReadCheckpoint(o.InitFrom); err != nil {
			return nil, fmt.Errorf("init_from: %w", err)
		}
		if err := t.sameNetwork(t.initFrom, "init_from", o.InitFrom); err != nil {
			return nil, err
		}
	}

	// Environments first: their agent count sizes everything else.
	t.segmentSteps = h.int("bptt_horizon")
	t.state = runState{Policy: o.Policy, Curriculum: o.Curriculum, Seed: o.Seed, Hyperparameters: h, RNG: rngScheme, InitFrom: o.InitFrom}
	for _, m := range o.Missions {
		t.state.Missions = append(t.state.Missions, m.Name)
	}
	if err := t.newEnvs(0); err != nil {
		return nil, err
	}
	minibatchSize, err := t.sizeBatches()
	if err != nil {
		return nil, err
	}
	localMinibatch, err := t.localMinibatch(minibatchSize)
	if err != nil {
		return nil, err
	}
	if t.model, err = torch.New(t.netConfig); err != nil {
		return nil, err
	}
	if err := t.loadWeights(ck, &prev); err != nil {
		return nil, err
	}
	t.alloc(localMinibatch)
	if err := t.joinGroup(); err != nil {
		return nil, err
	}
	return t, nil
}

// stageMissions returns the missions the environments built at update u
// play: all of them for "mix", the stage's one for "sequence".
func (t *trainer) stageMissions(u int) []*mission.Mission {
	ms := t.opts.Missions
	if t.opts.Curriculum != "sequence" || t.totalUpdates == 0 {
		if t.opts.Curriculum == "sequence" {
			return ms[:1]
		}
		return ms
	}
	k := min(len(ms)-1, u*len(ms)/t.totalUpdates)
	return ms[k : k+1]
}

// stageStarts reports whether a curriculum stage begins at update u.
func (t *trainer) stageStarts(u int) bool {
	return t.opts.Curriculum == "sequence" && u > 0 && t.stageMissions(u)[0] != t.stageMissions(u - 1)[0]
}

// readResume reads the checkpoint a run resumes from (nil when it starts
// fresh) and its trainer state, and checks that it is the same run.
func readResume(o Options, h Hyperparameters) (*torch.Checkpoint, runState, error) {
	var prev runState
	if o.Resume == "" {
		return nil, prev, nil
	}
	ck, err := torch.ReadCheckpoint(o.Resume)
	if err != nil {
		return nil, prev, err
	}
	if len(ck.Trainer) == 0 || ck.AdamAvg == nil {
		return nil, prev, fmt.Errorf("resume: checkpoint %s holds no training state (was it written by daf.train?)", o.Resume)
	}
	if err := json.Unmarshal(ck.Trainer, &prev); err != nil {
		return nil, prev, fmt.Errorf("resume: checkpoint %s: trainer state: %v", o.Resume, err)
	}
	if err := sameRun(&prev, o, h); err != nil {
		return nil, prev, fmt.Errorf("resume: checkpoint %s: %v", o.Resume, err)
	}
	return ck, prev, nil
}

// defaultLayout resolves an automatic num_envs and bptt_horizon by class,
// for the same batch of 4096 agent-steps on four-cog missions: the lstm
// plays 16 environments for its 64-step backpropagation window; the
// stateless network, with no window to fill, plays 64 for 16 steps,
// acting on 256 agents per call, which costs less per agent than 64
// (docs/training.md, Performance). A resumed run keeps the layout of its
// checkpoint.
func defaultLayout(h Hyperparameters, policy string, prev runState, resumed bool) {
	for _, byClass := range []struct {
		name            string
		lstm, stateless float64
	}{{"num_envs", 16, 64}, {"bptt_horizon", 64, 16}} {
		k := byClass.name
		if h[k] != 0 {
			continue
		}
		if v, ok := prev.Hyperparameters[k]; ok && resumed {
			h[k] = v
		} else if policy == "lstm" {
			h[k] = byClass.lstm
		} else {
			h[k] = byClass.stateless
		}
	}
}

// configureNetwork sets the network's class, size, device and threads,
// which must match the checkpoint's when the run resumes.
func (t *trainer) configureNetwork(ck *torch.Checkpoint) error {
	h := t.hyper
	var err error
	if t.netConfig, err = torch.DefaultConfig(t.opts.Policy, h.int("hidden_size")); err != nil {
		return err
	}
	t.netConfig.ReLU = h["relu"] == 1
	if v := h.int("vibes"); v > 0 {
		t.netConfig.Actions = sim.ActionVibeBase + v
	}
	if len(t.opts.Vibes) > 0 {
		if err := t.netConfig.SetVibes(t.opts.Vibes); err != nil {
			return err
		}
	}
	if h["obs_grid"] == 1 {
		if err := t.netConfig.SetEncoding("grid"); err != nil {
			return err
		}
	}
	if t.netConfig.Device, err = torch.ResolveDevice(orDefault(t.opts.Device, "auto")); err != nil {
		return err
	}
	t.netConfig.Threads = h.int("threads")
	if t.netConfig.Threads == 0 {
		t.netConfig.Threads = runtime.NumCPU()
	}
	if ck != nil {
		return t.sameNetwork(ck, "resume", t.opts.Resume)
	}
	return nil
}

// sameNetwork checks that checkpoint ck (given as the argument arg = path)
// holds the network this run trains: its weights fit it and mean the same.
func (t *trainer) sameNetwork(ck *torch.Checkpoint, arg, path string) error {
	c := t.netConfig
	switch {
	case !slices.Equal(ck.Config.Vibes, c.Vibes) || ck.Config.Actions != c.Actions:
		return fmt.Errorf("%s: checkpoint %s chooses among the vibes %s, not %s", arg, path, vibeList(ck.Config), vibeList(c))
	case ck.Config.NumParams() != c.NumParams() || ck.Config.LSTM != c.LSTM:
		return fmt.Errorf("%s: checkpoint %s holds a %s network of hidden size %d, not %s of %d",
			arg, path, ck.Config.Class(), ck.Config.Hidden, c.Class(), c.Hidden)
	case ck.Config.Encoding != c.Encoding:
		return fmt.Errorf("%s: checkpoint %s reads observations as %s, not %s (the obs_grid hyperparameter)", arg, path, encodingName(ck.Config), encodingName(c))
	case ck.Config.ReLU != c.ReLU:
		return fmt.Errorf("%s: checkpoint %s uses %s activations, not %s (the relu hyperparameter)", arg, path, activation(ck.Config), activation(c))
	}
	return nil
}

func encodingName(c torch.Config) string {
	if c.Encoding == "" {
		return "tokens"
	}
	return c.Encoding
}

func activation(c torch.Config) string {
	if c.ReLU {
		return "relu"
	}
	return "tanh"
}

// vibeList names the vibes a network chooses among, for messages.
func vibeList(c torch.Config) string {
	if c.Vibes == nil {
		return fmt.Sprintf("the first %d", c.Actions-sim.ActionVibeBase)
	}
	return "[" + strings.Join(c.VibeNames(), ", ") + "]"
}

// sizeBatches resolves batch_size and minibatch_size against the agents
// of the environments, sets the rollout length, the number of updates and
// the checkpoint interval, and returns the minibatch size.
func (t *trainer) sizeBatches() (int, error) {
	h, o := t.hyper, t.opts
	A := t.runAgents() // the batch is the whole run's, over every rank
	batch := h.int("batch_size")
	if batch == 0 {
		batch = A * t.segmentSteps
	}
	if batch%(A*t.segmentSteps) != 0 {
		return 0, fmt.Errorf("batch_size %d must be a multiple of agents x bptt_horizon = %d x %d = %d "+
			"(%d environments of %v)", batch, A, t.segmentSteps, A*t.segmentSteps, h.int("num_envs"), t.state.Missions)
	}
	t.rolloutSteps = batch / A
	mbs := h.int("minibatch_size")
	if _, given := o.Hyperparameters["minibatch_size"]; !given && mbs > batch {
		mbs = batch
	}
	if mbs%t.segmentSteps != 0 || batch%mbs != 0 || mbs > batch {
		return 0, fmt.Errorf("minibatch_size %d must be a multiple of bptt_horizon %d and divide batch_size %d", mbs, t.segmentSteps, batch)
	}
	h["batch_size"], h["minibatch_size"], h["threads"] = float64(batch), float64(mbs), float64(t.netConfig.Threads)
	t.totalUpdates = int((o.Steps + int64(batch) - 1) / int64(batch))
	if o.CheckpointEvery > 0 {
		t.checkpointEvery = max(1, int(math.Round(float64(o.CheckpointEvery)/float64(batch))))
	}
	t.state.CheckpointEvery = t.checkpointEvery
	return mbs, nil
}

// loadWeights initialises the network from the run's seed or from the
// weights of Options.InitFrom, or, when the run resumes, restores the checkpoint's weights, Adam state and counters
// and rebuilds the environments of the chunk it stopped in.
func (t *trainer) loadWeights(ck *torch.Checkpoint, prev *runState) error {
	if ck == nil && t.initFrom != nil {
		return t.model.SetParams(t.initFrom.Params)
	}
	if ck == nil {
		return t.model.SetParams(t.netConfig.Init(sim.DeriveSeed(t.opts.Seed, "weights", 0)))
	}
	if err := t.model.SetParams(ck.Params); err != nil {
		return err
	}
	if err := t.model.SetAdamState(ck.AdamAvg, ck.AdamAvgSq, ck.AdamStep); err != nil {
		return err
	}
	t.state.Update, t.state.Step, t.state.Episodes = prev.Update, prev.Step, prev.Episodes
	t.state.Recent, t.state.Curve, t.state.InitFrom = prev.Recent, prev.Curve, prev.InitFrom
	if t.state.Update > t.totalUpdates {
		return fmt.Errorf("resume: checkpoint %s is at update %d, past the %d updates of %d steps", t.opts.Resume, prev.Update, t.totalUpdates, t.opts.Steps)
	}
	if t.state.Update > 0 {
		return t.newEnvs(t.state.Update)
	}
	return nil
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
	if orDefault(prev.Curriculum, "mix") != orDefault(o.Curriculum, "mix") {
		return fmt.Errorf("it trains with curriculum %q, not %q", orDefault(prev.Curriculum, "mix"), orDefault(o.Curriculum, "mix"))
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
	h := t.hyper
	missions := t.stageMissions(u)
	firstEnv, numEnvs, err := t.envShare(missions)
	if err != nil {
		return err
	}
	envsPerGroup := []int{numEnvs}
	if h["overlap"] == 1 && numEnvs >= 2 {
		envsPerGroup = []int{numEnvs / 2, numEnvs - numEnvs/2}
	}
	seed := sim.DeriveSeed(t.opts.Seed, "envs", uint64(u))
	t.envsBuiltAt = u
	first := t.groups == nil
	nextAgent, nextEnv := 0, 0
	for g, n := range envsPerGroup {
		off := firstEnv + nextEnv
		// Seeded by its index in the whole run, in whichever group or rank.
		vec, err := sim.NewVecEnvAt(off, n, sim.DeriveSeed(seed, "group", 0), func(env int, s uint64) (*sim.GameConfig, error) {
			m := missions[(off+env)%len(missions)]
			cfg, err := m.Build(s)
			if err != nil {
				return nil, fmt.Errorf("mission %s: %w", m.Name, err)
			}
			return cfg, nil
		})
		if err != nil {
			return err
		}
		var group *envGroup
		if first {
			group = &envGroup{firstAgent: nextAgent, numAgents: vec.NumAgents()}
			t.groups = append(t.groups, group)
		} else {
			group = t.groups[g]
			if group.numAgents != vec.NumAgents() {
				return fmt.Errorf("environment group %d has %d agents, had %d", g, vec.NumAgents(), group.numAgents)
			}
		}
		group.vec = vec
		nextAgent += group.numAgents
		nextEnv += n
	}
	t.numAgents = nextAgent
	if first {
		for _, group := range t.groups {
			n, H := group.numAgents, t.netConfig.Hidden
			group.obs = make([]uint8, n*sim.ObsSize)
			group.hidden, group.cell = make([]float32, n*H), make([]float32, n*H)
			group.logits, group.values = make([]float32, n*t.netConfig.Actions), make([]float32, n)
			group.logProbs, group.uniforms = make([]float32, n), make([]float64, n)
			group.actions, group.gameActions, group.rewards = make([]int32, n), make([]int32, n), make([]float32, n)
			group.dones, group.prevDone = make([]bool, n), make([]bool, n)
			group.rngs = make([]sim.RNG, n)
		}
	}
	for _, group := range t.groups {
		group.vec.Reset(group.obs)
		clear(group.hidden)
		clear(group.cell)
		clear(group.prevDone)
		for i := range group.rngs {
			group.rngs[i].Seed(sim.DeriveSeed(seed, "act", uint64(t.ddp.firstAgent+group.firstAgent+i)))
		}
	}
	return nil
}

// alloc sizes the rollout and minibatch buffers.
func (t *trainer) alloc(minibatchSize int) {
	A, T, H := t.numAgents, t.rolloutSteps, t.netConfig.Hidden
	n := A * T
	t.numSegments = A * T / t.segmentSteps
	t.obs = make([]uint8, n*t.netConfig.InputBytes())
	t.actions = make([]int32, n)
	for _, p := range []*[]float32{&t.logProbs, &t.values, &t.rewards, &t.dones, &t.episodeStarts, &t.advantages, &t.returns} {
		*p = make([]float32, n)
	}
	t.segmentHidden, t.segmentCell = make([]float32, t.numSegments*H), make([]float32, t.numSegments*H)
	t.bootstrapValues = make([]float32, A)
	B := minibatchSize / t.segmentSteps
	m := minibatchSize
	t.minibatch = torch.Batch{Obs: make([]uint8, m*t.netConfig.InputBytes()), Actions: make([]int32, m),
		LogProbs: make([]float32, m), Values: make([]float32, m), Advantages: make([]float32, m),
		Returns: make([]float32, m), Starts: make([]float32, m), H0: make([]float32, B*H), C0: make([]float32, B*H),
		B: B, T: t.segmentSteps}
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
	if t.opts.Logger != nil {
		return t.opts.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (t *trainer) run(ctx context.Context) (*Result, error) {
	o := t.opts
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
	batch := int64(t.hyper.int("batch_size"))
	bar := progress.New(o.Progress, o.ShowProgress, int64(t.totalUpdates)*batch, "train "+o.Policy)
	bar.Units("steps")
	bar.Add(t.state.Step)
	defer bar.Finish()
	t.startTime = time.Now()
	t.startStep = t.state.Step
	res := &Result{Policy: o.Policy, Missions: t.state.Missions, Curriculum: orDefault(o.Curriculum, "mix"), Seed: o.Seed, Device: t.netConfig.Device, SessionDir: o.Dir}
	if o.Resume != "" {
		res.ResumedFrom = o.Resume
	}
	res.InitFrom = t.state.InitFrom
	res.Vibes = t.netConfig.VibeNames()
	t.logger().Info("training", "policy", o.Policy, "missions", t.state.Missions, "agents", t.numAgents,
		"batch", batch, "updates", t.totalUpdates, "device", t.netConfig.Device, "threads", t.netConfig.Threads, "libtorch", torch.Info())
	for t.state.Update < t.totalUpdates {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("training cancelled at update %d: %w", t.state.Update, err)
		}
		u := t.state.Update
		if u != t.envsBuiltAt && ((t.checkpointEvery > 0 && u%t.checkpointEvery == 0) || t.stageStarts(u)) {
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
		last := t.state.Update == t.totalUpdates
		if last || (t.checkpointEvery > 0 && t.state.Update%t.checkpointEvery == 0) {
			path, err := t.checkpoint()
			if err != nil {
				return nil, err
			}
			res.Checkpoints = append(res.Checkpoints, path)
		}
		if stop, err := t.evaluate(ctx, res); err != nil {
			return nil, err
		} else if stop {
			break
		}
	}
	wall := time.Since(t.startTime).Seconds()
	res.FinalCheckpoint = lastOr(res.Checkpoints, "")
	res.TrainingSteps = t.state.Step
	res.WallTimeSeconds = wall
	if wall > 0 {
		res.StepsPerSecond = float64(t.state.Step-t.startStep) / wall
	}
	res.FinalReward = meanOf(t.state.Recent)
	res.Hyperparameters = t.hyper
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
	if t.opts.Track == nil {
		return nil
	}
	return t.opts.Track(name)
}

// episodes folds the episodes that ended during the last rollout into pt
// and the recent-reward window, in group order then (env, episode) order.
func (t *trainer) episodes(pt *CurvePoint) {
	var rew, hearts float64
	n := 0
	for _, group := range t.groups {
		for _, ep := range group.vec.DrainEpisodes() {
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
	if t.opts.Dir != "" {
		dir = filepath.Join(t.opts.Dir, name)
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
	cfg := t.netConfig
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
