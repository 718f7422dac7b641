package serve

import (
	"context"
	"net/http"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/dafscript/dafscript/runtime/pkg"
	"github.com/dafscript/dafscript/runtime/train/torch"
	"github.com/dafscript/dafscript/sim/policy"
)

// benchPackages are the policies the benchmarks serve: the scripted
// baseline, and the stateless network at its default size (hidden 128,
// seeded weights, greedy, one libtorch thread) when libtorch loads.
func benchPackages(b *testing.B) map[string]string {
	out := map[string]string{"baseline": writePkg(b, policy.Spec{Class: "baseline"}, "1")}
	if torch.Load() == nil {
		cfg, _ := torch.DefaultConfig("stateless", torch.DefaultHidden)
		dir := filepath.Join(b.TempDir(), "ckpt")
		if err := torch.WriteCheckpoint(dir, &torch.Checkpoint{Config: cfg, Params: cfg.Init(1)}); err != nil {
			b.Fatal(err)
		}
		out["stateless"] = writePkg(b, policy.Spec{Class: "stateless", Data: dir, Kwargs: map[string]any{"greedy": true, "threads": int64(1)}}, "1")
	}
	return out
}

const benchBatch = 4

// BenchmarkInProcess is the reference: the packaged policy acting on a
// batch of 4 training_facility_1 observations in process, through one
// controller whose slots are reset before each batch.
func BenchmarkInProcess(b *testing.B) {
	obs := observations(b, benchBatch)
	pkgs := benchPackages(b)
	for _, name := range []string{"baseline", "stateless"} {
		path, ok := pkgs[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			p, err := pkg.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			pol, err := p.Policy(nil)
			if err != nil {
				b.Fatal(err)
			}
			acts := make([]int32, benchBatch)
			c, err := pol.NewController(benchBatch)
			if err != nil {
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuSeconds()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				// What the server does per request without a session.
				for s := 0; s < benchBatch; s++ {
					c.Reset(s, uint64(s))
				}
				if err := c.Act(obs, acts); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			report(b, lat, time.Since(start), cpuSeconds()-cpu0)
		})
	}
}

// BenchmarkServed sends the same batch to a server on a loopback listener,
// one request at a time, through the client (binary form, and JSON with
// base64 observations), as a request without a session does.
func BenchmarkServed(b *testing.B) {
	obs := observations(b, benchBatch)
	pkgs := benchPackages(b)
	for _, name := range []string{"baseline", "stateless"} {
		path, ok := pkgs[name]
		if !ok {
			continue
		}
		for _, mode := range []string{"binary", "json"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				s, err := New(Options{Package: path, Addr: "127.0.0.1:0"})
				if err != nil {
					b.Fatal(err)
				}
				ln, err := Listen("127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- s.Serve(ctx, ln) }()
				defer func() { cancel(); <-done }()
				cl, _ := NewClient("http://"+ln.Addr().String(), "")
				cl.JSON = mode == "json"
				req := &ActRequest{N: benchBatch, Obs: obs}
				if _, err := cl.Act(ctx, req); err != nil { // warm the connection
					b.Fatal(err)
				}
				lat := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				start, cpu0 := time.Now(), cpuSeconds()
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					if _, err := cl.Act(ctx, req); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				report(b, lat, time.Since(start), cpuSeconds()-cpu0)
				cl.HTTP.Transport.(*http.Transport).CloseIdleConnections()
			})
		}
	}
}

// report writes the latency quantiles, the request rate and the CPU time
// per request of the whole process (client and server together), which
// stays meaningful when other work shares the cores.
func report(b *testing.B, lat []time.Duration, total time.Duration, cpu float64) {
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(float64(len(lat))/total.Seconds(), "req/s")
	if cpu > 0 {
		b.ReportMetric(cpu*1e6/float64(len(lat)), "cpu-µs/req")
	}
}

// BenchmarkServedParallel measures throughput with 4 clients per core
// sending batches concurrently (binary form, no session).
func BenchmarkServedParallel(b *testing.B) {
	obs := observations(b, benchBatch)
	pkgs := benchPackages(b)
	for _, name := range []string{"baseline", "stateless"} {
		path, ok := pkgs[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			s, err := New(Options{Package: path, Addr: "127.0.0.1:0"})
			if err != nil {
				b.Fatal(err)
			}
			ln, err := Listen("127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Serve(ctx, ln) }()
			defer func() { cancel(); <-done }()
			cl, _ := NewClient("http://"+ln.Addr().String(), "")
			b.SetParallelism(4)
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuSeconds()
			b.RunParallel(func(pb *testing.PB) {
				req := &ActRequest{N: benchBatch, Obs: obs}
				for pb.Next() {
					if _, err := cl.Act(ctx, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			if cpu := cpuSeconds() - cpu0; cpu > 0 {
				b.ReportMetric(cpu*1e6/float64(b.N), "cpu-µs/req")
			}
		})
	}
}
