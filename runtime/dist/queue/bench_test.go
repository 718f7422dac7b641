package queue_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dafscript/dafscript/runtime/dist"
	"github.com/dafscript/dafscript/runtime/dist/queue"
	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/sim/mission"
)

// BenchmarkThroughput plays 48 episodes (random, noop and baseline on
// two missions, 8 each, 1000 steps) per call of eval.Run, at 1 and 2
// workers:
//
//   - local: the local pool (opts.Jobs goroutines);
//   - nats: an embedded NATS server with in-process workers (jobs
//     grouped as eval.Run groups them for an executor);
//   - nats-batch1: the same with one episode per job;
//   - procs: an embedded server on a loopback port and worker processes
//     (this test binary as `dafscript worker --jobs 1`), as
//     `--nats embedded --nats-listen` with outside workers;
//   - procs-vs-local: procs and local calls in turn (pairs, below).
//
// Every variant plays one call first (not measured), so that the figures
// are those of a running executor. It reports episodes per second and
// cpu-ms/episode: the CPU time of this process and, for procs, of the
// worker processes, per episode, which shows the overhead even when the
// machine is loaded. procs also reports coord-cpu-ms/episode, the part
// of this process alone (the server, the submitter, the results): what
// the coordinator takes from the workers' cores.
func BenchmarkThroughput(b *testing.B) {
	var ms []*mission.Mission
	for _, n := range []string{"training_facility_1", "training_facility.harvest"} {
		m, _ := mission.Get(n)
		ms = append(ms, m)
	}
	var es []eval.Entry
	for _, s := range []string{"random", "noop", "baseline"} {
		e, _ := eval.ParseEntry(s)
		es = append(es, e)
	}
	// 8 episodes per policy and mission (jobs of 4 episodes), or
	// DAF_BENCH_EPISODES (32: jobs of eval.MinJobCost, 9 episodes, as a
	// comparison of 30 or more episodes per mission gives).
	perPair := 8
	if v := os.Getenv("DAF_BENCH_EPISODES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("DAF_BENCH_EPISODES=%q: want a whole number >= 1", v)
		}
		perPair = n
	}
	opts := eval.Options{Entries: es, Missions: ms, Episodes: perPair, Seed: 3, CodeVersion: testVersion}
	episodes := len(es) * len(ms) * opts.Episodes
	measure := func(b *testing.B, o eval.Options, others func() float64) {
		if _, err := eval.Run(context.Background(), o); err != nil {
			b.Fatal(err)
		}
		self, rest := cpuSeconds(), others()
		for b.Loop() {
			if _, err := eval.Run(context.Background(), o); err != nil {
				b.Fatal(err)
			}
		}
		self, rest = cpuSeconds()-self, others()-rest
		n := float64(episodes * b.N)
		b.ReportMetric(n/b.Elapsed().Seconds(), "episodes/s")
		b.ReportMetric(1000*(self+rest)/n, "cpu-ms/episode")
		if o.Executor != nil && rest > 0 {
			b.ReportMetric(1000*self/n, "coord-cpu-ms/episode")
		}
	}
	none := func() float64 { return 0 }
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("local/workers=%d", workers), func(b *testing.B) {
			o := opts
			o.Jobs = workers
			measure(b, o, none)
		})
		// Batch 0: through NATS, episodes are grouped into jobs of at
		// least eval.MinJobCost agent-steps (or half a pair's episodes);
		// nats-batch1 gives every episode a job of its own.
		for _, batch := range []int{0, 1} {
			name := "nats"
			if batch == 1 {
				name = "nats-batch1"
			}
			b.Run(fmt.Sprintf("%s/workers=%d", name, workers), func(b *testing.B) {
				n, err := queue.Embedded(context.Background(), queue.EmbeddedOptions{
					Server: queue.ServerOptions{StoreDir: b.TempDir()}, Workers: workers, NATS: queue.NATSOptions{CodeVersion: testVersion}})
				if err != nil {
					b.Fatal(err)
				}
				defer n.Close()
				o := opts
				o.Executor = n
				o.Batch = batch
				measure(b, o, none)
			})
		}
		b.Run(fmt.Sprintf("procs/workers=%d", workers), func(b *testing.B) {
			n, pids := workerProcs(b, workers)
			o := opts
			o.Executor = n
			measure(b, o, func() float64 { return procCPUSeconds(b, pids) })
		})
		// The machine's speed moves by up to 20% between minutes, more
		// than the overhead measured, so pairs compare a call through
		// worker processes with a local call right after it, at the same
		// number of workers, and report the median and the largest CPU
		// overhead per episode of the pairs, and the median of their
		// episodes/s ratio.
		b.Run(fmt.Sprintf("procs-vs-local/workers=%d", workers), func(b *testing.B) {
			n, pids := workerProcs(b, workers)
			remote, local := opts, opts
			remote.Executor = n
			local.Jobs = workers
			call := func(o eval.Options, cpu func() float64) (seconds, cpuSeconds float64) {
				c, start := cpu(), time.Now()
				if _, err := eval.Run(context.Background(), o); err != nil {
					b.Fatal(err)
				}
				return time.Since(start).Seconds(), cpu() - c
			}
			withWorkers := func() float64 { return cpuSeconds() + procCPUSeconds(b, pids) }
			call(remote, withWorkers)
			call(local, cpuSeconds)
			var overheads, speeds []float64
			for b.Loop() {
				rs, rc := call(remote, withWorkers)
				ls, lc := call(local, cpuSeconds)
				overheads = append(overheads, 100*(rc/lc-1))
				speeds = append(speeds, ls/rs)
			}
			sort.Float64s(overheads)
			sort.Float64s(speeds)
			b.ReportMetric(overheads[len(overheads)/2], "median-cpu-overhead-%")
			b.ReportMetric(overheads[len(overheads)-1], "max-cpu-overhead-%")
			b.ReportMetric(speeds[len(speeds)/2], "median-episodes/s-procs/local")
		})
	}
}

// workerProcs starts an embedded server on a loopback port and n worker
// processes on it, both stopped when b ends.
func workerProcs(b *testing.B, n int) (*queue.NATS, []int) {
	e, err := queue.Embedded(context.Background(), queue.EmbeddedOptions{
		Server: queue.ServerOptions{StoreDir: b.TempDir(), Listen: "127.0.0.1:0"}, NATS: queue.NATSOptions{CodeVersion: testVersion}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e, startWorkerProcs(b, e.Server(), n)
}

// startWorkerProcs starts n worker processes of one job each on s.
func startWorkerProcs(b *testing.B, s *queue.Server, n int) []int {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	var pids []int
	for range n {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s 1 %d", workerEnv, s.ClientURL(), s.Token(), queue.DefaultAckWait.Milliseconds()))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		pids = append(pids, cmd.Process.Pid)
	}
	return pids
}

// procCPUSeconds is the CPU time (user + system) the processes have used,
// from /proc/PID/stat (in USER_HZ = 100 ticks per second).
func procCPUSeconds(b *testing.B, pids []int) float64 {
	total := 0.0
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			b.Skipf("worker CPU time: %v (needs Linux's /proc)", err)
		}
		// Fields after the command name (which may hold spaces): state is
		// field 3, utime and stime fields 14 and 15.
		f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
		for _, s := range f[11:13] {
			t, err := strconv.ParseFloat(s, 64)
			if err != nil {
				b.Fatalf("/proc/%d/stat: %v", pid, err)
			}
			total += t / 100
		}
	}
	return total
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// overheadKind is a job that does nothing but return a result of the
// size of a batch of 8 short episodes (6 KiB), so that BenchmarkOverhead
// measures the queue alone.
const overheadKind = "queue_test.noop"

func init() {
	result := bytes.Repeat([]byte("x"), 6<<10)
	dist.Register(overheadKind, func(ctx context.Context, payload []byte) ([]byte, error) { return result, nil })
}

// BenchmarkOverhead runs calls of 1 and of 48 empty jobs through an
// embedded server with 1 worker, in this process (inproc) or in a worker
// process on a loopback port (procs), and reports the CPU per call and
// per job: the queue's own cost, without any play. For procs, cpu-ms is
// both processes' and coord-cpu-ms this one's (server and submitter).
func BenchmarkOverhead(b *testing.B) {
	for _, procs := range []bool{false, true} {
		for _, n := range []int{1, 48} {
			name := "inproc"
			if procs {
				name = "procs"
			}
			b.Run(fmt.Sprintf("%s/jobs=%d", name, n), func(b *testing.B) {
				o := queue.EmbeddedOptions{Server: queue.ServerOptions{StoreDir: b.TempDir()}, Workers: 1, NATS: queue.NATSOptions{CodeVersion: testVersion}}
				if procs {
					o.Server.Listen, o.Workers = "127.0.0.1:0", 0
				}
				ex, err := queue.Embedded(context.Background(), o)
				if err != nil {
					b.Fatal(err)
				}
				defer ex.Close()
				others := func() float64 { return 0 }
				if procs {
					pids := startWorkerProcs(b, ex.Server(), 1)
					others = func() float64 { return procCPUSeconds(b, pids) }
				}
				list := make([]dist.Job, n)
				for i := range list {
					list[i] = dist.Job{ID: fmt.Sprint("job", i), Kind: overheadKind, Payload: []byte(`{"n":1}`)}
				}
				call := func() {
					got := 0
					if err := ex.Run(context.Background(), list, func(int, []byte, error) { got++ }); err != nil {
						b.Fatal(err)
					}
					if got != n {
						b.Fatalf("%d results, want %d", got, n)
					}
				}
				call()
				self, rest := cpuSeconds(), others()
				for b.Loop() {
					call()
				}
				self, rest = cpuSeconds()-self, others()-rest
				b.ReportMetric(1000*(self+rest)/float64(b.N), "cpu-ms/call")
				b.ReportMetric(1000*(self+rest)/float64(b.N*n), "cpu-ms/job")
				if procs {
					b.ReportMetric(1000*self/float64(b.N*n), "coord-cpu-ms/job")
				}
			})
		}
	}
}
