package torch

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/policy"
	"github.com/dafscript/dafscript/sim/suggest"
)

// DefaultHidden is the hidden size of a policy made without a checkpoint.
const DefaultHidden = 128

// RegisterPolicies adds the neural policy classes (stateless, lstm) to
// the policy table. The program's wiring calls it (through
// train.Register); importing this package registers nothing. Building a
// policy loads libtorch, registering does not.
func RegisterPolicies() {
	registerOnce.Do(func() {
		policy.Register("stateless", "neural: MLP 600->hidden->hidden, actor and critic heads; data_path = a daf.train checkpoint",
			func(s policy.Spec) (policy.Policy, error) { return NewPolicy("stateless", s) })
		policy.Register("lstm", "neural: the stateless MLP plus LSTM(hidden, hidden); data_path = a daf.train checkpoint",
			func(s policy.Spec) (policy.Policy, error) { return NewPolicy("lstm", s) })
	})
}

var registerOnce sync.Once

// policyKwargs are the keyword arguments the neural policies take.
var policyKwargs = []string{"greedy", "seed", "hidden_size", "activation", "device", "threads"}

// Policy is a network that plays: each controller slot samples its action
// from the policy's distribution with its own seeded generator, or takes
// the most likely action when greedy.
type Policy struct {
	name   string
	model  *Model
	greedy bool
}

// NewPolicy builds the class's policy from a Spec: weights from Spec.Data
// (a checkpoint) or, without one, initialised from the "seed" keyword.
func NewPolicy(class string, s policy.Spec) (*Policy, error) {
	kw := map[string]any{}
	for k, v := range s.Kwargs {
		kw[k] = v
	}
	keys := make([]string, 0, len(kw))
	for k := range kw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !contains(policyKwargs, k) {
			return nil, fmt.Errorf("unknown keyword argument %q%s (valid: %s)", k, suggest.Hint(k, policyKwargs, 1), strings.Join(policyKwargs, ", "))
		}
	}
	greedy, err := boolArg(kw, "greedy", false)
	if err != nil {
		return nil, err
	}
	seed, err := intArg(kw, "seed", 0)
	if err != nil {
		return nil, err
	}
	threads, err := intArg(kw, "threads", 1)
	if err != nil {
		return nil, err
	}
	device, err := stringArg(kw, "device", "auto")
	if err != nil {
		return nil, err
	}
	if device, err = ResolveDevice(device); err != nil {
		return nil, err
	}
	var cfg Config
	var weights []float32
	if s.Data != "" {
		ck, err := ReadCheckpoint(s.Data)
		if err != nil {
			return nil, err
		}
		if ck.Config.Class() != class {
			return nil, fmt.Errorf("checkpoint %s holds a %s policy, not %s (use daf.policy(%q, data_path=...))", s.Data, ck.Config.Class(), class, ck.Config.Class())
		}
		cfg, weights = ck.Config, ck.Params
		if _, ok := kw["hidden_size"]; ok {
			h, err := intArg(kw, "hidden_size", 0)
			if err != nil {
				return nil, err
			}
			if int(h) != cfg.Hidden {
				return nil, fmt.Errorf("checkpoint %s has hidden size %d, not %d", s.Data, cfg.Hidden, h)
			}
		}
		if a, ok := kw["activation"]; ok && a != cfg.Activation() {
			return nil, fmt.Errorf("checkpoint %s uses activation %s, not %v", s.Data, cfg.Activation(), a)
		}
	} else {
		h, err := intArg(kw, "hidden_size", DefaultHidden)
		if err != nil {
			return nil, err
		}
		if cfg, err = DefaultConfig(class, int(h)); err != nil {
			return nil, err
		}
		act, err := stringArg(kw, "activation", "tanh")
		if err != nil {
			return nil, err
		}
		if act != "tanh" && act != "relu" {
			return nil, fmt.Errorf("activation %q: want \"tanh\" or \"relu\"", act)
		}
		cfg.ReLU = act == "relu"
		weights = cfg.Init(uint64(seed))
	}
	cfg.Device, cfg.Threads = device, int(threads)
	m, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := m.SetParams(weights); err != nil {
		m.Close()
		return nil, err
	}
	return &Policy{name: class, model: m, greedy: greedy}, nil
}

// ResolveDevice maps "auto" to "cuda" when libtorch sees a GPU, else "cpu".
func ResolveDevice(d string) (string, error) {
	switch d {
	case "auto":
		if CUDADevices() > 0 {
			return "cuda", nil
		}
		return "cpu", nil
	case "cpu", "cuda":
		return d, nil
	case "cuda:0": // as daf.recommended_device names it; one device is used
		return "cuda", nil
	}
	return "", fmt.Errorf("unknown device %q (want \"auto\", \"cpu\", \"cuda\" or \"cuda:0\")", d)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func intArg(kw map[string]any, name string, def int64) (int64, error) {
	v, ok := kw[name]
	if !ok || v == nil {
		return def, nil
	}
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case uint64:
		return int64(x), nil
	case float64:
		if x == math.Trunc(x) {
			return int64(x), nil
		}
	}
	return 0, fmt.Errorf("%s: want an integer, got %v", name, v)
}

func boolArg(kw map[string]any, name string, def bool) (bool, error) {
	v, ok := kw[name]
	if !ok || v == nil {
		return def, nil
	}
	if b, ok := v.(bool); ok {
		return b, nil
	}
	return false, fmt.Errorf("%s: want True or False, got %v", name, v)
}

func stringArg(kw map[string]any, name, def string) (string, error) {
	v, ok := kw[name]
	if !ok || v == nil {
		return def, nil
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", fmt.Errorf("%s: want a string, got %v", name, v)
}

// Name is the policy class.
func (p *Policy) Name() string { return p.name }

// Model is the policy's network.
func (p *Policy) Model() *Model { return p.model }

// NewController returns a controller for n slots.
func (p *Policy) NewController(n int) (policy.Controller, error) {
	if n < 0 {
		return nil, fmt.Errorf("%s: negative slot count %d", p.name, n)
	}
	cfg := p.model.Config()
	c := &controller{p: p, n: n, rngs: make([]sim.RNG, n),
		logits: make([]float32, n*cfg.Actions), values: make([]float32, n)}
	if cfg.LSTM {
		c.h, c.cs = make([]float32, n*cfg.Hidden), make([]float32, n*cfg.Hidden)
	}
	return c, nil
}

type controller struct {
	p              *Policy
	n              int
	rngs           []sim.RNG
	h, cs          []float32
	logits, values []float32
}

func (c *controller) Reset(slot int, seed uint64) {
	c.rngs[slot].Seed(seed)
	if c.h != nil {
		hd := c.p.model.Config().Hidden
		clear(c.h[slot*hd : (slot+1)*hd])
		clear(c.cs[slot*hd : (slot+1)*hd])
	}
}

func (c *controller) Act(obs []uint8, actions []int32) error {
	if len(actions) != c.n || len(obs) != c.n*sim.ObsSize {
		return fmt.Errorf("%s: %d observation bytes and %d action slots for a controller of %d slots", c.p.name, len(obs), len(actions), c.n)
	}
	if err := c.p.model.Act(obs, c.n, c.h, c.cs, c.logits, c.values); err != nil {
		return err
	}
	cfg := c.p.model.Config()
	na := cfg.Actions
	for i := range actions {
		var rng *sim.RNG
		if !c.p.greedy {
			rng = &c.rngs[i]
		}
		a, _ := Sample(c.logits[i*na:(i+1)*na], rng)
		actions[i] = cfg.GameAction(int32(a))
	}
	return nil
}

func (c *controller) Close() error { return nil }

// Values returns the critic's value of each slot from the last Act (valid
// until the next one); the policy server reports them with the actions.
func (c *controller) Values() []float32 { return c.values }
