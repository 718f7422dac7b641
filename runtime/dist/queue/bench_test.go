package queue_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/dafscript/dafscript/runtime/dist"
	"syscall"
	"testing"

	"github.com/dafscript/dafscript/runtime/dist/queue"
	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/sim/mission"
)

// BenchmarkThroughput plays 48 episodes (random, noop and baseline on
// two missions, 8 each, 1000 steps) on the local pool and
// through an embedded NATS server with in-process workers, at 1 and 2
// workers, and reports episodes per second and the process's CPU
// milliseconds per episode (server, queue and workers included), which
// shows the overhead even when the machine is loaded.
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
	// Batch 0: through NATS, episodes are grouped into jobs of at least
	// eval.MinJobCost agent-steps; nats-batch1 gives every episode a job
	// of its own, as before the grouping.
	opts := eval.Options{Entries: es, Missions: ms, Episodes: 8, Seed: 3, CodeVersion: testVersion}
	episodes := len(es) * len(ms) * opts.Episodes
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("local/workers=%d", workers), func(b *testing.B) {
			o := opts
			o.Jobs = workers
			cpu := cpuSeconds()
			for b.Loop() {
				if _, err := eval.Run(context.Background(), o); err != nil {
					b.Fatal(err)
				}
			}
			report(b, episodes, cpu)
		})
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
				cpu := cpuSeconds()
				for b.Loop() {
					if _, err := eval.Run(context.Background(), o); err != nil {
						b.Fatal(err)
					}
				}
				report(b, episodes, cpu)
			})
		}
	}
}

func report(b *testing.B, episodes int, cpu0 float64) {
	b.ReportMetric(float64(episodes*b.N)/b.Elapsed().Seconds(), "episodes/s")
	b.ReportMetric(1000*(cpuSeconds()-cpu0)/float64(episodes*b.N), "cpu-ms/episode")
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// overheadKind is a job that does nothing but return a result of the
// size of a batch of 8 episodes' JSON, so that BenchmarkOverhead measures
// the queue alone.
const overheadKind = "queue_test.noop"

func init() {
	result := bytes.Repeat([]byte("x"), 32<<10)
	dist.Register(overheadKind, func(ctx context.Context, payload []byte) ([]byte, error) { return result, nil })
}

// BenchmarkOverhead runs calls of 1 and of 48 empty jobs through an
// embedded server with 1 in-process worker and reports the process's CPU
// per call and per job: the queue's own cost, without any play.
func BenchmarkOverhead(b *testing.B) {
	for _, n := range []int{1, 48} {
		b.Run(fmt.Sprintf("jobs=%d", n), func(b *testing.B) {
			ex, err := queue.Embedded(context.Background(), queue.EmbeddedOptions{
				Server: queue.ServerOptions{StoreDir: b.TempDir()}, Workers: 1, NATS: queue.NATSOptions{CodeVersion: testVersion}})
			if err != nil {
				b.Fatal(err)
			}
			defer ex.Close()
			list := make([]dist.Job, n)
			for i := range list {
				list[i] = dist.Job{ID: fmt.Sprint("job", i), Kind: overheadKind, Payload: []byte(`{"n":1}`)}
			}
			cpu := cpuSeconds()
			for b.Loop() {
				got := 0
				if err := ex.Run(context.Background(), list, func(int, []byte, error) { got++ }); err != nil {
					b.Fatal(err)
				}
				if got != n {
					b.Fatalf("%d results, want %d", got, n)
				}
			}
			used := cpuSeconds() - cpu
			b.ReportMetric(1000*used/float64(b.N), "cpu-ms/call")
			b.ReportMetric(1000*used/float64(b.N*n), "cpu-ms/job")
		})
	}
}
