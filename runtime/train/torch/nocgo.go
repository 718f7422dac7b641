//go:build !cgo

package torch

import "errors"

// Available reports whether this binary was built with libtorch.
const Available = false

// ErrNoLibtorch is what every network operation returns in a build without cgo.
var ErrNoLibtorch = errors.New("dafscript was built without libtorch; rebuild with CGO_ENABLED=1 and libtorch-dev installed")

// Info describes the linked libtorch.
func Info() string { return "not linked (built without cgo)" }

// CUDADevices is the number of CUDA devices the linked libtorch sees.
func CUDADevices() int { return 0 }

// Model is a network; without libtorch none can be made.
type Model struct{ cfg Config }

func New(cfg Config) (*Model, error)                                 { return nil, ErrNoLibtorch }
func (m *Model) Config() Config                                      { return m.cfg }
func (m *Model) NumParams() int                                      { return 0 }
func (m *Model) Close() error                                        { return nil }
func (m *Model) Params() ([]float32, error)                          { return nil, ErrNoLibtorch }
func (m *Model) SetParams(w []float32) error                         { return ErrNoLibtorch }
func (m *Model) AdamState() ([]float32, []float32, int64, error)     { return nil, nil, 0, ErrNoLibtorch }
func (m *Model) SetAdamState(a, b []float32, step int64) error       { return ErrNoLibtorch }
func (m *Model) Act(obs []uint8, n int, h, c, lg, v []float32) error { return ErrNoLibtorch }
func (m *Model) ActSample(obs []uint8, n int, h, c []float32, u []float64, a []int32, lp, v []float32) error {
	return ErrNoLibtorch
}
func (m *Model) Update(b *Batch) (Stats, error)              { return Stats{}, ErrNoLibtorch }
func (m *Model) ForwardBackward(obs []uint8, B, T int) error { return ErrNoLibtorch }
