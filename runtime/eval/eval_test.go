package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
)

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

func entries(t testing.TB, specs ...string) []Entry {
	t.Helper()
	var out []Entry
	for _, s := range specs {
		e, err := ParseEntry(strings.Split(s, "+")...)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func runJSON(t *testing.T, opts Options) []byte {
	t.Helper()
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The same episodes come out byte for byte whatever the number of
// workers or the batch size.
func TestDeterministicAcrossJobsAndBatches(t *testing.T) {
	opts := Options{
		Entries:  entries(t, "random", "baseline", "random+baseline"),
		Missions: missions(t, "training_facility_1", "training_facility.harvest"),
		Episodes: 3, Seed: 11, MaxSteps: 120,
	}
	opts.Jobs, opts.Batch = 1, 1
	want := runJSON(t, opts)
	for _, c := range []struct{ jobs, batch int }{{2, 1}, {8, 1}, {1, 3}, {3, 2}} {
		opts.Jobs, opts.Batch = c.jobs, c.batch
		if got := runJSON(t, opts); string(got) != string(want) {
			t.Errorf("jobs %d batch %d: results differ from jobs 1 batch 1", c.jobs, c.batch)
		}
	}
	opts.Seed = 12
	if got := runJSON(t, opts); string(got) == string(want) {
		t.Error("seeds 11 and 12 gave the same results")
	}
}

func TestEpisodeContents(t *testing.T) {
	res, err := Run(context.Background(), Options{
		Entries: entries(t, "baseline", "noop"), Missions: missions(t, "training_facility_1"),
		Episodes: 2, Seed: 3, Jobs: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 4 || res.Policies[0] != "baseline" || res.Missions[0] != "training_facility_1" {
		t.Fatalf("results: %d episodes, policies %v, missions %v", len(res.Results), res.Policies, res.Missions)
	}
	for i, e := range res.Results {
		if e.Episode != i%2 || e.Seed != EpisodeSeed(3, "training_facility_1", i%2) {
			t.Errorf("result %d: episode %d seed %d", i, e.Episode, e.Seed)
		}
		if e.Steps != 1000 || len(e.Rewards) != 4 || len(e.AgentStats) != 4 || len(e.Assignment) != 4 {
			t.Errorf("result %d: steps %d, %d rewards, %d agent stats", i, e.Steps, len(e.Rewards), len(e.AgentStats))
		}
	}
	noop := res.Of(1, 0)
	for _, e := range noop {
		if e.Reward != 0 || e.HeartsDeposited != 0 || e.ActionSuccess != 4000 || e.ActionFailed != 0 {
			t.Errorf("noop episode: %+v", e)
		}
	}
	// Every policy meets the same episode seeds.
	if res.Of(0, 0)[1].Seed != noop[1].Seed {
		t.Error("policies got different episode seeds")
	}
}

func TestAssign(t *testing.T) {
	members := []Member{{policy.Spec{Class: "a"}, 1}, {policy.Spec{Class: "b"}, 1}, {policy.Spec{Class: "c"}, 2}}
	for seed := uint64(0); seed < 20; seed++ {
		got := Assign(members, 4, seed)
		count := [3]int{}
		for _, m := range got {
			count[m]++
		}
		if count != [3]int{1, 1, 2} {
			t.Fatalf("seed %d: counts %v, want [1 1 2]", seed, count)
		}
		again := Assign(members, 4, seed)
		if fmt.Sprint(got) != fmt.Sprint(again) {
			t.Fatalf("seed %d: %v then %v", seed, got, again)
		}
	}
	// Largest remainder: 5 agents at 1:1:1 -> 2, 2, 1.
	count := [3]int{}
	for _, m := range Assign(members[:2:2], 5, 1) {
		count[m]++
	}
	if count != [3]int{3, 2, 0} {
		t.Errorf("5 agents 1:1 -> %v, want 3 and 2", count)
	}
}

type crashPolicy struct{ after int }

func (p crashPolicy) Name() string { return "crash" }
func (p crashPolicy) NewController(n int) (policy.Controller, error) {
	return &crashController{after: p.after}, nil
}

type crashController struct{ after, steps int }

func (c *crashController) Reset(slot int, seed uint64) {}
func (c *crashController) Close() error                { return nil }
func (c *crashController) Act(obs []uint8, actions []int32) error {
	c.steps++
	if c.steps > c.after {
		var m map[string]int
		m["boom"]++ // a real runtime panic
	}
	return nil
}

var registerCrash sync.Once

func TestPanicNamesEpisodeSeed(t *testing.T) {
	registerCrash.Do(func() {
		policy.Register("test_crash", "panics after 5 steps", func(policy.Spec) (policy.Policy, error) { return crashPolicy{5}, nil })
	})
	_, err := Run(context.Background(), Options{
		Entries: entries(t, "noop", "test_crash"), Missions: missions(t, "training_facility_1"),
		Episodes: 2, Seed: 5, Jobs: 2,
	})
	var ee *EpisodeError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want an EpisodeError", err)
	}
	want := fmt.Sprintf("episode 0 (seed %d)", EpisodeSeed(5, "training_facility_1", 0))
	if ee.Policy != "test_crash" || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "panic") {
		t.Errorf("err = %v, want policy test_crash, %q and panic", err, want)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, Options{Entries: entries(t, "random"), Missions: missions(t, "training_facility_1"), Episodes: 4, Jobs: 2})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestBadOptions(t *testing.T) {
	ms := missions(t, "training_facility_1")
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{Missions: ms, Episodes: 1}, "policies: none given"},
		{Options{Entries: entries(t, "noop"), Episodes: 1}, "missions: none given"},
		{Options{Entries: entries(t, "noop"), Missions: ms}, "episodes: got 0, want at least 1"},
		{Options{Entries: []Entry{{Name: "x", Members: []Member{{policy.Spec{Class: "baselin"}, 1}}}}, Missions: ms, Episodes: 1}, "did you mean baseline"},
	} {
		_, err := Run(context.Background(), c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
}

var _ = sim.ObsSize

// batchPolicy prefers batches of 3 episodes and records the slot counts
// of its controllers.
type batchPolicy struct {
	mu    *sync.Mutex
	sizes *[]int
}

func (p batchPolicy) Name() string        { return "test_batch" }
func (p batchPolicy) PreferredBatch() int { return 3 }
func (p batchPolicy) NewController(n int) (policy.Controller, error) {
	p.mu.Lock()
	*p.sizes = append(*p.sizes, n)
	p.mu.Unlock()
	return &crashController{after: 1 << 30}, nil
}

var (
	batchOnce  sync.Once
	batchMu    sync.Mutex
	batchSizes []int
)

// A policy that prefers batches gets one controller for several episodes
// (3 episodes x 4 agents = 12 slots, then the remaining 2 x 4).
func TestPreferredBatch(t *testing.T) {
	batchOnce.Do(func() {
		policy.Register("test_batch", "prefers batches of 3", func(policy.Spec) (policy.Policy, error) {
			return batchPolicy{&batchMu, &batchSizes}, nil
		})
	})
	res, err := Run(context.Background(), Options{Entries: entries(t, "test_batch"), Missions: missions(t, "training_facility_1"),
		Episodes: 5, Seed: 1, MaxSteps: 10, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	batchMu.Lock()
	got := fmt.Sprint(batchSizes)
	batchMu.Unlock()
	if got != "[12 8]" && got != "[8 12]" {
		t.Errorf("controller sizes %s, want 12 and 8", got)
	}
	for i, e := range res.Results {
		if e.Episode != i || e.Steps != 10 {
			t.Errorf("result %d: episode %d, %d steps", i, e.Episode, e.Steps)
		}
	}
}
