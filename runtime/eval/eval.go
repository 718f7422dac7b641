// Package eval plays episodes: policies x missions x episodes, expanded
// into jobs and run on a pool of goroutines. Every episode's seed derives
// from (seed, mission, episode) alone, and results are stored by job id
// and reduced in job order, so the output is byte-identical for any
// number of workers.
package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/dafscript/dafscript/runtime/cache"
	"github.com/dafscript/dafscript/runtime/dist"
	"github.com/dafscript/dafscript/runtime/progress"
	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

// Member is one policy of a team and its share of the agents.
type Member struct {
	Spec       policy.Spec
	Proportion float64 // > 0; shares are relative
}

// Entry is what plays one episode: a whole team under one policy (one
// member) or a mix of policies sharing the agents.
type Entry struct {
	Name    string // shown in results; by default the specs joined with "+"
	Members []Member
}

// Single is an entry where spec plays every agent.
func Single(spec policy.Spec) Entry {
	return Entry{Name: spec.String(), Members: []Member{{Spec: spec, Proportion: 1}}}
}

// ParseEntry reads "CLASS[:DATA][:PROPORTION]" specs (policy.ParseSpec);
// one spec is a whole team, several a team mix.
func ParseEntry(specs ...string) (Entry, error) {
	var e Entry
	for _, s := range specs {
		spec, p, err := policy.ParseSpec(s)
		if err != nil {
			return Entry{}, err
		}
		e.Members = append(e.Members, Member{Spec: spec, Proportion: p})
	}
	if len(e.Members) == 0 {
		return Entry{}, errors.New("no policy given")
	}
	e.Name = e.defaultName()
	return e, nil
}

func (e Entry) defaultName() string {
	name := ""
	for i, m := range e.Members {
		if i > 0 {
			name += "+"
		}
		name += m.Spec.String()
	}
	return name
}

// Options configures Run.
type Options struct {
	Entries  []Entry
	Missions []*mission.Mission
	Episodes int    // per entry and mission, >= 1
	Seed     uint64 // base seed of every episode
	MaxSteps int    // > 0 overrides each mission's episode length
	Jobs     int    // worker goroutines; < 1 means 1
	// Batch is how many episodes of the same entry and mission one worker
	// plays in lockstep through one controller per policy (so a neural
	// policy evaluates one batch of observations per step). 0 picks the
	// policy's preference (see Batcher), else 1; with an Executor, short
	// episodes are grouped further into jobs of at least MinJobCost
	// agent-steps. Results do not depend on it: every slot is reset with
	// its own seed.
	Batch int
	// Progress, if not nil, advances by one per finished episode.
	Progress *progress.Bar
	// Executor, if not nil, runs the episodes (batches become
	// runtime/dist jobs: through NATS, say); nil plays them on Jobs
	// goroutines here. The results are the same bytes either way.
	Executor dist.Executor
	// Cache, if not nil, supplies the episodes it holds and keeps those
	// played (keyed by runtime/jobs content addresses).
	Cache *cache.Cache
	// CodeVersion goes into the content addresses; "" means
	// jobs.CodeVersion().
	CodeVersion string
}

// Batcher is implemented by policies that prefer to serve several
// episodes per controller (neural policies: one forward pass per step for
// all of them).
type Batcher interface {
	PreferredBatch() int
}

// Episode is the outcome of one episode.
type Episode struct {
	Policy  string `json:"policy"`
	Mission string `json:"mission"`
	Episode int    `json:"episode"`
	Seed    uint64 `json:"seed"`
	Steps   int    `json:"steps"`
	// Assignment names the policy (member spec) of each agent.
	Assignment []string  `json:"assignment"`
	Rewards    []float64 `json:"rewards"` // cumulative, per agent
	// Reward is the mean of Rewards.
	Reward          float64 `json:"reward"`
	HeartsMade      float64 `json:"hearts_made"`      // heart.gained, summed over agents
	HeartsDeposited float64 `json:"hearts_deposited"` // chest.heart.deposited
	// ResourcesGained sums <resource>.gained over agents, by resource.
	ResourcesGained map[string]float64 `json:"resources_gained"`
	ActionSuccess   float64            `json:"action_success"` // over agents and handlers
	ActionFailed    float64            `json:"action_failed"`
	// AgentStats and GameStats are the engine's full statistics.
	AgentStats []map[string]float64 `json:"agent_stats"`
	GameStats  map[string]float64   `json:"game_stats"`
}

// Results holds every episode in job order: entry-major, then mission,
// then episode.
type Results struct {
	Policies []string  `json:"policies"`
	Missions []string  `json:"missions"`
	Episodes int       `json:"episodes"`
	Seed     uint64    `json:"seed"`
	MaxSteps int       `json:"max_steps,omitempty"`
	Results  []Episode `json:"results"`
}

// Of returns the episodes of entry i on mission j, in episode order.
func (r *Results) Of(i, j int) []Episode {
	base := (i*len(r.Missions) + j) * r.Episodes
	return r.Results[base : base+r.Episodes]
}

// EpisodeSeed is the seed of episode ep of mission name: the same for
// every policy, so that policies meet the same maps and draws.
func EpisodeSeed(seed uint64, missionName string, ep int) uint64 {
	return sim.DeriveSeed(seed, missionName, uint64(ep))
}

// EpisodeError is the failure of one episode; Seed replays it.
type EpisodeError struct {
	Policy, Mission string
	Episode         int
	Seed            uint64
	Err             error
}

func (e *EpisodeError) Error() string {
	return fmt.Sprintf("policy %s on mission %s, episode %d (seed %d): %v", e.Policy, e.Mission, e.Episode, e.Seed, e.Err)
}

func (e *EpisodeError) Unwrap() error { return e.Err }

// batch is one unit of work: episodes [first, first+n) of an entry on a
// mission.
type batch struct {
	entry, mission, first, n int
}

// Run plays every episode and returns the results in job order. The first
// failure (or the context's cancellation) stops the work and is returned.
func Run(parent context.Context, opts Options) (*Results, error) {
	if err := opts.Check(); err != nil {
		return nil, err
	}
	res := &Results{Episodes: opts.Episodes, Seed: opts.Seed, MaxSteps: opts.MaxSteps}
	pols, err := buildPolicies(opts.Entries, res)
	if err != nil {
		return nil, err
	}
	for _, m := range opts.Missions {
		res.Missions = append(res.Missions, m.Name)
	}
	res.Results = make([]Episode, len(opts.Entries)*len(opts.Missions)*opts.Episodes)
	var (
		k      *keyer
		have   []bool
		series []stored
	)
	if opts.Cache != nil || opts.Executor != nil {
		if k, err = newKeyer(&opts); err != nil {
			return nil, err
		}
	}
	if opts.Cache != nil {
		if have, series, err = lookup(&opts, k, res); err != nil {
			return nil, err
		}
	}
	batches := planBatches(&opts, pols, have)
	played := make([]bool, len(res.Results)) // by job base index
	if opts.Executor != nil {
		RegisterJobs()
		err := runExecutor(parent, &opts, k, played, res, batches, batchCost(&opts))
		if kerr := keep(&opts, res, series, have, played); err == nil {
			err = kerr
		}
		if err != nil {
			return nil, err
		}
		return res, nil
	}
	s := &scheduler{parent: parent, running: map[int]context.CancelFunc{}, errJob: -1}
	done := make(chan int, len(batches))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(opts.Jobs, len(batches))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				bi := int(next.Add(1) - 1)
				if bi >= len(batches) || parent.Err() != nil {
					return
				}
				b := batches[bi]
				base := (b.entry*len(opts.Missions)+b.mission)*opts.Episodes + b.first
				ctx, ok := s.start(base)
				if !ok {
					continue
				}
				err := runBatch(ctx, &opts, res.Policies[b.entry], pols[b.entry], b, res.Results[base:base+b.n])
				if err == nil {
					for i := range b.n {
						played[base+i] = true
					}
				}
				s.finish(base, err)
				if err == nil {
					done <- b.n
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	for n := range done {
		opts.Progress.Add(int64(n))
	}
	if err := keep(&opts, res, series, have, played); err != nil && s.firstErr == nil && parent.Err() == nil {
		return nil, err
	}
	if s.firstErr != nil {
		return nil, s.firstErr
	}
	if err := parent.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// buildPolicies makes every member's policy, by entry, and names the
// entries in res.
func buildPolicies(entries []Entry, res *Results) ([][]policy.Policy, error) {
	pols := make([][]policy.Policy, len(entries))
	for i, e := range entries {
		for _, m := range e.Members {
			p, err := policy.New(m.Spec)
			if err != nil {
				return nil, err
			}
			pols[i] = append(pols[i], p)
		}
		name := e.Name
		if name == "" {
			name = e.defaultName()
		}
		res.Policies = append(res.Policies, name)
	}
	return pols, nil
}

// MinJobCost is the least work, in agent-steps, that Run gives an
// executor as one job when opts.Batch is 0 (unless that is more than half
// of the episodes of the job's policy and mission): about 20 ms of
// scripted play, so that the ~0.3 ms of CPU a job costs through NATS
// (publish, pull, result, ack) stays near 1% of it.
const MinJobCost = 32_768

// planBatches cuts the work into batches of the policies' preferred size
// (or opts.Batch; with an executor, at least MinJobCost agent-steps or
// half the episodes of the entry on the mission), longest first (agents x steps x episodes), so that no
// long batch starts last and leaves the other workers idle; the order of
// the results does not depend on it. Episodes marked in have (the cache
// holds them; nil: none) are left out: a batch is a run of at most the
// batch size of episodes still to play.
func planBatches(opts *Options, pols [][]policy.Policy, have []bool) []batch {
	var batches []batch
	for i := range opts.Entries {
		size := opts.Batch
		if size < 1 {
			size = 1
			for _, p := range pols[i] {
				if b, ok := p.(Batcher); ok && b.PreferredBatch() > size {
					size = b.PreferredBatch()
				}
			}
		}
		for j := range opts.Missions {
			size := size
			if opts.Executor != nil && opts.Batch < 1 {
				// At least MinJobCost, but at most half the pair's
				// episodes, so that two workers share even a run of one
				// short pair (a larger run makes many jobs anyway).
				per := batchCost(opts)(batch{i, j, 0, 1})
				size = max(size, min((MinJobCost+per-1)/per, (opts.Episodes+1)/2))
			}
			base := (i*len(opts.Missions) + j) * opts.Episodes
			for ep := 0; ep < opts.Episodes; {
				if have != nil && have[base+ep] {
					ep++
					continue
				}
				first := ep
				for ep < opts.Episodes && ep-first < size && (have == nil || !have[base+ep]) {
					ep++
				}
				batches = append(batches, batch{i, j, first, ep - first})
			}
		}
	}
	cost := batchCost(opts)
	sort.SliceStable(batches, func(i, j int) bool { return cost(batches[i]) > cost(batches[j]) })
	return batches
}

// batchCost is the work of a batch: agents x steps x episodes.
func batchCost(opts *Options) func(batch) int {
	return func(b batch) int {
		m := opts.Missions[b.mission]
		steps := m.MaxSteps
		if opts.MaxSteps > 0 {
			steps = opts.MaxSteps
		}
		return max(1, m.NumAgents) * max(1, steps) * b.n
	}
}

// scheduler decides which jobs still run after a failure. A failure
// stops the jobs after it in job order, but those before it still run:
// one of them may fail too, and the error reported is that of the
// earliest failing job, whatever the pool size and timing.
type scheduler struct {
	parent   context.Context
	mu       sync.Mutex
	firstErr error
	errJob   int                        // the job base of firstErr, -1 for none
	running  map[int]context.CancelFunc // by job base
}

// start returns the context of the job at base, or false when an earlier
// job has failed.
func (s *scheduler) start(base int) (context.Context, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errJob >= 0 && base > s.errJob {
		return nil, false
	}
	ctx, cancel := context.WithCancel(s.parent)
	s.running[base] = cancel
	return ctx, true
}

// finish records the end of the job at base; a failure cancels the later
// running jobs.
func (s *scheduler) finish(base int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running[base]()
	delete(s.running, base)
	// A job stopped by our own cancellation has nothing to report.
	if err == nil || errors.Is(err, context.Canceled) || (s.errJob >= 0 && base > s.errJob) {
		return
	}
	s.firstErr, s.errJob = err, base
	for b, cancel := range s.running {
		if b > base {
			cancel()
		}
	}
}

// Assign gives each of n agents a member index: counts by largest
// remainder of n*share (ties to the earlier member), then the agents
// shuffled by the episode's seed so that no member always gets the same
// spawn.
func Assign(members []Member, n int, seed uint64) []int {
	out := make([]int, 0, n)
	if len(members) == 1 {
		for range n {
			out = append(out, 0)
		}
		return out
	}
	total := 0.0
	for _, m := range members {
		total += m.Proportion
	}
	counts := make([]int, len(members))
	rem := make([]float64, len(members))
	left := n
	for i, m := range members {
		q := float64(n) * m.Proportion / total
		counts[i] = int(math.Floor(q))
		rem[i] = q - float64(counts[i])
		left -= counts[i]
	}
	for ; left > 0; left-- {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		counts[best]++
		rem[best] = -1
	}
	for i, c := range counts {
		for range c {
			out = append(out, i)
		}
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	sim.NewRNG(sim.DeriveSeed(seed, "eval.assign", 0)).Shuffle(perm)
	shuffled := make([]int, n)
	for i, p := range perm {
		shuffled[i] = out[p]
	}
	return shuffled
}

// slotSeed seeds agent i's controller slot in an episode.
func slotSeed(episodeSeed uint64, agent int) uint64 {
	return sim.DeriveSeed(episodeSeed, "eval.agent", uint64(agent))
}

// runBatch plays the batch's episodes in lockstep, one controller per
// member policy serving that member's agents of every episode.
func runBatch(ctx context.Context, opts *Options, name string, pols []policy.Policy, b batch, out []Episode) (err error) {
	m := opts.Missions[b.mission]
	entry := opts.Entries[b.entry]
	cur := b.first
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
		if err != nil {
			err = &EpisodeError{Policy: name, Mission: m.Name, Episode: cur, Seed: EpisodeSeed(opts.Seed, m.Name, cur), Err: err}
		}
	}()

	envs := make([]*sim.Env, b.n)
	assign := make([][]int, b.n)
	slots := make([][]slotRef, len(pols)) // member -> its slots, in (env, agent) order
	for k := range envs {
		cur = b.first + k
		env, err := newEpisode(m, EpisodeSeed(opts.Seed, m.Name, cur), opts.MaxSteps)
		if err != nil {
			return err
		}
		envs[k] = env
		assign[k] = Assign(entry.Members, env.NumAgents(), EpisodeSeed(opts.Seed, m.Name, cur))
		for a, mi := range assign[k] {
			slots[mi] = append(slots[mi], slotRef{k, a})
		}
	}
	cur = b.first
	var teams []*team
	defer func() { closeTeams(teams, &err) }()
	for mi, p := range pols {
		if len(slots[mi]) == 0 {
			continue
		}
		t, err := newTeam(p, slots[mi], func(ref slotRef) uint64 {
			return slotSeed(EpisodeSeed(opts.Seed, m.Name, b.first+ref.env), ref.agent)
		})
		if err != nil {
			return err
		}
		teams = append(teams, t)
	}
	if err := playEpisodes(ctx, envs, teams, &cur); err != nil {
		return err
	}
	for k, env := range envs {
		names := make([]string, len(assign[k]))
		for a, mi := range assign[k] {
			names[a] = entry.Members[mi].Spec.String()
		}
		out[k] = summarize(name, m.Name, b.first+k, EpisodeSeed(opts.Seed, m.Name, b.first+k), names, env)
	}
	return nil
}

// summarize turns a finished episode into an Episode.
func summarize(pol, mis string, ep int, seed uint64, assignment []string, env *sim.Env) Episode {
	st := env.Stats()
	e := Episode{
		Policy: pol, Mission: mis, Episode: ep, Seed: seed, Steps: st.Steps,
		Assignment:      assignment,
		Rewards:         append([]float64(nil), env.EpisodeRewards()...),
		ResourcesGained: map[string]float64{},
		AgentStats:      st.Agents,
		GameStats:       st.Game,
		HeartsDeposited: st.Game["chest.heart.deposited"],
	}
	for _, r := range e.Rewards {
		e.Reward += r
	}
	if len(e.Rewards) > 0 {
		e.Reward /= float64(len(e.Rewards))
	}
	for _, a := range st.Agents {
		e.HeartsMade += a["heart.gained"]
		for _, r := range sim.ResourceNames() {
			if v := a[r+".gained"]; v != 0 {
				e.ResourcesGained[r] += v
			}
		}
		for _, h := range []string{"noop", "move", "change_vibe"} {
			e.ActionSuccess += a["action."+h+".success"]
			e.ActionFailed += a["action."+h+".failed"]
		}
	}
	return e
}

// newEpisode builds mission m's environment for an episode seed, capped
// at maxSteps when it is > 0.
func newEpisode(m *mission.Mission, seed uint64, maxSteps int) (*sim.Env, error) {
	cfg, err := m.Build(seed)
	if err != nil {
		return nil, err
	}
	if maxSteps > 0 {
		cfg.MaxSteps = maxSteps
	}
	return sim.NewEnv(cfg, seed)
}
