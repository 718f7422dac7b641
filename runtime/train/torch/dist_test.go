//go:build cgo

package torch

import (
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// freePort returns a loopback port nobody listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func needGloo(t testing.TB) {
	t.Helper()
	if err := Load(); err != nil {
		t.Fatal(err)
	}
	if !GlooAvailable() {
		t.Fatal("the training backend was built without Gloo: install libgloo-dev and run make torch-lib")
	}
}

// joinAll starts one goroutine per (rank, world) pair and returns their
// groups and errors, by position.
func joinAll(port int, worlds []int, ranks []int, timeout time.Duration) ([]*Group, []error) {
	gs, errs := make([]*Group, len(ranks)), make([]error, len(ranks))
	var wg sync.WaitGroup
	for i := range ranks {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			gs[i], errs[i] = NewGroup("127.0.0.1", port, ranks[i], worlds[i], timeout)
		}(i)
	}
	wg.Wait()
	return gs, errs
}

func TestGroupCollectives(t *testing.T) {
	needGloo(t)
	gs, errs := joinAll(freePort(t), []int{2, 2}, []int{0, 1}, 20*time.Second)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, g := range gs {
			g.Close()
		}
	}()
	bufs := [][]float32{{1, 2, 3}, {10, 20, 30.5}}
	var wg sync.WaitGroup
	errs = make([]error, 2)
	for r := range gs {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			if errs[r] = gs[r].AllReduceSum(bufs[r]); errs[r] != nil {
				return
			}
			// Rank 1's values reach rank 0 too.
			b := []float32{float32(r + 5), float32(r + 7)}
			if errs[r] = gs[r].Broadcast(b, 1); errs[r] == nil && (b[0] != 6 || b[1] != 8) {
				t.Errorf("rank %d: broadcast from rank 1 gave %v, want [6 8]", r, b)
			}
		}(r)
	}
	wg.Wait()
	for r := range gs {
		if errs[r] != nil {
			t.Fatalf("rank %d: %v", r, errs[r])
		}
		if want := []float32{11, 22, 33.5}; bufs[r][0] != want[0] || bufs[r][1] != want[1] || bufs[r][2] != want[2] {
			t.Errorf("rank %d: sum %v, want %v", r, bufs[r], want)
		}
	}
}

// TestGroupSum: every rank of worlds of several sizes ends each of a
// series of sums with the same bits: for up to four ranks the sum in rank
// order (an all-gather, then a sum on every rank), beyond, Gloo's ring
// all-reduce.
func TestGroupSum(t *testing.T) {
	needGloo(t)
	for _, tc := range []struct {
		world     int
		rankOrder bool // the result is the sum in rank order, to the bit
	}{{2, true}, {3, true}, {4, true}, {5, false}} {
		t.Run("world="+strconv.Itoa(tc.world), func(t *testing.T) {
			ranks, worlds := make([]int, tc.world), make([]int, tc.world)
			for r := range ranks {
				ranks[r], worlds[r] = r, tc.world
			}
			gs, errs := joinAll(freePort(t), worlds, ranks, 20*time.Second)
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			defer func() {
				for _, g := range gs {
					g.Close()
				}
			}()
			// Values whose sum depends on the order of the additions.
			input := func(r, i, round int) float32 {
				return float32(r+1)*0.1 + float32(i)*1e-3 + float32(round)*1e4 + 1/float32(3+r*i)
			}
			const n, rounds = 1001, 3
			out := make([][][]float32, tc.world)
			var wg sync.WaitGroup
			for r := range gs {
				wg.Add(1)
				go func(r int) {
					defer wg.Done()
					for round := 0; round < rounds; round++ {
						buf := make([]float32, n)
						for i := range buf {
							buf[i] = input(r, i, round)
						}
						if errs[r] = gs[r].AllReduceSum(buf); errs[r] != nil {
							return
						}
						out[r] = append(out[r], buf)
					}
				}(r)
			}
			wg.Wait()
			for r := range gs {
				if errs[r] != nil {
					t.Fatalf("rank %d: %v", r, errs[r])
				}
			}
			for round := 0; round < rounds; round++ {
				for i := 0; i < n; i++ {
					var want float32
					for r := 0; r < tc.world; r++ {
						want += input(r, i, round)
					}
					for r := range gs {
						got := out[r][round][i]
						if got != out[0][round][i] {
							t.Fatalf("round %d, element %d: rank %d has %v, rank 0 %v", round, i, r, got, out[0][round][i])
						}
						if (tc.rankOrder && got != want) || math.Abs(float64(got-want)) > 1e-6*math.Abs(float64(want)) {
							t.Fatalf("round %d, element %d: rank %d has %v, want %v", round, i, r, got, want)
						}
					}
				}
			}
		})
	}
}

func TestGroupErrors(t *testing.T) {
	needGloo(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	for _, tc := range []struct {
		name          string
		port          int
		worlds, ranks []int
		timeout       time.Duration
		want          []string // per rank, a part of its error
	}{
		{"port in use", busyPort, []int{2}, []int{0}, 2 * time.Second,
			[]string{"rank 0 cannot serve the rendezvous on 127.0.0.1:" + strconv.Itoa(busyPort) + " (is the port in use by another run?"}},
		{"world sizes differ", 0, []int{2, 3}, []int{0, 1}, 20 * time.Second,
			[]string{"rank 1 was started with world size 3, the master (rank 0) with 2", "rank 1 was started with world size 3, the master (rank 0) with 2"}},
		{"a rank is missing", 0, []int{2}, []int{0}, 1 * time.Second,
			[]string{"only 1 of 2 ranks joined within 1 s"}},
		{"no master", 0, []int{2}, []int{1}, 1 * time.Second,
			[]string{"rank 1 could not reach the master at 127.0.0.1:"}},
		// The master names the duplicate; of the two rank 1s, the one that
		// loses the race may find the master gone first.
		{"one rank twice", 0, []int{3, 3, 3}, []int{0, 1, 1}, 20 * time.Second,
			[]string{"two processes were started as rank 1", "join the data-parallel group", "join the data-parallel group"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := tc.port
			if port == 0 {
				port = freePort(t)
			}
			began := time.Now()
			gs, errs := joinAll(port, tc.worlds, tc.ranks, tc.timeout)
			for i, err := range errs {
				if gs[i] != nil {
					gs[i].Close()
				}
				if err == nil || !strings.Contains(err.Error(), tc.want[i]) {
					t.Errorf("rank %d: error %v, want %q", tc.ranks[i], err, tc.want[i])
				}
			}
			// Mismatches are found at once, not after the timeout.
			if d := time.Since(began); d > tc.timeout+5*time.Second || (tc.timeout >= 20*time.Second && d > 10*time.Second) {
				t.Errorf("took %v", d)
			}
		})
	}
	if _, err := NewGroup("127.0.0.1", 1, 2, 2, time.Second); err == nil || !strings.Contains(err.Error(), "rank 2 is not in a world of 2") {
		t.Errorf("rank 2 of 2: %v", err)
	}
}

// BenchmarkGroupAllReduce times the exchanges of data-parallel training
// between two ranks on loopback (both in this process): the advantage
// statistics of a minibatch (24 bytes, as the 3 doubles of dt_update), and
// the gradients (and 5 loss statistics) of each network at hidden size
// 128. cpu-ms/op and switches/op are per rank: the process's CPU time and
// voluntary context switches (each a thread that slept for a message)
// over both ranks, halved.
func BenchmarkGroupAllReduce(b *testing.B) {
	needGloo(b)
	gs, errs := joinAll(freePort(b), []int{2, 2}, []int{0, 1}, 20*time.Second)
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	defer gs[0].Close()
	defer gs[1].Close()
	sizes := []struct {
		name string
		n    int
	}{{"stats", 6}}
	for _, class := range []string{"stateless", "lstm"} {
		cfg, _ := DefaultConfig(class, 128)
		sizes = append(sizes, struct {
			name string
			n    int
		}{class, cfg.NumParams() + 5})
	}
	for _, size := range sizes {
		b.Run(size.name, func(b *testing.B) {
			bufs := [][]float32{make([]float32, size.n), make([]float32, size.n)}
			b.SetBytes(int64(4 * size.n))
			b.ResetTimer()
			cpu0, sw0 := usage()
			var wg sync.WaitGroup
			for r := range gs {
				wg.Add(1)
				go func(r int) {
					defer wg.Done()
					for i := 0; i < b.N; i++ {
						if err := gs[r].AllReduceSum(bufs[r]); err != nil {
							b.Error(err)
							return
						}
					}
				}(r)
			}
			wg.Wait()
			cpu, sw := usage()
			if cpu > cpu0 {
				b.ReportMetric((cpu-cpu0).Seconds()*1e3/float64(2*b.N), "cpu-ms/op")
				b.ReportMetric(float64(sw-sw0)/float64(2*b.N), "switches/op")
			}
		})
	}
}
