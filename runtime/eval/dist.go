package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dafscript/dafscript/runtime/dist"
	"github.com/dafscript/dafscript/runtime/jobs"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

// JobKind is the kind of the jobs Run gives an executor: a batch of
// episodes of one entry on one mission.
const JobKind = "eval.batch"

// CacheKind is the kind of the cache entries Run keeps: one series of
// episodes (those of one entry on one mission, for one base seed and step
// limit), by episode index. One entry per series rather than per episode,
// because creating a file (and the folder it goes in) costs more CPU than
// playing a short scripted episode's worth of bookkeeping: a comparison
// of 3 policies on 2 missions reads and writes 6 files, not 180.
const CacheKind = "episodes"

var registerOnce sync.Once

// RegisterJobs makes this program able to run JobKind jobs (workers, and
// dist.Local); cmd/dafscript's wiring calls it, and Run does before it
// gives jobs to an executor. Calling it again does nothing.
func RegisterJobs() { registerOnce.Do(func() { dist.Register(JobKind, runJob) }) }

// batchJob is the payload of a JobKind job: everything a worker needs to
// play episodes [First, First+N) of one entry on one mission.
type batchJob struct {
	Name     string        `json:"name"`
	Members  []jobs.Policy `json:"members"`
	Mission  string        `json:"mission"`
	Seed     uint64        `json:"seed"`
	MaxSteps int           `json:"max_steps,omitempty"`
	First    int           `json:"first"`
	N        int           `json:"n"`
}

// batchResult is a JobKind job's result: the episodes, or the failure of
// one of them (a failure is a result: replaying it fails the same way).
// It travels encoded by encodeResult.
type batchResult struct {
	Episodes []Episode    `json:"episodes,omitempty"`
	Error    *failureJSON `json:"error,omitempty"`
}

type failureJSON struct {
	Policy  string `json:"policy"`
	Mission string `json:"mission"`
	Episode int    `json:"episode"`
	Seed    uint64 `json:"seed"`
	Msg     string `json:"msg"`
}

// runJob plays a batchJob (on a worker, or in this process through
// dist.Local).
func runJob(ctx context.Context, payload []byte) ([]byte, error) {
	var p batchJob
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("%s job: %w", JobKind, err)
	}
	m, err := mission.Get(p.Mission)
	if err != nil {
		return nil, err
	}
	entry := Entry{Name: p.Name}
	var pols []policy.Policy
	for _, mem := range p.Members {
		spec := policy.Spec{Class: mem.Class, Data: mem.Data, Kwargs: mem.Kwargs}
		if mem.Data != "" {
			h, err := jobs.HashPath(mem.Data)
			if err != nil {
				return nil, fmt.Errorf("policy %s: %w (every worker needs the weights at the same path)", spec, err)
			}
			if h != mem.WeightsHash {
				return nil, fmt.Errorf("policy %s: the weights at %s on this worker differ from the submitter's (sha256 %.12s, want %.12s): give every worker the same file", spec, mem.Data, h, mem.WeightsHash)
			}
		}
		pol, err := workerPolicy(mem, spec)
		if err != nil {
			return nil, err
		}
		pols = append(pols, pol)
		entry.Members = append(entry.Members, Member{Spec: spec, Proportion: mem.Proportion})
	}
	opts := Options{Entries: []Entry{entry}, Missions: []*mission.Mission{m}, Episodes: p.First + p.N, Seed: p.Seed, MaxSteps: p.MaxSteps}
	out := make([]Episode, p.N)
	err = runBatch(ctx, &opts, p.Name, pols, batch{0, 0, p.First, p.N}, out)
	var res batchResult
	var ee *EpisodeError
	switch {
	case err == nil:
		res.Episodes = out
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return nil, err
	case errors.As(err, &ee):
		res.Error = &failureJSON{Policy: ee.Policy, Mission: ee.Mission, Episode: ee.Episode, Seed: ee.Seed, Msg: ee.Err.Error()}
	default:
		return nil, err
	}
	return encodeResult(&res), nil
}

// The policies a worker has built, by what they are built from (class,
// data path, keyword arguments, SHA-256 of the weights, checked against
// the file for every job before this is asked): the jobs of one run share
// their policies, as the local pool's batches do, instead of building
// them (loading weights) again for each job.
var workerPolicies = struct {
	sync.Mutex
	m map[string]policy.Policy
}{m: map[string]policy.Policy{}}

// maxWorkerPolicies bounds workerPolicies: past it, it starts afresh.
const maxWorkerPolicies = 64

func workerPolicy(mem jobs.Policy, spec policy.Spec) (policy.Policy, error) {
	mem.Proportion = 0
	b, err := json.Marshal(mem)
	if err != nil {
		return nil, err
	}
	key := string(b)
	workerPolicies.Lock()
	pol, ok := workerPolicies.m[key]
	workerPolicies.Unlock()
	if ok {
		return pol, nil
	}
	if pol, err = policy.New(spec); err != nil {
		return nil, err
	}
	workerPolicies.Lock()
	defer workerPolicies.Unlock()
	if len(workerPolicies.m) >= maxWorkerPolicies {
		clear(workerPolicies.m)
	}
	workerPolicies.m[key] = pol
	return pol, nil
}

// keyer computes the content addresses of episodes.
type keyer struct {
	version  string
	entries  [][]jobs.Policy
	missions []*jobs.Mission
}

func newKeyer(opts *Options) (*keyer, error) {
	k := &keyer{version: opts.CodeVersion}
	if k.version == "" {
		v, err := jobs.CodeVersion()
		if err != nil {
			return nil, err
		}
		k.version = v
	}
	hashes := map[string]string{} // weights path -> hash, once per run
	for _, e := range opts.Entries {
		var ps []jobs.Policy
		for _, mem := range e.Members {
			p := jobs.Policy{Class: mem.Spec.Class, Data: mem.Spec.Data, Kwargs: mem.Spec.Kwargs, Proportion: mem.Proportion}
			if p.Data != "" {
				h, ok := hashes[p.Data]
				if !ok {
					var err error
					if h, err = jobs.HashPath(p.Data); err != nil {
						return nil, fmt.Errorf("policy %s: %w", mem.Spec, err)
					}
					hashes[p.Data] = h
				}
				p.WeightsHash = h
			}
			ps = append(ps, p)
		}
		k.entries = append(k.entries, ps)
	}
	for _, m := range opts.Missions {
		id, err := jobs.MissionOf(m)
		if err != nil {
			return nil, err
		}
		k.missions = append(k.missions, id)
	}
	return k, nil
}

// episode is the key of episode ep of entry i on mission j.
func (k *keyer) episode(opts *Options, i, j, ep int) (jobs.Key, error) {
	m := opts.Missions[j]
	steps := m.MaxSteps
	if opts.MaxSteps > 0 {
		steps = opts.MaxSteps
	}
	return jobs.KeyOf(jobs.Spec{Kind: CacheKind, Mission: k.missions[j], Policies: k.entries[i],
		Seed: EpisodeSeed(opts.Seed, m.Name, ep), Steps: steps, CodeVersion: k.version, Format: entryFormat})
}

// series is the key of the series of entry i on mission j: that of its
// episodes (episode) with the base seed in place of the episode's.
func (k *keyer) series(opts *Options, i, j int) (jobs.Key, error) {
	steps := opts.Missions[j].MaxSteps
	if opts.MaxSteps > 0 {
		steps = opts.MaxSteps
	}
	return jobs.KeyOf(jobs.Spec{Kind: CacheKind, Mission: k.missions[j], Policies: k.entries[i],
		Seed: opts.Seed, Steps: steps, CodeVersion: k.version, Format: entryFormat})
}

// stored is a series' key and the episodes the cache holds of it beyond
// this run's (by index), so that writing the series back keeps them.
type stored struct {
	key   jobs.Key
	extra map[int]*Episode
}

// lookup fills res with the cached episodes and returns, by job base
// index, which are there, and each series' key and extra episodes (entry
// i on mission j at i*len(opts.Missions)+j). The series are read and
// decoded on opts.Jobs goroutines (decoding is most of a cached run),
// each into its own indexes, so the result does not depend on it.
func lookup(opts *Options, k *keyer, res *Results) (have []bool, series []stored, err error) {
	have = make([]bool, len(res.Results))
	series = make([]stored, len(opts.Entries)*len(opts.Missions))
	for s := range series {
		if series[s].key, err = k.series(opts, s/len(opts.Missions), s%len(opts.Missions)); err != nil {
			return nil, nil, err
		}
	}
	errs := make([]error, len(series))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(opts.Jobs, len(series))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			names := interner{}
			for {
				s := int(next.Add(1) - 1)
				if s >= len(series) {
					return
				}
				key := series[s].key
				data, ok, err := opts.Cache.Get(CacheKind, key)
				if err != nil {
					errs[s] = err
					continue
				}
				if !ok {
					continue
				}
				if err := readSeries(opts, res, s, data, names, &series[s], have); err != nil {
					// Unreadable: play it again, and keep the new one.
					opts.Cache.Discard(CacheKind, key, err)
				}
			}
		}()
	}
	wg.Wait()
	for s := range series {
		if errs[s] != nil {
			return nil, nil, errs[s]
		}
	}
	hits := 0
	for idx := range have {
		if have[idx] {
			hits++
		}
	}
	opts.Progress.Add(int64(hits))
	return have, series, nil
}

// readSeries decodes the cache entry of series s into res, have and st.
// On an error nothing of it is used.
func readSeries(opts *Options, res *Results, s int, data []byte, names interner, st *stored, have []bool) error {
	indexes, eps, err := decodeSeries(data, names)
	if err != nil {
		return err
	}
	m := opts.Missions[s%len(opts.Missions)].Name
	for k, ep := range indexes {
		if want := EpisodeSeed(opts.Seed, m, ep); eps[k].Seed != want || eps[k].Mission != m {
			return fmt.Errorf("episode %d is of mission %s with seed %d, want %s with seed %d", ep, eps[k].Mission, eps[k].Seed, m, want)
		}
	}
	base := s * opts.Episodes
	for k, ep := range indexes {
		e := &eps[k]
		if ep >= opts.Episodes {
			if st.extra == nil {
				st.extra = map[int]*Episode{}
			}
			st.extra[ep] = e
			continue
		}
		e.Policy, e.Episode = res.Policies[s/len(opts.Missions)], ep
		res.Results[base+ep] = *e
		have[base+ep] = true
	}
	return nil
}

// keep writes back every series in which this run played an episode
// (played, by job base index), with the episodes the cache held of it.
// Run calls it at its end, failed or not: what finished is kept.
func keep(opts *Options, res *Results, series []stored, have, played []bool) error {
	if opts.Cache == nil {
		return nil
	}
	for s := range series {
		base := s * opts.Episodes
		if !slices.Contains(played[base:base+opts.Episodes], true) {
			continue
		}
		var indexes []int
		var eps []*Episode
		for ep := range opts.Episodes {
			if played[base+ep] || have[base+ep] {
				indexes = append(indexes, ep)
				eps = append(eps, &res.Results[base+ep])
			}
		}
		extra := slices.Sorted(maps.Keys(series[s].extra))
		for _, ep := range extra {
			indexes = append(indexes, ep)
			eps = append(eps, series[s].extra[ep])
		}
		if err := opts.Cache.Put(CacheKind, series[s].key, encodeSeries(indexes, eps)); err != nil {
			return err
		}
	}
	return nil
}

// runExecutor gives the batches to opts.Executor and stores the results
// by job index. As with the local pool, the error reported is that of the
// earliest failing batch in job order: once one fails, the run waits for
// the batches before it, then stops.
func runExecutor(parent context.Context, opts *Options, k *keyer, played []bool, res *Results, batches []batch, cost func(batch) int) error {
	baseOf := func(b batch) int { return (b.entry*len(opts.Missions)+b.mission)*opts.Episodes + b.first }
	list := make([]dist.Job, len(batches))
	for bi, b := range batches {
		p := batchJob{Name: res.Policies[b.entry], Members: k.entries[b.entry], Mission: opts.Missions[b.mission].Name,
			Seed: opts.Seed, MaxSteps: opts.MaxSteps, First: b.first, N: b.n}
		payload, err := json.Marshal(p)
		if err != nil {
			return err
		}
		// The job's content address: one hash of what its episodes are
		// made from (the cache keeps series under keys of their own).
		id, err := jobs.KeyOf(jobs.Spec{Kind: JobKind, Mission: k.missions[b.mission], Policies: k.entries[b.entry],
			Seed: opts.Seed, Steps: opts.MaxSteps, CodeVersion: k.version, Extra: [2]int{b.first, b.n}})
		if err != nil {
			return err
		}
		last := b.first + b.n - 1
		list[bi] = dist.Job{ID: string(id), Kind: JobKind, Payload: payload, Cost: cost(b),
			Desc: fmt.Sprintf("policy %s on mission %s, episodes %d-%d (seed %d)", p.Name, p.Mission, b.first, last, opts.Seed)}
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var (
		mu       sync.Mutex
		finished = make([]bool, len(batches))
		firstErr error
		errBase  = -1
	)
	done := func(bi int, out []byte, err error) {
		mu.Lock()
		defer mu.Unlock()
		finished[bi] = true
		b := batches[bi]
		base := baseOf(b)
		if err == nil {
			r, uerr := decodeResult(out)
			if uerr != nil {
				err = fmt.Errorf("%s: unreadable result: %w", list[bi].Desc, uerr)
			} else if r.Error != nil {
				err = &EpisodeError{Policy: r.Error.Policy, Mission: r.Error.Mission, Episode: r.Error.Episode, Seed: r.Error.Seed, Err: errors.New(r.Error.Msg)}
			} else if len(r.Episodes) != b.n {
				err = fmt.Errorf("%s: %d episodes came back, want %d", list[bi].Desc, len(r.Episodes), b.n)
			} else {
				copy(res.Results[base:base+b.n], r.Episodes)
				for i := range b.n {
					played[base+i] = true
				}
				opts.Progress.Add(int64(b.n))
			}
		} else if _, ok := err.(*EpisodeError); !ok {
			first := EpisodeSeed(opts.Seed, opts.Missions[b.mission].Name, b.first)
			err = &EpisodeError{Policy: res.Policies[b.entry], Mission: opts.Missions[b.mission].Name, Episode: b.first, Seed: first, Err: err}
		}
		if err != nil && (errBase < 0 || base < errBase) {
			firstErr, errBase = err, base
		}
		if errBase >= 0 {
			for bj, o := range batches {
				if !finished[bj] && baseOf(o) < errBase {
					return
				}
			}
			cancel()
		}
	}
	err := opts.Executor.Run(ctx, list, done)
	mu.Lock()
	defer mu.Unlock()
	if firstErr != nil {
		return firstErr
	}
	if err := parent.Err(); err != nil {
		return err
	}
	return err
}
