// Package policy defines the one batched interface every policy implements
// (scripted here, neural in runtime/train) and the registry that resolves a
// class path such as "baseline" or "lstm" to a Policy.
package policy

// Spec names a policy the way users write it: a class path, an optional
// data path (a checkpoint) and keyword arguments for its constructor
// (among them the class's Tunables). String writes its canonical form,
// which results use as the policy's name.
type Spec struct {
	Class  string
	Data   string
	Kwargs map[string]any
}

// Policy is a factory of controllers; it holds shared, read-only state
// (weights, for a neural policy).
type Policy interface {
	Name() string
	// NewController returns a controller for n agent slots. A slot is one
	// agent of one episode; a controller may serve many episodes at once.
	NewController(n int) (Controller, error)
}

// Controller holds the per-slot state of a policy.
type Controller interface {
	// Reset starts a new episode in slot i: it clears the slot's state and
	// seeds its randomness from seed.
	Reset(slot int, seed uint64)
	// Act reads obs (n*sim.ObsSize bytes, slot-major) and writes one action
	// id per slot into actions (len n).
	Act(obs []uint8, actions []int32) error
	Close() error
}
