package eval

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/dafscript/dafscript/runtime/cache"
	"github.com/dafscript/dafscript/runtime/jobs"
	"github.com/dafscript/dafscript/sim/policy"
	"github.com/google/go-cmp/cmp"
)

// sameBits compares floats bit for bit (NaN equals NaN, -0 differs from 0).
var sameBits = cmp.Comparer(func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) })

// fullEpisode sets every field of Episode, with the values that are hard
// to carry: NaN, -0, infinities, empty and nil maps and lists.
func fullEpisode() Episode {
	return Episode{
		Policy: "p", Mission: "training_facility_1+cogs(2)", Episode: 3, Seed: math.MaxUint64, Steps: 300,
		Assignment: []string{"baseline", "random", "baseline"}, Rewards: []float64{0, math.Copysign(0, -1), 2.5},
		Reward: 1.0 / 3, HeartsMade: math.Inf(1), HeartsDeposited: math.NaN(),
		ResourcesGained: map[string]float64{"carbon": 16, "energy": 1976, "": -1},
		ActionSuccess:   1192, ActionFailed: math.Inf(-1),
		AgentStats: []map[string]float64{{"action.move.success": 208, "carbon.gained": 1e-300}, {}, nil,
			{"action.move.success": 194, "unique.to.this.agent": 7}},
		GameStats: map[string]float64{"chest.heart.deposited": 0, "baseline": 1},
	}
}

// Every field of Episode but Policy and Episode (set by lookup) goes into
// a series and comes back bit for bit; a field added to Episode fails
// here until fullEpisode sets it (and encodeSeries carries it).
func TestSeriesRoundTrip(t *testing.T) {
	full := fullEpisode()
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("fullEpisode leaves Episode.%s unset: set it, and carry it in encodeSeries (and raise entryFormat)", v.Type().Field(i).Name)
		}
	}
	res, err := Run(context.Background(), cacheOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	cases := append([]Episode{full, {}, {Assignment: []string{}, Rewards: []float64{}, AgentStats: []map[string]float64{}, GameStats: map[string]float64{}}}, res.Results...)
	var indexes []int
	var eps []*Episode
	for i := range cases {
		indexes = append(indexes, 3*i+1)
		eps = append(eps, &cases[i])
	}
	in := interner{}
	b := encodeSeries(indexes, eps)
	gotIdx, got, err := decodeSeries(b, in)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(indexes, gotIdx); d != "" {
		t.Errorf("indexes (-want +got):\n%s", d)
	}
	for i, e := range cases {
		e.Policy, e.Episode = "", 0
		if d := cmp.Diff(e, got[i], sameBits); d != "" {
			t.Errorf("episode %d: round trip (-want +got):\n%s", i, d)
		}
	}
	if n := len(b) / len(res.Results); n > 2500 {
		t.Errorf("%d bytes an episode: the names are not shared", n)
	}
	// The names are interned: a statistic read twice is one string.
	_, again, _ := decodeSeries(b, in)
	for k := range got[3].AgentStats[0] {
		for k2 := range again[3].AgentStats[0] {
			if k == k2 && unsafe.StringData(k) != unsafe.StringData(k2) {
				t.Errorf("stat %q decoded twice", k)
			}
		}
	}
}

// Every series cut short, and every byte changed, is an error or some
// episodes, never a panic or a huge allocation; a cut is always an error.
func TestSeriesDecodeCorrupt(t *testing.T) {
	full, other := fullEpisode(), fullEpisode()
	b := encodeSeries([]int{0, 4}, []*Episode{&full, &other})
	for n := range len(b) {
		if _, _, err := decodeSeries(b[:n], interner{}); err == nil {
			t.Errorf("series cut to %d of %d bytes decoded", n, len(b))
		}
	}
	if _, _, err := decodeSeries(append(append([]byte{}, b...), 0), interner{}); err == nil || !strings.Contains(err.Error(), "after the end") {
		t.Errorf("trailing byte: %v", err)
	}
	for i := range b {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			c := append([]byte{}, b...)
			c[i] ^= x
			decodeSeries(c, interner{}) // must not panic
		}
	}
	huge := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
	if _, _, err := decodeSeries(huge, interner{}); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a count of 2^63 names: %v", err)
	}
	if _, _, err := decodeSeries(encodeSeries([]int{4, 0}, []*Episode{&full, &other}), interner{}); err == nil || !strings.Contains(err.Error(), "out of order") {
		t.Errorf("indexes out of order: %v", err)
	}
}

// A series whose payload passes the cache's integrity check but does not
// decode (written by a faulty build, say), or holds another mission's
// episodes, is played again, logged and replaced; so is one corrupted on
// disk. The results are those of a run without the cache.
func TestCacheUndecodableEntryIsPlayedAgain(t *testing.T) {
	want := runJSON(t, cacheOptions(t))
	var log bytes.Buffer
	c, err := cache.Open(cache.Options{Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	opts := cacheOptions(t)
	opts.Cache = c
	runJSON(t, opts)
	k, err := newKeyer(&opts)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := k.series(&opts, 0, 0)
	if err := c.Put(CacheKind, key, []byte("not a series")); err != nil {
		t.Fatal(err)
	}
	// Another mission's series under this key.
	key1, _ := k.series(&opts, 0, 1)
	other, _ := k.series(&opts, 1, 0)
	data, _, _ := c.Get(CacheKind, other)
	if err := c.Put(CacheKind, key1, data); err != nil {
		t.Fatal(err)
	}
	// A third corrupted on disk: the cache's own check catches it.
	key2, _ := k.series(&opts, 1, 1)
	p := filepath.Join(c.Dir(), CacheKind, string(key2[:2]), string(key2)+".bin")
	if err := os.WriteFile(p, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := runJSON(t, opts); !bytes.Equal(got, want) {
		t.Fatal("a run over corrupt entries differs from a run without the cache")
	}
	for _, k := range []jobs.Key{key, key1, key2} {
		if !strings.Contains(log.String(), "cache entry episodes/"+k.Short()+" is corrupt") {
			t.Errorf("no log line for the corrupt entry %s: %q", k.Short(), log.String())
		}
	}
	// All were written again: a third run logs nothing.
	log.Reset()
	if got := runJSON(t, opts); !bytes.Equal(got, want) || log.Len() != 0 {
		t.Fatalf("third run: same bytes %v, log %q", bytes.Equal(got, want), log.String())
	}
}

// countPolicy counts the slots its controllers reset: agents x episodes
// played.
type countPolicy struct{}

var resets atomic.Int64

func (countPolicy) Name() string { return "test_count" }
func (countPolicy) NewController(n int) (policy.Controller, error) {
	return countController{}, nil
}

type countController struct{}

func (countController) Reset(slot int, seed uint64)            { resets.Add(1) }
func (countController) Close() error                           { return nil }
func (countController) Act(obs []uint8, actions []int32) error { return nil }

var registerCount sync.Once

// More episodes than the cache holds: only the new ones are played, and
// the series then holds all of them; fewer: none is played, and the
// series keeps the ones this run did not ask for.
func TestCacheGrowsSeries(t *testing.T) {
	registerCount.Do(func() {
		policy.Register("test_count", "counts the episodes it plays", func(policy.Spec) (policy.Policy, error) { return countPolicy{}, nil })
	})
	c := openCache(t)
	run := func(episodes int) (played int64, out []byte) {
		opts := cacheOptions(t)
		opts.Entries = entries(t, "test_count", "random")
		opts.Episodes = episodes
		fresh := runJSON(t, opts)
		opts.Cache = c
		before := resets.Load()
		out = runJSON(t, opts)
		if !bytes.Equal(out, fresh) {
			t.Fatalf("%d episodes: the cached run differs from a fresh one", episodes)
		}
		return resets.Load() - before, out
	}
	agents := int64(missions(t, "training_facility_1")[0].NumAgents + missions(t, "training_facility.harvest")[0].NumAgents)
	if n, _ := run(3); n != 3*agents {
		t.Fatalf("first run: %d resets, want %d", n, 3*agents)
	}
	if n, _ := run(5); n != 2*agents {
		t.Fatalf("5 episodes over 3 cached: %d resets, want the 2 new episodes (%d)", n, 2*agents)
	}
	if n, _ := run(2); n != 0 {
		t.Fatalf("2 episodes over 5 cached: %d resets, want none", n)
	}
	if n, _ := run(5); n != 0 {
		t.Fatalf("5 episodes again: %d resets, want none (the series lost episodes)", n)
	}
	if st, _ := c.Stats(); st.Entries != 4 {
		t.Fatalf("%d entries, want one series per entry and mission (4)", st.Entries)
	}
}

// A run that fails still keeps the episodes that finished before the
// failure: the next run reads them and plays only the rest.
func TestFailedRunKeepsFinishedEpisodes(t *testing.T) {
	registerCrash.Do(func() {
		policy.Register("test_crash", "panics after 5 steps", func(policy.Spec) (policy.Policy, error) { return crashPolicy{5}, nil })
	})
	c := openCache(t)
	opts := cacheOptions(t)
	opts.Entries = entries(t, "random", "test_crash")
	opts.Jobs = 1 // random's batches come first in job order and finish before the crash
	opts.Cache = c
	if _, err := Run(context.Background(), opts); err == nil {
		t.Fatal("the run with a crashing policy did not fail")
	}
	st, err := c.Stats()
	if err != nil || st.Entries == 0 {
		t.Fatalf("stats %+v, %v: the finished episodes of random were not kept", st, err)
	}
	opts.Entries = entries(t, "random")
	want := runJSON(t, func() Options { o := opts; o.Cache = nil; return o }())
	if got := runJSON(t, opts); !bytes.Equal(got, want) {
		t.Fatal("the episodes kept by a failed run differ from a fresh run's")
	}
}
