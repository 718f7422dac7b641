package config

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dafscript/dafscript/sim/suggest"
)

// Param is one hyperparameter of a search space: either a list of
// values (Values non-nil: categorical, each value is a grid point) or a
// range Min..Max, of Type "float" or "int", sampled on a log scale when
// Log is set.
type Param struct {
	Name   string  `json:"name"`
	Values []any   `json:"values,omitempty"` // strings, int64, float64 or bools, in the order given
	Min    float64 `json:"min,omitempty"`
	Max    float64 `json:"max,omitempty"`
	Log    bool    `json:"log,omitempty"`
	Type   string  `json:"type,omitempty"` // "float" or "int" for a range; "" for a list
}

// Categorical says whether p is a list of values.
func (p Param) Categorical() bool { return p.Values != nil }

// ParamTypes are the types a range accepts.
var ParamTypes = []string{"float", "int"}

var rangeKeys = []string{"min", "max", "log", "type"}

// SearchSpace is the search_space of a sweep: parameters sorted by name,
// so that the order they are written in does not change a sweep.
type SearchSpace []Param

// Names lists the parameter names.
func (s SearchSpace) Names() []string {
	out := make([]string, len(s))
	for i, p := range s {
		out[i] = p.Name
	}
	return out
}

// Lookup finds a parameter by name.
func (s SearchSpace) Lookup(name string) (Param, bool) {
	for _, p := range s {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

func (s *SearchSpace) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping from parameter names to a list of values or a range {min, max, log, type}, got %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		d.errorf(n, path, "empty search space: give at least one parameter, e.g. learning_rate: {min: 0.0001, max: 0.01, log: true}")
		return
	}
	var out SearchSpace
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" || k.Value == "" {
			d.errorf(k, path, "parameter names must be names, got %s", describe(k))
			continue
		}
		p := join(path, k.Value)
		if seen[k.Value] {
			d.errorf(k, p, "parameter given twice")
			continue
		}
		seen[k.Value] = true
		d.pos[p] = d.at(v)
		if param, ok := decodeParam(d, k.Value, v, p); ok {
			out = append(out, param)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	*s = out
}

func decodeParam(d *decoder, name string, v *yaml.Node, path string) (Param, bool) {
	switch v.Kind {
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			d.errorf(v, path, "empty list of values; give at least one")
			return Param{}, false
		}
		p := Param{Name: name, Values: make([]any, len(v.Content))}
		seen := map[string]bool{}
		for i, c := range v.Content {
			if c.Kind != yaml.ScalarNode || isNull(c) {
				d.errorf(c, index(path, i), "want a string, number or boolean, got %s", describe(c))
				return Param{}, false
			}
			g, ok := d.generic(c, index(path, i))
			if !ok {
				return Param{}, false
			}
			key := fmt.Sprintf("%T:%v", g, g)
			if seen[key] {
				d.errorf(c, index(path, i), "value %v is listed twice", g)
				return Param{}, false
			}
			seen[key] = true
			p.Values[i] = g
		}
		return p, true
	case yaml.MappingNode:
		p := Param{Name: name, Type: "float"}
		var haveMin, haveMax bool
		var minNode, maxNode *yaml.Node
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, c := v.Content[i], v.Content[i+1]
			kp := join(path, k.Value)
			switch k.Value {
			case "min", "max":
				f, ok := d.number(c, kp)
				if !ok {
					return Param{}, false
				}
				if k.Value == "min" {
					p.Min, haveMin, minNode = f, true, c
				} else {
					p.Max, haveMax, maxNode = f, true, c
				}
			case "log":
				if c.ShortTag() != "!!bool" {
					d.errorf(c, kp, "want true or false, got %s", describe(c))
					return Param{}, false
				}
				p.Log = c.Value == "true" || c.Value == "True" || c.Value == "TRUE"
			case "type":
				if c.ShortTag() != "!!str" || (c.Value != "float" && c.Value != "int") {
					d.errorf(c, kp, "unknown type %q%s; valid: %s", c.Value, suggest.Hint(c.Value, ParamTypes, 1), strings.Join(ParamTypes, ", "))
					return Param{}, false
				}
				p.Type = c.Value
			default:
				d.errorf(k, kp, "unknown key%s; a range takes %s", suggest.Hint(k.Value, rangeKeys, 1), strings.Join(rangeKeys, ", "))
				return Param{}, false
			}
		}
		if !haveMin || !haveMax {
			miss := "min"
			if haveMin {
				miss = "max"
			}
			d.errorf(v, join(path, miss), "a range needs both min and max")
			return Param{}, false
		}
		if p.Min > p.Max {
			d.errorf(minNode, path, "min %v is greater than max %v", p.Min, p.Max)
			return Param{}, false
		}
		if p.Log && p.Min <= 0 {
			d.errorf(minNode, path, "a log range needs min > 0, got min %v", p.Min)
			return Param{}, false
		}
		if p.Type == "int" && (p.Min != math.Trunc(p.Min) || p.Max != math.Trunc(p.Max)) {
			n := minNode
			if p.Min == math.Trunc(p.Min) {
				n = maxNode
			}
			d.errorf(n, path, "an int range needs whole-number bounds, got min %v, max %v", p.Min, p.Max)
			return Param{}, false
		}
		return p, true
	}
	d.errorf(v, path, "want a list of values or a range {min, max, log, type}, got %s", describe(v))
	return Param{}, false
}

// MarshalYAML writes the space back in its YAML shape.
func (s SearchSpace) MarshalYAML() (any, error) {
	out := map[string]any{}
	for _, p := range s {
		if p.Categorical() {
			out[p.Name] = p.Values
			continue
		}
		out[p.Name] = map[string]any{"min": p.Min, "max": p.Max, "log": p.Log, "type": p.Type}
	}
	return out, nil
}
