package sweepop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dafscript/dafscript/runtime/cache"
	"github.com/dafscript/dafscript/runtime/dist"
	"github.com/dafscript/dafscript/runtime/jobs"
	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/sweep"
	"github.com/dafscript/dafscript/sim/mission"
)

// objective is the sweep's objective on the submitting side: each trial
// becomes a TrialJobKind job for the run's executor (the local pool when
// the run has none), unless the result cache holds its outcome.
type objective struct {
	o        Options
	class    string
	missions []*mission.Mission
	ids      []*jobs.Mission // the missions' identities, for content addresses
	session  *output.Session
	dir      string // the session's folder, absolute
	ex       dist.Executor
	cache    *cache.Cache
	version  string
}

func newObjective(r *op.Run, s *output.Session, o Options, ms []*mission.Mission) (*objective, error) {
	RegisterJobs()
	ex, c, err := r.Distribution(s)
	if err != nil {
		return nil, err
	}
	if ex == nil {
		// One trial per job and one job per call: the sweep decides how
		// many run at once.
		ex = dist.Local{Workers: 1}
	}
	version, err := jobs.CodeVersion()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(s.Dir())
	if err != nil {
		return nil, err
	}
	ob := &objective{o: o, class: strings.TrimSpace(o.Config.PolicyClassPath), missions: ms, session: s, dir: dir, ex: ex, cache: c, version: version}
	for _, m := range ms {
		id, err := jobs.MissionOf(m)
		if err != nil {
			return nil, err
		}
		ob.ids = append(ob.ids, id)
	}
	return ob, nil
}

// trialKey is what a trial's content address covers besides its kind,
// policy, seed, step limit and code version.
type trialKey struct {
	Trial    trialSpec       `json:"trial"`
	Missions []*jobs.Mission `json:"missions"`
}

// job describes trial t as a job, and returns its content address.
func (ob *objective) job(t *sweep.TrialRun) (*trialJob, jobs.Key, error) {
	c := ob.o.Config
	ps, err := encodeParams(t.Params)
	if err != nil {
		return nil, "", err
	}
	j := &trialJob{Number: t.Number, trialSpec: trialSpec{Policy: ob.class, Params: ps, Seed: t.Seed,
		Episodes: c.EpisodesPerTrial, Objective: c.Objective, MaxSteps: ob.o.MaxSteps, Pruning: t.Pruning()}}
	for _, m := range ob.missions {
		j.Missions = append(j.Missions, m.Name)
	}
	if IsNeural(ob.class) {
		j.TrainSteps, j.Device = c.TrainSteps, orDefault(ob.o.Device, "auto")
		j.Session, j.Dir = ob.dir, trialDir(t.Number)
	}
	key, err := jobs.KeyOf(jobs.Spec{Kind: TrialJobKind, Policies: []jobs.Policy{{Class: ob.class, Proportion: 1}},
		Seed: t.Seed, Steps: ob.o.MaxSteps, CodeVersion: ob.version, Extra: trialKey{Trial: j.trialSpec, Missions: ob.ids}})
	if err != nil {
		return nil, "", err
	}
	return j, key, nil
}

// run runs trial t: from the cache, or as a job.
func (ob *objective) run(ctx context.Context, t *sweep.TrialRun) (sweep.Outcome, error) {
	j, key, err := ob.job(t)
	if err != nil {
		return sweep.Outcome{}, err
	}
	dir := trialDir(t.Number)
	res, err := ob.cached(key, j)
	if err != nil {
		return sweep.Outcome{}, sweep.Fatal(err)
	}
	if res == nil {
		res, err = ob.submit(ctx, j, key)
		if j.Dir != "" {
			// What the training wrote, in the session's manifest.
			if terr := ob.track(j.Dir); terr != nil && err == nil {
				err = sweep.Fatal(terr)
			}
		}
		if err != nil {
			return sweep.Outcome{}, err
		}
		if res.Checkpoint != "" {
			if err := ob.verify(j, res); err != nil {
				return sweep.Outcome{}, err
			}
		}
		if res.ok() {
			if err := ob.keep(key, j, res); err != nil {
				return sweep.Outcome{}, sweep.Fatal(err)
			}
		}
	}
	t.Adopt(res.Reported)
	return res.outcome(dir)
}

// submit gives the trial's job to the executor and waits for its result.
// The job's own failure (its handler's error, a job that crashed every
// worker it was given to) fails the trial; a failure of the executor (a
// lost connection, a worker of another build) stops the sweep.
func (ob *objective) submit(ctx context.Context, j *trialJob, key jobs.Key) (*trialResult, error) {
	payload, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	job := dist.Job{ID: string(key), Kind: TrialJobKind, Payload: payload, Cost: 1,
		Desc: fmt.Sprintf("sweep %s, trial %d", ob.o.Config.Name, j.Number)}
	var (
		out  []byte
		jerr error
		got  bool
	)
	err = ob.ex.Run(ctx, []dist.Job{job}, func(_ int, b []byte, e error) { out, jerr, got = b, e, true })
	switch {
	case got && jerr != nil:
		return nil, jerr
	case got:
		var res trialResult
		if err := json.Unmarshal(out, &res); err != nil {
			return nil, fmt.Errorf("%s: unreadable result: %w", job.Desc, err)
		}
		return &res, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return nil, sweep.Fatal(err)
	}
	return nil, sweep.Fatal(fmt.Errorf("%s: the executor finished without a result", job.Desc))
}

// verify checks that the checkpoint the trial's job wrote is here, with
// the hash its handler saw: on a worker, the job wrote it to the sweep's
// session folder at the same path, which must therefore be shared.
func (ob *objective) verify(j *trialJob, res *trialResult) error {
	path := filepath.Join(ob.session.Path(j.Dir), filepath.FromSlash(res.Checkpoint))
	h, err := jobs.HashPath(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("trial %d: its checkpoint %s is not on this machine: the worker that trained it wrote it there on its own disk; trials that train need the sweep's session folder shared with every worker at the same path (docs/distributed.md)", j.Number, path)
	case err != nil:
		return fmt.Errorf("trial %d: %w", j.Number, err)
	case h != res.CheckpointHash:
		return fmt.Errorf("trial %d: its checkpoint %s here differs from the one the worker wrote (sha256 %.12s, the worker's %.12s): trials that train need the sweep's session folder shared with every worker at the same path (docs/distributed.md)", j.Number, path, h, res.CheckpointHash)
	}
	return nil
}

// track records the files under the session's folder rel in its
// manifest (none when it is not there).
func (ob *objective) track(rel string) error {
	root := ob.session.Path(rel)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		sub, err := filepath.Rel(ob.session.Dir(), path)
		if err != nil {
			return err
		}
		return ob.session.Track(filepath.ToSlash(sub))
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// trialEntry is a trial's cache entry: its result, and for a trial that
// trains the folder it trained in (absolute), whose checkpoint a rerun
// checks and links into its own session.
type trialEntry struct {
	trialResult
	Dir string `json:"dir,omitempty"`
}

// keep stores a finished trial's result under its content address.
func (ob *objective) keep(key jobs.Key, j *trialJob, res *trialResult) error {
	if ob.cache == nil {
		return nil
	}
	e := trialEntry{trialResult: *res}
	if j.Dir != "" {
		e.Dir = ob.session.Path(j.Dir)
	}
	data, err := json.Marshal(&e)
	if err != nil {
		return err
	}
	return ob.cache.Put(TrialCacheKind, key, data)
}

// cached returns the trial's result from the cache, or nil. A trial that
// trains is reused only while the checkpoint its entry names is still
// there with the same hash; its training is then linked into this
// session as trials/NNNN, as a resumed sweep links the trainings it
// keeps.
func (ob *objective) cached(key jobs.Key, j *trialJob) (*trialResult, error) {
	if ob.cache == nil {
		return nil, nil
	}
	data, ok, err := ob.cache.Get(TrialCacheKind, key)
	if err != nil || !ok {
		return nil, err
	}
	var e trialEntry
	if json.Unmarshal(data, &e) != nil || !e.ok() {
		return nil, nil // unreadable: run it again, and overwrite it
	}
	if j.Dir == "" {
		return &e.trialResult, nil
	}
	if e.Dir == "" || e.Checkpoint == "" || !filepath.IsAbs(e.Dir) {
		return nil, nil
	}
	if h, err := jobs.HashPath(filepath.Join(e.Dir, filepath.FromSlash(e.Checkpoint))); err != nil || h != e.CheckpointHash {
		return nil, nil // the training is gone or changed: train again
	}
	dst := ob.session.Path(j.Dir)
	if filepath.Clean(e.Dir) != dst {
		if err := os.RemoveAll(dst); err != nil {
			return nil, err
		}
		if err := linkTree(ob.session, j.Dir, e.Dir); err != nil {
			return nil, fmt.Errorf("trial %d: reusing the training in %s: %w", j.Number, e.Dir, err)
		}
	}
	return &e.trialResult, nil
}
