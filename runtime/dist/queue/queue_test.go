package queue_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dafscript/dafscript/runtime/dist/queue"
	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/sim/mission"
	"github.com/dafscript/dafscript/sim/policy"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const testVersion = "sha256:test-version"

// gate is a policy that plays like "random" but, while the gate is shut,
// signals each controller it makes and blocks its first Act; "crash"
// blocks for ever in-process and exits the process in a worker process.
var (
	gateMu    sync.Mutex
	gateOpen  = make(chan struct{})
	gateStart = make(chan struct{}, 64)
	crashHit  = make(chan struct{}, 64)
	// crashRelease lets the in-process "crashed" jobs return at the end
	// of the test, so that their workers stop.
	crashRelease = make(chan struct{})
)

func openGate() {
	gateMu.Lock()
	defer gateMu.Unlock()
	select {
	case <-gateOpen:
	default:
		close(gateOpen)
	}
}

type gatePolicy struct{ policy.Policy }

func (g gatePolicy) NewController(n int) (policy.Controller, error) {
	c, err := g.Policy.NewController(n)
	return &gateCtrl{Controller: c}, err
}

type gateCtrl struct {
	policy.Controller
	started bool
}

func (c *gateCtrl) Act(obs []uint8, acts []int32) error {
	if !c.started {
		c.started = true
		select {
		case <-gateOpen:
		default:
			gateStart <- struct{}{}
			<-gateOpen
		}
	}
	return c.Controller.Act(obs, acts)
}

type crashPolicy struct{ policy.Policy }

func (p crashPolicy) NewController(n int) (policy.Controller, error) {
	return crashCtrl{}, nil
}

type crashCtrl struct{}

func (crashCtrl) Reset(int, uint64) {}
func (crashCtrl) Close() error      { return nil }
func (crashCtrl) Act([]uint8, []int32) error {
	if os.Getenv(workerEnv) != "" {
		os.Exit(3) // a worker process that dies
	}
	crashHit <- struct{}{}
	<-crashRelease // an in-process worker that does not finish (until the test ends)
	return errors.New("released")
}

// slow plays like random, sleeping a little each step (so that a worker
// process can be killed while it holds a job).
type slowPolicy struct{ policy.Policy }

func (p slowPolicy) NewController(n int) (policy.Controller, error) {
	c, err := p.Policy.NewController(n)
	return slowCtrl{c}, err
}

type slowCtrl struct{ policy.Controller }

func (c slowCtrl) Act(obs []uint8, acts []int32) error {
	time.Sleep(2 * time.Millisecond)
	return c.Controller.Act(obs, acts)
}

func init() {
	wrap := func(f func(policy.Policy) policy.Policy) policy.Factory {
		return func(s policy.Spec) (policy.Policy, error) {
			p, err := policy.New(policy.Spec{Class: "random"})
			if err != nil {
				return nil, err
			}
			return f(p), nil
		}
	}
	policy.Register("queue_test_gate", "random, held at a gate", wrap(func(p policy.Policy) policy.Policy { return gatePolicy{p} }))
	policy.Register("queue_test_crash", "crashes its worker", wrap(func(p policy.Policy) policy.Policy { return crashPolicy{p} }))
	policy.Register("queue_test_slow", "random, slowly", wrap(func(p policy.Policy) policy.Policy { return slowPolicy{p} }))
}

const workerEnv = "DAF_QUEUE_TEST_WORKER"

// TestMain makes the test binary a worker process when workerEnv holds
// "URL TOKEN JOBS ACK_WAIT_MS".
func TestMain(m *testing.M) {
	eval.RegisterJobs()
	if spec := os.Getenv(workerEnv); spec != "" {
		os.Exit(workerMain(spec))
	}
	os.Exit(m.Run())
}

func workerMain(spec string) int {
	var url, token string
	var jobs int
	var ackMS int
	if _, err := fmt.Sscan(spec, &url, &token, &jobs, &ackMS); err != nil {
		fmt.Fprintln(os.Stderr, "worker spec:", err)
		return 2
	}
	nc, err := queue.Connect(queue.ConnOptions{URL: url, Token: token})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	err = queue.Work(context.Background(), nc, queue.WorkerOptions{Jobs: jobs, CodeVersion: testVersion,
		Queue: queue.QueueOptions{AckWait: time.Duration(ackMS) * time.Millisecond}, Log: os.Stderr,
		// The kill test stops a worker when it says it has started a job.
		StartEventAfter: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// drain empties what earlier runs of a test (-count) left in c.
func drain(c chan struct{}) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

func evalOptions(t testing.TB, class string, episodes int) eval.Options {
	t.Helper()
	var ms []*mission.Mission
	for _, n := range []string{"training_facility_1", "training_facility.harvest"} {
		m, err := mission.Get(n)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	var es []eval.Entry
	for _, s := range []string{class, "baseline"} {
		e, err := eval.ParseEntry(s)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	return eval.Options{Entries: es, Missions: ms, Episodes: episodes, Seed: 11, MaxSteps: 60, Jobs: 1, Batch: 2, CodeVersion: testVersion}
}

func runJSON(t testing.TB, opts eval.Options) []byte {
	t.Helper()
	res, err := eval.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startServer starts an embedded server (listening on a loopback port
// when listen) with no in-process worker.
func startServer(t testing.TB, listen bool) *queue.Server {
	t.Helper()
	o := queue.ServerOptions{StoreDir: t.TempDir()}
	if listen {
		o.Listen = "127.0.0.1:0"
	}
	s, err := queue.StartServer(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

type testWorker struct {
	nc   *nats.Conn
	done chan error
}

func startWorker(t testing.TB, s *queue.Server, q queue.QueueOptions, version string) *testWorker {
	t.Helper()
	nc, err := s.Connect("test worker")
	if err != nil {
		t.Fatal(err)
	}
	w := &testWorker{nc: nc, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	// Start events after 50 ms: within the shortest start timeout of
	// these tests (300 ms), which a held job must not reach.
	go func() {
		w.done <- queue.Work(ctx, nc, queue.WorkerOptions{Jobs: 1, Queue: q, CodeVersion: version, StartEventAfter: 50 * time.Millisecond})
	}()
	t.Cleanup(func() { cancel(); <-w.done; nc.Close() })
	return w
}

func executor(t testing.TB, s *queue.Server, o queue.NATSOptions) *queue.NATS {
	t.Helper()
	nc, err := s.Connect("test submitter")
	if err != nil {
		t.Fatal(err)
	}
	if o.CodeVersion == "" {
		o.CodeVersion = testVersion
	}
	n, err := queue.NewNATS(context.Background(), nc, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(); nc.Close() })
	return n
}

// Several in-process workers, each on its own connection, give the bytes
// of a local run.
func TestEmbeddedWorkersMatchLocal(t *testing.T) {
	opts := evalOptions(t, "random", 5)
	want := runJSON(t, opts)
	s := startServer(t, false)
	for range 3 {
		startWorker(t, s, queue.QueueOptions{}, testVersion)
	}
	opts.Executor = executor(t, s, queue.NATSOptions{})
	if got := runJSON(t, opts); !bytes.Equal(got, want) {
		t.Fatalf("results through NATS differ from the local run:\n%s\n%s", got, want)
	}
}

// Embedded starts its own server and in-process workers.
func TestEmbeddedExecutor(t *testing.T) {
	opts := evalOptions(t, "random", 3)
	want := runJSON(t, opts)
	n, err := queue.Embedded(context.Background(), queue.EmbeddedOptions{
		Server: queue.ServerOptions{StoreDir: t.TempDir()}, Workers: 2, NATS: queue.NATSOptions{CodeVersion: testVersion}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if u := n.Server().ClientURL(); u != "" {
		t.Errorf("embedded server listens at %s; want no port", u)
	}
	opts.Executor = n
	if got := runJSON(t, opts); !bytes.Equal(got, want) {
		t.Fatal("results through the embedded executor differ from the local run")
	}
	// A second run on the same executor.
	if got := runJSON(t, opts); !bytes.Equal(got, want) {
		t.Fatal("second run differs")
	}
}

// Runs share what the executor opened (results consumer, subscriptions):
// runs one after another and at the same time each get their own
// results, and a finished run leaves nothing on the server. Jobs and
// results live in memory on an embedded server and in the file store
// otherwise.
func TestRunsShareTheExecutor(t *testing.T) {
	for _, embedded := range []bool{true, false} {
		t.Run(fmt.Sprint("embedded=", embedded), func(t *testing.T) {
			a, b := evalOptions(t, "random", 3), evalOptions(t, "noop", 4)
			wantA, wantB := runJSON(t, a), runJSON(t, b)
			var n *queue.NATS
			var s *queue.Server
			if embedded {
				var err error
				n, err = queue.Embedded(context.Background(), queue.EmbeddedOptions{
					Server: queue.ServerOptions{StoreDir: t.TempDir()}, Workers: 2, NATS: queue.NATSOptions{CodeVersion: testVersion}})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { n.Close() })
				s = n.Server()
			} else {
				s = startServer(t, false)
				startWorker(t, s, queue.QueueOptions{}, testVersion)
				startWorker(t, s, queue.QueueOptions{}, testVersion)
				n = executor(t, s, queue.NATSOptions{})
			}
			a.Executor, b.Executor = n, n
			for range 2 {
				var wg sync.WaitGroup
				var gotA, gotB []byte
				wg.Add(2)
				go func() { defer wg.Done(); gotA = runJSON(t, a) }()
				go func() { defer wg.Done(); gotB = runJSON(t, b) }()
				wg.Wait()
				if !bytes.Equal(gotA, wantA) || !bytes.Equal(gotB, wantB) {
					t.Fatal("runs at the same time on one executor: results differ from local runs")
				}
			}
			nc, err := s.Connect("test inspector")
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			want := jetstream.FileStorage
			if embedded {
				want = jetstream.MemoryStorage
			}
			for _, name := range []string{queue.JobsStream, queue.ResultsStream} {
				st, err := js.Stream(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				if got := st.CachedInfo().Config.Storage; got != want {
					t.Errorf("stream %s storage %v, want %v", name, got, want)
				}
			}
			// The purge after a complete run is off its path: wait for it.
			deadline := time.Now().Add(5 * time.Second)
			for _, name := range []string{queue.JobsStream, queue.ResultsStream} {
				for {
					st, err := js.Stream(ctx, name)
					if err != nil {
						t.Fatal(err)
					}
					if st.CachedInfo().State.Msgs == 0 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("stream %s holds %d messages after the runs finished", name, st.CachedInfo().State.Msgs)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
}

// An embedded server whose store holds a results stream in its file
// store (left by a remote-style executor, or an older build) replaces it
// with one in memory.
func TestEmbeddedReplacesFileResults(t *testing.T) {
	dir := t.TempDir()
	s, err := queue.StartServer(queue.ServerOptions{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := s.Connect("old submitter")
	if err != nil {
		t.Fatal(err)
	}
	old, err := queue.NewNATS(context.Background(), nc, queue.NATSOptions{CodeVersion: testVersion})
	if err != nil {
		t.Fatal(err)
	}
	old.Close()
	nc.Close()
	s.Shutdown()
	n, err := queue.Embedded(context.Background(), queue.EmbeddedOptions{
		Server: queue.ServerOptions{StoreDir: dir}, Workers: 1, NATS: queue.NATSOptions{CodeVersion: testVersion}})
	if err != nil {
		t.Fatalf("embedded server on a store with a file-backed results stream: %v", err)
	}
	defer n.Close()
	opts := evalOptions(t, "random", 2)
	want := runJSON(t, opts)
	opts.Executor = n
	if got := runJSON(t, opts); !bytes.Equal(got, want) {
		t.Fatal("results differ from the local run")
	}
}

// A worker whose connection closes in the middle of a job (it is killed)
// loses nothing: the job goes to another worker after the ack wait.
func TestWorkerKilledMidJob(t *testing.T) {
	opts := evalOptions(t, "queue_test_gate", 2)
	openGate()
	want := runJSON(t, opts)
	gateMu.Lock()
	gateOpen = make(chan struct{})
	gateMu.Unlock()
	defer openGate()
	drain(gateStart)

	q := queue.QueueOptions{AckWait: 500 * time.Millisecond}
	s := startServer(t, false)
	victim := startWorker(t, s, q, testVersion)
	n := executor(t, s, queue.NATSOptions{Queue: q})
	opts.Executor = n
	type out struct {
		b   []byte
		err error
	}
	got := make(chan out, 1)
	go func() {
		res, err := eval.Run(context.Background(), opts)
		if err != nil {
			got <- out{nil, err}
			return
		}
		b, err := json.Marshal(res)
		got <- out{b, err}
	}()
	select {
	case <-gateStart:
	case <-time.After(20 * time.Second):
		t.Fatal("no job started")
	}
	victim.nc.Close() // killed: no ack, no result
	startWorker(t, s, q, testVersion)
	startWorker(t, s, q, testVersion)
	openGate()
	r := <-got
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !bytes.Equal(r.b, want) {
		t.Fatal("results after a worker was killed differ from the local run")
	}
	if st := n.Stats(); st.Redelivered < 1 {
		t.Errorf("stats %+v: want a redelivery", st)
	}
}

// A job that kills every worker it is given is reported failed, with its
// episodes and seed, after MaxDeliver deliveries.
func TestCrashLoopReportedAfterMaxDeliver(t *testing.T) {
	opts := evalOptions(t, "queue_test_crash", 1)
	opts.Entries = opts.Entries[:1]
	opts.Missions = opts.Missions[:1]
	q := queue.QueueOptions{AckWait: 300 * time.Millisecond, MaxDeliver: 3}
	s := startServer(t, false)
	opts.Executor = executor(t, s, queue.NATSOptions{Queue: q})
	crashRelease = make(chan struct{})
	drain(crashHit)
	defer close(crashRelease)
	errc := make(chan error, 1)
	go func() { _, err := eval.Run(context.Background(), opts); errc <- err }()
	crashes := 0
	var err error
	for err == nil {
		w := startWorker(t, s, q, testVersion)
		select {
		case <-crashHit:
			crashes++
			w.nc.Close()
		case err = <-errc:
		case <-time.After(30 * time.Second):
			t.Fatalf("after %d crashes: no failure reported", crashes)
		}
	}
	if crashes != q.MaxDeliver {
		t.Errorf("%d deliveries, want %d", crashes, q.MaxDeliver)
	}
	var de *queue.DeliveryError
	if !errors.As(err, &de) || de.Deliveries != 3 {
		t.Fatalf("error %v (%T): want a DeliveryError after 3 deliveries", err, err)
	}
	for _, w := range []string{"queue_test_crash", "training_facility_1", "delivered 3 times", "seed"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

// A worker of another code version refuses the jobs, and the run fails
// at once saying so.
func TestVersionMismatch(t *testing.T) {
	opts := evalOptions(t, "random", 1)
	s := startServer(t, false)
	startWorker(t, s, queue.QueueOptions{}, "sha256:another-build")
	opts.Executor = executor(t, s, queue.NATSOptions{StartTimeout: 20 * time.Second})
	start := time.Now()
	_, err := eval.Run(context.Background(), opts)
	var ve *queue.VersionError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "another build of dafscript") {
		t.Fatalf("error %v: want a VersionError", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v to fail", d)
	}
}

// With no worker at all, the run fails after the start timeout.
func TestNoWorker(t *testing.T) {
	opts := evalOptions(t, "random", 1)
	s := startServer(t, false)
	opts.Executor = executor(t, s, queue.NATSOptions{StartTimeout: 300 * time.Millisecond})
	_, err := eval.Run(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "no worker took a job") {
		t.Fatalf("error %v: want no worker", err)
	}
}

// Runs at the same time on one executor (the trials of a sweep): a run
// whose job waits while the only worker is busy with another run's job
// is not a run without a worker, however long that job takes.
func TestBusyWorkerIsNotNoWorker(t *testing.T) {
	gateMu.Lock()
	gateOpen = make(chan struct{})
	gateMu.Unlock()
	defer openGate()
	drain(gateStart)
	s := startServer(t, false)
	startWorker(t, s, queue.QueueOptions{}, testVersion)
	n := executor(t, s, queue.NATSOptions{StartTimeout: 300 * time.Millisecond})
	held := evalOptions(t, "queue_test_gate", 1)
	held.Entries, held.Missions = held.Entries[:1], held.Missions[:1]
	held.Executor = n
	errs := make(chan error, 2)
	go func() { _, err := eval.Run(context.Background(), held); errs <- err }()
	select {
	case <-gateStart:
	case <-time.After(20 * time.Second):
		t.Fatal("no job started")
	}
	waiting := evalOptions(t, "random", 1)
	waiting.Entries, waiting.Missions = waiting.Entries[:1], waiting.Missions[:1]
	waiting.Executor = n
	go func() { _, err := eval.Run(context.Background(), waiting); errs <- err }()
	time.Sleep(time.Second) // more than three start timeouts
	openGate()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// Jobs shorter than the worker's StartEventAfter send no start event: a
// run waiting behind another run's short jobs must not take the silence
// for "no worker" while results keep coming.
func TestWaitingBehindShortJobsIsNotNoWorker(t *testing.T) {
	s := startServer(t, false)
	nc, err := s.Connect("test worker")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- queue.Work(ctx, nc, queue.WorkerOptions{Jobs: 1, CodeVersion: testVersion, StartEventAfter: time.Hour})
	}()
	t.Cleanup(func() { cancel(); <-done; nc.Close() })
	var events atomic.Int32
	n := executor(t, s, queue.NATSOptions{StartTimeout: 500 * time.Millisecond,
		OnEvent: func(queue.Event) { events.Add(1) }})
	// About 120 ms per job (60 steps of 2 ms), 8 jobs one after another.
	ahead := evalOptions(t, "queue_test_slow", 4)
	ahead.Entries, ahead.Batch, ahead.Executor = ahead.Entries[:1], 1, n
	behind := evalOptions(t, "random", 1)
	behind.Entries, behind.Missions, behind.Executor = behind.Entries[:1], behind.Missions[:1], n
	errs := make(chan error, 2)
	go func() { _, err := eval.Run(context.Background(), ahead); errs <- err }()
	time.Sleep(50 * time.Millisecond)
	go func() { _, err := eval.Run(context.Background(), behind); errs <- err }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if k := events.Load(); k != 0 {
		t.Errorf("%d start events from jobs shorter than StartEventAfter, want none", k)
	}
}

// A failing episode is reported as locally, with its seed, and not
// retried.
func TestEpisodeErrorAsLocal(t *testing.T) {
	opts := evalOptions(t, "random", 1)
	opts.Entries[0].Members[0].Spec = policy.Spec{Class: "random", Kwargs: map[string]any{"bogus": 1}}
	_, want := eval.Run(context.Background(), opts)
	if want == nil {
		t.Skip("random accepts keyword arguments")
	}
	s := startServer(t, false)
	startWorker(t, s, queue.QueueOptions{}, testVersion)
	opts.Executor = executor(t, s, queue.NATSOptions{})
	_, err := eval.Run(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("error %v, want one like %v", err, want)
	}
}

func TestConnectErrors(t *testing.T) {
	s := startServer(t, true)
	cases := []struct {
		name string
		o    queue.ConnOptions
		want string
	}{
		{"no url", queue.ConnOptions{}, "no URL"},
		{"bad scheme", queue.ConnOptions{URL: "http://localhost:4222"}, "not a NATS URL"},
		{"two auths", queue.ConnOptions{URL: s.ClientURL(), Token: "x", CredsFile: "y"}, "one of"},
		{"missing creds", queue.ConnOptions{URL: s.ClientURL(), CredsFile: "/nonexistent.creds"}, "--nats-creds"},
		{"unreachable", queue.ConnOptions{URL: "nats://127.0.0.1:1", Timeout: time.Second}, "cannot reach"},
		{"wrong token", queue.ConnOptions{URL: s.ClientURL(), Token: "wrong", Timeout: 2 * time.Second}, "refused the credentials"},
		{"no token", queue.ConnOptions{URL: s.ClientURL(), Timeout: 2 * time.Second}, "refused the credentials"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			nc, err := queue.Connect(c.o)
			if err == nil {
				nc.Close()
				t.Fatal("connected")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not say %q", err, c.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	nc, err := queue.Connect(queue.ConnOptions{URL: s.ClientURL(), Token: s.Token()})
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
}

// Three worker processes on loopback, one killed with SIGKILL while it
// holds a job: the results equal the local run's, byte for byte.
func TestWorkerProcessesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	opts := evalOptions(t, "queue_test_slow", 4)
	want := runJSON(t, opts)
	s := startServer(t, true)
	ack := time.Second
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	procs := map[string]*exec.Cmd{}
	var stderr [3]bytes.Buffer
	for k := range 3 {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s 1 %d", workerEnv, s.ClientURL(), s.Token(), ack.Milliseconds()))
		cmd.Stderr = &stderr[k]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[fmt.Sprint(cmd.Process.Pid)] = cmd
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	var killed atomic.Bool
	n := executor(t, s, queue.NATSOptions{Queue: queue.QueueOptions{AckWait: ack}, StartTimeout: 20 * time.Second,
		OnEvent: func(ev queue.Event) {
			if ev.Type != "start" || killed.Load() {
				return
			}
			_, pid, _ := strings.Cut(ev.Worker, ":")
			if cmd, ok := procs[pid]; ok {
				killed.Store(true)
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}})
	opts.Executor = n
	res, err := eval.Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("%v\nworkers said:\n%s\n%s\n%s", err, &stderr[0], &stderr[1], &stderr[2])
	}
	got, _ := json.Marshal(res)
	if !killed.Load() {
		t.Fatal("no worker was killed")
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("results with a worker killed differ from the local run")
	}
	if st := n.Stats(); st.Redelivered < 1 {
		t.Errorf("stats %+v: want the killed worker's job redelivered", st)
	}
}

// A worker that joins an embedded server (whose jobs stream is in
// memory) uses the stream as it is, and plays the runs' jobs.
func TestOutsideWorkerJoinsEmbeddedServer(t *testing.T) {
	opts := evalOptions(t, "random", 3)
	want := runJSON(t, opts)
	n, err := queue.Embedded(context.Background(), queue.EmbeddedOptions{
		Server: queue.ServerOptions{StoreDir: t.TempDir(), Listen: "127.0.0.1:0"}, Workers: 0, NATS: queue.NATSOptions{CodeVersion: testVersion}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	startWorker(t, n.Server(), queue.QueueOptions{}, testVersion)
	opts.Executor = n
	if got := runJSON(t, opts); !bytes.Equal(got, want) {
		t.Fatal("results through an outside worker differ from the local run")
	}
}
