package builtins

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Result is the value every daf builtin returns: a frozen, printable
// struct whose attributes are the json-tagged fields of a Go value, which
// it remembers (ResultOf). json.encode writes its fields, never its
// methods. Two results are == when their kinds and fields are.
type Result struct {
	kind    string
	goValue any
	names   []string // sorted field names
	fields  map[string]starlark.Value
	methods map[string]*starlark.Builtin
}

var (
	_ starlark.HasAttrs   = (*Result)(nil)
	_ starlark.Comparable = (*Result)(nil)
)

// Method is a method of a result, such as is_healthy(). Its Starlark name
// is "<kind>.<Name>".
type Method struct {
	Name string
	Fn   func(t *starlark.Thread, r *Result, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)
}

// NewResult builds a frozen result of the given kind (its Starlark type
// name, e.g. "EpisodeResult") from v, a struct or a pointer to one: every
// exported field becomes an attribute named by its json tag (fields tagged
// "-" are left out), converted by ToStarlark. Methods, if any, become
// attributes too, but are not encoded by json.encode.
func NewResult(kind string, v any, methods ...Method) (starlark.Value, error) {
	r, err := newResult(kind, v)
	if err != nil {
		return nil, err
	}
	for _, m := range methods {
		if _, clash := r.fields[m.Name]; clash {
			return nil, fmt.Errorf("result %s: method %s clashes with a field", kind, m.Name)
		}
		if r.methods == nil {
			r.methods = map[string]*starlark.Builtin{}
		}
		fn := m.Fn
		r.methods[m.Name] = starlark.NewBuiltin(kind+"."+m.Name, func(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return fn(t, r, args, kwargs)
		}).BindReceiver(r)
	}
	return r, nil
}

// newResult converts a struct or a pointer to one; the result remembers
// v as given.
func newResult(kind string, v any) (*Result, error) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil, fmt.Errorf("result %s: nil %s", kind, rv.Type())
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, fmt.Errorf("result %s: want a struct, got %T", kind, v)
	}
	r, err := newResultDepth(kind, rv, 0)
	if err != nil {
		return nil, fmt.Errorf("result %s: %w", kind, err)
	}
	r.goValue = v
	return r, nil
}

// ResultOf returns the kind and the Go value a result was built from.
func ResultOf(v starlark.Value) (kind string, goValue any, ok bool) {
	r, ok := v.(*Result)
	if !ok {
		return "", nil, false
	}
	return r.kind, r.goValue, true
}

// Kind is the result's Starlark type name.
func (r *Result) Kind() string { return r.kind }

// GoValue is the Go value the result was built from.
func (r *Result) GoValue() any { return r.goValue }

// Field returns the attribute name, or nil.
func (r *Result) Field(name string) starlark.Value { return r.fields[name] }

func (r *Result) Type() string         { return r.kind }
func (r *Result) Freeze()              {} // built frozen
func (r *Result) Truth() starlark.Bool { return true }
func (r *Result) Hash() (uint32, error) {
	return 0, fmt.Errorf("unhashable type: %s", r.kind)
}

// String prints kind(field = value, ...) with fields sorted, as
// starlarkstruct does.
func (r *Result) String() string {
	var b strings.Builder
	b.WriteString(r.kind)
	b.WriteByte('(')
	for i, n := range r.names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
		b.WriteString(" = ")
		b.WriteString(r.fields[n].String())
	}
	b.WriteByte(')')
	return b.String()
}

// Attr returns a field or a method.
func (r *Result) Attr(name string) (starlark.Value, error) {
	if v, ok := r.fields[name]; ok {
		return v, nil
	}
	if m, ok := r.methods[name]; ok {
		return m, nil
	}
	return nil, nil // starlark reports "has no .name field or method"
}

// AttrNames lists fields and methods, sorted (dir() shows them).
func (r *Result) AttrNames() []string {
	names := append([]string(nil), r.names...)
	for n := range r.methods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CompareSameType supports == and != only.
func (r *Result) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	o := y.(*Result)
	switch op {
	case syntax.EQL, syntax.NEQ:
		eq, err := r.equal(o, depth)
		if err != nil {
			return false, err
		}
		return eq == (op == syntax.EQL), nil
	}
	return false, fmt.Errorf("%s %s %s not implemented", r.kind, op, o.kind)
}

func (r *Result) equal(o *Result, depth int) (bool, error) {
	if r == o {
		return true, nil
	}
	if r.kind != o.kind || len(r.names) != len(o.names) {
		return false, nil
	}
	for i, n := range r.names {
		if o.names[i] != n {
			return false, nil
		}
		eq, err := starlark.EqualDepth(r.fields[n], o.fields[n], depth-1)
		if err != nil || !eq {
			return false, err
		}
	}
	return true, nil
}

// MarshalJSON writes the fields as a JSON object with sorted keys, the
// way json.encode writes a struct; the json module calls it.
func (r *Result) MarshalJSON() ([]byte, error) {
	s, err := EncodeJSON(r.fieldDict())
	if err != nil {
		return nil, fmt.Errorf("%s: %v", r.kind, err)
	}
	return []byte(s), nil
}

func (r *Result) fieldDict() *starlark.Dict {
	d := starlark.NewDict(len(r.names))
	for _, n := range r.names {
		_ = d.SetKey(starlark.String(n), r.fields[n])
	}
	return d
}

var jsonEncode = json.Module.Members["encode"]

// EncodeJSON encodes v exactly as Starlark's json.encode does.
func EncodeJSON(v starlark.Value) (string, error) {
	out, err := starlark.Call(&starlark.Thread{Name: "json"}, jsonEncode, starlark.Tuple{v}, nil)
	if err != nil {
		return "", err
	}
	return string(out.(starlark.String)), nil
}
