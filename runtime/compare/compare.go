package compare

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dafscript/dafscript/runtime/cache"
	"github.com/dafscript/dafscript/runtime/dist"
	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/progress"
	"github.com/dafscript/dafscript/runtime/stats"
	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/suggest"
)

// Metrics are the metric names Options.Metric accepts.
var Metrics = []string{"reward", "hearts", "performance_score"}

// CheckMetric returns an error naming the metrics when name is not one.
func CheckMetric(name string) error {
	for _, m := range Metrics {
		if m == name {
			return nil
		}
	}
	return fmt.Errorf("unknown metric %q%s (metrics: %s)", name, suggest.Hint(name, Metrics, 1), strings.Join(Metrics, ", "))
}

// Options configures Run.
type Options struct {
	// Policies are the contestants. Each is a whole team (one member) or a
	// fixed team mix; in Mixed mode each must be a single policy.
	Policies           []eval.Entry
	Missions           []*mission.Mission
	EpisodesPerMission int
	Seed               uint64
	Alpha              float64 // significance level, in (0, 1)
	Metric             string  // one of Metrics
	// Mixed puts all policies in one team (equal shares, agents assigned
	// by eval.Assign) instead of giving each its own episodes.
	Mixed    bool
	MaxSteps int
	Jobs     int
	Batch    int
	Progress *progress.Bar
	// Executor, Cache and CodeVersion are passed to eval.Run (see
	// eval.Options): where the episodes run, and which are reused.
	Executor    dist.Executor
	Cache       *cache.Cache
	CodeVersion string
}

// Check is the only validation of comparison options.
func (o Options) Check() error {
	if len(o.Policies) == 0 {
		return fmt.Errorf("no policies given")
	}
	if len(o.Missions) == 0 {
		return fmt.Errorf("no missions given")
	}
	if o.EpisodesPerMission < 1 {
		return fmt.Errorf("episodes_per_mission: got %d, want at least 1", o.EpisodesPerMission)
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		return fmt.Errorf("alpha: got %v, want a number between 0 and 1, e.g. 0.05", o.Alpha)
	}
	if err := CheckMetric(o.Metric); err != nil {
		return fmt.Errorf("metric: %w", err)
	}
	if len(o.Policies) < 2 {
		return fmt.Errorf("policies: give at least two policies to compare, got %d", len(o.Policies))
	}
	seen := map[string]bool{}
	for i, p := range o.Policies {
		if seen[p.Name] {
			return fmt.Errorf("policies[%d]: %q is listed twice; give the entries distinct names", i, p.Name)
		}
		seen[p.Name] = true
		if o.Mixed && len(p.Members) != 1 {
			return fmt.Errorf("policies[%d]: %s is a team mix; mixed mode takes single policies", i, p.Name)
		}
	}
	if o.Mixed {
		for _, m := range o.Missions {
			if m.NumAgents < len(o.Policies) {
				return fmt.Errorf("mixed mode needs an agent per policy: mission %s has %d agents for %d policies", m.Name, m.NumAgents, len(o.Policies))
			}
		}
	}
	return nil
}

// Run plays the episodes and builds the report; it also returns the
// episodes themselves.
func Run(ctx context.Context, opts Options) (*Report, *eval.Results, error) {
	if err := opts.Check(); err != nil {
		return nil, nil, err
	}
	ev := eval.Options{
		Entries: opts.Policies, Missions: opts.Missions, Episodes: opts.EpisodesPerMission,
		Seed: opts.Seed, MaxSteps: opts.MaxSteps, Jobs: opts.Jobs, Batch: opts.Batch, Progress: opts.Progress,
		Executor: opts.Executor, Cache: opts.Cache, CodeVersion: opts.CodeVersion,
	}
	if opts.Mixed {
		team := eval.Entry{Name: "mixed"}
		for _, p := range opts.Policies {
			team.Members = append(team.Members, eval.Member{Spec: p.Members[0].Spec, Proportion: 1})
		}
		ev.Entries = []eval.Entry{team}
	}
	res, err := eval.Run(ctx, ev)
	if err != nil {
		return nil, nil, err
	}
	rep, err := Build(res, opts)
	if rep != nil {
		rep.Episodes = res
	}
	return rep, res, err
}

// agentsOf returns the agents of episode e that policy p played: all of
// them in separate mode, those assigned its spec in mixed mode.
func agentsOf(e *eval.Episode, spec string, mixed bool) []int {
	var out []int
	for a, s := range e.Assignment {
		if !mixed || s == spec {
			out = append(out, a)
		}
	}
	return out
}

// MetricValue is the metric of the given agents in one episode.
//
//	reward: mean of their episode rewards.
//	hearts: hearts deposited into chests: the game's count when the agents
//	  are the whole team, else the sum of what they deposited.
//	performance_score: mean over the agents of resources gained (carbon,
//	  oxygen, germanium, silicon) + 10 x inventory diversity + 0.1 x
//	  successful moves - 0.05 x failed actions - 0.1 x steps without motion.
func MetricValue(metric string, e *eval.Episode, agents []int) float64 {
	if len(agents) == 0 {
		return math.NaN()
	}
	switch metric {
	case "reward":
		s := 0.0
		for _, a := range agents {
			s += e.Rewards[a]
		}
		return s / float64(len(agents))
	case "hearts":
		if len(agents) == len(e.AgentStats) {
			return e.GameStats["chest.heart.deposited"]
		}
		s := 0.0
		for _, a := range agents {
			s += e.AgentStats[a]["chest.heart.deposited_by_agent"]
		}
		return s
	case "performance_score":
		s := 0.0
		for _, a := range agents {
			s += PerformanceScore(e.AgentStats[a])
		}
		return s / float64(len(agents))
	}
	return math.NaN()
}

// gainedStats are the agent stats of the resources PerformanceScore
// counts.
var gainedStats = func() (out [4]string) {
	for i, r := range []sim.Resource{sim.Carbon, sim.Oxygen, sim.Germanium, sim.Silicon} {
		out[i] = r.String() + ".gained"
	}
	return out
}()

// PerformanceScore scores one agent's stats (see MetricValue).
func PerformanceScore(st map[string]float64) float64 {
	res := 0.0
	for _, k := range gainedStats {
		res += st[k]
	}
	return res + 10*st["inventory.diversity"] + 0.1*st["action.move.success"] -
		0.05*st["action.failed"] - 0.1*st["status.max_steps_without_motion"]
}

// Build computes the report from played episodes: res must come from
// eval.Run with opts' policies (or the single "mixed" team) and missions.
func Build(res *eval.Results, opts Options) (*Report, error) {
	if err := opts.Check(); err != nil {
		return nil, err
	}
	names := make([]string, len(opts.Policies))
	for i, p := range opts.Policies {
		names[i] = p.Name
	}
	mode := "separate"
	if opts.Mixed {
		mode = "mixed"
	}
	r := &Report{
		Policies: names, Missions: res.Missions, EpisodesPerMission: res.Episodes,
		Seed: opts.Seed, Alpha: opts.Alpha, Metric: opts.Metric, Mode: mode, MaxSteps: opts.MaxSteps,
		PolicyMissionRewards: map[string]map[string][]float64{},
		SummaryStatistics:    map[string]stats.Summary{},
		PerMission:           map[string]map[string]stats.Summary{},
		PairwiseComparisons:  []Pairwise{},
		DetailedMetrics:      map[string]map[string]map[string]float64{},
		Warnings:             []string{},
	}
	// values[p][m] holds the metric per episode.
	values := make([][][]float64, len(names))
	var (
		summaries []func()
		mu        sync.Mutex
	)
	for pi, name := range names {
		values[pi] = make([][]float64, len(res.Missions))
		r.PolicyMissionRewards[name] = map[string][]float64{}
		r.PerMission[name] = map[string]stats.Summary{}
		r.DetailedMetrics[name] = map[string]map[string]float64{}
		spec := opts.Policies[pi].Members[0].Spec.String()
		for mi, mname := range res.Missions {
			entry := pi
			if opts.Mixed {
				entry = 0
			}
			eps := res.Of(entry, mi)
			vals := make([]float64, len(eps))
			var sums detailSums
			for k := range eps {
				agents := agentsOf(&eps[k], spec, opts.Mixed)
				vals[k] = MetricValue(opts.Metric, &eps[k], agents)
				sums.add(&eps[k], agents)
			}
			detail := sums.means(len(eps))
			values[pi][mi] = vals
			r.PolicyMissionRewards[name][mname] = vals
			seed := sim.DeriveSeed(opts.Seed, "compare.ci."+name, uint64(mi))
			summaries = append(summaries, func() {
				s := stats.Summarize([][]float64{vals}, seed)
				mu.Lock()
				r.PerMission[name][mname] = s
				mu.Unlock()
			})
			r.DetailedMetrics[name][mname] = detail
		}
		seed := sim.DeriveSeed(opts.Seed, "compare.ci."+name, math.MaxUint64)
		summaries = append(summaries, func() {
			s := stats.Summarize(values[pi], seed)
			mu.Lock()
			r.SummaryStatistics[name] = s
			mu.Unlock()
		})
	}
	// The summaries' bootstraps are most of Build: each has its own seed,
	// so they run on opts.Jobs goroutines with the same results.
	runAll(summaries, opts.Jobs)

	pooled := func(pi int) []float64 {
		var all []float64
		for _, v := range values[pi] {
			all = append(all, v...)
		}
		return all
	}
	r.PairwiseComparisons = testPairs(names, pooled, func(i, j int) float64 {
		pi := 0.0
		for m := range res.Missions {
			pi += stats.ProbImprovement(values[i][m], values[j][m])
		}
		return pi / float64(len(res.Missions))
	}, opts.Alpha)
	for _, pw := range r.PairwiseComparisons {
		if a, b := pooled(indexOf(names, pw.A)), pooled(indexOf(names, pw.B)); pw.WelchP == 0 && stats.Variance(a) == 0 && stats.Variance(b) == 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s vs %s: both samples are constant, so Welch's p is 0 by convention; the difference held in every episode played, but more episodes are needed to know how often it holds", pw.A, pw.B))
		}
		if math.IsNaN(pw.WelchP) {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s vs %s: Welch's test is undefined (both samples constant and equal, or fewer than 2 episodes); p is null and the pair is not significant", pw.A, pw.B))
		}
	}
	r.PerMissionPairwise = map[string][]Pairwise{}
	for m, mname := range res.Missions {
		r.PerMissionPairwise[mname] = testPairs(names, func(pi int) []float64 { return values[pi][m] },
			func(i, j int) float64 { return stats.ProbImprovement(values[i][m], values[j][m]) }, opts.Alpha)
	}
	if len(res.Missions) > 1 && len(names) > 1 {
		if s := stats.SampleWarning(res.Episodes, res.Episodes, opts.Alpha, len(names)*(len(names)-1)/2); s != "" {
			r.Warnings = append(r.Warnings, "per mission: "+s)
		}
	}
	r.Warnings = append(r.Warnings, sampleWarnings(res.Episodes*len(res.Missions), len(names), opts.Alpha)...)
	return r, nil
}

// testPairs compares every pair (i < j) of samples(i) and samples(j) with
// Welch's and the Mann-Whitney test, Holm-adjusts the Welch p-values over
// the pairs and adds the effect sizes; prob gives P(improvement).
func testPairs(names []string, samples func(int) []float64, prob func(i, j int) float64, alpha float64) []Pairwise {
	out := []Pairwise{}
	var welch []float64
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			a, b := samples(i), samples(j)
			_, _, wp := stats.WelchTTest(a, b)
			_, up := stats.MannWhitneyU(a, b)
			out = append(out, Pairwise{
				A: names[i], B: names[j], MeanDiff: stats.Mean(a) - stats.Mean(b),
				WelchP: wp, MannWhitneyP: up, CohensD: stats.CohensD(a, b), ProbImprovement: prob(i, j),
			})
			welch = append(welch, wp)
		}
	}
	for k, h := range stats.Holm(welch) {
		out[k].HolmP = h
		out[k].Significant = h <= alpha
	}
	return out
}

func sampleWarnings(n, policies int, alpha float64) []string {
	var w []string
	pairs := policies * (policies - 1) / 2
	if pairs > 0 {
		if s := stats.SampleWarning(n, n, alpha, pairs); s != "" {
			w = append(w, "episodes per policy: "+s)
		}
	}
	if n < 2 {
		w = append(w, "one episode per policy: standard deviations and tests are undefined")
	}
	return w
}

// detailSums adds up the episodes' stats for DetailedMetrics: the
// per-agent mean of each agent stat, each game stat, the metrics and the
// steps. Each sum runs over the episodes in order, so the result does
// not depend on map order.
type detailSums struct {
	agent, game map[string]float64
	metrics     [3]float64 // by Metrics
	steps       float64
	any         bool
}

// add adds one episode's stats over the given agents (none: nothing).
func (d *detailSums) add(e *eval.Episode, agents []int) {
	if len(agents) == 0 {
		return
	}
	if !d.any {
		d.any = true
		d.agent = make(map[string]float64, len(e.AgentStats[agents[0]]))
		d.game = make(map[string]float64, len(e.GameStats))
	}
	// Every stat any of the agents has, once: a stat is summed where the
	// first agent that has it is met; the sum runs over the agents in
	// order (0 where an agent lacks it).
	for i, a := range agents {
	stats:
		for k := range e.AgentStats[a] {
			for _, b := range agents[:i] {
				if _, ok := e.AgentStats[b][k]; ok {
					continue stats
				}
			}
			s := 0.0
			for _, b := range agents {
				s += e.AgentStats[b][k]
			}
			d.agent[k] += s / float64(len(agents))
		}
	}
	for k, v := range e.GameStats {
		d.game[k] += v
	}
	for i, m := range Metrics {
		d.metrics[i] += MetricValue(m, e, agents)
	}
	d.steps += float64(e.Steps)
}

// means returns the sums over n episodes as DetailedMetrics has them:
// "agent.<stat>", "game.<stat>", the metrics and "steps", each the mean
// over the episodes (an empty map when no episode had agents).
func (d *detailSums) means(n int) map[string]float64 {
	out := make(map[string]float64, len(d.agent)+len(d.game)+len(Metrics)+1)
	if !d.any {
		return out
	}
	for k, v := range d.agent {
		out["agent."+k] = v / float64(n)
	}
	for k, v := range d.game {
		out["game."+k] = v / float64(n)
	}
	for i, m := range Metrics {
		out[m] = d.metrics[i] / float64(n)
	}
	out["steps"] = d.steps / float64(n)
	return out
}

// runAll runs the functions on up to jobs goroutines and waits for them.
func runAll(fns []func(), jobs int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(jobs, len(fns))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(fns); i = int(next.Add(1) - 1) {
				fns[i]()
			}
		}()
	}
	wg.Wait()
}

func indexOf(names []string, n string) int {
	for i, m := range names {
		if m == n {
			return i
		}
	}
	return -1
}
