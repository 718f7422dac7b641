// Package torch is dafscript's neural network: the layout and
// initialisation of the stateless and lstm policies, their checkpoint
// files, the policies themselves (registered with sim/policy) and, behind
// cgo, a thin C++ layer over libtorch that runs whole operations: act on a
// batch, one PPO update on a minibatch. It is the only package of
// dafscript that uses cgo; built without cgo, every network operation
// returns ErrNoLibtorch.
package torch

import (
	"fmt"
	"math"

	"github.com/dafscript/dafscript/sim"
	"github.com/dafscript/dafscript/sim/suggest"
)

// Config describes one network: MLP obs -> hidden -> hidden (tanh or ReLU),
// an optional LSTM(hidden, hidden), an actor head (Actions logits) and a
// critic head (1 value). Input is obs/255.
type Config struct {
	LSTM bool
	Obs  int // the first layer's inputs: sim.ObsSize, or GridSize with Encoding "grid" (see InputBytes)
	// Encoding is how observations become input bytes: "" (tokens, as
	// the simulator writes them) or "grid" (see Encodings).
	Encoding string
	Hidden   int
	Actions  int // sim.NumActions, or fewer: noop, the moves and some vibes
	// Vibes are the vibe ids of the actions after the moves, in order;
	// nil: the first Actions-sim.ActionVibeBase vibes of the game's list.
	Vibes   []int
	ReLU    bool
	Device  string // "cpu" or "cuda"
	Threads int    // intra-op threads of every call; 0 leaves libtorch's default
}

// DefaultConfig is the network of a policy class with the given hidden size.
func DefaultConfig(class string, hidden int) (Config, error) {
	switch class {
	case "stateless", "lstm":
	default:
		return Config{}, fmt.Errorf("unknown network class %q (want \"stateless\" or \"lstm\")", class)
	}
	return Config{LSTM: class == "lstm", Obs: sim.ObsSize, Hidden: hidden, Actions: sim.NumActions, Device: "cpu"}, nil
}

// Class is "lstm" or "stateless".
func (c Config) Class() string {
	if c.LSTM {
		return "lstm"
	}
	return "stateless"
}

// Activation is "relu" or "tanh".
func (c Config) Activation() string {
	if c.ReLU {
		return "relu"
	}
	return "tanh"
}

// SetVibes makes the network choose among noop, the moves and the named
// vibes, in that order.
func (c *Config) SetVibes(names []string) error {
	ids, err := VibeIDs(names)
	if err != nil {
		return err
	}
	c.Vibes, c.Actions = ids, sim.ActionVibeBase+len(ids)
	return nil
}

// VibeIDs resolves vibe names, each at most once, to their ids.
func VibeIDs(names []string) ([]int, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("vibes: the list is empty (want vibe names, e.g. [\"default\", \"heart_a\"])")
	}
	ids := make([]int, len(names))
	seen := map[string]bool{}
	for i, n := range names {
		id, ok := sim.VibeID(n)
		if !ok {
			return nil, fmt.Errorf("vibes: unknown vibe %q%s", n, suggest.Hint(n, sim.VibeNames(), 3))
		}
		if seen[n] {
			return nil, fmt.Errorf("vibes: %q is listed twice", n)
		}
		seen[n] = true
		ids[i] = id
	}
	return ids, nil
}

// VibeNames is the names of c.Vibes (nil when c uses the first vibes).
func (c Config) VibeNames() []string {
	if c.Vibes == nil {
		return nil
	}
	names := make([]string, len(c.Vibes))
	for i, v := range c.Vibes {
		names[i] = sim.VibeName(v)
	}
	return names
}

// GameAction is the game's action for the network's action a.
func (c Config) GameAction(a int32) int32 {
	if c.Vibes == nil || a < sim.ActionVibeBase {
		return a
	}
	return int32(sim.VibeAction(c.Vibes[a-sim.ActionVibeBase]))
}

func (c Config) check() error {
	if c.Obs <= 0 || c.Hidden <= 0 || c.Actions <= 0 {
		return fmt.Errorf("network sizes must be positive (obs %d, hidden %d, actions %d)", c.Obs, c.Hidden, c.Actions)
	}
	if c.Vibes != nil && c.Actions != sim.ActionVibeBase+len(c.Vibes) {
		return fmt.Errorf("network of %d actions for %d vibes (want %d)", c.Actions, len(c.Vibes), sim.ActionVibeBase+len(c.Vibes))
	}
	if c.Hidden > 1<<14 {
		return fmt.Errorf("hidden size %d is too large (at most %d)", c.Hidden, 1<<14)
	}
	if c.Device != "cpu" && c.Device != "cuda" {
		return fmt.Errorf("unknown device %q (want \"cpu\" or \"cuda\")", c.Device)
	}
	return nil
}

// Tensor is one parameter of the layout.
type Tensor struct {
	Name  string
	Shape []int
}

// Numel is the number of values of the tensor.
func (t Tensor) Numel() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Layout lists the parameters in the order of the flat weight vector (and
// of dt.cpp), named as PyTorch would name them.
func (c Config) Layout() []Tensor {
	h := c.Hidden
	l := []Tensor{
		{"encoder.0.weight", []int{h, c.Obs}}, {"encoder.0.bias", []int{h}},
		{"encoder.1.weight", []int{h, h}}, {"encoder.1.bias", []int{h}},
	}
	if c.LSTM {
		l = append(l,
			Tensor{"lstm.weight_ih_l0", []int{4 * h, h}}, Tensor{"lstm.weight_hh_l0", []int{4 * h, h}},
			Tensor{"lstm.bias_ih_l0", []int{4 * h}}, Tensor{"lstm.bias_hh_l0", []int{4 * h}})
	}
	return append(l,
		Tensor{"actor.weight", []int{c.Actions, h}}, Tensor{"actor.bias", []int{c.Actions}},
		Tensor{"critic.weight", []int{1, h}}, Tensor{"critic.bias", []int{1}})
}

// NumParams is the length of the flat weight vector.
func (c Config) NumParams() int {
	n := 0
	for _, t := range c.Layout() {
		n += t.Numel()
	}
	return n
}

// Init returns initial weights drawn from seed: orthogonal matrices (gain
// sqrt(2) for the encoder, 1 for the LSTM, 0.01 for the actor and 1 for the
// critic) and zero biases, the usual initialisation for PPO.
func (c Config) Init(seed uint64) []float32 {
	w := make([]float32, 0, c.NumParams())
	for i, t := range c.Layout() {
		if len(t.Shape) == 1 {
			w = append(w, make([]float32, t.Shape[0])...)
			continue
		}
		gain := math.Sqrt2
		switch {
		case t.Name == "actor.weight":
			gain = 0.01
		case t.Name == "critic.weight" || t.Name[:4] == "lstm":
			gain = 1
		}
		rng := sim.NewRNG(sim.DeriveSeed(seed, "init."+t.Name, uint64(i)))
		w = append(w, orthogonal(t.Shape[0], t.Shape[1], gain, rng)...)
	}
	return w
}

// Stats are the statistics of one PPO minibatch update.
type Stats struct {
	PolicyLoss, ValueLoss, Entropy, ApproxKL, ClipFraction, GradNorm float64
}

// Batch is one PPO minibatch: B segments of T steps, segment-major (row
// b*T+t). Starts marks the steps that begin an episode (the recurrent state
// is cleared before them); H0 and C0 (B*Hidden) are the state each segment
// began with. Starts, H0 and C0 are ignored by a stateless network.
type Batch struct {
	Obs                                   []uint8
	Actions                               []int32
	LogProbs, Values, Advantages, Returns []float32
	Starts, H0, C0                        []float32
	B, T                                  int
	// AdvantageSums, when set, holds the count, sum and sum of squares of
	// this minibatch's advantages over every rank of the model's group,
	// followed by those of the update's later minibatches; nil: Update
	// takes them itself, exchanging them with the group (when there is
	// one). With ExchangeSums they are this rank's own and Update sums
	// them all over the group, in place, while it runs the forward pass.
	AdvantageSums []float64
	ExchangeSums  bool

	LR, Beta1, Beta2, Eps                      float32
	Clip, VFClip, VFCoef, EntCoef, MaxGradNorm float32
}

func (b *Batch) check(c Config) error {
	n := b.B * b.T
	if n <= 0 {
		return fmt.Errorf("libtorch: update: empty minibatch (%d x %d)", b.B, b.T)
	}
	if len(b.Obs) < n*c.InputBytes() || len(b.Actions) < n || len(b.LogProbs) < n || len(b.Values) < n ||
		len(b.Advantages) < n || len(b.Returns) < n {
		return fmt.Errorf("libtorch: update: buffers shorter than %d rows", n)
	}
	for _, a := range b.Actions[:n] {
		if a < 0 || int(a) >= c.Actions {
			return fmt.Errorf("libtorch: update: action %d outside [0,%d)", a, c.Actions)
		}
	}
	if c.LSTM {
		if len(b.Starts) < n || len(b.H0) < b.B*c.Hidden || len(b.C0) < b.B*c.Hidden {
			return fmt.Errorf("libtorch: update: recurrent buffers too short for %d segments", b.B)
		}
	}
	return nil
}
