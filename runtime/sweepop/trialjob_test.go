package sweepop

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dafscript/dafscript/runtime/cache"
	"github.com/dafscript/dafscript/runtime/dist"
	"github.com/dafscript/dafscript/runtime/dist/queue"
	"github.com/dafscript/dafscript/runtime/jobs"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/sweep"
	"github.com/dafscript/dafscript/sim/mission"
)

// counting counts the jobs given to an executor: the trials that ran
// (played or trained), not those the cache supplied.
type counting struct {
	dist.Executor
	jobs atomic.Int64
}

func (c *counting) Run(ctx context.Context, js []dist.Job, done dist.Done) error {
	c.jobs.Add(int64(len(js)))
	return c.Executor.Run(ctx, js, done)
}

// runOn runs the sweep with the executor and cache given (nil: the
// default local pool, no cache) and returns the result, the bytes of its
// sweep.json and its session folder.
func runOn(t *testing.T, o Options, jobs int, ex dist.Executor, c *cache.Cache) (*sweep.Result, []byte, string) {
	t.Helper()
	r := &op.Run{Out: t.TempDir(), Jobs: jobs, Label: "test"}
	if ex != nil {
		r.Executor = func(*output.Session) (dist.Executor, error) { return ex, nil }
	}
	if c != nil {
		r.Cache = func() (*cache.Cache, error) { return c, nil }
	}
	res, dir, err := op.Do(r, Operation, op.Call[Options]{Options: o, Seed: o.Config.Seed})
	if err != nil {
		t.Fatal(err)
	}
	return res, mustRead(t, filepath.Join(dir, ResultName)), dir
}

// embedded is a NATS executor with its own server and workers in-process
// goroutines, as --nats embedded makes it.
func embedded(t *testing.T, workers int) *queue.NATS {
	t.Helper()
	v, err := jobs.CodeVersion()
	if err != nil {
		t.Fatal(err)
	}
	n, err := queue.Embedded(context.Background(), queue.EmbeddedOptions{Server: queue.ServerOptions{StoreDir: t.TempDir()},
		Workers: workers, NATS: queue.NATSOptions{CodeVersion: v}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func testCache(t *testing.T) *cache.Cache {
	t.Helper()
	c, err := cache.Open(cache.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestScriptedTrialsOnWorkers: a TPE sweep with a pruner whose trials run
// on NATS workers writes the sweep.json of a local run, byte for byte,
// and every trial went through the queue.
func TestScriptedTrialsOnWorkers(t *testing.T) {
	o := Options{MaxSteps: 40, Config: parse(t, `name: w
missions: [training_facility_1, training_facility_2, training_facility_3]
policy_class_path: baseline
strategy: tpe
num_trials: 8
window: 3
search_space: {recharge_below: {min: 0, max: 200, type: int}, batch_cargo: [20, 80]}
episodes_per_trial: 1
pruner: asha
seed: 4
objective: performance_score
`)}
	local, want, _ := runOn(t, o, 1, nil, nil)
	if local.Count(sweep.StatusPruned) == 0 {
		t.Fatalf("no trial pruned, so the pruner's view is not tested: %s", want)
	}
	n := embedded(t, 3)
	_, got, _ := runOn(t, o, 3, n, nil)
	if !bytes.Equal(got, want) {
		t.Fatalf("sweep on NATS workers:\n%s\nlocal:\n%s", got, want)
	}
	if st := n.Stats(); st.Jobs != 8 {
		t.Errorf("%d jobs went through NATS, want the 8 trials", st.Jobs)
	}
}

// TestTrainedTrialsOnWorkers: trials that train run on NATS workers,
// which write their trainings into the sweep's session (here the same
// disk, as a shared folder gives); the result is the local run's bytes,
// and the trainings are in the session's manifest.
func TestTrainedTrialsOnWorkers(t *testing.T) {
	needTorch(t)
	o := Options{MaxSteps: 40, Device: "cpu", Config: parse(t, `name: tw
missions: [training_facility_1]
policy_class_path: stateless
strategy: random
num_trials: 5
window: 2
search_space: {learning_rate: {min: 0.0001, max: 0.05, log: true}, hidden_size: [32], num_envs: [4], minibatch_size: [256], bptt_horizon: [16]}
train_steps: 3072
episodes_per_trial: 1
pruner: asha
objective: performance_score
`)}
	local, want, _ := runOn(t, o, 1, nil, nil)
	if local.Count(sweep.StatusPruned) == 0 {
		t.Fatalf("no trial pruned, so the pruner's view is not tested: %s", want)
	}
	n := embedded(t, 2)
	res, got, dir := runOn(t, o, 2, n, nil)
	if !bytes.Equal(got, want) {
		t.Fatalf("sweep on NATS workers:\n%s\nlocal:\n%s", got, want)
	}
	if st := n.Stats(); st.Jobs != 5 {
		t.Errorf("%d jobs went through NATS, want the 5 trials", st.Jobs)
	}
	man := string(mustRead(t, filepath.Join(dir, output.ManifestName)))
	for _, tr := range res.Trials {
		if _, err := os.Stat(filepath.Join(dir, tr.Checkpoint, "weights.bin")); err != nil {
			t.Errorf("trial %d: %v", tr.Number, err)
		}
		if !strings.Contains(man, `"`+tr.Checkpoint+`/weights.bin"`) || !strings.Contains(man, trialDir(tr.Number)+"/metrics.jsonl") {
			t.Errorf("trial %d: its training is not in the manifest", tr.Number)
		}
	}
}

// TestWorkerFailsTrial: a trial its worker fails (the trainer refuses its
// hyperparameters) is a failed trial with the worker's error, as in a
// local run; the sweep goes on and ends.
func TestWorkerFailsTrial(t *testing.T) {
	needTorch(t)
	o := Options{MaxSteps: 30, Device: "cpu", Config: parse(t, `name: wf
missions: [training_facility_1]
policy_class_path: stateless
search_space: {minibatch_size: [256, 100], hidden_size: [32], num_envs: [4], bptt_horizon: [16]}
train_steps: 2048
episodes_per_trial: 1
`)}
	_, want, _ := runOn(t, o, 1, nil, nil)
	res, got, _ := runOn(t, o, 2, embedded(t, 2), nil)
	if !bytes.Equal(got, want) {
		t.Fatalf("sweep on NATS workers:\n%s\nlocal:\n%s", got, want)
	}
	bad := res.Trials[1]
	if res.Trials[0].Status != sweep.StatusComplete || bad.Status != sweep.StatusFailed ||
		!strings.Contains(bad.Error, "minibatch_size 100 must be a multiple of bptt_horizon 16") {
		t.Errorf("trials: %s", got)
	}
}

// TestTrialCache: a rerun of the same sweep takes every trial from the
// cache (no job runs) and writes the same bytes; a changed parameter
// value runs that trial only, another seed runs them all, and without
// the cache (--no-cache) every trial runs.
func TestTrialCache(t *testing.T) {
	yml := `name: c
missions: [training_facility_1]
policy_class_path: baseline
search_space: {recharge_below: [0, 20, 40, 60]}
episodes_per_trial: 1
seed: 2
`
	o := Options{MaxSteps: 40, Config: parse(t, yml)}
	c := testCache(t)
	ex := &counting{Executor: dist.Local{Workers: 1}}
	played := func(o Options) []byte {
		t.Helper()
		ex.jobs.Store(0)
		_, b, _ := runOn(t, o, 2, ex, c)
		return b
	}
	want := played(o)
	if n := ex.jobs.Load(); n != 4 {
		t.Fatalf("first run: %d trials ran, want 4", n)
	}
	if got := played(o); !bytes.Equal(got, want) || ex.jobs.Load() != 0 {
		t.Fatalf("rerun: %d trials ran, want 0 (same bytes: %v)", ex.jobs.Load(), bytes.Equal(got, want))
	}
	st, err := c.Stats()
	if err != nil || len(st.Kinds) != 1 || st.Kinds[0].Kind != TrialCacheKind || st.Kinds[0].Entries != 4 {
		t.Errorf("cache stats %+v (%v): want 4 %s entries", st, err, TrialCacheKind)
	}
	changed := Options{MaxSteps: 40, Config: parse(t, strings.Replace(yml, "60]", "70]", 1))}
	if played(changed); ex.jobs.Load() != 1 {
		t.Errorf("one value changed: %d trials ran, want 1", ex.jobs.Load())
	}
	reseeded := Options{MaxSteps: 40, Config: parse(t, strings.Replace(yml, "seed: 2", "seed: 3", 1))}
	if played(reseeded); ex.jobs.Load() != 4 {
		t.Errorf("another seed: %d trials ran, want 4", ex.jobs.Load())
	}
	shorter := o
	shorter.MaxSteps = 30
	if played(shorter); ex.jobs.Load() != 4 {
		t.Errorf("other episode steps: %d trials ran, want 4", ex.jobs.Load())
	}
	ex.jobs.Store(0)
	if _, got, _ := runOn(t, o, 2, ex, nil); !bytes.Equal(got, want) || ex.jobs.Load() != 4 {
		t.Errorf("without the cache: %d trials ran, want 4", ex.jobs.Load())
	}
}

// TestTrainedTrialCache: a rerun reuses the trainings of the first run
// (its checkpoints linked into the new session, not trained again) while
// they are there unchanged; a trial whose checkpoint was removed trains
// again.
func TestTrainedTrialCache(t *testing.T) {
	needTorch(t)
	o := Options{MaxSteps: 30, Device: "cpu", Config: parse(t, `name: tc
missions: [training_facility_1]
policy_class_path: stateless
search_space: {learning_rate: [0.001, 0.01], hidden_size: [32], num_envs: [4], minibatch_size: [256], bptt_horizon: [16]}
train_steps: 2048
episodes_per_trial: 1
objective: performance_score
`)}
	c := testCache(t)
	ex := &counting{Executor: dist.Local{Workers: 1}}
	res, want, first := runOn(t, o, 2, ex, c)
	if n := ex.jobs.Load(); n != 2 {
		t.Fatalf("first run: %d trainings, want 2", n)
	}
	ex.jobs.Store(0)
	_, got, second := runOn(t, o, 2, ex, c)
	if !bytes.Equal(got, want) || ex.jobs.Load() != 0 {
		t.Fatalf("rerun: %d trainings, want 0 (same bytes: %v)", ex.jobs.Load(), bytes.Equal(got, want))
	}
	for _, tr := range res.Trials {
		a, err1 := os.Stat(filepath.Join(first, tr.Checkpoint, "weights.bin"))
		b, err2 := os.Stat(filepath.Join(second, tr.Checkpoint, "weights.bin"))
		if err1 != nil || err2 != nil || !os.SameFile(a, b) {
			t.Errorf("trial %d: the rerun's checkpoint is not the first run's (%v, %v)", tr.Number, err1, err2)
		}
	}
	if man := string(mustRead(t, filepath.Join(second, output.ManifestName))); !strings.Contains(man, res.Trials[1].Checkpoint+"/weights.bin") {
		t.Error("the reused training is not in the rerun's manifest")
	}
	// Gone from both sessions: trial 0 trains again, trial 1 is reused.
	for _, dir := range []string{first, second} {
		if err := os.RemoveAll(filepath.Join(dir, res.Trials[0].Checkpoint)); err != nil {
			t.Fatal(err)
		}
	}
	ex.jobs.Store(0)
	if _, got, _ := runOn(t, o, 2, ex, c); !bytes.Equal(got, want) || ex.jobs.Load() != 1 {
		t.Errorf("checkpoint removed: %d trainings, want 1 (same bytes: %v)", ex.jobs.Load(), bytes.Equal(got, want))
	}
}

// ownDisk runs jobs here but as a worker with a disk of its own would:
// it writes the training to another folder than the submitter's session.
type ownDisk struct{ dir string }

func (d ownDisk) Run(ctx context.Context, js []dist.Job, done dist.Done) error {
	for i, j := range js {
		var p map[string]any
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			return err
		}
		p["session"] = d.dir
		js[i].Payload, _ = json.Marshal(p)
	}
	return dist.Local{Workers: 1}.Run(ctx, js, done)
}

func (ownDisk) Close() error { return nil }

// TestTrainedTrialNeedsSharedFolder: a worker that wrote the training
// where the submitter cannot see it fails the trial, saying that a
// shared folder is needed; a worker that does not have the session
// folder at all refuses the job saying so.
func TestTrainedTrialNeedsSharedFolder(t *testing.T) {
	needTorch(t)
	o := Options{MaxSteps: 30, Device: "cpu", Config: parse(t, `name: sf
missions: [training_facility_1]
policy_class_path: stateless
search_space: {hidden_size: [32], num_envs: [4], minibatch_size: [256], bptt_horizon: [16]}
train_steps: 1024
episodes_per_trial: 1
`)}
	worker := t.TempDir()
	if err := os.WriteFile(filepath.Join(worker, JournalName), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res, _, _ := runOn(t, o, 1, ownDisk{worker}, nil)
	tr := res.Trials[0]
	if tr.Status != sweep.StatusFailed || !strings.Contains(tr.Error, "is not on this machine") || !strings.Contains(tr.Error, "shared with every worker") {
		t.Errorf("trial: %s %q", tr.Status, tr.Error)
	}
}

// TestTrialJobWithoutSessionFolder: a worker without the sweep's session
// folder refuses a trial that trains, naming the folder and the rule.
func TestTrialJobWithoutSessionFolder(t *testing.T) {
	RegisterJobs()
	missing := filepath.Join(t.TempDir(), "not-shared")
	payload, _ := json.Marshal(trialJob{Number: 2, Session: missing, Dir: trialDir(2), trialSpec: trialSpec{
		Policy: "stateless", Missions: []string{"training_facility_1"}, Seed: 1, TrainSteps: 1024, Episodes: 1,
		Objective: "reward", Pruning: sweep.Pruning{Pruner: "none"}}})
	_, err := dist.Call(context.Background(), TrialJobKind, payload)
	if err == nil || !strings.Contains(err.Error(), missing+" is not on this machine") || !strings.Contains(err.Error(), "shared file system") {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Error("the job made the session folder on the worker")
	}
	// A payload that names another folder than the trial's own.
	payload, _ = json.Marshal(trialJob{Number: 2, Session: t.TempDir(), Dir: "../../etc", trialSpec: trialSpec{
		Policy: "stateless", Missions: []string{"training_facility_1"}, Episodes: 1, Pruning: sweep.Pruning{Pruner: "none"}}})
	if _, err := dist.Call(context.Background(), TrialJobKind, payload); err == nil || !strings.Contains(err.Error(), "want an absolute session folder and trials/0002") {
		t.Fatalf("error %v", err)
	}
}

// TestTrialKeys: a trial's content address changes with everything that
// decides its outcome (a hyperparameter, its type, the missions, the
// seed, the training steps, the episode steps, the pruner's view, the
// code version) and with nothing else (the trial's number).
func TestTrialKeys(t *testing.T) {
	RegisterJobs()
	base := Options{MaxSteps: 40, Device: "cpu", Config: parse(t, `name: k
missions: [training_facility_1]
policy_class_path: stateless
search_space: {learning_rate: [0.001]}
train_steps: 2048
`)}
	key := func(o Options, version string, number int, params sweep.Params, p sweep.Pruning) jobs.Key {
		t.Helper()
		var ms []*mission.Mission
		for _, n := range o.Config.Missions {
			m, err := mission.Get(n)
			if err != nil {
				t.Fatal(err)
			}
			ms = append(ms, m)
		}
		ob := &objective{o: o, class: o.Config.PolicyClassPath, missions: ms, dir: "/s", version: version}
		for _, m := range ms {
			id, err := jobs.MissionOf(m)
			if err != nil {
				t.Fatal(err)
			}
			ob.ids = append(ob.ids, id)
		}
		tr, err := sweep.NewTrialRun(number, params, o.Config.Seed, p)
		if err != nil {
			t.Fatal(err)
		}
		_, k, err := ob.job(tr)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	lr := sweep.Params{"learning_rate": 0.001}
	none := sweep.Pruning{Pruner: "none"}
	want := key(base, "v1", 0, lr, none)
	if k := key(base, "v1", 7, lr, none); k != want {
		t.Error("the trial's number changed its key")
	}
	with := func(f func(*Options)) Options {
		o := base
		f(&o)
		return o
	}
	median := sweep.Pruning{Pruner: "median", Median: &sweep.Median{Startup: 5}, View: []sweep.Seen{{Status: sweep.StatusComplete, Intermediate: []sweep.Report{{Step: 1, Value: 0.5}}}}}
	median2 := median
	median2.View = []sweep.Seen{{Status: sweep.StatusComplete, Intermediate: []sweep.Report{{Step: 1, Value: 0.25}}}}
	for name, k := range map[string]jobs.Key{
		"hyperparameter": key(base, "v1", 0, sweep.Params{"learning_rate": 0.002}, none),
		"its type":       key(base, "v1", 0, sweep.Params{"learning_rate": int64(1)}, none),
		"mission":        key(with(func(o *Options) { o.Config.Missions = []string{"training_facility_2"} }), "v1", 0, lr, none),
		"seed":           key(with(func(o *Options) { o.Config.Seed = 9 }), "v1", 0, lr, none),
		"train_steps":    key(with(func(o *Options) { o.Config.TrainSteps = 4096 }), "v1", 0, lr, none),
		"episode steps":  key(with(func(o *Options) { o.MaxSteps = 50 }), "v1", 0, lr, none),
		"episodes":       key(with(func(o *Options) { o.Config.EpisodesPerTrial = 9 }), "v1", 0, lr, none),
		"device":         key(with(func(o *Options) { o.Device = "cuda" }), "v1", 0, lr, none),
		"pruner":         key(base, "v1", 0, lr, median),
		"pruner's view":  key(base, "v1", 0, lr, median2),
		"code version":   key(base, "v2", 0, lr, none),
	} {
		if k == want {
			t.Errorf("another %s gives the same key", name)
		}
	}
	if key(base, "v1", 0, lr, median) == key(base, "v1", 0, lr, median2) {
		t.Error("two views of earlier trials give the same key")
	}
}
