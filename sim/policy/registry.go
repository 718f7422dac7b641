package policy

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Factory builds a Policy from a Spec whose Class names it.
type Factory func(spec Spec) (Policy, error)

type entry struct {
	doc      string
	f        Factory
	tunables []Tunable // sorted by name
}

// Class is one policy class: its name, a one-line description, its
// factory and the parameters a sweep may tune (see Tunables; the factory
// reads them from Spec.Kwargs, with ParamValues).
type Class struct {
	Name     string
	Doc      string
	New      Factory
	Tunables []Tunable
}

var (
	regMu    sync.RWMutex
	registry = classMap(builtinClasses)
)

func classMap(cs []Class) map[string]entry {
	m := make(map[string]entry, len(cs))
	for _, c := range cs {
		put(m, c)
	}
	return m
}

// Register adds a policy class beside builtinClasses: the packages that
// own the neural, package and remote classes call it from a registration
// function the CLI's wiring calls once. An empty class, a nil factory, a
// class registered twice or a malformed tunable is a programming error
// and panics.
func Register(class, doc string, f Factory, tunables ...Tunable) {
	regMu.Lock()
	defer regMu.Unlock()
	put(registry, Class{Name: class, Doc: doc, New: f, Tunables: tunables})
}

func put(m map[string]entry, c Class) {
	if c.Name == "" || c.New == nil {
		panic("policy.Register: empty class or nil factory")
	}
	checkTunables(c.Name, c.Tunables)
	if _, dup := m[c.Name]; dup {
		panic("policy.Register: class " + strconv.Quote(c.Name) + " registered twice")
	}
	ts := append([]Tunable(nil), c.Tunables...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	m[c.Name] = entry{doc: c.Doc, f: c.New, tunables: ts}
}

// Classes returns the registered class names, sorted.
func Classes() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	return slices.Sorted(maps.Keys(registry))
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

// ParseSpec parses "CLASS[?PARAMS][:DATA][:PROPORTION]" as `cogames eval
// -p` reads it, with keyword arguments after the class as in a URL query:
// "baseline?recharge_below=30&batch_cargo=60". The second field is always
// the data path (leave it empty, as in "baseline::0.5", to give a
// proportion only) and the proportion, 1 by default, must be a positive
// number. A parameter's value is read as a bool (true, false), an integer,
// a number or else a string; %XX escapes any byte (String writes them for
// the characters that would end the value).
func ParseSpec(s string) (Spec, float64, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return Spec{}, 0, fmt.Errorf("policy spec is empty (want CLASS[?PARAMS][:DATA][:PROPORTION], e.g. baseline, baseline?recharge_below=30 or lstm:ckpt/model.pt:0.5)")
	}
	parts := strings.Split(raw, ":")
	if len(parts) > 3 {
		return Spec{}, 0, fmt.Errorf("policy spec %q: at most two ':' separators allowed (want CLASS[?PARAMS][:DATA][:PROPORTION])", s)
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	class, query, hasQuery := strings.Cut(parts[0], "?")
	spec := Spec{Class: strings.TrimSpace(class)}
	if spec.Class == "" {
		return Spec{}, 0, fmt.Errorf("policy spec %q: class is empty (want CLASS[?PARAMS][:DATA][:PROPORTION])", s)
	}
	if hasQuery {
		kw, err := parseParams(query)
		if err != nil {
			return Spec{}, 0, fmt.Errorf("policy spec %q: %v", s, err)
		}
		spec.Kwargs = kw
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

// parseParams reads "NAME=VALUE&NAME=VALUE".
func parseParams(query string) (map[string]any, error) {
	if strings.TrimSpace(query) == "" {
		return nil, fmt.Errorf("no parameters after '?' (want NAME=VALUE[&NAME=VALUE...], e.g. baseline?recharge_below=30)")
	}
	kw := map[string]any{}
	for _, item := range strings.Split(query, "&") {
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("parameter %q: want NAME=VALUE (parameters are separated by '&')", item)
		}
		name, err := url.PathUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: bad %%-escape in its name", item)
		}
		text, err := url.PathUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: bad %%-escape in its value", item)
		}
		if _, dup := kw[name]; dup {
			return nil, fmt.Errorf("parameter %s given twice", name)
		}
		kw[name] = paramValue(text)
	}
	return kw, nil
}

// paramValue types a parameter's text: bool, int64, float64 or string.
func paramValue(text string) any {
	switch text {
	case "true":
		return true
	case "false":
		return false
	}
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil {
		return f
	}
	return text
}

// String writes a spec back in its canonical CLASS[?PARAMS][:DATA] form:
// keyword arguments sorted by name, numbers in their shortest form (30.0
// and 30 both write 30), so that equal specs write equal strings. ParseSpec
// reads it back (keyword arguments that are lists or dicts excepted).
func (s Spec) String() string {
	var b strings.Builder
	b.WriteString(s.Class)
	if len(s.Kwargs) > 0 {
		keys := slices.Sorted(maps.Keys(s.Kwargs))
		for i, k := range keys {
			if i == 0 {
				b.WriteByte('?')
			} else {
				b.WriteByte('&')
			}
			b.WriteString(escapeParam(k))
			b.WriteByte('=')
			b.WriteString(escapeParam(formatParam(s.Kwargs[k])))
		}
	}
	if s.Data != "" {
		b.WriteByte(':')
		b.WriteString(s.Data)
	}
	return b.String()
}

// formatParam writes a parameter's value; a number by its value, so that
// int64(30) and float64(30) write the same "30".
func formatParam(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.FormatInt(int64(x), 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float32:
		return formatFloat(float64(x))
	case float64:
		return formatFloat(x)
	}
	return fmt.Sprint(v)
}

// escapeParam %-escapes the bytes that would end or split a parameter in
// the spec form, and '%' itself.
func escapeParam(s string) string {
	const special = "%&=:?# \t\n\r"
	if !strings.ContainsAny(s, special) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(special, s[i]) >= 0 {
			fmt.Fprintf(&b, "%%%02X", s[i])
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
