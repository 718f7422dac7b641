package sim

import (
	"fmt"
	"runtime/debug"
	"sort"
	"sync"
)

// ConfigFunc returns the configuration of environment env; it is called
// once per environment when a VecEnv is built.
type ConfigFunc func(env int, seed uint64) (*GameConfig, error)

// VecEnv steps several environments together into caller-owned buffers
// and resets each one as soon as its episode ends. Results do not depend
// on the number of workers.
type VecEnv struct {
	seed     uint64
	first    int // seeds are those of environments first, first+1, ...
	envs     []*Env
	lo       []int // first agent of each env; lo[len(envs)] = total
	episode  []uint64
	total    int
	done     []bool     // per env, this step
	snaps    []snapshot // per env: the episode that just ended
	pending  []snapshot
	npending int

	// parallel stepping (SetWorkers)
	jobs  chan vecJob
	wg    sync.WaitGroup
	panic []any // per worker chunk, a recovered panic
	cur   vecJob
}

type vecJob struct {
	from, to int
	actions  []int32
	obs      []uint8
	rewards  []float32
	terms    []bool
	slot     int
}

// EpisodeSeed is the seed of episode k of environment env in a VecEnv
// built with seed.
func EpisodeSeed(seed uint64, env int, episode uint64) uint64 {
	return DeriveSeed(seed, "env", uint64(env)<<32|episode)
}

// NewVecEnv builds numEnvs environments; env i starts its episode 0 with
// EpisodeSeed(seed, i, 0).
func NewVecEnv(numEnvs int, seed uint64, config ConfigFunc) (*VecEnv, error) {
	return NewVecEnvAt(0, numEnvs, seed, config)
}

// NewVecEnvAt builds environments first to first+numEnvs-1 of a larger
// set built with seed: env i is configured by config(i, ...) and seeded as
// environment first+i (EpisodeSeed(seed, first+i, episode)). VecEnvs built
// with one seed over consecutive ranges play what one VecEnv of them all
// would (data-parallel training splits its environments so).
func NewVecEnvAt(first, numEnvs int, seed uint64, config ConfigFunc) (*VecEnv, error) {
	if numEnvs < 1 {
		return nil, fmt.Errorf("vecenv: numEnvs must be >= 1, got %d", numEnvs)
	}
	if first < 0 {
		return nil, fmt.Errorf("vecenv: first environment must be >= 0, got %d", first)
	}
	v := &VecEnv{seed: seed, first: first, episode: make([]uint64, numEnvs), done: make([]bool, numEnvs), snaps: make([]snapshot, numEnvs)}
	for i := 0; i < numEnvs; i++ {
		s := EpisodeSeed(seed, first+i, 0)
		cfg, err := config(i, s)
		if err != nil {
			return nil, fmt.Errorf("vecenv: env %d: %w", i, err)
		}
		e, err := NewEnv(cfg, s)
		if err != nil {
			return nil, fmt.Errorf("vecenv: env %d: %w", i, err)
		}
		v.envs = append(v.envs, e)
		v.lo = append(v.lo, v.total)
		v.total += e.NumAgents()
	}
	v.lo = append(v.lo, v.total)
	return v, nil
}

// SetWorkers steps the environments on n goroutines (n <= 1: on the
// caller's goroutine, the default). Call Close when done with a VecEnv
// that has workers.
func (v *VecEnv) SetWorkers(n int) {
	v.Close()
	n = min(n, len(v.envs))
	if n <= 1 {
		return
	}
	jobs := make(chan vecJob, n)
	v.jobs = jobs
	v.panic = make([]any, n)
	for w := 0; w < n; w++ {
		go func() {
			for j := range jobs {
				v.runChunk(j)
				v.wg.Done()
			}
		}()
	}
}

// Close stops the worker goroutines, if any.
func (v *VecEnv) Close() {
	if v.jobs != nil {
		close(v.jobs)
		v.jobs = nil
	}
}

// NumEnvs returns the number of environments.
func (v *VecEnv) NumEnvs() int { return len(v.envs) }

// NumAgents returns the number of agents over all environments.
func (v *VecEnv) NumAgents() int { return v.total }

// AgentRange returns the agents [lo, hi) of environment env.
func (v *VecEnv) AgentRange(env int) (lo, hi int) { return v.lo[env], v.lo[env+1] }

// Env returns environment i (for rendering or inspection).
func (v *VecEnv) Env(i int) *Env { return v.envs[i] }

// Reset restarts every environment at its next episode's seed and writes
// the first observations into obs (NumAgents*ObsSize bytes).
func (v *VecEnv) Reset(obs []uint8) {
	v.checkObs(obs)
	for i, e := range v.envs {
		e.obs = obs[v.lo[i]*ObsSize : v.lo[i+1]*ObsSize : v.lo[i+1]*ObsSize]
		e.Reset(EpisodeSeed(v.seed, v.first+i, v.episode[i]))
	}
}

func (v *VecEnv) checkObs(obs []uint8) {
	if len(obs) < v.total*ObsSize {
		panic(fmt.Sprintf("sim: VecEnv obs buffer holds %d bytes, needs %d", len(obs), v.total*ObsSize))
	}
}

// Step applies actions (one per agent, NumAgents) and writes the
// observations, rewards and terminals. An environment whose episode ends
// marks its agents terminal, records its stats for DrainEpisodes and
// resets at once, so obs then holds the next episode's first observation.
func (v *VecEnv) Step(actions []int32, obs []uint8, rewards []float32, terminals []bool) {
	v.checkObs(obs)
	if len(actions) < v.total || len(rewards) < v.total || len(terminals) < v.total {
		panic(fmt.Sprintf("sim: VecEnv.Step needs %d actions, rewards and terminals; got %d, %d, %d",
			v.total, len(actions), len(rewards), len(terminals)))
	}
	job := vecJob{actions: actions, obs: obs, rewards: rewards, terms: terminals}
	if v.jobs == nil {
		job.from, job.to = 0, len(v.envs)
		v.stepEnvs(job)
	} else {
		n := len(v.panic)
		v.wg.Add(n)
		for w := 0; w < n; w++ {
			job.from, job.to, job.slot = w*len(v.envs)/n, (w+1)*len(v.envs)/n, w
			v.jobs <- job
		}
		v.wg.Wait()
		for w, p := range v.panic {
			if p != nil {
				v.panic[w] = nil
				panic(p)
			}
		}
	}
	// Queue the finished episodes in env order, whoever stepped them.
	for i, d := range v.done {
		if !d {
			continue
		}
		if v.npending == len(v.pending) {
			v.pending = append(v.pending, snapshot{})
		}
		v.pending[v.npending].copyFrom(&v.snaps[i])
		v.npending++
	}
}

func (v *VecEnv) runChunk(j vecJob) {
	defer func() {
		if p := recover(); p != nil {
			// Re-raised on the caller's goroutine, with this stack.
			v.panic[j.slot] = fmt.Errorf("sim: VecEnv worker (envs %d..%d): %v\n%s", j.from, j.to-1, p, debug.Stack())
		}
	}()
	v.stepEnvs(j)
}

// stepEnvs steps envs [j.from, j.to).
func (v *VecEnv) stepEnvs(j vecJob) {
	for i := j.from; i < j.to; i++ {
		e := v.envs[i]
		lo, hi := v.lo[i], v.lo[i+1]
		// The env writes its observations straight into the caller's buffer.
		e.obs = j.obs[lo*ObsSize : hi*ObsSize : hi*ObsSize]
		done := e.Step(j.actions[lo:hi])
		copy(j.rewards[lo:hi], e.rewards)
		for k := lo; k < hi; k++ {
			j.terms[k] = done
		}
		v.done[i] = done
		if done {
			e.snapshotInto(&v.snaps[i])
			v.snaps[i].env = i
			v.snaps[i].episode = v.episode[i]
			v.episode[i]++
			e.Reset(EpisodeSeed(v.seed, v.first+i, v.episode[i]))
		}
	}
}

// DrainEpisodes returns the episodes finished since the last call, in
// (env, episode) order.
func (v *VecEnv) DrainEpisodes() []EpisodeStats {
	idx := make([]int, v.npending)
	for k := range idx {
		idx[k] = k
	}
	p := v.pending
	sort.SliceStable(idx, func(a, b int) bool {
		x, y := &p[idx[a]], &p[idx[b]]
		if x.env != y.env {
			return x.env < y.env
		}
		return x.episode < y.episode
	})
	out := make([]EpisodeStats, 0, v.npending)
	for _, k := range idx {
		out = append(out, p[k].build())
	}
	v.npending = 0
	return out
}
