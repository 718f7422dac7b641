//go:build cgo

package torch

import (
	"math"
	"testing"

	"github.com/dafscript/dafscript/sim"
)

func testModel(t testing.TB, class string, hidden int) *Model {
	t.Helper()
	cfg, err := DefaultConfig(class, hidden)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Threads = 1
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := m.SetParams(cfg.Init(1)); err != nil {
		t.Fatal(err)
	}
	return m
}

func randObs(n int, seed uint64) []uint8 {
	r := sim.NewRNG(seed)
	obs := make([]uint8, n*sim.ObsSize)
	for i := range obs {
		obs[i] = uint8(r.Intn(256))
	}
	return obs
}

func TestParamsRoundTrip(t *testing.T) {
	for _, class := range []string{"stateless", "lstm"} {
		m := testModel(t, class, 16)
		w := m.Config().Init(7)
		if err := m.SetParams(w); err != nil {
			t.Fatal(err)
		}
		got, err := m.Params()
		if err != nil {
			t.Fatal(err)
		}
		for i := range w {
			if got[i] != w[i] {
				t.Fatalf("%s: weight %d = %v, set %v", class, i, got[i], w[i])
			}
		}
		if err := m.SetParams(w[1:]); err == nil {
			t.Fatalf("%s: short weight vector accepted", class)
		}
	}
}

// TestLSTMStepMatchesSequence checks that acting step by step gives the
// same values as the training forward over a whole segment with an episode
// start in the middle.
func TestUpdateImprovesLikelihood(t *testing.T) {
	for _, class := range []string{"stateless", "lstm"} {
		m := testModel(t, class, 32)
		B, T := 4, 8
		n := B * T
		obs := randObs(n, 3)
		h := make([]float32, B*32)
		c := make([]float32, B*32)
		logits := make([]float32, n*sim.NumActions)
		values := make([]float32, n)
		if err := m.Act(obs, n, nil, nil, logits, values); class == "stateless" && err != nil {
			t.Fatal(err)
		}
		_ = h
		_ = c
		b := &Batch{Obs: obs, Actions: make([]int32, n), LogProbs: make([]float32, n), Values: make([]float32, n),
			Advantages: make([]float32, n), Returns: make([]float32, n), Starts: make([]float32, n),
			H0: make([]float32, B*32), C0: make([]float32, B*32), B: B, T: T,
			LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Clip: 0.2, VFClip: 10, VFCoef: 1, EntCoef: 0, MaxGradNorm: 100}
		for i := range b.Actions {
			b.Actions[i] = 7
			b.LogProbs[i] = float32(-math.Log(sim.NumActions))
			b.Advantages[i] = float32(i%2) + 1 // all positive after normalisation? no: mean removed
			b.Returns[i] = 1
		}
		var first, last Stats
		for k := 0; k < 20; k++ {
			st, err := m.Update(b)
			if err != nil {
				t.Fatal(err)
			}
			if k == 0 {
				first = st
			}
			last = st
		}
		if !(last.ValueLoss < first.ValueLoss) {
			t.Errorf("%s: value loss did not fall: %v -> %v", class, first.ValueLoss, last.ValueLoss)
		}
		t.Logf("%s: first %+v last %+v", class, first, last)
	}
}
