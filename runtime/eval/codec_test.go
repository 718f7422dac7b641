package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dafscript/dafscript/runtime/jobs"
	"github.com/dafscript/dafscript/sim/policy"
	"github.com/google/go-cmp/cmp"
)

// A job's result comes back as it went: the same values (to the bit),
// the same nil slices and maps, so the same JSON.
func TestResultCodecRoundTrip(t *testing.T) {
	played, err := Run(context.Background(), Options{
		Entries: entries(t, "baseline", "random+baseline"), Missions: missions(t, "training_facility_1"),
		Episodes: 2, Seed: 5, MaxSteps: 150})
	if err != nil {
		t.Fatal(err)
	}
	odd := Episode{
		Policy: "odd", Mission: "m", Episode: -3, Seed: math.MaxUint64, Steps: 0,
		Assignment: []string{}, Rewards: []float64{math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0.1, 1 << 53, -(1 << 53), 1e300, -7},
		Reward: math.NaN(), ResourcesGained: map[string]float64{}, AgentStats: []map[string]float64{nil, {"": 2.5}},
	}
	for _, c := range []struct {
		name string
		in   batchResult
	}{
		{"played", batchResult{Episodes: played.Results}},
		{"odd values, nil and empty", batchResult{Episodes: []Episode{odd, {}}}},
		{"no episodes", batchResult{}},
		{"failure", batchResult{Error: &failureJSON{Policy: "p", Mission: "m", Episode: 4, Seed: 9, Msg: "policy error: boom\nline 2"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := encodeResult(&c.in)
			if !bytes.Equal(b, encodeResult(&c.in)) {
				t.Error("two encodings of one result differ (map order?)")
			}
			got, err := decodeResult(b)
			if err != nil {
				t.Fatal(err)
			}
			// NaN != NaN: compare floats by their bits.
			bits := cmp.Comparer(func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
			if d := cmp.Diff(&c.in, got, bits); d != "" {
				t.Errorf("round trip (-sent +received):\n%s", d)
			}
			if c.in.Episodes == nil || c.name != "played" {
				return
			}
			want, _ := json.Marshal(c.in.Episodes)
			gotJSON, _ := json.Marshal(got.Episodes)
			if string(want) != string(gotJSON) {
				t.Error("the JSON of the episodes differs after the round trip")
			}
			if js := len(want); len(b)*4 > js {
				t.Errorf("encoded %d bytes against %d of JSON: want at most a quarter", len(b), js)
			}
		})
	}
}

// A damaged result is an error, never a panic or a huge allocation.
func TestResultCodecDamaged(t *testing.T) {
	played, err := Run(context.Background(), Options{
		Entries: entries(t, "random"), Missions: missions(t, "training_facility_1"), Episodes: 2, Seed: 5, MaxSteps: 50})
	if err != nil {
		t.Fatal(err)
	}
	b := encodeResult(&batchResult{Episodes: played.Results})
	for n := 0; n < len(b); n++ {
		if _, err := decodeResult(b[:n]); err == nil {
			t.Fatalf("%d of %d bytes decoded without error", n, len(b))
		}
	}
	if _, err := decodeResult(append(append([]byte{}, b...), 0)); err == nil || !strings.Contains(err.Error(), "left over") {
		t.Errorf("a trailing byte: got %v, want an error saying bytes are left over", err)
	}
	bad := append([]byte{}, b...)
	bad[0] = resultCodec + 1
	if _, err := decodeResult(bad); err == nil || !strings.Contains(err.Error(), "another build") {
		t.Errorf("another version: got %v", err)
	}
	// A count far larger than the bytes left is refused before any
	// allocation.
	huge := []byte{resultCodec, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
	if _, err := decodeResult(huge); err == nil {
		t.Error("an episode count of 2^63 decoded without error")
	}
	// Flipping any byte gives an error or some other result, never a
	// panic.
	for i := range b {
		c := append([]byte{}, b...)
		c[i] ^= 0xa5
		decodeResult(c)
	}
}

var builds atomic.Int64

func init() {
	policy.Register("test_counted", "random, counting its builds", func(s policy.Spec) (policy.Policy, error) {
		builds.Add(1)
		return policy.New(policy.Spec{Class: "random"})
	})
}

// A worker builds a policy once for the jobs that share it, and again
// for another one; the results are those of fresh policies.
func TestWorkerReusesPolicies(t *testing.T) {
	job := func(kwargs map[string]any, first int) []byte {
		b, err := json.Marshal(batchJob{Name: "c", Members: []jobs.Policy{{Class: "test_counted", Kwargs: kwargs, Proportion: 1}},
			Mission: "training_facility_1", Seed: 4, MaxSteps: 30, First: first, N: 2})
		if err != nil {
			t.Fatal(err)
		}
		out, err := runJob(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	workerPolicies.Lock()
	clear(workerPolicies.m)
	workerPolicies.Unlock()
	builds.Store(0)
	a := job(nil, 0)
	job(nil, 2)
	if again := job(nil, 0); !bytes.Equal(a, again) {
		t.Error("the same job gave other bytes with the policy reused")
	}
	if n := builds.Load(); n != 1 {
		t.Errorf("%d builds for 3 jobs of one policy, want 1", n)
	}
	job(map[string]any{"x": 1}, 0)
	if n := builds.Load(); n != 2 {
		t.Errorf("%d builds after a job with other keyword arguments, want 2", n)
	}
}

// BenchmarkDecodeResult decodes a job's result of 8 full baseline
// episodes on training_facility_1: what a coordinator does for every
// job a worker returns, and a cached run for every cached job.
func BenchmarkDecodeResult(b *testing.B) {
	played, err := Run(context.Background(), Options{
		Entries: entries(b, "baseline"), Missions: missions(b, "training_facility_1"), Episodes: 8, Seed: 5})
	if err != nil {
		b.Fatal(err)
	}
	enc := encodeResult(&batchResult{Episodes: played.Results})
	for b.Loop() {
		if _, err := decodeResult(enc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(played.Results)), "ns/episode")
	b.ReportMetric(float64(len(enc))/float64(len(played.Results)), "bytes/episode")
}
