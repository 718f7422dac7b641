package train

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dafscript/dafscript/runtime/train/torch"
	"github.com/dafscript/dafscript/sim"
)

// TestMain registers the neural policies, as the binary's wiring does, and
// makes the test binary a data-parallel rank when launched as one.
func TestMain(m *testing.M) {
	Register()
	if len(os.Args) > 1 && os.Args[1] == WorkerCommand {
		if err := RunWorker(context.Background(), os.Args[2:], os.Stdin); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func needGloo(t testing.TB) {
	t.Helper()
	needTorch(t)
	if err := torch.Load(); err != nil {
		t.Fatal(err)
	}
	if !torch.GlooAvailable() {
		t.Fatal("the training backend was built without Gloo: install libgloo-dev and run make torch-lib")
	}
}

func paramsOf(t testing.TB, ckpt string) []float32 {
	t.Helper()
	ck, err := torch.ReadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	return ck.Params
}

func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// TestDataParallelMatchesOneProcess: two ranks, each playing half of the
// environments, end with the weights of one process playing them all, with
// one minibatch per epoch (the same global batch and gradient): within the
// rounding of sums split over two ranks. The ranks follow a curriculum
// too: in a sequence, both rebuild their environments on the next mission
// at the same update, and named vibes reach every rank.
func TestDataParallelMatchesOneProcess(t *testing.T) {
	needGloo(t)
	for _, tc := range []struct {
		name, class string
		updates     int64
		curriculum  string
		vibes       []string
	}{
		{"stateless", "stateless", 3, "", nil},
		{"lstm", "lstm", 3, "", nil},
		{"stateless-sequence", "stateless", 4, "sequence", nil},
		{"stateless-vibes", "stateless", 3, "", []string{"default", "heart_a"}},
	} {
		class := tc.class
		t.Run(tc.name, func(t *testing.T) {
			o := small(t, class, tc.updates, t.TempDir())
			o.Hyperparameters["minibatch_size"] = 128 // the whole batch
			o.Hyperparameters["update_epochs"] = 2
			if tc.curriculum != "" {
				o.Missions = missions(t, "assembler_2+cogs(4)", "training_facility_1+cogs(4)")
				o.Curriculum = tc.curriculum
			}
			o.Vibes = tc.vibes
			one, err := Train(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			o.Dir = t.TempDir()
			o.Parallel.Timeout = 30 * time.Second
			two, err := Launch(context.Background(), o, 2)
			if err != nil {
				t.Fatal(err)
			}
			if two.Updates != int(tc.updates) || two.TrainingSteps != one.TrainingSteps {
				t.Fatalf("two ranks: %d updates, %d steps; one: %d steps", two.Updates, two.TrainingSteps, one.TrainingSteps)
			}
			w1, w2 := paramsOf(t, one.FinalCheckpoint), paramsOf(t, two.FinalCheckpoint)
			cfg, err := torch.DefaultConfig(class, 16)
			if err != nil {
				t.Fatal(err)
			}
			if tc.vibes != nil {
				if err := cfg.SetVibes(tc.vibes); err != nil {
					t.Fatal(err)
				}
			}
			moved := maxAbsDiff(w1, cfg.Init(sim.DeriveSeed(o.Seed, "weights", 0)))
			d := maxAbsDiff(w1, w2)
			t.Logf("%s: max |w1 - w2| = %.3g; training moved the weights by up to %.3g", class, d, moved)
			if moved < 1e-3 {
				t.Fatalf("training moved the weights by %g only: the comparison would prove nothing", moved)
			}
			if d > 5e-5 {
				t.Errorf("two ranks and one process differ by up to %g in the weights", d)
			}
			for i := range one.Curve {
				a, b := one.Curve[i], two.Curve[i]
				if math.Abs(a.PolicyLoss-b.PolicyLoss) > 1e-4 || math.Abs(a.Entropy-b.Entropy) > 1e-4 {
					t.Errorf("update %d: policy loss %v / %v, entropy %v / %v", i+1, a.PolicyLoss, b.PolicyLoss, a.Entropy, b.Entropy)
				}
			}
		})
	}
}

// TestDataParallelRankDies: when a rank is killed mid-run, the other fails
// at its next gradient exchange with an error that says so, well within
// the timeout, instead of waiting for ever.
func TestDataParallelRankDies(t *testing.T) {
	needGloo(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	master := l.Addr().String()
	l.Close()

	dir := t.TempDir()
	o := small(t, "stateless", 100000, dir) // far longer than the test
	o.Parallel = Parallel{World: 2, Rank: 0, Master: master, Timeout: 20 * time.Second}
	spec, err := json.Marshal(workerSpec{Missions: []string{"training_facility_1"}, Policy: o.Policy, Steps: o.Steps,
		Seed: o.Seed, Hyperparameters: o.Hyperparameters, Device: o.Device, TimeoutMS: 20000})
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	rank1 := exec.Command(os.Args[0], WorkerArgs(1, 2, master)...)
	rank1.Stdin, rank1.Stderr = bytes.NewReader(spec), &stderr
	if err := rank1.Start(); err != nil {
		t.Fatal(err)
	}
	defer rank1.Process.Kill()

	done := make(chan error, 1)
	go func() {
		_, err := Train(context.Background(), o)
		done <- err
	}()
	// Kill rank 1 once rank 0 has finished an update.
	var killed time.Time
	for killed.IsZero() {
		select {
		case err := <-done:
			t.Fatalf("rank 0 ended before rank 1 was killed: %v; rank 1: %s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if fi, err := os.Stat(filepath.Join(dir, "metrics.jsonl")); err == nil && fi.Size() > 0 {
			if err := rank1.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = time.Now()
		}
	}
	select {
	case err := <-done:
		t.Logf("rank 0 failed %v after rank 1 was killed: %v", time.Since(killed).Round(time.Millisecond), err)
		if err == nil || !strings.Contains(err.Error(), "data-parallel training, rank 0 of 2") ||
			!strings.Contains(err.Error(), "did another rank stop?") {
			t.Errorf("error %v, want one that names rank 0 of 2 and asks whether another rank stopped", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("rank 0 still trains 15 s after rank 1 was killed")
	}
}

// TestLaunchReportsFailedRank: a rank that fails on its own is named in
// Launch's error with its message.
func TestLaunchReportsFailedRank(t *testing.T) {
	needGloo(t)
	o := small(t, "stateless", 2, t.TempDir())
	o.Resume = filepath.Join(t.TempDir(), "missing") // every rank fails to read it
	o.Parallel.Timeout = 10 * time.Second
	began := time.Now()
	_, err := Launch(context.Background(), o, 2)
	if err == nil || !strings.Contains(err.Error(), "rank 1 exited") || !strings.Contains(err.Error(), "missing") {
		t.Errorf("error %v, want rank 1's failure to read the checkpoint", err)
	}
	if d := time.Since(began); d > 8*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestParallelErrors(t *testing.T) {
	needTorch(t)
	for _, tc := range []struct {
		p    Parallel
		edit func(o *Options)
		want string
	}{
		{Parallel{World: 2}, nil, "a world of 2 ranks needs the master's address"},
		{Parallel{World: 2, Master: "localhost"}, nil, `master "localhost" is not host:port`},
		{Parallel{World: 2, Master: "localhost:http"}, nil, `port "http" is not a number from 1 to 65535`},
		{Parallel{World: 2, Master: "localhost:70000"}, nil, `port "70000" is not a number`},
		{Parallel{World: 2, Rank: 2, Master: "localhost:1"}, nil, "rank 2 is not in a world of 2 (ranks are 0 to 1)"},
		{Parallel{Rank: 1}, nil, "rank 1 needs a world size of at least 2"},
		{Parallel{Master: "127.0.0.1:29500"}, nil, `master "127.0.0.1:29500" given without a world size`},
		{Parallel{World: -1}, nil, "world size must be >= 1"},
		{Parallel{World: 3, Master: "127.0.0.1:1"}, nil, "num_envs 2 must be a multiple of the world size 3"},
		{Parallel{World: 2, Master: "127.0.0.1:1"}, func(o *Options) { o.Hyperparameters["minibatch_size"] = 16 },
			"minibatch_size 16 must be a multiple of world size x bptt_horizon = 2 x 16 = 32"},
		{Parallel{World: 2, Master: "127.0.0.1:1"}, func(o *Options) {
			o.Missions = missions(t, "training_facility_1", "training_facility.harvest")
		}, "with 2 ranks, rank 0 plays 4 agents and rank 1 plays 1"},
	} {
		o := small(t, "stateless", 1, "")
		o.Parallel = tc.p
		if tc.edit != nil {
			tc.edit(&o)
		}
		_, err := Train(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.p, err, tc.want)
		}
	}
	if _, err := Launch(context.Background(), small(t, "stateless", 1, ""), 0); err == nil || !strings.Contains(err.Error(), "workers must be >= 1") {
		t.Errorf("0 workers: %v", err)
	}
	for _, args := range [][]string{{"--rank", "1"}, {"--rank", "x", "--world", "2", "--master", "h:1"}, {"--world", "2", "--master", "h:1", "extra"}} {
		if err := RunWorker(context.Background(), args, strings.NewReader("{}")); err == nil || !strings.Contains(err.Error(), WorkerCommand) {
			t.Errorf("worker %q: %v", args, err)
		}
	}
	if err := RunWorker(context.Background(), WorkerArgs(1, 2, "127.0.0.1:1")[1:], strings.NewReader(`{"polcy": "lstm"}`)); err == nil ||
		!strings.Contains(err.Error(), `unknown field "polcy"`) {
		t.Errorf("worker with a bad spec: %v", err)
	}
}
