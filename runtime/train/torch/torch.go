//go:build cgo

package torch

/*
#include <stdlib.h>
#include "dt.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unsafe"

	"github.com/dafscript/dafscript/sim"
)

// Available reports whether this binary was built with cgo, and so can
// load the training backend; Load says whether it does.
const Available = true

func cerr(op string, e *C.char) error {
	if e == nil {
		return fmt.Errorf("libtorch: %s failed", op)
	}
	msg := strings.TrimSpace(C.GoString(e))
	C.dt_free_string(e)
	return fmt.Errorf("libtorch: %s: %s", op, msg)
}

// Info describes the loaded libtorch: its version and parallel backend
// (or why it could not be loaded).
func Info() string {
	if err := Load(); err != nil {
		return "not loaded: " + err.Error()
	}
	s := C.dt_info()
	defer C.dt_free_string(s)
	return C.GoString(s)
}

// CUDADevices is the number of CUDA devices the loaded libtorch sees (0
// when it cannot be loaded).
func CUDADevices() int {
	if Load() != nil {
		return 0
	}
	return int(C.dt_cuda_device_count())
}

// Model is one network with its Adam state. Its methods are safe to call
// from any goroutine: each C++ entry point sets its own grad mode and
// thread count. Act may run concurrently with Act; Update, Set* and Close
// must not run concurrently with anything else on the same Model.
type Model struct {
	cfg   Config
	p     *C.dt_model
	numel int
}

// New makes a network with zero weights (set them with SetParams).
func New(cfg Config) (*Model, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if err := Load(); err != nil {
		return nil, err
	}
	dev := 0
	if cfg.Device == "cuda" {
		if CUDADevices() == 0 {
			return nil, errors.New("device \"cuda\": the loaded libtorch sees no CUDA device (use device=\"cpu\" or \"auto\")")
		}
		dev = 1
	}
	var e *C.char
	p := C.dt_new(b2i(cfg.LSTM), C.int(cfg.Obs), C.int(cfg.Hidden), C.int(cfg.Actions), b2i(cfg.ReLU), C.int(dev), C.int(cfg.Threads), &e)
	if p == nil {
		return nil, cerr("create network", e)
	}
	if cfg.Encoding == "grid" {
		if C.dt_set_grid(p, C.int(sim.ObsTokens), C.int(sim.ObsWindow), C.int(sim.NumFeatures), &e) != 0 {
			C.dt_free(p)
			return nil, cerr("create network", e)
		}
	}
	m := &Model{cfg: cfg, p: p}
	m.numel = int(C.dt_num_params(p))
	if want := cfg.NumParams(); m.numel != want {
		C.dt_free(p)
		return nil, fmt.Errorf("libtorch: network has %d parameters, layout says %d", m.numel, want)
	}
	runtime.SetFinalizer(m, (*Model).Close)
	return m, nil
}

func b2i(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// Config returns the network's configuration.
func (m *Model) Config() Config { return m.cfg }

// NumParams is the number of float32 weights.
func (m *Model) NumParams() int { return m.numel }

// Close frees the network.
func (m *Model) Close() error {
	if m.p != nil {
		C.dt_free(m.p)
		m.p = nil
	}
	return nil
}

func (m *Model) live() error {
	if m.p == nil {
		return errors.New("libtorch: network already closed")
	}
	return nil
}

// Params returns a copy of all weights in layout order.
func (m *Model) Params() ([]float32, error) {
	if err := m.live(); err != nil {
		return nil, err
	}
	out := make([]float32, m.numel)
	var e *C.char
	if C.dt_get_params(m.p, (*C.float)(&out[0]), &e) != 0 {
		return nil, cerr("read weights", e)
	}
	return out, nil
}

// SetParams replaces all weights.
func (m *Model) SetParams(w []float32) error {
	if err := m.live(); err != nil {
		return err
	}
	if len(w) != m.numel {
		return fmt.Errorf("libtorch: %d weights given, the network has %d", len(w), m.numel)
	}
	var e *C.char
	if C.dt_set_params(m.p, (*C.float)(&w[0]), &e) != 0 {
		return cerr("write weights", e)
	}
	return nil
}

// AdamState returns Adam's first and second moments and its step count.
func (m *Model) AdamState() (avg, avgSq []float32, step int64, err error) {
	if err := m.live(); err != nil {
		return nil, nil, 0, err
	}
	avg, avgSq = make([]float32, m.numel), make([]float32, m.numel)
	var s C.int64_t
	var e *C.char
	if C.dt_get_adam(m.p, (*C.float)(&avg[0]), (*C.float)(&avgSq[0]), &s, &e) != 0 {
		return nil, nil, 0, cerr("read optimizer state", e)
	}
	return avg, avgSq, int64(s), nil
}

// SetAdamState restores what AdamState returned.
func (m *Model) SetAdamState(avg, avgSq []float32, step int64) error {
	if err := m.live(); err != nil {
		return err
	}
	if len(avg) != m.numel || len(avgSq) != m.numel {
		return fmt.Errorf("libtorch: optimizer state has %d/%d values, the network has %d", len(avg), len(avgSq), m.numel)
	}
	var e *C.char
	if C.dt_set_adam(m.p, (*C.float)(&avg[0]), (*C.float)(&avgSq[0]), C.int64_t(step), &e) != 0 {
		return cerr("write optimizer state", e)
	}
	return nil
}

// Act runs the network on n observations (n*Obs bytes): logits (n*Actions)
// and values (n). For an lstm, h and c (n*Hidden) hold the state before
// the step and receive the state after it; they are ignored otherwise.
func (m *Model) Act(obs []uint8, n int, h, c, logits, values []float32) error {
	if err := m.live(); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if len(obs) < n*m.cfg.InputBytes() || len(logits) < n*m.cfg.Actions || len(values) < n {
		return fmt.Errorf("libtorch: act: buffers too small for %d observations", n)
	}
	hp, cp, err := m.statePointers(h, c, n)
	if err != nil {
		return err
	}
	var e *C.char
	if C.dt_act(m.p, (*C.uint8_t)(&obs[0]), C.int(n), hp, cp, (*C.float)(&logits[0]), (*C.float)(&values[0]), &e) != 0 {
		return cerr("act", e)
	}
	return nil
}

// statePointers returns the recurrent state buffers of n slots for C, nil
// for a network without one.
func (m *Model) statePointers(h, c []float32, n int) (*C.float, *C.float, error) {
	if !m.cfg.LSTM {
		return nil, nil, nil
	}
	if len(h) < n*m.cfg.Hidden || len(c) < n*m.cfg.Hidden {
		return nil, nil, fmt.Errorf("libtorch: act: state buffers too small for %d slots", n)
	}
	return (*C.float)(&h[0]), (*C.float)(&c[0]), nil
}

// ActSample runs the network on n observations like Act and samples each
// row's action inside libtorch: row i takes the first action whose
// cumulative probability exceeds u[i] times the total, u[i] in [0, 1), or
// the most likely action when u is nil. It writes actions, their
// log-probabilities and values (n each).
func (m *Model) ActSample(obs []uint8, n int, h, c []float32, u []float64, actions []int32, logp, values []float32) error {
	if err := m.live(); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if len(obs) < n*m.cfg.InputBytes() || len(actions) < n || len(logp) < n || len(values) < n || (u != nil && len(u) < n) {
		return fmt.Errorf("libtorch: act: buffers too small for %d observations", n)
	}
	hp, cp, err := m.statePointers(h, c, n)
	if err != nil {
		return err
	}
	var up *C.double
	if u != nil {
		up = (*C.double)(&u[0])
	}
	var e *C.char
	if C.dt_act_sample(m.p, (*C.uint8_t)(&obs[0]), C.int(n), hp, cp, up, (*C.int32_t)(&actions[0]),
		(*C.float)(&logp[0]), (*C.float)(&values[0]), &e) != 0 {
		return cerr("act", e)
	}
	return nil
}

// Update runs one PPO step on a minibatch.
func (m *Model) Update(b *Batch) (Stats, error) {
	if err := m.live(); err != nil {
		return Stats{}, err
	}
	if err := b.check(m.cfg); err != nil {
		return Stats{}, err
	}
	// The C struct lives in Go memory and points to Go slices: pin them.
	var pin runtime.Pinner
	defer pin.Unpin()
	f := func(s []float32) *C.float {
		if len(s) == 0 {
			return nil
		}
		pin.Pin(&s[0])
		return (*C.float)(&s[0])
	}
	starts, h0, c0 := b.Starts, b.H0, b.C0
	if !m.cfg.LSTM {
		starts, h0, c0 = nil, nil, nil
	}
	pin.Pin(&b.Obs[0])
	pin.Pin(&b.Actions[0])
	var advSums *C.double
	if len(b.AdvantageSums) > 0 {
		if len(b.AdvantageSums) < 3 {
			return Stats{}, fmt.Errorf("libtorch: update: %d advantage sums, want 3 or more", len(b.AdvantageSums))
		}
		pin.Pin(&b.AdvantageSums[0])
		advSums = (*C.double)(&b.AdvantageSums[0])
	}
	cb := C.dt_batch{
		obs:               (*C.uint8_t)(&b.Obs[0]),
		actions:           (*C.int32_t)(&b.Actions[0]),
		logprobs:          f(b.LogProbs),
		values:            f(b.Values),
		advantages:        f(b.Advantages),
		returns:           f(b.Returns),
		starts:            f(starts),
		h0:                f(h0),
		c0:                f(c0),
		adv_sums:          advSums,
		adv_sums_n:        C.int32_t(len(b.AdvantageSums)),
		adv_sums_exchange: C.int32_t(boolInt(b.ExchangeSums)),
		B:                 C.int32_t(b.B),
		T:                 C.int32_t(b.T),
		lr:                C.float(b.LR),
		beta1:             C.float(b.Beta1),
		beta2:             C.float(b.Beta2),
		eps:               C.float(b.Eps),
		clip:              C.float(b.Clip),
		vf_clip:           C.float(b.VFClip),
		vf_coef:           C.float(b.VFCoef),
		ent_coef:          C.float(b.EntCoef),
		max_grad_norm:     C.float(b.MaxGradNorm),
	}
	var st [C.DT_NSTATS]C.float
	var e *C.char
	if C.dt_update(m.p, &cb, &st[0], &e) != 0 {
		return Stats{}, cerr("update", e)
	}
	return Stats{
		PolicyLoss:   float64(st[C.DT_POLICY_LOSS]),
		ValueLoss:    float64(st[C.DT_VALUE_LOSS]),
		Entropy:      float64(st[C.DT_ENTROPY]),
		ApproxKL:     float64(st[C.DT_APPROX_KL]),
		ClipFraction: float64(st[C.DT_CLIP_FRAC]),
		GradNorm:     float64(st[C.DT_GRAD_NORM]),
	}, nil
}

// ForwardBackward runs the network forward and backward on B segments of
// T observations with a plain loss and no optimizer step: the raw cost of
// the network, for benchmarks.
func (m *Model) ForwardBackward(obs []uint8, B, T int) error {
	if err := m.live(); err != nil {
		return err
	}
	if len(obs) < B*T*m.cfg.InputBytes() {
		return errors.New("libtorch: forward-backward: observation buffer too small")
	}
	var e *C.char
	if C.dt_forward_backward(m.p, (*C.uint8_t)(unsafe.Pointer(&obs[0])), C.int(B), C.int(T), &e) != 0 {
		return cerr("forward-backward", e)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
