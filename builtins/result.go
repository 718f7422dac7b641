package builtins

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

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
	s, err := EncodeJSON(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", r.kind, err)
	}
	return []byte(s), nil
}

// EncodeJSON encodes v as Starlark's json.encode does (sorted keys,
// floats with a decimal point, structs as objects), except that every
// string is escaped as JSON requires: json.encode writes the DEL
// character as \x7f, which no JSON reader accepts.
func EncodeJSON(v starlark.Value) (string, error) {
	var b bytes.Buffer
	if err := encodeJSON(&b, v, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func encodeJSON(b *bytes.Buffer, v starlark.Value, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("value nested more than %d levels (a cycle?)", maxDepth)
	}
	switch x := v.(type) {
	case *Result:
		return encodeFields(b, x.names, x.fields, depth)
	case json.Marshaler:
		data, err := x.MarshalJSON()
		if err != nil {
			return err
		}
		b.Write(data)
	case starlark.NoneType:
		b.WriteString("null")
	case starlark.Bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case starlark.Int:
		b.WriteString(x.String())
	case starlark.Float:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("cannot encode non-finite float %v", x)
		}
		b.WriteString(x.String())
	case starlark.String:
		quoteJSON(b, string(x))
	case starlark.IterableMapping:
		items := x.Items()
		names := make([]string, len(items))
		fields := make(map[string]starlark.Value, len(items))
		for i, item := range items {
			k, ok := item[0].(starlark.String)
			if !ok {
				return fmt.Errorf("%s has %s key, want string", x.Type(), item[0].Type())
			}
			names[i] = string(k)
			fields[string(k)] = item[1]
		}
		sort.Strings(names)
		return encodeFields(b, names, fields, depth)
	case starlark.Iterable:
		b.WriteByte('[')
		it := x.Iterate()
		defer it.Done()
		var e starlark.Value
		for i := 0; it.Next(&e); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeJSON(b, e, depth+1); err != nil {
				return fmt.Errorf("at %s index %d: %v", x.Type(), i, err)
			}
		}
		b.WriteByte(']')
	case starlark.HasAttrs:
		names := append([]string(nil), x.AttrNames()...)
		sort.Strings(names)
		fields := make(map[string]starlark.Value, len(names))
		for _, n := range names {
			a, err := x.Attr(n)
			if err != nil || a == nil {
				return fmt.Errorf("cannot access attribute %s.%s: %v", x.Type(), n, err)
			}
			fields[n] = a
		}
		return encodeFields(b, names, fields, depth)
	default:
		return fmt.Errorf("cannot encode %s as JSON", v.Type())
	}
	return nil
}

func encodeFields(b *bytes.Buffer, names []string, fields map[string]starlark.Value, depth int) error {
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		quoteJSON(b, n)
		b.WriteByte(':')
		if err := encodeJSON(b, fields[n], depth+1); err != nil {
			return fmt.Errorf("in field .%s: %v", n, err)
		}
	}
	b.WriteByte('}')
	return nil
}

// quoteJSON writes s as a JSON string, without escaping <, > and & (as
// json.encode writes them).
func quoteJSON(b *bytes.Buffer, s string) {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			plain = false
			break
		}
	}
	if plain { // the common case: names and stat keys
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
		return
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode ends with a newline
}
