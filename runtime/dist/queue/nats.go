package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dafscript/dafscript/runtime/dist"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// DefaultStartTimeout is how long a run waits for a worker to take its
// first job.
const DefaultStartTimeout = 2 * time.Minute

// NATSOptions configure the NATS executor.
type NATSOptions struct {
	Queue QueueOptions
	// CodeVersion is this program's code version (jobs.CodeVersion);
	// workers of another version refuse the jobs and the run fails.
	CodeVersion string
	// StartTimeout: the run fails when no worker has taken any of its
	// jobs after this long. 0 means DefaultStartTimeout.
	StartTimeout time.Duration
	// OnEvent, if not nil, is told what workers say (from the run's
	// goroutine).
	OnEvent func(Event)
	// MemoryResults keeps the jobs and the results in the server's memory
	// instead of its file store: for a server in this process (Embedded
	// sets it), which takes the run with it when it stops. Against a
	// remote server leave it false, so that jobs and results survive a
	// restart of the server.
	MemoryResults bool
}

// Check validates the options.
func (o *NATSOptions) Check() error {
	if err := o.Queue.Check(); err != nil {
		return err
	}
	if o.CodeVersion == "" {
		return errors.New("NATS executor: no code version given")
	}
	if o.StartTimeout < 0 {
		return fmt.Errorf("start timeout must be >= 0, got %v", o.StartTimeout)
	}
	return nil
}

// NATS runs jobs through a JetStream work queue.
//
// What every run needs is made once, by NewNATS: the streams, one
// ordered consumer of this executor's results, one subscription to its
// workers' events and one to the server's max-deliveries advisories.
// Each run gets subjects of its own under the executor's ID (jobs, results
// and events of run ID.N), and the executor hands each run the messages
// of its subjects.
type NATS struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	o      NATSOptions
	srv    *Server // embedded only
	stop   context.CancelFunc
	wg     sync.WaitGroup
	conns  []*nats.Conn
	mu     sync.Mutex
	stats  Stats
	closed bool
	// busy counts the jobs of all runs that a worker has said it runs
	// (a start event: jobs that run long) and not finished: while there
	// are any, a run whose jobs wait is waiting for a busy worker, not for
	// one to appear (runs at the same time: the trials of a sweep).
	busy int

	id      string
	seq     atomic.Uint64
	jobsSt  jetstream.Stream
	resSt   jetstream.Stream
	resIt   jetstream.MessagesContext
	resDone chan struct{} // closed when the results reader stops
	resErr  error         // why it stopped (nil: closed)
	subs    []*nats.Subscription
	rmu     sync.Mutex
	runs    map[string]*runState
	bg      sync.WaitGroup // clean-ups after runs
	// heard is when a worker last said anything (a result or an event) on
	// any of the executor's runs, in Unix nanoseconds: workers busy with
	// other runs' short jobs (which send no start event) keep a waiting
	// run from timing out.
	heard atomic.Int64
}

// runState is what the executor hands one run.
type runState struct {
	res  chan jetstream.Msg
	ev   chan *nats.Msg
	adv  chan []byte
	done chan struct{} // closed when the run stops reading
}

// Stats counts what happened over the executor's runs.
type Stats struct {
	Jobs        int // published
	Redelivered int // deliveries after the first (a worker died or lost its connection)
	Failed      int // jobs that exhausted their deliveries
}

// NewNATS makes an executor on connection nc (which it does not close).
func NewNATS(ctx context.Context, nc *nats.Conn, o NATSOptions) (*NATS, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	js, _, err := setupQueue(ctx, nc, o.Queue, o.MemoryResults)
	if err != nil {
		return nil, err
	}
	n := &NATS{nc: nc, js: js, o: o, id: nuid.Next(), runs: map[string]*runState{}, resDone: make(chan struct{})}
	if n.resSt, err = setupResults(ctx, js, o.MemoryResults); err != nil {
		return nil, err
	}
	if n.jobsSt, err = js.Stream(ctx, JobsStream); err != nil {
		return nil, fmt.Errorf("NATS: stream %s: %w", JobsStream, err)
	}
	if err := n.listen(ctx); err != nil {
		n.unlisten()
		return nil, err
	}
	return n, nil
}

// listen starts the readers of the executor's results, events and
// advisories.
func (n *NATS) listen(ctx context.Context) error {
	evSub, err := n.nc.Subscribe(eventsPrefix+n.id+".>", func(m *nats.Msg) {
		n.heard.Store(time.Now().UnixNano())
		if rs := n.run(m.Subject[len(eventsPrefix):]); rs != nil {
			select {
			case rs.ev <- m:
			case <-rs.done:
			}
		}
	})
	if err != nil {
		return fmt.Errorf("NATS: %w", err)
	}
	n.subs = append(n.subs, evSub)
	advSub, err := n.nc.Subscribe(maxDeliverAdv, func(m *nats.Msg) {
		n.rmu.Lock()
		rss := make([]*runState, 0, len(n.runs))
		for _, rs := range n.runs {
			rss = append(rss, rs)
		}
		n.rmu.Unlock()
		for _, rs := range rss {
			select {
			case rs.adv <- m.Data:
			case <-rs.done:
			}
		}
	})
	if err != nil {
		return fmt.Errorf("NATS: %w", err)
	}
	n.subs = append(n.subs, advSub)
	cons, err := n.js.OrderedConsumer(ctx, ResultsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{resultsPrefix + n.id + ".>"}, DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return fmt.Errorf("NATS: results: %w", err)
	}
	if n.resIt, err = cons.Messages(); err != nil {
		return fmt.Errorf("NATS: results: %w", err)
	}
	go func() {
		defer close(n.resDone)
		for {
			m, err := n.resIt.Next()
			if err != nil {
				if !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					n.resErr = err
				}
				return
			}
			n.heard.Store(time.Now().UnixNano())
			if rs := n.run(m.Subject()[len(resultsPrefix):]); rs != nil {
				select {
				case rs.res <- m:
				case <-rs.done:
				}
			}
		}
	}()
	return nil
}

// unlisten stops the readers listen started.
func (n *NATS) unlisten() {
	for _, s := range n.subs {
		s.Unsubscribe()
	}
	if n.resIt != nil {
		n.resIt.Stop()
		<-n.resDone
	}
}

// run is the run of that ID, nil when it has stopped (a late duplicate).
func (n *NATS) run(id string) *runState {
	n.rmu.Lock()
	defer n.rmu.Unlock()
	return n.runs[id]
}

// Remote connects to the server c names; workers elsewhere run the jobs.
func Remote(ctx context.Context, c ConnOptions, o NATSOptions) (*NATS, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	nc, err := Connect(c)
	if err != nil {
		return nil, err
	}
	n, err := NewNATS(ctx, nc, o)
	if err != nil {
		nc.Close()
		return nil, err
	}
	n.conns = append(n.conns, nc)
	return n, nil
}

// EmbeddedOptions configure an executor with its own server.
type EmbeddedOptions struct {
	Server ServerOptions
	// Workers is how many jobs this process runs at once (in-process
	// workers); 0 runs none here, leaving the work to outside workers
	// (Server.Listen must then be set).
	Workers int
	NATS    NATSOptions
}

// Check validates the options.
func (o *EmbeddedOptions) Check() error {
	if err := o.Server.Check(); err != nil {
		return err
	}
	if o.Workers < 0 {
		return fmt.Errorf("workers must be >= 0, got %d", o.Workers)
	}
	if o.Workers == 0 && o.Server.Listen == "" {
		return errors.New("embedded NATS with no in-process worker and no listening port: nothing could run the jobs")
	}
	return o.NATS.Check()
}

// Embedded starts a server in this process (store in o.Server.StoreDir)
// and o.Workers in-process workers on it.
func Embedded(ctx context.Context, o EmbeddedOptions) (*NATS, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	srv, err := StartServer(o.Server)
	if err != nil {
		return nil, err
	}
	nc, err := srv.Connect("dafscript submitter")
	if err != nil {
		srv.Shutdown()
		return nil, err
	}
	o.NATS.MemoryResults = true
	n, err := NewNATS(ctx, nc, o.NATS)
	if err != nil {
		nc.Close()
		srv.Shutdown()
		return nil, err
	}
	n.srv = srv
	n.conns = append(n.conns, nc)
	if o.Workers > 0 {
		wnc, err := srv.Connect("dafscript in-process worker")
		if err != nil {
			n.Close()
			return nil, err
		}
		n.conns = append(n.conns, wnc)
		wctx, stop := context.WithCancel(context.Background())
		n.stop = stop
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			Work(wctx, wnc, WorkerOptions{Jobs: o.Workers, Queue: o.NATS.Queue, CodeVersion: o.NATS.CodeVersion, Name: "in-process"})
		}()
	}
	return n, nil
}

// Server is the embedded server (nil for Remote and NewNATS).
func (n *NATS) Server() *Server { return n.srv }

// Stats returns the counts so far.
func (n *NATS) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stats
}

// Close stops the in-process workers, closes the connections it opened
// and shuts the embedded server down.
func (n *NATS) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	n.mu.Unlock()
	if n.stop != nil {
		n.stop()
		n.wg.Wait()
	}
	n.bg.Wait()
	n.unlisten()
	for _, c := range n.conns {
		c.Close()
	}
	if n.srv != nil {
		n.srv.Shutdown()
	}
	return nil
}

// VersionError: a worker of another code version refused a job.
type VersionError struct {
	Worker, WorkerVersion, Version string
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("worker %s runs another build of dafscript (code version %s; this one is %s): run the same dafscript binary on every worker",
		e.Worker, short(e.WorkerVersion), short(e.Version))
}

func short(v string) string {
	if len(v) > 19 {
		return v[:19] + "…"
	}
	return v
}

// DeliveryError: a job was delivered MaxDeliver times and never finished
// (every worker that took it died or lost its connection).
type DeliveryError struct {
	Desc       string
	Deliveries int
	LastWorker string
}

func (e *DeliveryError) Error() string {
	last := ""
	if e.LastWorker != "" {
		last = " (the last was " + e.LastWorker + ")"
	}
	return fmt.Sprintf("%s: delivered %d times and no worker finished it%s: it may crash the worker; run it locally (without --nats) to see the error",
		e.Desc, e.Deliveries, last)
}

// JobError is a job's own failure, as its worker reported it.
type JobError struct {
	Worker string
	Msg    string
}

func (e *JobError) Error() string { return e.Msg }

// Run implements Executor.
func (n *NATS) Run(ctx context.Context, jobs []dist.Job, done dist.Done) error {
	if len(jobs) == 0 {
		return ctx.Err()
	}
	run := n.id + "." + strconv.FormatUint(n.seq.Add(1), 10)
	rs := &runState{res: make(chan jetstream.Msg, 64), ev: make(chan *nats.Msg, 64), adv: make(chan []byte, 16), done: make(chan struct{})}
	n.rmu.Lock()
	n.runs[run] = rs
	n.rmu.Unlock()
	complete := false
	defer func() {
		n.rmu.Lock()
		delete(n.runs, run)
		n.rmu.Unlock()
		close(rs.done)
		// Leave nothing of this run on the server: jobs not taken (a
		// cancelled or failed run), dead ones, and the results. After a
		// run where every job gave its result this is off the run's path.
		n.mu.Lock()
		async := complete && !n.closed // Close waits for n.bg
		if async {
			n.bg.Add(1)
		}
		n.mu.Unlock()
		if async {
			go func() {
				defer n.bg.Done()
				n.purge(run)
			}()
			return
		}
		n.purge(run)
	}()

	order := make([]int, len(jobs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return jobs[order[a]].Cost > jobs[order[b]].Cost })
	futures := make([]jetstream.PubAckFuture, len(jobs))
	for _, i := range order {
		j := jobs[i]
		m := nats.NewMsg(jobsPrefix + run)
		m.Header.Set(hdrMsgID, run+"."+strconv.Itoa(i))
		m.Header.Set(hdrRun, run)
		m.Header.Set(hdrJob, strconv.Itoa(i))
		m.Header.Set(hdrKind, j.Kind)
		m.Header.Set(hdrKey, j.ID)
		m.Header.Set(hdrVersion, n.o.CodeVersion)
		m.Data = j.Payload
		f, err := n.js.PublishMsgAsync(m)
		if err != nil {
			return fmt.Errorf("NATS: publish job %d: %w", i, err)
		}
		futures[i] = f
	}
	seqOf := map[uint64]int{}
	for _, i := range order {
		select {
		case a := <-futures[i].Ok():
			seqOf[a.Sequence] = i
		case err := <-futures[i].Err():
			return fmt.Errorf("NATS: publish job %d: %w", i, err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	n.mu.Lock()
	n.stats.Jobs += len(jobs)
	n.mu.Unlock()

	startTimeout := n.o.StartTimeout
	if startTimeout == 0 {
		startTimeout = DefaultStartTimeout
	}
	startTimer := time.NewTimer(startTimeout)
	defer startTimer.Stop()
	finished := make([]bool, len(jobs))
	started := make([]bool, len(jobs)) // counted in n.busy
	defer func() {
		n.mu.Lock()
		for i := range started {
			if started[i] && !finished[i] {
				n.busy--
			}
		}
		n.mu.Unlock()
	}()
	settle := func(i int) {
		finished[i] = true
		if started[i] {
			n.mu.Lock()
			n.busy--
			n.mu.Unlock()
		}
	}
	lastWorker := make([]string, len(jobs))
	remaining, dead := len(jobs), 0
	for remaining > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-n.resDone:
			if n.resErr != nil {
				return fmt.Errorf("NATS: results: %w", n.resErr)
			}
			return errors.New("NATS: results stopped")
		case <-startTimer.C:
			n.mu.Lock()
			busy := n.busy
			n.mu.Unlock()
			if busy > 0 {
				startTimer.Reset(startTimeout)
				continue
			}
			if quiet := time.Since(time.Unix(0, n.heard.Load())); quiet < startTimeout {
				startTimer.Reset(startTimeout - quiet)
				continue
			}
			return fmt.Errorf("no worker took a job within %v: start workers with `dafscript worker --nats URL` on the same server", startTimeout)
		case m := <-rs.res:
			i, err := strconv.Atoi(m.Headers().Get(hdrJob))
			if err != nil || i < 0 || i >= len(jobs) || finished[i] {
				continue // a duplicate (a job delivered twice finished twice)
			}
			startTimer.Stop() // a worker is there, even if its events were lost
			settle(i)
			remaining--
			if m.Headers().Get(hdrError) != "" {
				done(i, nil, &JobError{Worker: m.Headers().Get(hdrWorker), Msg: string(m.Data())})
			} else {
				done(i, m.Data(), nil)
			}
		case m := <-rs.ev:
			var ev Event
			if json.Unmarshal(m.Data, &ev) != nil || ev.Job < 0 || ev.Job >= len(jobs) {
				continue
			}
			startTimer.Stop()
			if n.o.OnEvent != nil {
				n.o.OnEvent(ev)
			}
			switch ev.Type {
			case "refuse":
				return &VersionError{Worker: ev.Worker, WorkerVersion: ev.Version, Version: n.o.CodeVersion}
			case "start":
				lastWorker[ev.Job] = ev.Worker
				if !started[ev.Job] && !finished[ev.Job] {
					started[ev.Job] = true
					n.mu.Lock()
					n.busy++
					n.mu.Unlock()
				}
				if ev.Delivery > 1 {
					n.mu.Lock()
					n.stats.Redelivered++
					n.mu.Unlock()
				}
			}
		case data := <-rs.adv:
			var adv struct {
				StreamSeq  uint64 `json:"stream_seq"`
				Deliveries int    `json:"deliveries"`
			}
			if json.Unmarshal(data, &adv) != nil {
				continue
			}
			i, ok := seqOf[adv.StreamSeq]
			if !ok || finished[i] {
				continue
			}
			settle(i)
			remaining--
			dead++
			n.mu.Lock()
			n.stats.Failed++
			n.mu.Unlock()
			desc := jobs[i].Desc
			if desc == "" {
				desc = fmt.Sprintf("job %d (%s)", i, jobs[i].Kind)
			}
			done(i, nil, &DeliveryError{Desc: desc, Deliveries: adv.Deliveries, LastWorker: lastWorker[i]})
		}
	}
	complete = dead == 0
	return nil
}

// purge drops the run's jobs and results from the server.
func (n *NATS) purge(run string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n.jobsSt.Purge(ctx, jetstream.WithPurgeSubject(jobsPrefix+run))
	n.resSt.Purge(ctx, jetstream.WithPurgeSubject(resultsPrefix+run))
}
