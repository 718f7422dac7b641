//go:build !cgo

package torch

import "time"

// Group is a data-parallel group; without libtorch none can be joined.
type Group struct{ rank, world int }

func GlooAvailable() bool { return false }
func NewGroup(host string, port, rank, world int, timeout time.Duration) (*Group, error) {
	return nil, ErrNoLibtorch
}
func (g *Group) Rank() int                               { return g.rank }
func (g *Group) World() int                              { return g.world }
func (g *Group) Close() error                            { return nil }
func (g *Group) AllReduceSum(buf []float32) error        { return ErrNoLibtorch }
func (g *Group) Broadcast(buf []float32, root int) error { return ErrNoLibtorch }
func (m *Model) SetGroup(g *Group) error                 { return ErrNoLibtorch }
