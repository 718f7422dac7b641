//go:build cgo

package torch

/*
#include <stdlib.h>
#include "dt.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"time"
	"unsafe"
)

// Group is this process's membership in a data-parallel run: world ranks
// that met through libtorch's TCPStore and sum tensors with
// ProcessGroupGloo (dtdist.cpp). Its methods are collective: every rank
// calls them in the same order, or they fail after the group's timeout.
type Group struct {
	p           *C.dt_group
	rank, world int
}

// GlooAvailable reports whether the loaded backend was built with Gloo
// (libgloo-dev), which data-parallel training needs.
func GlooAvailable() bool {
	return Load() == nil && C.dt_gloo_available() != 0
}

// NewGroup joins the run of world ranks whose rank 0 serves the rendezvous
// at host:port. Rank 0 listens there; the others connect, retrying until
// timeout. It fails, naming the cause, when the port is in use, the master
// cannot be reached, the ranks disagree on the world size, two processes
// claim one rank, or not all ranks have joined within timeout; timeout
// also bounds every later collective operation.
func NewGroup(host string, port, rank, world int, timeout time.Duration) (*Group, error) {
	if err := Load(); err != nil {
		return nil, err
	}
	if world < 1 || rank < 0 || rank >= world {
		return nil, fmt.Errorf("rank %d is not in a world of %d (ranks are 0 to world-1)", rank, world)
	}
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("master port %d is out of range [1, 65535]", port)
	}
	ms := timeout.Milliseconds()
	if ms < 1 || ms > 1<<31-1 {
		return nil, fmt.Errorf("timeout %v is out of range (1 ms to 24 days)", timeout)
	}
	ch := C.CString(host)
	defer C.free(unsafe.Pointer(ch))
	var e *C.char
	p := C.dt_group_new(ch, C.int(port), C.int(rank), C.int(world), C.int(ms), &e)
	if p == nil {
		return nil, cerr("join the data-parallel group", e)
	}
	g := &Group{p: p, rank: rank, world: world}
	runtime.SetFinalizer(g, (*Group).Close)
	return g, nil
}

// Rank is this process's rank, World the number of ranks.
func (g *Group) Rank() int  { return g.rank }
func (g *Group) World() int { return g.world }

// Close leaves the group. A model whose SetGroup named g must not update
// after that.
func (g *Group) Close() error {
	if g.p != nil {
		C.dt_group_free(g.p)
		g.p = nil
	}
	return nil
}

func (g *Group) live() error {
	if g == nil || g.p == nil {
		return fmt.Errorf("libtorch: data-parallel group already closed")
	}
	return nil
}

// AllReduceSum replaces buf by the sum of every rank's buf.
func (g *Group) AllReduceSum(buf []float32) error {
	if err := g.live(); err != nil {
		return err
	}
	if len(buf) == 0 {
		return nil
	}
	var e *C.char
	if C.dt_group_allreduce_sum(g.p, (*C.float)(&buf[0]), C.int64_t(len(buf)), &e) != 0 {
		return cerr("all-reduce", e)
	}
	return nil
}

// Broadcast replaces buf by rank root's buf.
func (g *Group) Broadcast(buf []float32, root int) error {
	if err := g.live(); err != nil {
		return err
	}
	if len(buf) == 0 {
		return nil
	}
	var e *C.char
	if C.dt_group_broadcast(g.p, (*C.float)(&buf[0]), C.int64_t(len(buf)), C.int(root), &e) != 0 {
		return cerr("broadcast", e)
	}
	return nil
}

// SetGroup makes Update train as one rank of g: advantages are normalised
// over the minibatches of all ranks together, and gradients (and the
// statistics Update returns) are averaged over the ranks before clipping
// and Adam, so that every rank takes the same step. nil trains alone.
func (m *Model) SetGroup(g *Group) error {
	if err := m.live(); err != nil {
		return err
	}
	var gp *C.dt_group
	if g != nil {
		if err := g.live(); err != nil {
			return err
		}
		gp = g.p
	}
	var e *C.char
	if C.dt_set_group(m.p, gp, &e) != 0 {
		return cerr("set group", e)
	}
	return nil
}
