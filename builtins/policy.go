package builtins

import (
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/dafscript/dafscript/sim/policy"
)

const policyDoc = `daf.policy(class_path, data_path=None, **init_kwargs) -> PolicySpec

Names a policy: a class ("noop", "random", "baseline", or a neural class
such as "lstm"), an optional data path (a checkpoint) and keyword
arguments for its constructor. class_path may also be written
"CLASS:DATA" as cogames writes it, with keyword arguments after a '?':
"baseline?recharge_below=30&batch_cargo=60". The class must be known (a
typo gets a did-you-mean). A PolicySpec is accepted wherever a policy
is, as is a plain string: daf.episode("training_facility_1", "baseline").

Attributes: class_path, data_path (None if not given), kwargs (a dict),
name (the canonical "CLASS?PARAMS:DATA" string results use).

  lstm = daf.policy("lstm", data_path="ckpt/v1.pt", hidden_size=128)`

func builtinPolicy(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) > 2 {
		return nil, fmt.Errorf("%s: got %d positional arguments, want at most 2 (class_path, data_path); give constructor arguments by keyword", b.Name(), len(args))
	}
	var classPath string
	var dataPath starlark.Value = starlark.None
	var own []starlark.Tuple
	var init []starlark.Tuple
	for _, kw := range kwargs {
		switch string(kw[0].(starlark.String)) {
		case "class_path", "data_path":
			own = append(own, kw)
		default:
			init = append(init, kw)
		}
	}
	if err := starlark.UnpackArgs(b.Name(), args, own, "class_path", &classPath, "data_path?", &dataPath); err != nil {
		return nil, err
	}
	spec := policy.Spec{Class: strings.TrimSpace(classPath)}
	if spec.Class == "" {
		return nil, fmt.Errorf("%s: class_path is empty (known policies: %s)", b.Name(), strings.Join(policy.Classes(), ", "))
	}
	switch d := dataPath.(type) {
	case starlark.NoneType:
		if strings.ContainsAny(spec.Class, ":?") {
			s, prop, err := policy.ParseSpec(spec.Class)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", b.Name(), err)
			}
			if prop != 1 {
				return nil, fmt.Errorf("%s: class_path %q: a proportion belongs in a team mix (a \"CLASS:DATA:P\" string), not in daf.policy", b.Name(), classPath)
			}
			spec = s
		}
	case starlark.String:
		spec.Data = string(d)
	default:
		return nil, fmt.Errorf("%s: for parameter data_path: got %s, want a string or None", b.Name(), dataPath.Type())
	}
	if len(init) > 0 {
		if spec.Kwargs == nil {
			spec.Kwargs = make(map[string]any, len(init))
		}
		for _, kw := range init {
			name := string(kw[0].(starlark.String))
			if _, dup := spec.Kwargs[name]; dup {
				return nil, fmt.Errorf("%s: %s given twice, in class_path and as a keyword argument", b.Name(), name)
			}
			g, err := FromStarlark(kw[1])
			if err != nil {
				return nil, fmt.Errorf("%s: keyword argument %s: %v", b.Name(), name, err)
			}
			spec.Kwargs[name] = g
		}
	}
	if err := checkPolicy(spec); err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	return NewPolicySpec(spec)
}

// checkPolicy builds the policy once so that an unknown class or a
// missing checkpoint fails where the user wrote it.
func checkPolicy(spec policy.Spec) error {
	_, err := policy.New(spec)
	return err
}

// PolicySpec is the Starlark value of a policy.Spec (daf.policy's result).
type PolicySpec struct {
	spec   policy.Spec
	kwargs *starlark.Dict
}

var (
	_ starlark.HasAttrs   = (*PolicySpec)(nil)
	_ starlark.Comparable = (*PolicySpec)(nil)
)

// NewPolicySpec wraps spec; its kwargs must be plain data.
func NewPolicySpec(spec policy.Spec) (*PolicySpec, error) {
	kw := starlark.NewDict(len(spec.Kwargs))
	keys := make([]string, 0, len(spec.Kwargs))
	for k := range spec.Kwargs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := ToStarlark(spec.Kwargs[k])
		if err != nil {
			return nil, fmt.Errorf("policy keyword argument %s: %v", k, err)
		}
		_ = kw.SetKey(starlark.String(k), v)
	}
	kw.Freeze()
	return &PolicySpec{spec: spec, kwargs: kw}, nil
}

// Spec returns the Go spec.
func (p *PolicySpec) Spec() policy.Spec { return p.spec }

func (p *PolicySpec) Type() string         { return "PolicySpec" }
func (p *PolicySpec) Freeze()              {}
func (p *PolicySpec) Truth() starlark.Bool { return true }

func (p *PolicySpec) Hash() (uint32, error) {
	h := fnv.New32a()
	h.Write([]byte(p.String()))
	return h.Sum32(), nil
}

// String prints the call that makes it:
// PolicySpec("lstm", data_path="ckpt/v1.pt", hidden_size=128).
func (p *PolicySpec) String() string {
	var b strings.Builder
	b.WriteString("PolicySpec(")
	b.WriteString(starlark.String(p.spec.Class).String())
	if p.spec.Data != "" {
		b.WriteString(", data_path=")
		b.WriteString(starlark.String(p.spec.Data).String())
	}
	for _, item := range p.kwargs.Items() {
		b.WriteString(", ")
		b.WriteString(string(item[0].(starlark.String)))
		b.WriteByte('=')
		b.WriteString(item[1].String())
	}
	b.WriteByte(')')
	return b.String()
}

func (p *PolicySpec) Attr(name string) (starlark.Value, error) {
	switch name {
	case "class_path":
		return starlark.String(p.spec.Class), nil
	case "data_path":
		if p.spec.Data == "" {
			return starlark.None, nil
		}
		return starlark.String(p.spec.Data), nil
	case "kwargs":
		return p.kwargs, nil
	case "name":
		return starlark.String(p.spec.String()), nil
	}
	return nil, nil
}

func (p *PolicySpec) AttrNames() []string {
	return []string{"class_path", "data_path", "kwargs", "name"}
}

func (p *PolicySpec) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	o := y.(*PolicySpec)
	switch op {
	case syntax.EQL, syntax.NEQ:
		eq := p.spec.Class == o.spec.Class && p.spec.Data == o.spec.Data
		if eq {
			var err error
			eq, err = starlark.EqualDepth(p.kwargs, o.kwargs, depth-1)
			if err != nil {
				return false, err
			}
		}
		return eq == (op == syntax.EQL), nil
	}
	return false, fmt.Errorf("PolicySpec %s PolicySpec not implemented", op)
}

// PolicyArg is one policy argument with its share of the agents (from a
// "CLASS:DATA:P" string; 1 otherwise).
type PolicyArg struct {
	Spec       policy.Spec
	Proportion float64
}

// PolicyArgs reads a policy argument: a string ("baseline",
// "lstm:ckpt/v1.pt", "lstm:ckpt/v1.pt:0.5"), a PolicySpec, or a list or
// tuple of those. Every class must be known. Errors name fnName and the
// argument (policies[1]).
func PolicyArgs(fnName, argName string, v starlark.Value) ([]PolicyArg, error) {
	items, isList := elements(v)
	if isList && len(items) == 0 {
		return nil, fmt.Errorf("%s: %s is empty; give at least one policy, e.g. \"baseline\"", fnName, argName)
	}
	out := make([]PolicyArg, 0, len(items))
	for i, it := range items {
		where := indexed(argName, i, isList)
		var pa PolicyArg
		switch x := it.(type) {
		case *PolicySpec:
			pa = PolicyArg{Spec: x.spec, Proportion: 1}
		case starlark.String:
			spec, prop, err := policy.ParseSpec(string(x))
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %v", fnName, where, err)
			}
			pa = PolicyArg{Spec: spec, Proportion: prop}
		default:
			return nil, fmt.Errorf("%s: %s: got %s, want a policy name such as \"baseline\", a daf.policy(...) or a list of them", fnName, where, it.Type())
		}
		if err := checkPolicy(pa.Spec); err != nil {
			var uc *policy.UnknownClassError
			if errors.As(err, &uc) {
				return nil, fmt.Errorf("%s: %s: %v", fnName, where, uc)
			}
			return nil, fmt.Errorf("%s: %s: %v", fnName, where, err)
		}
		out = append(out, pa)
	}
	return out, nil
}

// PolicySpecs is PolicyArgs without the proportions.
func PolicySpecs(fnName, argName string, v starlark.Value) ([]policy.Spec, error) {
	pas, err := PolicyArgs(fnName, argName, v)
	if err != nil {
		return nil, err
	}
	specs := make([]policy.Spec, len(pas))
	for i, pa := range pas {
		specs[i] = pa.Spec
	}
	return specs, nil
}
