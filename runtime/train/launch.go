package train

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dafscript/dafscript/sim/mission"
)

// WorkerCommand is the hidden first argument with which Launch re-executes
// the current binary for each rank but 0. A binary that calls Launch must
// hand its argv after this word, and its standard input, to RunWorker:
//
//	dafscript __train-rank --rank 1 --world 2 --master 127.0.0.1:40123 < spec.json
const WorkerCommand = "__train-rank"

// workerSpec is what a rank needs of Options besides its place, sent as
// JSON on the worker's standard input.
type workerSpec struct {
	Missions        []string           `json:"missions"`
	Curriculum      string             `json:"curriculum"`
	Policy          string             `json:"policy"`
	Steps           int64              `json:"steps"`
	Seed            uint64             `json:"seed"`
	Hyperparameters map[string]float64 `json:"hyperparameters"`
	Vibes           []string           `json:"vibes,omitempty"`
	Device          string             `json:"device"`
	CheckpointEvery int64              `json:"checkpoint_every"`
	Resume          string             `json:"resume"`
	InitFrom        string             `json:"init_from,omitempty"`
	TimeoutMS       int64              `json:"timeout_ms"`
}

// WorkerArgs is the argv (after the executable) of rank r of a Launch of
// world ranks meeting at master.
func WorkerArgs(rank, world int, master string) []string {
	return []string{WorkerCommand, "--rank", strconv.Itoa(rank), "--world", strconv.Itoa(world), "--master", master}
}

// Launch trains o with n ranks on this machine: this process is rank 0,
// and n-1 processes of the current executable (re-executed with
// WorkerArgs, the options as JSON on their standard input) are ranks 1 to
// n-1. o.Parallel.Master is where rank 0 serves the rendezvous (default: a
// free loopback port) and o.Parallel.Timeout bounds every wait; World and
// Rank are set here. It returns rank 0's result, or the first error: a
// rank that exits early makes the others fail at their next gradient
// exchange, and Launch then stops the ranks left and reports which rank
// failed and its last words.
func Launch(ctx context.Context, o Options, n int) (*Result, error) {
	if n < 1 {
		return nil, fmt.Errorf("workers must be >= 1, got %d", n)
	}
	o.Workers = 0 // each process trains as one rank
	if n == 1 {
		o.Parallel = Parallel{}
		return Train(ctx, o)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("data-parallel training: cannot find this program to start its ranks: %w", err)
	}
	if o.Parallel.Master == "" {
		port, err := freeLoopbackPort()
		if err != nil {
			return nil, fmt.Errorf("data-parallel training: no free loopback port for the rendezvous: %w", err)
		}
		o.Parallel.Master = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	o.Parallel.World, o.Parallel.Rank = n, 0
	if err := o.Check(); err != nil {
		return nil, err
	}
	spec := workerSpec{Curriculum: o.Curriculum, Policy: o.Policy, Steps: o.Steps, Seed: o.Seed, Hyperparameters: o.Hyperparameters, Vibes: o.Vibes,
		Device: o.Device, CheckpointEvery: o.CheckpointEvery, Resume: o.Resume, InitFrom: o.InitFrom, TimeoutMS: o.Parallel.Timeout.Milliseconds()}
	for _, m := range o.Missions {
		spec.Missions = append(spec.Missions, m.Name)
	}
	in, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ranks := make([]*rankProc, n)
	var wg sync.WaitGroup
	for r := 1; r < n; r++ {
		p := &rankProc{rank: r, done: make(chan struct{})}
		p.cmd = exec.CommandContext(cctx, exe, WorkerArgs(r, n, o.Parallel.Master)...)
		p.cmd.Stdin = bytes.NewReader(in)
		p.cmd.Stdout = io.Discard
		p.cmd.Stderr = &p.stderr
		p.cmd.WaitDelay = 5 * time.Second
		if err := p.cmd.Start(); err != nil {
			cancel()
			wg.Wait()
			return nil, fmt.Errorf("data-parallel training: cannot start rank %d (%s): %w", r, exe, err)
		}
		ranks[r] = p
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.err = p.cmd.Wait()
			p.ended = time.Now()
			close(p.done)
		}()
	}
	res, err := Train(cctx, o)
	if err != nil {
		// The others fail at their next exchange with this rank; do not
		// wait for them longer than the exchange timeout would.
		select {
		case <-allDone(ranks):
		case <-time.After(2 * time.Second):
		}
		cancel()
	}
	wg.Wait()
	// A rank that failed on its own explains more than those that
	// failed because it did: report the first to exit with an error.
	first := firstFailure(ranks)
	switch {
	case first != nil && err != nil:
		return nil, fmt.Errorf("%w\n%s", err, first.describe())
	case first != nil:
		return nil, fmt.Errorf("data-parallel training: %s", first.describe())
	}
	return res, err
}

// rankProc is one rank started by Launch.
type rankProc struct {
	rank   int
	cmd    *exec.Cmd
	stderr tailBuffer
	err    error
	done   chan struct{}
	ended  time.Time
}

func (p *rankProc) describe() string {
	tail := strings.TrimSpace(p.stderr.String())
	if tail == "" {
		return fmt.Sprintf("rank %d exited: %v", p.rank, p.err)
	}
	return fmt.Sprintf("rank %d exited (%v): %s", p.rank, p.err, tail)
}

func allDone(ranks []*rankProc) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		for _, p := range ranks {
			if p != nil {
				<-p.done
			}
		}
		close(ch)
	}()
	return ch
}

// firstFailure is the rank whose process ended first with an error, or
// nil. Ranks that Launch stops end after the failure that made it stop
// them.
func firstFailure(ranks []*rankProc) *rankProc {
	var first *rankProc
	for _, p := range ranks {
		if p != nil && p.err != nil && (first == nil || p.ended.Before(first.ended)) {
			first = p
		}
	}
	return first
}

// tailBuffer keeps the last 4 KB written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > 4096 {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-4096:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// RunWorker is the hidden entry of a rank that Launch started: args are
// its argv after WorkerCommand (--rank, --world, --master), stdin holds the
// options as JSON. It trains as that rank and writes nothing: rank 0
// writes the checkpoints and metrics.
func RunWorker(ctx context.Context, args []string, stdin io.Reader) error {
	fs := flag.NewFlagSet(WorkerCommand, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var p Parallel
	fs.IntVar(&p.Rank, "rank", -1, "")
	fs.IntVar(&p.World, "world", 0, "")
	fs.StringVar(&p.Master, "master", "", "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w (want --rank R --world N --master HOST:PORT)", WorkerCommand, err)
	}
	if fs.NArg() != 0 || p.World < 2 || p.Rank < 1 {
		return fmt.Errorf("%s: want --rank R --world N --master HOST:PORT with 1 <= R < N, got %q", WorkerCommand, args)
	}
	var spec workerSpec
	dec := json.NewDecoder(stdin)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		return fmt.Errorf("%s: reading the training options from standard input: %w", WorkerCommand, err)
	}
	p.Timeout = time.Duration(spec.TimeoutMS) * time.Millisecond
	o := Options{Curriculum: spec.Curriculum, Policy: spec.Policy, Steps: spec.Steps, Seed: spec.Seed, Hyperparameters: spec.Hyperparameters, Vibes: spec.Vibes,
		Device: spec.Device, CheckpointEvery: spec.CheckpointEvery, Resume: spec.Resume, InitFrom: spec.InitFrom, Parallel: p}
	for _, name := range spec.Missions {
		m, err := mission.Get(name)
		if err != nil {
			return fmt.Errorf("%s: %w", WorkerCommand, err)
		}
		o.Missions = append(o.Missions, m)
	}
	if o.Hyperparameters == nil {
		o.Hyperparameters = map[string]float64{}
	}
	_, err := Train(ctx, o)
	return err
}
