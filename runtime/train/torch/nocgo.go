//go:build !cgo

package torch

// Available reports whether this binary was built with cgo, and so can
// load the training backend.
const Available = false

// ErrNoLibtorch is what every network operation returns in a build without
// cgo (a *LoadError).
var ErrNoLibtorch error = &LoadError{
	What: "dafscript was built without cgo, so without its training backend",
	Fix:  "rebuild with `make build` (CGO_ENABLED=1, libtorch-dev installed)",
}

// LibEnv names a libdaftorch.so to load instead of the embedded one.
const LibEnv = "DAFSCRIPT_TORCH_LIB"

// Load reports that this build has no training backend.
func Load() error { return ErrNoLibtorch }

// LoadedFrom is the path of the loaded backend: none in this build.
func LoadedFrom() string { return "" }

// Info describes the loaded libtorch.
func Info() string { return "not loaded: " + ErrNoLibtorch.Error() }

// CUDADevices is the number of CUDA devices the loaded libtorch sees.
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
