package train

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/dafscript/dafscript/runtime/train/torch"
	"github.com/dafscript/dafscript/sim/mission"
)

// Parallel places one training process in a data-parallel run, as torchrun
// and DistributedDataParallel do: World processes (ranks) each play their
// share of the run's environments, and every PPO minibatch step uses the
// mean of the ranks' gradients (ProcessGroupGloo, in the training backend),
// so that all ranks hold the same weights throughout. Rank 0 serves the
// rendezvous at Master and alone writes checkpoints and metrics.
//
// num_envs, batch_size and minibatch_size keep their meaning for the whole
// run: rank r plays environments [r*num_envs/World, (r+1)*num_envs/World)
// and 1/World of every minibatch, each environment and agent seeded by its
// place in the whole run. A run of World ranks therefore plays the
// environments, and samples the actions, of the same run on one process;
// with one minibatch per epoch its updates are those of that run too, to
// the rounding of sums over several ranks. With several minibatches, each
// rank shuffles its own segments, so a minibatch holds an equal share of
// every rank's (a stratified shuffle), not the one-process shuffle.
type Parallel struct {
	World   int           // ranks in the run; 0 or 1: training alone
	Rank    int           // this process's rank, 0 to World-1
	Master  string        // host:port where rank 0 serves the rendezvous (libtorch's TCPStore)
	Timeout time.Duration // bounds the rendezvous and every gradient exchange; 0: DefaultTimeout
}

// DefaultTimeout is how long a rank waits for the others, at the
// rendezvous and at each gradient exchange, before it fails: a rank that
// dies mid-run makes the others fail at their next exchange (at once when
// its connections close, else after this).
const DefaultTimeout = 60 * time.Second

// Check validates the options alone (a world size without a master, a rank
// outside the world, a master that is not host:port).
func (p Parallel) Check() error {
	if p.World < 0 {
		return fmt.Errorf("world size must be >= 1, got %d", p.World)
	}
	if p.World == 0 && p.Master != "" {
		return fmt.Errorf("master %q given without a world size: give the number of ranks in the run (world = N)", p.Master)
	}
	if p.World <= 1 {
		if p.Rank != 0 {
			return fmt.Errorf("rank %d needs a world size of at least %d", p.Rank, p.Rank+1)
		}
		return nil
	}
	if p.Rank < 0 || p.Rank >= p.World {
		return fmt.Errorf("rank %d is not in a world of %d (ranks are 0 to %d)", p.Rank, p.World, p.World-1)
	}
	if _, _, err := p.masterAddr(); err != nil {
		return err
	}
	if p.Timeout < 0 {
		return fmt.Errorf("timeout must be >= 0, got %v", p.Timeout)
	}
	return nil
}

func (p Parallel) masterAddr() (string, int, error) {
	if p.Master == "" {
		return "", 0, fmt.Errorf("a world of %d ranks needs the master's address (host:port where rank 0 serves the rendezvous)", p.World)
	}
	host, ps, err := net.SplitHostPort(p.Master)
	if err != nil || host == "" {
		return "", 0, fmt.Errorf("master %q is not host:port (e.g. 127.0.0.1:29500)", p.Master)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("master %q: port %q is not a number from 1 to 65535", p.Master, ps)
	}
	return host, port, nil
}

func (p Parallel) world() int { return max(p.World, 1) }

func (p Parallel) timeout() time.Duration {
	if p.Timeout == 0 {
		return DefaultTimeout
	}
	return p.Timeout
}

// forRank returns the options of this rank: only rank 0 writes files and
// draws progress.
func forRank(o Options) Options {
	if o.Parallel.Rank != 0 {
		o.Dir, o.Track, o.ShowProgress = "", nil, false
	}
	return o
}

// ddpState is the trainer's data-parallel part.
type ddpState struct {
	group      *torch.Group // nil: training alone
	firstEnv   int          // this rank's first environment in the whole run
	firstAgent int          // and its first agent
}

// envShare returns this rank's environments of the run, which play
// missions (environment i of the run plays missions[i%len]): the first
// one's index in the whole run, and how many. It also finds the rank's
// first agent, and checks that every rank plays as many agents, so that
// their minibatches are of one size.
func (t *trainer) envShare(missions []*mission.Mission) (first, n int, err error) {
	p, total := t.opts.Parallel, t.hyper.int("num_envs")
	W := p.world()
	if W == 1 {
		return 0, total, nil
	}
	if total%W != 0 {
		return 0, 0, fmt.Errorf("num_envs %d must be a multiple of the world size %d: each rank plays as many environments", total, W)
	}
	per := total / W
	agents := make([]int, W)
	for e := 0; e < total; e++ {
		agents[e/per] += missions[e%len(missions)].NumAgents
	}
	for r := range agents {
		if agents[r] != agents[0] {
			return 0, 0, fmt.Errorf("with %d ranks, rank 0 plays %d agents and rank %d plays %d: "+
				"every rank must play as many (choose num_envs so that each rank gets the same missions)", W, agents[0], r, agents[r])
		}
	}
	t.ddp.firstEnv = p.Rank * per
	t.ddp.firstAgent = p.Rank * agents[0]
	return t.ddp.firstEnv, per, nil
}

// runAgents is the number of agents of the whole run, from this rank's.
func (t *trainer) runAgents() int { return t.numAgents * t.opts.Parallel.world() }

// localMinibatch checks that a minibatch of the run splits into whole
// segments on every rank and returns this rank's share.
func (t *trainer) localMinibatch(mbs int) (int, error) {
	W := t.opts.Parallel.world()
	if mbs%(W*t.segmentSteps) != 0 {
		return 0, fmt.Errorf("minibatch_size %d must be a multiple of world size x bptt_horizon = %d x %d = %d: "+
			"each rank takes whole segments of every minibatch", mbs, W, t.segmentSteps, W*t.segmentSteps)
	}
	return mbs / W, nil
}

// joinGroup joins the other ranks (when there are any), makes the model
// average its gradients over them, and starts every rank from rank 0's
// weights and optimizer state.
func (t *trainer) joinGroup() error {
	p := t.opts.Parallel
	if p.world() == 1 {
		return nil
	}
	if !torch.GlooAvailable() {
		return errors.New("data-parallel training needs a training backend built with Gloo: install libgloo-dev and rebuild (make build)")
	}
	host, port, err := p.masterAddr()
	if err != nil {
		return err
	}
	g, err := torch.NewGroup(host, port, p.Rank, p.World, p.timeout())
	if err != nil {
		return err
	}
	t.ddp.group = g
	// Every rank checks that it runs the same training as rank 0: the
	// same network, batch, length and seed.
	mine := []float32{float32(t.netConfig.NumParams()), float32(t.hyper.int("batch_size")), float32(t.hyper.int("minibatch_size")),
		float32(t.totalUpdates), float32(t.opts.Seed % (1 << 24)), float32(t.state.Update), float32(curriculumIndex(t.opts.Curriculum))}
	master := append([]float32(nil), mine...)
	if err := g.Broadcast(master, 0); err != nil {
		return err
	}
	for i, name := range []string{"parameters", "batch_size", "minibatch_size", "updates", "seed (mod 2^24)", "update", "curriculum (index in mix, sequence)"} {
		if master[i] != mine[i] {
			return fmt.Errorf("%s is %v here and %v on rank 0: start every rank with the same options", name, mine[i], master[i])
		}
	}
	w, err := t.model.Params()
	if err != nil {
		return err
	}
	avg, avgSq, step, err := t.model.AdamState()
	if err != nil {
		return err
	}
	for _, buf := range [][]float32{w, avg, avgSq} {
		if err := g.Broadcast(buf, 0); err != nil {
			return err
		}
	}
	if err := t.model.SetParams(w); err != nil {
		return err
	}
	if err := t.model.SetAdamState(avg, avgSq, step); err != nil {
		return err
	}
	return t.model.SetGroup(g)
}

// rankError names the rank whose training failed, in a data-parallel run.
func rankError(p Parallel, err error) error {
	if p.world() == 1 || err == nil {
		return err
	}
	return fmt.Errorf("data-parallel training, rank %d of %d: %w", p.Rank, p.World, err)
}

// leaveGroup closes the group, after the model that uses it.
func (t *trainer) leaveGroup() {
	if t.ddp.group != nil {
		t.ddp.group.Close()
		t.ddp.group = nil
	}
}
