//go:build cgo

package torch

import (
	"math"
	"strings"
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

// paddedObs is like randObs, with observations that end in unused tokens
// (bytes 255) after a random number of used ones, as the simulator's do.
func paddedObs(n int, seed uint64) []uint8 {
	obs := randObs(n, seed)
	r := sim.NewRNG(seed + 1)
	for i := 0; i < n; i++ {
		used := 3 * r.Intn(sim.ObsSize/3+1)
		for j := used; j < sim.ObsSize; j++ {
			obs[i*sim.ObsSize+j] = 255
		}
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

// TestTrainingForwardMatchesAct: the update's forward pass over whole
// segments (with episode starts inside them) gives the log-probabilities
// that acting step by step gave, so the approximate KL of an update with
// learning rate 0 is 0. Ignoring the starts must break that. Acting skips
// the observations' unused tokens and approximates the activations; the
// update does neither.
func TestTrainingForwardMatchesAct(t *testing.T) {
	for _, class := range []string{"stateless", "lstm"} {
		const H, B, T = 16, 3, 10
		m := testModel(t, class, H)
		// Larger weights than Init's near-uniform actor, so that a wrong
		// recurrent state shows in the log-probabilities.
		w := make([]float32, m.NumParams())
		wr := sim.NewRNG(4)
		for i := range w {
			w[i] = float32(wr.Float64()-0.5) * 0.6
		}
		if err := m.SetParams(w); err != nil {
			t.Fatal(err)
		}
		n := B * T
		obs := paddedObs(n, 5)
		starts := make([]float32, n)
		starts[0*T+4], starts[2*T+7] = 1, 1
		h0, c0 := make([]float32, B*H), make([]float32, B*H)
		rng := sim.NewRNG(9)
		for i := range h0 { // segments begin with some state
			h0[i], c0[i] = float32(rng.Float64()-0.5), float32(rng.Float64()-0.5)
		}
		h, c := append([]float32(nil), h0...), append([]float32(nil), c0...)
		actions, logp, values := make([]int32, n), make([]float32, n), make([]float32, n)
		stepObs := make([]uint8, B*sim.ObsSize)
		logits, vals := make([]float32, B*sim.NumActions), make([]float32, B)
		for s := 0; s < T; s++ {
			for b := 0; b < B; b++ {
				row := b*T + s
				copy(stepObs[b*sim.ObsSize:], obs[row*sim.ObsSize:(row+1)*sim.ObsSize])
				if starts[row] == 1 {
					clear(h[b*H : (b+1)*H])
					clear(c[b*H : (b+1)*H])
				}
			}
			if err := m.Act(stepObs, B, h, c, logits, vals); err != nil {
				t.Fatal(err)
			}
			for b := 0; b < B; b++ {
				a, lp := Sample(logits[b*sim.NumActions:(b+1)*sim.NumActions], rng)
				actions[b*T+s], logp[b*T+s], values[b*T+s] = int32(a), lp, vals[b]
			}
		}
		batch := func(st []float32) *Batch {
			adv := make([]float32, n)
			for i := range adv {
				adv[i] = float32(i%3) - 1
			}
			return &Batch{Obs: obs, Actions: actions, LogProbs: logp, Values: values, Advantages: adv,
				Returns: values, Starts: st, H0: h0, C0: c0, B: B, T: T,
				LR: 0, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Clip: 0.2, VFClip: 0.2, VFCoef: 1, EntCoef: 0.01, MaxGradNorm: 1}
		}
		st, err := m.Update(batch(starts))
		if err != nil {
			t.Fatal(err)
		}
		if st.ApproxKL > 1e-6 || st.ClipFraction != 0 || st.ValueLoss > 1e-9 {
			t.Errorf("%s: update forward differs from act: kl %g clip %g value loss %g", class, st.ApproxKL, st.ClipFraction, st.ValueLoss)
		}
		if class == "lstm" {
			st, err := m.Update(batch(make([]float32, n)))
			if err != nil {
				t.Fatal(err)
			}
			if st.ApproxKL < 1e-5 {
				t.Errorf("lstm: ignoring episode starts still matches (kl %g): the test cannot fail", st.ApproxKL)
			}
		}
	}
}

// TestUpdateLearns: repeated updates on one minibatch lower the value loss
// and raise the probability of actions with positive advantage.
func TestUpdateLearns(t *testing.T) {
	for _, class := range []string{"stateless", "lstm"} {
		const H, B, T = 32, 4, 8
		m := testModel(t, class, H)
		n := B * T
		b := &Batch{Obs: randObs(n, 3), Actions: make([]int32, n), LogProbs: make([]float32, n), Values: make([]float32, n),
			Advantages: make([]float32, n), Returns: make([]float32, n), Starts: make([]float32, n),
			H0: make([]float32, B*H), C0: make([]float32, B*H), B: B, T: T,
			LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Clip: 0.2, VFClip: 10, VFCoef: 1, EntCoef: 0, MaxGradNorm: 100}
		for i := range b.Actions {
			b.Actions[i] = int32(7 + i%2)
			b.LogProbs[i] = float32(-math.Log(sim.NumActions))
			b.Advantages[i] = float32(1 - 2*(i%2)) // action 7 good, 8 bad
			b.Returns[i] = 1
		}
		var first, last Stats
		for k := 0; k < 30; k++ {
			st, err := m.Update(b)
			if err != nil {
				t.Fatal(err)
			}
			if k == 0 {
				first = st
			}
			last = st
		}
		if !(last.ValueLoss < first.ValueLoss/2) || !(last.PolicyLoss < first.PolicyLoss) {
			t.Errorf("%s: no learning: first %+v last %+v", class, first, last)
		}
		logits, vals := make([]float32, sim.NumActions), make([]float32, 1)
		h, c := make([]float32, H), make([]float32, H)
		if err := m.Act(b.Obs[:sim.ObsSize], 1, h, c, logits, vals); err != nil {
			t.Fatal(err)
		}
		if !(logits[7] > logits[8]) {
			t.Errorf("%s: logit of the good action %v <= the bad one's %v", class, logits[7], logits[8])
		}
	}
}

// TestActSample: sampling inside libtorch agrees with Act's logits and
// values: the most likely action without uniforms, the action whose
// cumulative-probability interval holds u otherwise, log-probabilities of
// the softmax, the same recurrent state after the step.
func TestActSample(t *testing.T) {
	for _, class := range []string{"stateless", "lstm"} {
		const H, n = 16, 12
		m := testModel(t, class, H)
		w := make([]float32, m.NumParams())
		wr := sim.NewRNG(8)
		for i := range w {
			w[i] = float32(wr.Float64()-0.5) * 0.6
		}
		if err := m.SetParams(w); err != nil {
			t.Fatal(err)
		}
		obs := paddedObs(n, 6)
		h0, c0 := make([]float32, n*H), make([]float32, n*H)
		for i := range h0 {
			h0[i], c0[i] = float32(wr.Float64()-0.5), float32(wr.Float64()-0.5)
		}
		h, c := append([]float32(nil), h0...), append([]float32(nil), c0...)
		logits, values := make([]float32, n*sim.NumActions), make([]float32, n)
		if err := m.Act(obs, n, h, c, logits, values); err != nil {
			t.Fatal(err)
		}
		// Per row: probabilities (float64) and an action to aim u at.
		u := make([]float64, n)
		want := make([]int, n)
		logp := make([][]float64, n)
		for i := 0; i < n; i++ {
			l := logits[i*sim.NumActions : (i+1)*sim.NumActions]
			mx := math.Inf(-1)
			for _, v := range l {
				mx = math.Max(mx, float64(v))
			}
			var z float64
			for _, v := range l {
				z += math.Exp(float64(v) - mx)
			}
			logp[i] = make([]float64, len(l))
			for j, v := range l {
				logp[i][j] = float64(v) - mx - math.Log(z)
			}
			// The middle of a likely action's interval.
			want[i] = (i * 37) % sim.NumActions
			for math.Exp(logp[i][want[i]]) < 1e-3 {
				want[i] = (want[i] + 1) % sim.NumActions
			}
			var cum float64
			for j := 0; j < want[i]; j++ {
				cum += math.Exp(logp[i][j])
			}
			u[i] = cum + math.Exp(logp[i][want[i]])/2
		}
		check := func(name string, u []float64, want []int) {
			hs, cs := append([]float32(nil), h0...), append([]float32(nil), c0...)
			acts, lp, vals := make([]int32, n), make([]float32, n), make([]float32, n)
			if err := m.ActSample(obs, n, hs, cs, u, acts, lp, vals); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				if int(acts[i]) != want[i] {
					t.Errorf("%s %s: row %d took action %d, want %d", class, name, i, acts[i], want[i])
					continue
				}
				if d := math.Abs(float64(lp[i]) - logp[i][want[i]]); d > 1e-5 {
					t.Errorf("%s %s: row %d log-probability %v, want %v", class, name, i, lp[i], logp[i][want[i]])
				}
				if d := math.Abs(float64(vals[i] - values[i])); d > 1e-5 {
					t.Errorf("%s %s: row %d value %v, Act gave %v", class, name, i, vals[i], values[i])
				}
			}
			for i := range hs {
				if hs[i] != h[i] || cs[i] != c[i] {
					t.Fatalf("%s %s: recurrent state differs from Act's at %d", class, name, i)
				}
			}
		}
		check("sampled", u, want)
		greedy := make([]int, n)
		for i := range greedy {
			for j, v := range logp[i] {
				if v > logp[i][greedy[i]] {
					greedy[i] = j
				}
			}
		}
		check("greedy", nil, greedy)
	}
}

// TestActThreads: acting on several threads splits the rows, and each
// chunk gives what acting on one thread gives, up to rounding (the
// products' blocking depends on the row count); the same call twice gives
// the same bits.
func TestActThreads(t *testing.T) {
	for _, tc := range []struct {
		class string
		n     int
	}{{"stateless", 64}, {"lstm", 64}, {"stateless", 300}, {"lstm", 300}} {
		class, n := tc.class, tc.n
		const H = 32
		one := testModel(t, class, H)
		cfg := one.Config()
		cfg.Threads = 2
		two, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { two.Close() })
		if err := two.SetParams(cfg.Init(1)); err != nil {
			t.Fatal(err)
		}
		obs := paddedObs(n, 9)
		u := make([]float64, n)
		r := sim.NewRNG(10)
		for i := range u {
			u[i] = r.Float64()
		}
		run := func(m *Model) (acts []int32, lp, vals, h []float32) {
			h, c := make([]float32, n*H), make([]float32, n*H)
			for i := range h {
				h[i], c[i] = float32(i%7)/10-0.3, float32(i%5)/10-0.2
			}
			acts, lp, vals = make([]int32, n), make([]float32, n), make([]float32, n)
			if err := m.ActSample(obs, n, h, c, u, acts, lp, vals); err != nil {
				t.Fatal(err)
			}
			return acts, lp, vals, h
		}
		a1, lp1, v1, h1 := run(one)
		a2, lp2, v2, h2 := run(two)
		a3, lp3, v3, h3 := run(two)
		for i := 0; i < n; i++ {
			if a1[i] != a2[i] || math.Abs(float64(lp1[i]-lp2[i])) > 1e-5 || math.Abs(float64(v1[i]-v2[i])) > 1e-5 {
				t.Errorf("%s: row %d: one thread %d %v %v, two %d %v %v", class, i, a1[i], lp1[i], v1[i], a2[i], lp2[i], v2[i])
			}
			if a2[i] != a3[i] || lp2[i] != lp3[i] || v2[i] != v3[i] {
				t.Errorf("%s: row %d: two calls differ", class, i)
			}
		}
		for i := range h1 {
			if math.Abs(float64(h1[i]-h2[i])) > 1e-5 || h2[i] != h3[i] {
				t.Fatalf("%s: recurrent state %d: %v %v %v", class, i, h1[i], h2[i], h3[i])
			}
		}
	}
}

func TestBadBatch(t *testing.T) {
	m := testModel(t, "stateless", 8)
	b := &Batch{Obs: make([]uint8, sim.ObsSize), Actions: []int32{157}, LogProbs: []float32{0}, Values: []float32{0},
		Advantages: []float32{0}, Returns: []float32{0}, B: 1, T: 1}
	if _, err := m.Update(b); err == nil || !strings.Contains(err.Error(), "action 157 outside [0,157)") {
		t.Errorf("error %v", err)
	}
	if _, err := New(Config{Obs: 600, Hidden: 8, Actions: 157, Device: "tpu"}); err == nil || !strings.Contains(err.Error(), "unknown device") {
		t.Errorf("error %v", err)
	}
	m.Close()
	if err := m.Act(make([]uint8, sim.ObsSize), 1, nil, nil, make([]float32, 157), make([]float32, 1)); err == nil {
		t.Error("act on a closed network succeeded")
	}
}

// TestUpdateGivenAdvantageSums: an update told the advantages' count, sum
// and sum of squares (as data-parallel training exchanges them for a
// whole update at once) normalises with them: this minibatch's own sums
// give the step of an update that takes them itself, other sums another.
func TestUpdateGivenAdvantageSums(t *testing.T) {
	const H, B, T = 32, 4, 8
	n := B * T
	batch := func() *Batch {
		b := &Batch{Obs: randObs(n, 5), Actions: make([]int32, n), LogProbs: make([]float32, n), Values: make([]float32, n),
			Advantages: make([]float32, n), Returns: make([]float32, n), B: B, T: T,
			LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Clip: 0.2, VFClip: 10, VFCoef: 1, EntCoef: 0, MaxGradNorm: 100}
		for i := range b.Actions {
			b.Actions[i] = int32(i % 9)
			b.LogProbs[i] = float32(-math.Log(sim.NumActions))
			b.Advantages[i] = float32(i%5) - 1.5
		}
		return b
	}
	own := func(b *Batch) []float64 {
		s := []float64{float64(n), 0, 0}
		for _, a := range b.Advantages {
			s[1] += float64(a)
			s[2] += float64(a) * float64(a)
		}
		return s
	}
	step := func(sums func(*Batch) []float64) []float32 {
		m := testModel(t, "stateless", H)
		b := batch()
		if sums != nil {
			b.AdvantageSums = sums(b)
		}
		if _, err := m.Update(b); err != nil {
			t.Fatal(err)
		}
		p, err := m.Params()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	itself, given := step(nil), step(own)
	shifted := step(func(b *Batch) []float64 { s := own(b); s[1] += 3 * float64(n); return s })
	diff := func(a, b []float32) float64 {
		d := 0.0
		for i := range a {
			d = math.Max(d, math.Abs(float64(a[i]-b[i])))
		}
		return d
	}
	if d := diff(itself, given); d > 1e-6 {
		t.Errorf("the minibatch's own sums, given, changed the step by up to %g", d)
	}
	if d := diff(itself, shifted); d < 1e-4 {
		t.Errorf("sums of a different mean changed the step by %g only: they were not used", d)
	}
	// Sums to exchange need a group to exchange them with.
	m := testModel(t, "stateless", H)
	b := batch()
	b.AdvantageSums, b.ExchangeSums = own(b), true
	if _, err := m.Update(b); err == nil || !strings.Contains(err.Error(), "trains alone") {
		t.Errorf("sums to exchange without a group: %v", err)
	}
	b.AdvantageSums = own(b)[:2]
	if _, err := m.Update(b); err == nil || !strings.Contains(err.Error(), "2 advantage sums, want 3 or more") {
		t.Errorf("two advantage sums: %v", err)
	}
}
