//go:build cgo

package torch

import (
	"math"
	"testing"

	"github.com/dafscript/dafscript/sim"
)

// gridObs makes n observations of tokens the grid keeps and tokens it
// skips: mostly cells of the box with known features, some outside it or
// of unknown features, one repeated (cell, feature) per row whose later
// value must hold, and an unused tail of random length.
func gridObs(n int, seed uint64) []uint8 {
	r := sim.NewRNG(seed)
	obs := make([]uint8, n*sim.ObsSize)
	for i := range obs {
		obs[i] = 0xFF
	}
	for i := 0; i < n; i++ {
		row := obs[i*sim.ObsSize : (i+1)*sim.ObsSize]
		used := 2 + r.Intn(sim.ObsTokens-1)
		for k := 0; k < used; k++ {
			tok := row[3*k : 3*k+3]
			if r.Intn(10) == 0 {
				tok[0], tok[1], tok[2] = uint8(r.Intn(255)), uint8(r.Intn(256)), uint8(r.Intn(256))
				continue
			}
			tok[0] = uint8(r.Intn(sim.ObsWindow)<<4 | r.Intn(sim.ObsWindow))
			tok[1], tok[2] = uint8(r.Intn(sim.NumFeatures)), uint8(1+r.Intn(255))
		}
		copy(row[3*(used-1):3*used-1], row[0:2]) // the first token's cell and feature again
	}
	return obs
}

// TestGridMatchesDenseLayer: the grid encoding's first layer, which adds
// up the weights of the cells and features an observation's tokens name,
// acts and updates as a dense layer over the box that encodeGrid writes,
// for both classes: the same logits, values, recurrent state, and the
// same weights after an update.
func TestGridMatchesDenseLayer(t *testing.T) {
	for _, class := range []string{"stateless", "lstm"} {
		const H, B, T = 16, 3, 6
		n := B * T
		grid, err := DefaultConfig(class, H)
		if err != nil {
			t.Fatal(err)
		}
		grid.Threads = 1
		if err := grid.SetEncoding("grid"); err != nil {
			t.Fatal(err)
		}
		dense := grid
		dense.Encoding = "" // the same layer, reading the box's bytes
		models := map[string]*Model{}
		w := make([]float32, grid.NumParams())
		wr := sim.NewRNG(4)
		for i := range w {
			w[i] = float32(wr.Float64()-0.5) * 0.6
		}
		for name, cfg := range map[string]Config{"grid": grid, "dense": dense} {
			m, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { m.Close() })
			if err := m.SetParams(w); err != nil {
				t.Fatal(err)
			}
			models[name] = m
		}
		tokens := gridObs(n, 5)
		box := make([]uint8, n*GridSize)
		for i := 0; i < n; i++ {
			encodeGrid(box[i*GridSize:(i+1)*GridSize], tokens[i*sim.ObsSize:(i+1)*sim.ObsSize])
		}
		input := map[string][]uint8{"grid": tokens, "dense": box}

		type out struct{ logits, values, h, c []float32 }
		act := func(name string) out {
			o := out{make([]float32, n*grid.Actions), make([]float32, n), make([]float32, n*H), make([]float32, n*H)}
			for i := range o.h {
				o.h[i], o.c[i] = float32(i%7)*0.1-0.3, float32(i%5)*0.1-0.2
			}
			if err := models[name].Act(input[name], n, o.h, o.c, o.logits, o.values); err != nil {
				t.Fatal(err)
			}
			return o
		}
		g, d := act("grid"), act("dense")
		near := func(what string, a, b []float32, tol float64) {
			t.Helper()
			for i := range a {
				if math.Abs(float64(a[i]-b[i])) > tol {
					t.Fatalf("%s: %s[%d] = %v on the grid, %v dense", class, what, i, a[i], b[i])
				}
			}
		}
		near("logits", g.logits, d.logits, 1e-5)
		near("values", g.values, d.values, 1e-5)
		if class == "lstm" {
			near("h", g.h, d.h, 1e-5)
			near("c", g.c, d.c, 1e-5)
		}

		actions, adv, starts := make([]int32, n), make([]float32, n), make([]float32, n)
		for i := range actions {
			actions[i], adv[i] = int32(i%grid.Actions), float32(i%3)-1
		}
		starts[4] = 1
		for name, m := range models {
			b := &Batch{Obs: input[name], Actions: actions, LogProbs: make([]float32, n), Values: make([]float32, n),
				Advantages: adv, Returns: adv, Starts: starts, H0: make([]float32, B*H), C0: make([]float32, B*H), B: B, T: T,
				LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Clip: 0.2, VFClip: 0.2, VFCoef: 1, EntCoef: 0.01, MaxGradNorm: 1}
			if _, err := m.Update(b); err != nil {
				t.Fatal(err)
			}
		}
		pg, err := models["grid"].Params()
		if err != nil {
			t.Fatal(err)
		}
		pd, err := models["dense"].Params()
		if err != nil {
			t.Fatal(err)
		}
		near("weights after an update", pg, pd, 1e-5)
		changed := 0
		for i := range pg {
			if pg[i] != w[i] {
				changed++
			}
		}
		if changed == 0 {
			t.Fatalf("%s: the update changed no weight: the comparison cannot fail", class)
		}
		// Acting after the update must see the new weights.
		near("logits after an update", act("grid").logits, act("dense").logits, 1e-5)
	}
}
