package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/dafscript/dafscript/runtime/journal"
)

// Status is how a trial ended.
type Status string

const (
	StatusComplete Status = "complete"
	StatusPruned   Status = "pruned"
	StatusFailed   Status = "failed"
)

// MissionValue is the objective on one mission.
type MissionValue struct {
	Mission string  `json:"mission"`
	Value   float64 `json:"value"`
}

// Trial is one ended trial.
type Trial struct {
	Number int    `json:"number"`
	Params Params `json:"hyperparameters"`
	// Value is the objective (nil when the trial failed; for a pruned
	// trial, its last intermediate value).
	Value         *float64       `json:"value"`
	MissionValues []MissionValue `json:"mission_values,omitempty"`
	Status        Status         `json:"status"`
	Intermediate  []Report       `json:"intermediate,omitempty"`
	Checkpoint    string         `json:"checkpoint,omitempty"`
	Error         string         `json:"error,omitempty"`
	// Duration is wall time: shown, never part of the deterministic JSON.
	Duration time.Duration `json:"-"`

	x []float64 // the point, internal coordinates
}

// Outcome is what an objective returns for a trial.
type Outcome struct {
	Value         float64
	MissionValues []MissionValue
	Checkpoint    string
}

// Objective runs one trial. It should call t.Report with intermediate
// values when it has them, and return soon after Report says to stop
// (the trial is then pruned, whatever it returns). An error fails the
// trial (the sweep goes on), unless ctx was cancelled or the error was
// made by Fatal: either stops the sweep without recording the trial.
type Objective func(ctx context.Context, t *TrialRun) (Outcome, error)

// TrialRun is the trial an Objective runs.
type TrialRun struct {
	Number int
	Params Params
	// Seed is the sweep's seed, the same for every trial.
	Seed uint64

	view   []*Trial
	pruner pruner
	sign   float64
	mu     sync.Mutex
	reps   []Report
	pruned bool
	err    error
}

// Report records an intermediate value at step (steps must increase) and
// says whether the trial should stop (it is pruned).
func (t *TrialRun) Report(step int, value float64) (stop bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pruned || t.err != nil {
		return true
	}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		t.err = fmt.Errorf("intermediate value at step %d is %v", step, value)
		return true
	}
	if n := len(t.reps); n > 0 && step <= t.reps[n-1].Step {
		t.err = fmt.Errorf("intermediate step %d does not follow step %d (steps must increase)", step, t.reps[n-1].Step)
		return true
	}
	t.reps = append(t.reps, Report{step, value})
	if t.pruner.prune(t.view, t.sign, t.reps) {
		t.pruned = true
	}
	return t.pruned
}

// Pruned says whether a Report asked the trial to stop.
func (t *TrialRun) Pruned() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pruned
}

// header is the journal's first record: everything that determines the
// sweep's result.
type header struct {
	Name      string          `json:"name"`
	Space     json.RawMessage `json:"search_space"`
	Strategy  string          `json:"strategy"`
	NumTrials int             `json:"num_trials"`
	Seed      uint64          `json:"seed"`
	Pruner    string          `json:"pruner"`
	Direction string          `json:"direction"`
	Objective string          `json:"objective"`
	Window    int             `json:"window"`
	TPE       TPE             `json:"tpe"`
	Median    Median          `json:"median"`
	ASHA      ASHA            `json:"asha"`
	Setup     json.RawMessage `json:"setup"`
}

// trialRecord is a journal record of an ended trial.
type trialRecord struct {
	Trial
	X          []float64 `json:"x"`
	DurationNS int64     `json:"duration_ns"`
}

// JournalKind is the type of a sweep journal's header record, by which
// journal.Find finds a sweep's journal (with the sweep's name).
const JournalKind = "sweep"

const (
	recHeader = JournalKind
	recTrial  = "trial"
)

func (o *Options) header() (header, error) {
	sp, err := json.Marshal(o.Space)
	if err != nil {
		return header{}, err
	}
	setup, err := json.Marshal(o.Setup)
	if err != nil {
		return header{}, fmt.Errorf("sweep setup: %w", err)
	}
	return header{o.Name, sp, o.Strategy, o.NumTrials, o.Seed, o.Pruner, o.Direction, o.Objective, o.Window, o.TPE, o.Median, o.ASHA, setup}, nil
}

// diff names the first field where two headers differ.
func (h header) diff(g header) string {
	a, b := reflect.ValueOf(h), reflect.ValueOf(g)
	for i := 0; i < a.NumField(); i++ {
		x, _ := json.Marshal(a.Field(i).Interface())
		y, _ := json.Marshal(b.Field(i).Interface())
		if string(x) != string(y) {
			return fmt.Sprintf("%s is %s in the journal, %s now", a.Type().Field(i).Tag.Get("json"), y, x)
		}
	}
	return ""
}

// ErrJournalMismatch is returned (wrapped) when a journal belongs to a
// sweep with other options.
var ErrJournalMismatch = errors.New("the journal belongs to a different sweep")

// loadJournal opens (or creates) the journal and returns the trials it
// holds.
func loadJournal(o *Options, s *space) (*journal.Journal, map[int]*Trial, error) {
	h, err := o.header()
	if err != nil {
		return nil, nil, err
	}
	j, recs, err := journal.Open(o.Journal)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*journal.Journal, map[int]*Trial, error) {
		j.Close()
		return nil, nil, err
	}
	done := map[int]*Trial{}
	if len(recs) == 0 {
		if err := j.Append(recHeader, h); err != nil {
			return fail(err)
		}
		return j, done, nil
	}
	if recs[0].Type != recHeader {
		return fail(fmt.Errorf("%s: first record is %q, not a sweep header: not a sweep journal", o.Journal, recs[0].Type))
	}
	var old header
	if err := recs[0].Decode(&old); err != nil {
		return fail(err)
	}
	if d := h.diff(old); d != "" {
		return fail(fmt.Errorf("%s: %w (%s); resume with the same options, or start a new session", o.Journal, ErrJournalMismatch, d))
	}
	for _, r := range recs[1:] {
		if r.Type != recTrial {
			continue // records of other kinds are not the sweep's
		}
		var tr trialRecord
		if err := r.Decode(&tr); err != nil {
			return fail(err)
		}
		if tr.Number < 0 || tr.Number >= o.NumTrials || len(tr.X) != len(s.dims) {
			return fail(fmt.Errorf("%s line %d: trial %d does not fit this sweep", o.Journal, r.Line, tr.Number))
		}
		t := tr.Trial
		t.x = tr.X
		t.Params = s.params(tr.X) // typed values, as a fresh run makes them
		t.Duration = time.Duration(tr.DurationNS)
		done[t.Number] = &t
	}
	return j, done, nil
}

// mix spreads a trial number into a seed word (SplitMix64's finaliser).
func mix(k uint64) uint64 {
	k += 0x9e3779b97f4a7c15
	k = (k ^ (k >> 30)) * 0xbf58476d1ce4e5b9
	k = (k ^ (k >> 27)) * 0x94d049bb133111eb
	return k ^ (k >> 31)
}

func trialRand(seed uint64, salt uint64, k int) *rand.Rand {
	return rand.New(rand.NewPCG(seed^mix(salt), mix(uint64(k))))
}

// gridOrder lists the grid points the sweep visits.
func gridOrder(s *space, n int, seed uint64) []int {
	size, _ := s.gridSize()
	if n >= size {
		out := make([]int, size)
		for i := range out {
			out[i] = i
		}
		return out
	}
	r := trialRand(seed, 1, 0)
	perm := r.Perm(size)[:n]
	sort.Ints(perm)
	return perm
}

type ended struct {
	t     *Trial
	fatal error // stops the sweep (journal failure, cancellation)
}

// Run runs the sweep. It returns the result of every trial, or the first
// error that stopped it (a cancelled ctx, a journal that cannot be
// written or belongs to another sweep). Trials that ended before an error
// are in the journal, and a later Run with the same options resumes from
// them.
func Run(ctx context.Context, o Options, obj Objective) (*Result, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	s, err := newSpace(o.Space)
	if err != nil {
		return nil, err
	}
	sign := 1.0
	if o.Direction == "maximize" {
		sign = -1
	}
	var pr pruner = noPruner{}
	switch o.Pruner {
	case "median":
		pr = o.Median
	case "asha":
		pr = o.ASHA
	}
	windowed := o.Strategy == "tpe" || o.Pruner != "none"
	var grid []int
	if o.Strategy == "grid" {
		grid = gridOrder(s, o.NumTrials, o.Seed)
	}

	var j *journal.Journal
	done := map[int]*Trial{}
	if o.Journal != "" {
		j, done, err = loadJournal(&o, s)
		if err != nil {
			return nil, err
		}
		defer j.Close()
	}

	n := o.NumTrials
	trials := make([]*Trial, n)
	xs := make([][]float64, n)
	propose := func(k int) []float64 {
		switch o.Strategy {
		case "grid":
			return s.gridPoint(grid[k])
		case "random":
			return s.random(trialRand(o.Seed, 2, k))
		}
		hist := make([]obs, 0, k)
		for i := 0; i < k; i++ {
			switch {
			case i >= k-o.Window: // pending: the constant liar
				hist = append(hist, obs{xs[i], math.Inf(1)})
			case trials[i].Status == StatusComplete:
				hist = append(hist, obs{xs[i], sign * *trials[i].Value})
			case trials[i].Status == StatusPruned:
				hist = append(hist, obs{xs[i], math.Inf(1)})
			}
		}
		return o.TPE.propose(s, hist, trialRand(o.Seed, 3, k))
	}

	results := make(chan ended)
	runOne := func(k int, x []float64, view []*Trial) {
		tr := &TrialRun{Number: k, Params: s.params(x), Seed: o.Seed, view: view, pruner: pr, sign: sign}
		start := time.Now()
		out, err := call(ctx, obj, tr)
		if err != nil && ctx.Err() != nil {
			results <- ended{fatal: ctx.Err()}
			return
		}
		if isFatal(err) {
			results <- ended{fatal: err}
			return
		}
		t := &Trial{Number: k, Params: tr.Params, x: x, Duration: time.Since(start), Intermediate: tr.reps, Checkpoint: out.Checkpoint}
		switch {
		case tr.err != nil:
			t.Status, t.Error = StatusFailed, tr.err.Error()
		case tr.pruned:
			t.Status = StatusPruned
			v := tr.reps[len(tr.reps)-1].Value
			t.Value = &v
		case err != nil:
			t.Status, t.Error = StatusFailed, err.Error()
		case math.IsNaN(out.Value) || math.IsInf(out.Value, 0):
			t.Status, t.Error = StatusFailed, fmt.Sprintf("objective value is %v", out.Value)
		default:
			t.Status = StatusComplete
			v := out.Value
			t.Value = &v
			t.MissionValues = out.MissionValues
			for _, mv := range out.MissionValues {
				if math.IsNaN(mv.Value) || math.IsInf(mv.Value, 0) {
					t.Status, t.Value, t.MissionValues = StatusFailed, nil, nil
					t.Error = fmt.Sprintf("objective value on mission %s is %v", mv.Mission, mv.Value)
					break
				}
			}
		}
		if j != nil {
			if err := j.Write(recTrial, trialRecord{*t, x, int64(t.Duration)}); err != nil {
				results <- ended{fatal: err}
				return
			}
		}
		results <- ended{t: t}
	}

	var fatal error
	next, frontier, running, ndone := 0, 0, 0, 0
	finish := func(t *Trial) {
		trials[t.Number] = t
		ndone++
		for frontier < n && trials[frontier] != nil {
			frontier++
		}
		if o.OnTrial != nil {
			o.OnTrial(*t, ndone, n)
		}
	}
	for {
		for fatal == nil && next < n && running < o.Jobs && (!windowed || frontier >= next-o.Window) {
			k := next
			next++
			if t, ok := done[k]; ok {
				xs[k] = t.x
				finish(t)
				continue
			}
			if err := ctx.Err(); err != nil {
				fatal = err
				break
			}
			xs[k] = propose(k)
			var view []*Trial
			if windowed {
				view = append(view, trials[:max(0, k-o.Window)]...)
			}
			running++
			go runOne(k, xs[k], view)
		}
		if running == 0 {
			break
		}
		e := <-results
		running--
		if e.fatal != nil {
			if fatal == nil {
				fatal = e.fatal
			}
			continue
		}
		finish(e.t)
	}
	if fatal != nil {
		return nil, fatal
	}
	return newResult(&o, s, trials), nil
}

// call runs the objective, turning a panic into a failed trial.
func call(ctx context.Context, obj Objective, t *TrialRun) (out Outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("trial %d panicked: %v", t.Number, r)
		}
	}()
	return obj(ctx, t)
}
