package builtins

import (
	"fmt"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Record is a JSON object as a stage of a pipeline receives it: a frozen
// mapping whose string keys read both as r["key"] and as r.key, so that
// an output built from a dict and one built from a daf result or a
// struct are used alike. Dict methods (keys, items, values, get) are
// attributes too, unless a key of that name hides them.
type Record struct {
	d *starlark.Dict
}

var (
	_ starlark.IterableMapping = (*Record)(nil)
	_ starlark.HasAttrs        = (*Record)(nil)
	_ starlark.Sequence        = (*Record)(nil)
	_ starlark.Comparable      = (*Record)(nil)
)

func newRecord(d *starlark.Dict) *Record { d.Freeze(); return &Record{d: d} }

func (r *Record) String() string        { return r.d.String() }
func (r *Record) Type() string          { return "record" }
func (r *Record) Freeze()               {}
func (r *Record) Truth() starlark.Bool  { return r.d.Truth() }
func (r *Record) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: record") }
func (r *Record) Len() int              { return r.d.Len() }
func (r *Record) Iterate() starlark.Iterator {
	return r.d.Iterate()
}
func (r *Record) Items() []starlark.Tuple { return r.d.Items() }
func (r *Record) Get(k starlark.Value) (starlark.Value, bool, error) {
	return r.d.Get(k)
}

func (r *Record) Attr(name string) (starlark.Value, error) {
	if v, ok, _ := r.d.Get(starlark.String(name)); ok {
		return v, nil
	}
	switch name {
	case "keys", "items", "values", "get":
		return r.d.Attr(name)
	}
	return nil, nil
}

func (r *Record) AttrNames() []string {
	var out []string
	for _, k := range r.d.Keys() {
		if s, ok := k.(starlark.String); ok {
			out = append(out, string(s))
		}
	}
	return out
}

// CompareSameType makes records equal when their keys and values are.
func (r *Record) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	switch op {
	case syntax.EQL, syntax.NEQ:
		eq, err := starlark.EqualDepth(r.d, y.(*Record).d, depth-1)
		return eq == (op == syntax.EQL), err
	}
	return false, fmt.Errorf("records support only == and !=")
}
