package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Factory builds a Policy from a Spec whose Class names it.
type Factory func(spec Spec) (Policy, error)

type entry struct {
	doc string
	f   Factory
}

var (
	regMu    sync.RWMutex
	registry = map[string]entry{}
)

// Register adds a policy class. It is meant for init functions: an empty
// class, a nil factory or a class registered twice is a programming error
// and panics.
func Register(class, doc string, f Factory) {
	if class == "" || f == nil {
		panic("policy.Register: empty class or nil factory")
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[class]; dup {
		panic("policy.Register: class " + strconv.Quote(class) + " registered twice")
	}
	registry[class] = entry{doc: doc, f: f}
}

// Classes returns the registered class names, sorted.
func Classes() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Doc returns the one-line description a class was registered with.
func Doc(class string) string {
	regMu.RLock()
	defer regMu.RUnlock()
	return registry[resolveAlias(class)].doc
}

// aliases maps the class paths that CoGames writes to ours, so that specs
// copied from its command lines resolve.
var aliases = map[string]string{
	"cogames.policy.noop.NoopPolicy":                                     "noop",
	"cogames.policy.random.RandomPolicy":                                 "random",
	"cogames.policy.scripted_agent.baseline_agent.BaselinePolicy":        "baseline",
	"cogames.policy.scripted_agent.simple_baseline_agent.BaselinePolicy": "baseline",
	"cogames.policy.stateless.StatelessPolicy":                           "stateless",
	"cogames.policy.lstm.LSTMPolicy":                                     "lstm",
}

func resolveAlias(class string) string {
	if a, ok := aliases[class]; ok {
		return a
	}
	return class
}

// UnknownClassError is returned by New for a class nobody registered.
type UnknownClassError struct {
	Class       string
	Suggestions []string
	Known       []string
}

func (e *UnknownClassError) Error() string {
	msg := fmt.Sprintf("unknown policy %q", e.Class)
	if len(e.Suggestions) > 0 {
		return msg + " (did you mean " + strings.Join(e.Suggestions, " or ") + "?)"
	}
	return msg + " (known policies: " + strings.Join(e.Known, ", ") + ")"
}

// New builds the policy that spec names.
func New(spec Spec) (Policy, error) {
	class := resolveAlias(strings.TrimSpace(spec.Class))
	if class == "" {
		return nil, fmt.Errorf("policy class is empty (known policies: %s)", strings.Join(Classes(), ", "))
	}
	regMu.RLock()
	e, ok := registry[class]
	regMu.RUnlock()
	if !ok {
		known := Classes()
		return nil, &UnknownClassError{Class: spec.Class, Suggestions: closest(class, known), Known: known}
	}
	spec.Class = class
	p, err := e.f(spec)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", class, err)
	}
	return p, nil
}

// ParseSpec parses "CLASS[:DATA][:PROPORTION]" as `cogames eval -p` reads
// it: the second field is always the data path (leave it empty, as in
// "baseline::0.5", to give a proportion only) and the proportion, 1 by
// default, must be a positive number.
func ParseSpec(s string) (Spec, float64, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return Spec{}, 0, fmt.Errorf("policy spec is empty (want CLASS[:DATA][:PROPORTION], e.g. baseline or lstm:ckpt/model.pt:0.5)")
	}
	parts := strings.Split(raw, ":")
	if len(parts) > 3 {
		return Spec{}, 0, fmt.Errorf("policy spec %q: at most two ':' separators allowed (want CLASS[:DATA][:PROPORTION])", s)
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	spec := Spec{Class: parts[0]}
	if spec.Class == "" {
		return Spec{}, 0, fmt.Errorf("policy spec %q: class is empty (want CLASS[:DATA][:PROPORTION])", s)
	}
	if len(parts) > 1 {
		spec.Data = parts[1]
	}
	prop := 1.0
	if len(parts) > 2 && parts[2] != "" {
		p, err := strconv.ParseFloat(parts[2], 64)
		if err != nil || p != p || p <= 0 || p > 1e308 {
			return Spec{}, 0, fmt.Errorf("policy spec %q: proportion %q must be a positive number", s, parts[2])
		}
		prop = p
	}
	return spec, prop, nil
}

// String writes a spec back in the CLASS[:DATA] form.
func (s Spec) String() string {
	if s.Data == "" {
		return s.Class
	}
	return s.Class + ":" + s.Data
}
