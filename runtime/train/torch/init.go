package torch

import (
	"math"

	"github.com/dafscript/dafscript/sim"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// orthogonal returns a rows x cols matrix (row-major) with orthonormal rows
// or columns times gain, as torch.nn.init.orthogonal_ makes them, from a
// Gaussian matrix drawn from rng. Only the thin Q of the QR decomposition
// is formed: the square one of a 600x128 matrix took 40 ms, most of
// starting a training run.
func orthogonal(rows, cols int, gain float64, rng *sim.RNG) []float32 {
	big, small := rows, cols
	if rows < cols {
		big, small = cols, rows
	}
	g := blas64.General{Rows: big, Cols: small, Stride: small, Data: make([]float64, big*small)}
	for i := 0; i < big; i++ {
		for j := 0; j < small; j++ {
			g.Data[i*small+j] = normal(rng)
		}
	}
	tau := make([]float64, small)
	work := []float64{0}
	lapack64.Geqrf(g, tau, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Geqrf(g, tau, work, len(work))
	// R's diagonal, before Orgqr overwrites it with Q.
	neg := make([]bool, small)
	for j := range neg {
		neg[j] = g.Data[j*small+j] < 0
	}
	work = []float64{0}
	lapack64.Orgqr(g, tau, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Orgqr(g, tau, work, len(work))
	out := make([]float32, rows*cols)
	for i := 0; i < big; i++ {
		for j := 0; j < small; j++ {
			v := g.Data[i*small+j]
			if neg[j] { // make the decomposition unique
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
