package torch

import (
	"math"

	"github.com/dafscript/dafscript/sim"
	"gonum.org/v1/gonum/mat"
)

// orthogonal returns a rows x cols matrix (row-major) with orthonormal rows
// or columns times gain, as torch.nn.init.orthogonal_ makes them, from a
// Gaussian matrix drawn from rng.
func orthogonal(rows, cols int, gain float64, rng *sim.RNG) []float32 {
	big, small := rows, cols
	if rows < cols {
		big, small = cols, rows
	}
	g := mat.NewDense(big, small, nil)
	for i := 0; i < big; i++ {
		for j := 0; j < small; j++ {
			g.Set(i, j, normal(rng))
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q, r mat.Dense
	qr.QTo(&q)
	qr.RTo(&r)
	out := make([]float32, rows*cols)
	for i := 0; i < big; i++ {
		for j := 0; j < small; j++ {
			v := q.At(i, j)
			if r.At(j, j) < 0 { // make the decomposition unique
				v = -v
			}
			v *= gain
			if rows >= cols {
				out[i*cols+j] = float32(v)
			} else {
				out[j*cols+i] = float32(v)
			}
		}
	}
	return out
}

// normal draws a standard normal value (Box-Muller).
func normal(rng *sim.RNG) float64 {
	u1 := rng.Float64()
	for u1 == 0 {
		u1 = rng.Float64()
	}
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*rng.Float64())
}
