// Package config is the one strict loader of YAML configuration files
// (sweep, training and the configs added later). A schema is a Go struct;
// the same struct checks a YAML file and the keyword arguments of the
// matching Starlark builtin (DecodeValue), so the two cannot drift apart.
//
// Decoding walks gopkg.in/yaml.v3 nodes so that every problem (an unknown
// key, a wrong type, a missing required field, a value out of range) is
// reported with file:line:column and, for names, a did-you-mean.
//
// Struct tags: `yaml:"name"` gives the key; `config:"..."` adds rules,
// separated by commas: required, enum=a|b|c (strings), min=N (numbers:
// the smallest value; lists and maps: the fewest entries). A schema type
// may implement Check() error to add rules that involve several fields;
// it returns *FieldError values whose Path is relative to the struct.
package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dafscript/dafscript/sim/suggest"
)

// Limits on input, so that a hostile file is a clear error rather than a
// long wait or an exhausted memory.
const (
	MaxFileBytes = 1 << 20 // 1 MiB
	MaxDepth     = 32      // nested mappings and sequences
	MaxNodes     = 100000  // scalars, mappings and sequences in one file
)

// Pos is a place in a source: a file (or a builtin's name) and, for
// files, a line and column counted from 1.
type Pos struct {
	Source string
	Line   int
	Column int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.Source
	}
	return fmt.Sprintf("%s:%d:%d", p.Source, p.Line, p.Column)
}

// Error is one problem in a config.
type Error struct {
	Pos  Pos
	Path string // dotted key path, "search_space.learning_rate.min"; "" for the whole document
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	if s := e.Pos.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors are all the problems found in one config, in source order.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// FieldError is what a schema's Check returns for one field: the path
// relative to the struct that checks it, and the message. The decoder
// adds the source position.
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Fieldf makes a FieldError.
func Fieldf(path, format string, a ...any) *FieldError {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, a...)}
}

type checker interface{ Check() error }

// nodeDecoder is implemented by schema types whose YAML shape is not a
// plain struct, list or map (a search-space parameter is a list or a
// mapping).
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

type decoder struct {
	source string
	errs   Errors
	nodes  int
	// positions of every decoded path, for errors found after decoding.
	pos map[string]Pos
}

func (d *decoder) at(n *yaml.Node) Pos {
	if n == nil || n.Line == 0 {
		return Pos{Source: d.source}
	}
	return Pos{Source: d.source, Line: n.Line, Column: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, path, format string, a ...any) {
	d.errs = append(d.errs, &Error{Pos: d.at(n), Path: path, Msg: fmt.Sprintf(format, a...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// describe names a node's YAML type for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!str":
		return fmt.Sprintf("the string %q", clip(n.Value))
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	case "!!null":
		return "nothing (null)"
	}
	return n.ShortTag() + " " + n.Value
}

// clip shortens a value quoted in a message: a file that is not a config
// at all (a whole text read as one string) is not echoed back.
func clip(s string) string {
	const most = 60
	if r := []rune(s); len(r) > most {
		return string(r[:most]) + "..."
	}
	return s
}

// checkShape enforces the limits and rejects anchors and aliases, before
// any decoding.
func (d *decoder) checkShape(n *yaml.Node, depth int, path string) bool {
	d.nodes++
	if d.nodes > MaxNodes {
		d.errorf(n, path, "too many values (more than %d); a config this large is not supported", MaxNodes)
		return false
	}
	if depth > MaxDepth {
		d.errorf(n, path, "nested more than %d levels deep", MaxDepth)
		return false
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		d.errorf(n, path, "YAML anchors and aliases (&, *) are not supported in configs; write the value out")
		return false
	}
	if t := n.ShortTag(); strings.HasPrefix(t, "!") && !strings.HasPrefix(t, "!!") {
		d.errorf(n, path, "custom YAML tag %s is not supported", t)
		return false
	}
	for i, c := range n.Content {
		p := path
		if n.Kind == yaml.MappingNode && i%2 == 1 {
			p = join(path, n.Content[i-1].Value)
		}
		if !d.checkShape(c, depth+1, p) {
			return false
		}
	}
	return true
}

type fieldInfo struct {
	key      string
	index    int
	required bool
	enum     []string
	min      *float64
}

func fields(t reflect.Type) []fieldInfo {
	var out []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "" || key == "-" || !f.IsExported() {
			continue
		}
		fi := fieldInfo{key: key, index: i}
		for _, opt := range strings.Split(f.Tag.Get("config"), ",") {
			switch {
			case opt == "required":
				fi.required = true
			case strings.HasPrefix(opt, "enum="):
				fi.enum = strings.Split(strings.TrimPrefix(opt, "enum="), "|")
			case strings.HasPrefix(opt, "min="):
				v, err := strconv.ParseFloat(strings.TrimPrefix(opt, "min="), 64)
				if err != nil {
					panic("config: bad min tag on " + t.Name() + "." + f.Name)
				}
				fi.min = &v
			case opt == "":
			default:
				panic("config: unknown rule " + opt + " on " + t.Name() + "." + f.Name)
			}
		}
		out = append(out, fi)
	}
	return out
}

// Keys lists the YAML keys of a schema struct, in declaration order.
func Keys(schema any) []string {
	t := reflect.TypeOf(schema)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var keys []string
	for _, f := range fields(t) {
		keys = append(keys, f.key)
	}
	return keys
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	d.pos[path] = d.at(n)
	if v.CanAddr() {
		if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
			nd.decodeNode(d, n, path)
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			v.SetZero()
			return
		}
		e := reflect.New(v.Type().Elem())
		d.decode(n, e.Elem(), path)
		v.Set(e)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, path, "want a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), index(path, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.errorf(n, path, "want a mapping, got %s", describe(n))
			return
		}
		if v.Type().Key().Kind() != reflect.String {
			panic("config: map keys must be strings")
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, c := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
				d.errorf(k, path, "keys must be names, got %s", describe(k))
				continue
			}
			if seen[k.Value] {
				d.errorf(k, join(path, k.Value), "key given twice")
				continue
			}
			seen[k.Value] = true
			e := reflect.New(v.Type().Elem()).Elem()
			d.decode(c, e, join(path, k.Value))
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), e)
		}
		v.Set(m)
	case reflect.Interface:
		g, ok := d.generic(n, path)
		if ok && g != nil {
			v.Set(reflect.ValueOf(g))
		}
	default:
		d.decodeScalar(n, v, path)
	}
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n, path, "want %s, got %s", wantName(v.Kind()), describe(n))
		return
	}
	tag := n.ShortTag()
	switch v.Kind() {
	case reflect.String:
		if tag != "!!str" {
			d.errorf(n, path, "want a string, got %s (quote it: \"%s\")", describe(n), n.Value)
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if tag != "!!bool" {
			d.errorf(n, path, "want true or false, got %s", describe(n))
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			d.errorf(n, path, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		var i int64
		if tag != "!!int" || n.Decode(&i) != nil || v.OverflowInt(i) {
			d.errorf(n, path, "want a whole number, got %s", describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Uint64, reflect.Uint, reflect.Uint32:
		var i uint64
		if tag != "!!int" || n.Decode(&i) != nil || v.OverflowUint(i) {
			d.errorf(n, path, "want a whole number >= 0, got %s", describe(n))
			return
		}
		v.SetUint(i)
	case reflect.Float64:
		f, ok := d.number(n, path)
		if ok {
			v.SetFloat(f)
		}
	default:
		panic("config: unsupported field kind " + v.Kind().String())
	}
}

// number decodes an int or float scalar into a finite float64.
func (d *decoder) number(n *yaml.Node, path string) (float64, bool) {
	tag := n.ShortTag()
	var f float64
	if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || n.Decode(&f) != nil {
		d.errorf(n, path, "want a number, got %s", describe(n))
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.errorf(n, path, "want a finite number, got %s", n.Value)
		return 0, false
	}
	return f, true
}

func wantName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Float64:
		return "a number"
	}
	return "a whole number"
}

// generic decodes a node of an `any` field: strings, int64, float64,
// bools, []any and map[string]any.
func (d *decoder) generic(n *yaml.Node, path string) (any, bool) {
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			g, ok := d.generic(c, index(path, i))
			if !ok {
				return nil, false
			}
			out[i] = g
		}
		return out, true
	case yaml.MappingNode:
		out := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.ShortTag() != "!!str" {
				d.errorf(k, path, "keys must be names, got %s", describe(k))
				return nil, false
			}
			g, ok := d.generic(n.Content[i+1], join(path, k.Value))
			if !ok {
				return nil, false
			}
			out[k.Value] = g
		}
		return out, true
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, true
	case "!!str":
		return n.Value, true
	case "!!bool":
		var b bool
		_ = n.Decode(&b)
		return b, true
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return i, true
		}
	}
	f, ok := d.number(n, path)
	return f, ok
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping of keys, got %s", describe(n))
		return
	}
	errsBefore := len(d.errs)
	fs := fields(v.Type())
	keys := make([]string, len(fs))
	for i, f := range fs {
		keys[i] = f.key
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, c := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			d.errorf(k, path, "keys must be names, got %s", describe(k))
			continue
		}
		if seen[k.Value] != nil {
			d.errorf(k, join(path, k.Value), "key given twice (first at line %d)", seen[k.Value].Line)
			continue
		}
		seen[k.Value] = k
		var f *fieldInfo
		for j := range fs {
			if fs[j].key == k.Value {
				f = &fs[j]
			}
		}
		if f == nil {
			d.errorf(k, join(path, k.Value), "unknown key%s; valid keys: %s", suggest.Hint(k.Value, keys, 3), strings.Join(keys, ", "))
			continue
		}
		p := join(path, f.key)
		fv := v.Field(f.index)
		if isNull(c) && fv.Kind() != reflect.Pointer && fv.Kind() != reflect.Interface {
			if f.required {
				d.errorf(c, p, "needs a value")
			}
			continue // null leaves the default
		}
		before := len(d.errs)
		d.decode(c, fv, p)
		if len(d.errs) == before {
			d.rules(c, fv, p, f)
		}
	}
	for _, f := range fs {
		if f.required && seen[f.key] == nil {
			d.errorf(n, join(path, f.key), "required key is missing")
		}
	}
	if c, ok := v.Addr().Interface().(checker); ok && len(d.errs) == errsBefore {
		d.check(n, c, path)
	}
}

// check runs a schema's Check and places its errors.
func (d *decoder) check(n *yaml.Node, c checker, path string) {
	for _, fe := range unwrapFieldErrors(c.Check()) {
		p := join(path, fe.Path)
		pos, ok := d.pos[p]
		if !ok {
			pos = d.at(n)
		}
		d.errs = append(d.errs, &Error{Pos: pos, Path: p, Msg: fe.Msg})
	}
}

func unwrapFieldErrors(err error) []*FieldError {
	if err == nil {
		return nil
	}
	var out []*FieldError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, unwrapFieldErrors(e)...)
		}
		return out
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return []*FieldError{fe}
	}
	return []*FieldError{{Msg: err.Error()}}
}

func (d *decoder) rules(n *yaml.Node, v reflect.Value, path string, f *fieldInfo) {
	if f.enum != nil && v.Kind() == reflect.String {
		s := v.String()
		ok := false
		for _, e := range f.enum {
			ok = ok || e == s
		}
		if !ok {
			d.errorf(n, path, "unknown value %q%s; valid: %s", s, suggest.Hint(s, f.enum, 1), strings.Join(f.enum, ", "))
		}
	}
	if f.min != nil {
		switch v.Kind() {
		case reflect.Int, reflect.Int64, reflect.Int32:
			if float64(v.Int()) < *f.min {
				d.errorf(n, path, "must be >= %v, got %d", *f.min, v.Int())
			}
		case reflect.Float64:
			if v.Float() < *f.min {
				d.errorf(n, path, "must be >= %v, got %v", *f.min, v.Float())
			}
		case reflect.Slice, reflect.Map:
			if float64(v.Len()) < *f.min {
				d.errorf(n, path, "needs at least %v entries, got %d", *f.min, v.Len())
			}
		}
	}
}

func (d *decoder) sorted() Errors {
	sort.SliceStable(d.errs, func(i, j int) bool {
		a, b := d.errs[i].Pos, d.errs[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return d.errs
}
