package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/cache"
	"github.com/dafscript/dafscript/runtime/dist"
	"github.com/dafscript/dafscript/sim/policy"
)

func cacheOptions(t *testing.T) Options {
	return Options{Entries: entries(t, "random", "baseline"), Missions: missions(t, "training_facility_1", "training_facility.harvest"),
		Episodes: 3, Seed: 5, MaxSteps: 80, Jobs: 2, Batch: 2, CodeVersion: "sha256:v1"}
}

func openCache(t *testing.T) *cache.Cache {
	c, err := cache.Open(cache.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A second run takes every episode from the cache and gives the same
// bytes; changing the code version, the mission or the seed plays again.
func TestCacheReuseAndInvalidation(t *testing.T) {
	want := runJSON(t, cacheOptions(t))
	c := openCache(t)
	opts := cacheOptions(t)
	opts.Cache = c
	if got := runJSON(t, opts); !bytes.Equal(got, want) {
		t.Fatal("first cached run differs from an uncached one")
	}
	st, err := c.Stats()
	if err != nil || st.Entries != 4 || len(st.Kinds) != 1 || st.Kinds[0].Kind != CacheKind {
		t.Fatalf("stats %+v, %v: want 4 series (2 entries x 2 missions) of 3 episodes", st, err)
	}
	// Every entry read back: the run must not play (a policy that fails
	// would fail it).
	opts.Entries[0].Name = "renamed"
	got := runJSON(t, opts)
	if !bytes.Contains(got, []byte(`"renamed"`)) || !bytes.Equal(bytes.ReplaceAll(got, []byte(`"renamed"`), []byte(`"random"`)), want) {
		t.Fatal("run from the cache differs from the first")
	}
	for name, change := range map[string]func(o *Options){
		"code version": func(o *Options) { o.CodeVersion = "sha256:v2" },
		"mission":      func(o *Options) { o.Missions = missions(t, "training_facility_1+cogs(2)", "training_facility.harvest") },
		"seed":         func(o *Options) { o.Seed = 6 },
		"steps":        func(o *Options) { o.MaxSteps = 81 },
	} {
		o := cacheOptions(t)
		o.Cache = c
		change(&o)
		before, _ := c.Stats()
		runJSON(t, o)
		after, _ := c.Stats()
		if after.Entries <= before.Entries {
			t.Errorf("%s changed: no episode played again (%d entries before, %d after)", name, before.Entries, after.Entries)
		}
	}
}

// With a series gone, its episodes are played again and the rest read:
// the bytes are those of the full run.
func TestCacheSkipsPlay(t *testing.T) {
	c := openCache(t)
	opts := cacheOptions(t)
	opts.Entries = entries(t, "random")
	opts.Cache = c
	want := runJSON(t, opts)
	// One of the two series gone: its episodes are played again, the
	// other's read.
	removed := 0
	filepath.WalkDir(c.Dir(), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && removed < 1 {
			os.Remove(p)
			removed++
		}
		return nil
	})
	if got := runJSON(t, opts); !bytes.Equal(got, want) {
		t.Fatal("partly cached run differs")
	}
}

// Weights are part of the key: another file under the same path plays
// again.
func TestCacheKeyHasWeights(t *testing.T) {
	dir := t.TempDir()
	w := filepath.Join(dir, "w.bin")
	os.WriteFile(w, []byte("one"), 0o644)
	opts := cacheOptions(t)
	opts.Entries = []Entry{Single(policy.Spec{Class: "random", Data: w})}
	k1, err := newKeyer(&opts)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := k1.episode(&opts, 0, 0, 0)
	sa, _ := k1.series(&opts, 0, 0)
	os.WriteFile(w, []byte("two"), 0o644)
	k2, _ := newKeyer(&opts)
	b, _ := k2.episode(&opts, 0, 0, 0)
	sb, _ := k2.series(&opts, 0, 0)
	if a == b || sa == sb {
		t.Fatal("key unchanged when the weights changed")
	}
	opts.Entries = []Entry{Single(policy.Spec{Class: "random", Data: filepath.Join(dir, "missing")})}
	if _, err := newKeyer(&opts); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("error %v: want the missing weights named", err)
	}
}

// Through dist.Local (the jobs serialized as for a remote worker) the
// bytes equal the direct pool's, and a failure is the earliest in job
// order with its seed.
func TestLocalExecutorMatches(t *testing.T) {
	opts := cacheOptions(t)
	want := runJSON(t, opts)
	opts.Executor = dist.Local{Workers: 2}
	if got := runJSON(t, opts); !bytes.Equal(got, want) {
		t.Fatal("dist.Local differs from the pool")
	}
	registerCrash.Do(func() {
		policy.Register("test_crash", "panics after 5 steps", func(policy.Spec) (policy.Policy, error) { return crashPolicy{5}, nil })
	})
	opts = cacheOptions(t)
	opts.Entries = entries(t, "random", "test_crash")
	_, local := Run(context.Background(), opts)
	opts.Executor = dist.Local{Workers: 2}
	_, viaJobs := Run(context.Background(), opts)
	if local == nil || viaJobs == nil || firstLine(local.Error()) != firstLine(viaJobs.Error()) || !strings.Contains(local.Error(), "panic") {
		t.Fatalf("errors differ:\n%v\n%v", local, viaJobs)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// countingExecutor runs jobs on dist.Local and records their sizes.
type countingExecutor struct {
	dist.Local
	jobs []dist.Job
}

func (c *countingExecutor) Run(ctx context.Context, jobs []dist.Job, done dist.Done) error {
	c.jobs = append(c.jobs, jobs...)
	return c.Local.Run(ctx, jobs, done)
}

// With an executor and no batch size given, short scripted episodes are
// grouped into jobs of at least MinJobCost agent-steps, or of half the
// episodes of a policy on a mission when that is less: fewer jobs, the
// same bytes.
func TestExecutorGroupsShortEpisodes(t *testing.T) {
	for _, c := range []struct {
		name              string
		episodes, steps   int
		batch             int
		jobsPerPair, most int // jobs per policy and mission, most episodes in one
	}{
		// 4 agents x 100 steps: MinJobCost would take 82 episodes; half
		// the pair's episodes is the limit.
		{"short: halves", 7, 100, 0, 2, 4},
		{"one episode", 1, 100, 0, 1, 1},
		// 4 agents x 1000 steps: groups of MinJobCost (9 episodes).
		{"MinJobCost", 20, 1000, 0, 3, 9},
		{"batch 1", 7, 100, 1, 7, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := Options{Entries: entries(t, "random", "noop"), Missions: missions(t, "training_facility_1"),
				Episodes: c.episodes, Seed: 3, MaxSteps: c.steps, Jobs: 2, Batch: c.batch, CodeVersion: "sha256:v1"}
			want := runJSON(t, opts)
			ex := &countingExecutor{Local: dist.Local{Workers: 2}}
			opts.Executor = ex
			if got := runJSON(t, opts); !bytes.Equal(got, want) {
				t.Fatal("grouped jobs give other bytes than the local pool")
			}
			if len(ex.jobs) != 2*c.jobsPerPair {
				t.Errorf("%d jobs, want %d", len(ex.jobs), 2*c.jobsPerPair)
			}
			most := 0
			for _, j := range ex.jobs {
				var p batchJob
				if err := json.Unmarshal(j.Payload, &p); err != nil {
					t.Fatal(err)
				}
				most = max(most, p.N)
			}
			if most != c.most {
				t.Errorf("at most %d episodes in a job, want %d", most, c.most)
			}
		})
	}
}
