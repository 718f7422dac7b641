package builtins

import (
	"encoding"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/big"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// ToStarlark converts plain Go data to a frozen Starlark value:
//
//   - nil and nil pointers, maps and slices -> None, except that nil maps
//     and slices become {} and [] (a result's list field is always a list)
//   - bool, strings, integers (any size) -> bool, string, int
//   - floats -> float; NaN and infinities -> None (an undefined statistic)
//   - slices and arrays -> list; []byte -> string
//   - maps -> dict with sorted keys (non-string keys are formatted the way
//     encoding/json formats them)
//   - structs -> a result (see NewResult) whose kind is the Go type name
//   - a starlark.Value -> itself
//
// Values that implement json.Marshaler but have no exported fields (a
// time.Time) go through their JSON form.
func ToStarlark(v any) (starlark.Value, error) {
	if v == nil {
		return starlark.None, nil
	}
	if sv, ok := v.(starlark.Value); ok {
		sv.Freeze()
		return sv, nil
	}
	out, err := toStarlark(reflect.ValueOf(v), 0)
	if err != nil {
		return nil, err
	}
	out.Freeze()
	return out, nil
}

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	starlarkValueType = reflect.TypeFor[starlark.Value]()
)

const maxDepth = 64

func toStarlark(rv reflect.Value, depth int) (starlark.Value, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("value nested more than %d levels (a cycle?)", maxDepth)
	}
	if !rv.IsValid() {
		return starlark.None, nil
	}
	if rv.Type().Implements(starlarkValueType) && rv.CanInterface() {
		if rv.Kind() == reflect.Interface || rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				return starlark.None, nil
			}
		}
		return rv.Interface().(starlark.Value), nil
	}
	switch rv.Kind() {
	case reflect.Interface, reflect.Pointer:
		if rv.IsNil() {
			return starlark.None, nil
		}
		return toStarlark(rv.Elem(), depth+1)
	case reflect.Bool:
		return starlark.Bool(rv.Bool()), nil
	case reflect.String:
		return starlark.String(rv.String()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return starlark.MakeInt64(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return starlark.MakeUint64(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return starlark.None, nil
		}
		return starlark.Float(f), nil
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return starlark.String(rv.Bytes()), nil
		}
		fallthrough
	case reflect.Array:
		elems := make([]starlark.Value, rv.Len())
		for i := range elems {
			e, err := toStarlark(rv.Index(i), depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			elems[i] = e
		}
		return starlark.NewList(elems), nil
	case reflect.Map:
		type kv struct {
			k string
			v reflect.Value
		}
		items := make([]kv, 0, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			k, err := mapKey(it.Key())
			if err != nil {
				return nil, err
			}
			items = append(items, kv{k, it.Value()})
		}
		sort.Slice(items, func(i, j int) bool { return items[i].k < items[j].k })
		d := starlark.NewDict(len(items))
		for _, item := range items {
			e, err := toStarlark(item.v, depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%q]: %w", item.k, err)
			}
			if err := d.SetKey(starlark.String(item.k), e); err != nil {
				return nil, err
			}
		}
		return d, nil
	case reflect.Struct:
		if !hasExportedFields(rv.Type()) && rv.Type().Implements(jsonMarshalerType) {
			return viaJSON(rv.Interface())
		}
		name := rv.Type().Name()
		if name == "" {
			name = "struct"
		}
		r, err := newResultDepth(name, rv, depth+1)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	return nil, fmt.Errorf("cannot convert Go %s to a Starlark value", rv.Type())
}

func mapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if k.Type().Implements(textMarshalerType) {
		b, err := k.Interface().(encoding.TextMarshaler).MarshalText()
		return string(b), err
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", fmt.Errorf("cannot convert a map with %s keys to a Starlark dict", k.Type())
}

func hasExportedFields(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).IsExported() {
			return true
		}
	}
	return false
}

func viaJSON(v any) (starlark.Value, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeJSON(data, false)
}

// decodeJSON decodes data, keeping numbers exact, and converts it with
// fromJSON.
func decodeJSON(data []byte, records bool) (starlark.Value, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, err
	}
	return fromJSON(x, records)
}

// fromJSON converts decoded JSON (numbers as json.Number) to Starlark:
// numbers become ints where they are whole, objects dicts with sorted keys
// or, with records, records (r["k"] and r.k).
func fromJSON(x any, records bool) (starlark.Value, error) {
	switch x := x.(type) {
	case json.Number:
		if i, ok := new(big.Int).SetString(x.String(), 10); ok {
			return starlark.MakeBigInt(i), nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, err
		}
		return toStarlark(reflect.ValueOf(f), 0)
	case []any:
		elems := make([]starlark.Value, len(x))
		for i, e := range x {
			v, err := fromJSON(e, records)
			if err != nil {
				return nil, err
			}
			elems[i] = v
		}
		return starlark.NewList(elems), nil
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		d := starlark.NewDict(len(x))
		for _, k := range keys {
			v, err := fromJSON(x[k], records)
			if err != nil {
				return nil, err
			}
			_ = d.SetKey(starlark.String(k), v)
		}
		if records {
			return newRecord(d), nil
		}
		return d, nil
	}
	return toStarlark(reflect.ValueOf(x), 0)
}

type field struct {
	name  string
	value starlark.Value
}

// newResultDepth converts the exported fields of a struct under their
// json names, embedded structs flattened as encoding/json does.
func newResultDepth(kind string, rv reflect.Value, depth int) (*Result, error) {
	var fs []field
	if err := appendFields(&fs, map[string]bool{}, rv, depth); err != nil {
		return nil, err
	}
	r := &Result{kind: kind, fields: make(map[string]starlark.Value, len(fs))}
	if rv.CanInterface() {
		r.goValue = rv.Interface()
	}
	for _, f := range fs {
		r.fields[f.name] = f.value
		r.names = append(r.names, f.name)
	}
	sort.Strings(r.names)
	return r, nil
}

func appendFields(out *[]field, seen map[string]bool, rv reflect.Value, depth int) error {
	t := rv.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			ft := sf.Type
			fv := rv.Field(i)
			if ft.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				ft, fv = ft.Elem(), fv.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if err := appendFields(out, seen, fv, depth); err != nil {
					return err
				}
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = snake(sf.Name)
		}
		if seen[name] {
			continue // the shallower field wins, as in encoding/json
		}
		seen[name] = true
		fv := rv.Field(i)
		var val starlark.Value
		var err error
		switch {
		case fv.Kind() == reflect.Slice && fv.IsNil() && fv.Type().Elem().Kind() != reflect.Uint8:
			val = starlark.NewList(nil)
		case fv.Kind() == reflect.Map && fv.IsNil():
			val = starlark.NewDict(0)
		default:
			val, err = toStarlark(fv, depth+1)
		}
		if err != nil {
			return fmt.Errorf("field %s: %w", name, err)
		}
		val.Freeze()
		*out = append(*out, field{name, val})
	}
	return nil
}

// snake turns a Go field name without a json tag into snake_case
// ("MaxSteps" -> "max_steps", "IQM" -> "iqm").
func snake(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		upper := r >= 'A' && r <= 'Z'
		if upper && i > 0 {
			prevLower := rs[i-1] >= 'a' && rs[i-1] <= 'z' || rs[i-1] >= '0' && rs[i-1] <= '9'
			nextLower := i+1 < len(rs) && rs[i+1] >= 'a' && rs[i+1] <= 'z'
			if prevLower || (nextLower && rs[i-1] >= 'A' && rs[i-1] <= 'Z') {
				b.WriteByte('_')
			}
		}
		if upper {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// FromStarlark converts a Starlark value to plain Go data: None -> nil,
// bool, int -> int64 (or uint64 above MaxInt64), float -> float64,
// string, list and tuple -> []any, dict with string keys ->
// map[string]any, a result or struct -> map[string]any of its fields.
// Other values (functions, sets) are an error naming where they were.
func FromStarlark(v starlark.Value) (any, error) {
	return fromStarlark(v, 0)
}

func fromStarlark(v starlark.Value, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("value nested more than %d levels (a cycle?)", maxDepth)
	}
	switch x := v.(type) {
	case nil, starlark.NoneType:
		return nil, nil
	case starlark.Bool:
		return bool(x), nil
	case starlark.Int:
		if i, ok := x.Int64(); ok {
			return i, nil
		}
		if u, ok := x.Uint64(); ok {
			return u, nil
		}
		return nil, fmt.Errorf("integer %s is too large (at most 64 bits)", x)
	case starlark.Float:
		return float64(x), nil
	case starlark.String:
		return string(x), nil
	case *starlark.List, starlark.Tuple:
		it := x.(starlark.Iterable).Iterate()
		defer it.Done()
		out := []any{}
		var e starlark.Value
		for i := 0; it.Next(&e); i++ {
			g, err := fromStarlark(e, depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out = append(out, g)
		}
		return out, nil
	case *starlark.Dict:
		out := make(map[string]any, x.Len())
		for _, item := range x.Items() {
			k, ok := item[0].(starlark.String)
			if !ok {
				return nil, fmt.Errorf("dict key %s is a %s, want a string", item[0], item[0].Type())
			}
			g, err := fromStarlark(item[1], depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%q]: %w", string(k), err)
			}
			out[string(k)] = g
		}
		return out, nil
	case *Result:
		return fromAttrs(x, x.names, depth)
	case *Record:
		return fromStarlark(x.d, depth)
	case *starlarkstruct.Struct:
		return fromAttrs(x, x.AttrNames(), depth)
	}
	return nil, fmt.Errorf("cannot use a %s here (want None, bool, int, float, string, list, tuple or dict)", v.Type())
}

func fromAttrs(x starlark.HasAttrs, names []string, depth int) (map[string]any, error) {
	out := make(map[string]any, len(names))
	for _, n := range names {
		a, err := x.Attr(n)
		if err != nil {
			return nil, err
		}
		g, err := fromStarlark(a, depth+1)
		if err != nil {
			return nil, fmt.Errorf(".%s: %w", n, err)
		}
		out[n] = g
	}
	return out, nil
}
