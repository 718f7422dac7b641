package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dafscript/dafscript/sim"
)

// builtinClasses are the scripted policy classes, in one place. The
// neural, package and remote classes are added by the packages that own
// them with Register, called once from the CLI's wiring
// (cmd/dafscript/wiring.go).
var builtinClasses = []Class{
	{Name: "noop", Doc: "does nothing: action 0 every step", New: newNoop},
	{Name: "random", Doc: "uniform over the 157 actions, seeded per agent slot", New: newRandom},
	{Name: "baseline", Doc: "scripted agent: recharges, gathers, assembles hearts and delivers them, from its observations only",
		New: newBaseline, Tunables: baselineTunables},
}

func newNoop(s Spec) (Policy, error) {
	if err := noArgs(s); err != nil {
		return nil, err
	}
	return simple{name: "noop", make: func(n int) Controller { return &noopController{n: n} }}, nil
}

func newRandom(s Spec) (Policy, error) {
	if err := noArgs(s); err != nil {
		return nil, err
	}
	return simple{name: "random", make: newRandomController}, nil
}

// noArgs rejects a data path or keyword arguments given to a scripted
// policy, which takes neither.
func noArgs(s Spec) error {
	if s.Data != "" {
		return fmt.Errorf("takes no data path, got %q", s.Data)
	}
	if len(s.Kwargs) > 0 {
		keys := slices.Sorted(maps.Keys(s.Kwargs))
		return fmt.Errorf("takes no keyword arguments, got %s", strings.Join(keys, ", "))
	}
	return nil
}

// simple is a Policy without shared state.
type simple struct {
	name string
	make func(n int) Controller
}

func (p simple) Name() string { return p.name }

func (p simple) NewController(n int) (Controller, error) {
	if n < 0 {
		return nil, fmt.Errorf("%s: negative slot count %d", p.name, n)
	}
	return p.make(n), nil
}

func checkBuffers(n int, obs []uint8, actions []int32) error {
	if len(actions) != n {
		return fmt.Errorf("actions has %d slots, controller has %d", len(actions), n)
	}
	if len(obs) != n*sim.ObsSize {
		return fmt.Errorf("observations have %d bytes, want %d (%d slots x %d)", len(obs), n*sim.ObsSize, n, sim.ObsSize)
	}
	return nil
}

type noopController struct{ n int }

func (c *noopController) Reset(slot int, seed uint64) {}
func (c *noopController) Close() error                { return nil }
func (c *noopController) Act(obs []uint8, actions []int32) error {
	if err := checkBuffers(c.n, obs, actions); err != nil {
		return err
	}
	for i := range actions {
		actions[i] = sim.ActionNoop
	}
	return nil
}

type randomController struct {
	rngs []sim.RNG
}

func newRandomController(n int) Controller {
	c := &randomController{rngs: make([]sim.RNG, n)}
	for i := range c.rngs {
		// A slot that is never Reset still gets its own stream.
		c.rngs[i].Seed(sim.DeriveSeed(0, "random", uint64(i)))
	}
	return c
}

func (c *randomController) Reset(slot int, seed uint64) {
	if slot >= 0 && slot < len(c.rngs) {
		c.rngs[slot].Seed(seed)
	}
}

func (c *randomController) Close() error { return nil }

func (c *randomController) Act(obs []uint8, actions []int32) error {
	if err := checkBuffers(len(c.rngs), obs, actions); err != nil {
		return err
	}
	for i := range actions {
		actions[i] = int32(c.rngs[i].Intn(sim.NumActions))
	}
	return nil
}
