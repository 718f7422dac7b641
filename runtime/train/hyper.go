package train

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/dafscript/dafscript/sim/suggest"
)

// hyperparam is one training setting: its default (CoGames' PPO defaults)
// and the values it accepts.
type hyperparam struct {
	name    string
	def     float64
	integer bool
	min     float64 // inclusive
	max     float64 // inclusive
	doc     string
}

// hyperparams lists every setting daf.train accepts, in documentation order.
// A default of 0 for batch_size, threads, num_envs and bptt_horizon means
// "automatic".
var hyperparams = []hyperparam{
	{"learning_rate", 0.00092, false, 0, 1, "Adam learning rate at the start"},
	{"anneal_lr", 1, true, 0, 1, "1: the learning rate falls linearly to 0 over the run"},
	{"adam_beta1", 0.95, false, 0, 0.999999, "Adam beta1"},
	{"adam_beta2", 0.999, false, 0, 0.999999, "Adam beta2"},
	{"adam_eps", 1e-8, false, 1e-12, 1, "Adam epsilon"},
	{"gamma", 0.995, false, 0, 1, "discount factor"},
	{"gae_lambda", 0.90, false, 0, 1, "GAE lambda"},
	{"update_epochs", 1, true, 1, 100, "passes over each batch"},
	{"clip_coef", 0.2, false, 0, 10, "PPO ratio clip"},
	{"vf_coef", 2.0, false, 0, 100, "value loss weight"},
	{"vf_clip_coef", 0.2, false, 0, 1e6, "value clip around the rollout's values"},
	{"max_grad_norm", 1.5, false, 1e-6, 1e6, "gradient norm clip"},
	{"ent_coef", 0.01, false, 0, 10, "entropy bonus weight"},
	{"bptt_horizon", 0, true, 0, 4096, "steps per segment (the LSTM's backpropagation window); 0: 64 for lstm, 16 for stateless"},
	{"batch_size", 0, true, 0, 1 << 24, "agent-steps per update; 0: every agent for bptt_horizon steps"},
	{"minibatch_size", 4096, true, 1, 1 << 24, "agent-steps per gradient step (a multiple of bptt_horizon)"},
	{"num_envs", 0, true, 0, 4096, "environments stepped together; 0: 16 for lstm, 64 for stateless"},
	{"threads", 0, true, 0, 256, "threads of the network (OpenBLAS's in updates; acting splits its rows across them); 0: all cores"},
	{"hidden_size", 128, true, 1, 4096, "width of the MLP and the LSTM"},
	{"relu", 0, true, 0, 1, "1: ReLU activations, 0: tanh"},
	{"vibes", 0, true, 0, 152, "vibes the policy may choose: its actions are noop, the four moves and the first N vibes (16: every vibe a recipe or station uses); 0: all 152"},
	{"obs_grid", 0, true, 0, 1, "1: the network reads each observation as an 11x11 grid with one input per (cell, feature), 4961 bytes; 0: the 200 raw tokens (see docs/training.md)"},
	{"overlap", 0, true, 0, 1, "1: step one half of the environments while the network acts on the other (slower on CPU, see docs/training.md)"},
}

// Hyperparameters are the applied settings: the defaults overridden by
// what the user gave.
type Hyperparameters map[string]float64

// HyperparameterNames lists the accepted names in documentation order.
func HyperparameterNames() []string {
	names := make([]string, len(hyperparams))
	for i, h := range hyperparams {
		names[i] = h.name
	}
	return names
}

// HyperparameterDoc returns a name's default and description.
func HyperparameterDoc(name string) (def float64, doc string, ok bool) {
	for _, h := range hyperparams {
		if h.name == name {
			return h.def, h.doc, true
		}
	}
	return 0, "", false
}

// DefaultHyperparameters returns every setting at its default.
func DefaultHyperparameters() Hyperparameters {
	h := Hyperparameters{}
	for _, p := range hyperparams {
		h[p.name] = p.def
	}
	return h
}

// ParseHyperparameters applies user values over the defaults. An unknown
// name is rejected with the closest valid names; a value out of range or
// not an integer where one is needed is rejected with the valid range.
func ParseHyperparameters(user map[string]float64) (Hyperparameters, error) {
	h := DefaultHyperparameters()
	names := make([]string, 0, len(user))
	for k := range user {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := user[k]
		var p *hyperparam
		for i := range hyperparams {
			if hyperparams[i].name == k {
				p = &hyperparams[i]
			}
		}
		if p == nil {
			return nil, fmt.Errorf("unknown hyperparameter %q%s; valid: %s", k, suggest.Hint(k, HyperparameterNames(), 3),
				strings.Join(HyperparameterNames(), ", "))
		}
		if math.IsNaN(v) || v < p.min || v > p.max {
			return nil, fmt.Errorf("hyperparameter %s = %v is out of range [%v, %v]", k, v, p.min, p.max)
		}
		if p.integer && v != math.Trunc(v) {
			return nil, fmt.Errorf("hyperparameter %s = %v must be an integer", k, v)
		}
		h[k] = v
	}
	return h, nil
}

func (h Hyperparameters) int(name string) int     { return int(h[name]) }
func (h Hyperparameters) f32(name string) float32 { return float32(h[name]) }

// HyperparameterRange returns the values a setting accepts: its bounds
// (inclusive) and whether it takes whole numbers only; ok is false for an
// unknown name.
func HyperparameterRange(name string) (lo, hi float64, integer, ok bool) {
	for _, h := range hyperparams {
		if h.name == name {
			return h.min, h.max, h.integer, true
		}
	}
	return 0, 0, false, false
}
