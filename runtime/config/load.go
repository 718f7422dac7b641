package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dafscript/dafscript/sim/suggest"
)

// KindKey is the optional top-level key that names a file's kind
// ("kind: sweep"). Every schema accepts it.
const KindKey = "kind"

type kindInfo struct {
	name string
	new  func() any
	doc  string
}

var kinds []kindInfo

// Register adds a config kind: its name (the value of `kind:`), a
// constructor returning a pointer to a fresh schema struct with its
// defaults set, and a one-line description. Registering is what makes a
// kind known to Load and Validate; sweep.go and training.go show the few
// lines a new kind needs.
func Register(name string, new func() any, doc string) {
	for _, k := range kinds {
		if k.name == name {
			panic("config: kind " + name + " registered twice")
		}
	}
	kinds = append(kinds, kindInfo{name, new, doc})
	sort.Slice(kinds, func(i, j int) bool { return kinds[i].name < kinds[j].name })
}

// Kinds lists the registered kinds, sorted.
func Kinds() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.name
	}
	return out
}

func lookup(name string) (kindInfo, bool) {
	for _, k := range kinds {
		if k.name == name {
			return k, true
		}
	}
	return kindInfo{}, false
}

// New returns a fresh schema value (a pointer, defaults set) of a kind.
func New(kind string) (any, error) {
	k, ok := lookup(kind)
	if !ok {
		return nil, fmt.Errorf("unknown config kind %q%s; kinds: %s", kind, suggest.Hint(kind, Kinds(), 1), strings.Join(Kinds(), ", "))
	}
	return k.new(), nil
}

// Document is a decoded config file.
type Document struct {
	Path  string
	Kind  string
	Value any // pointer to the kind's schema struct, e.g. *Sweep

	pos map[string]Pos // where each decoded key path is in the file
}

// Pos returns where a key path ("search_space.learning_rate",
// "missions[1]") is in the file, so that checks made after decoding (a
// hyperparameter name the trainer does not know) can point at it; the
// file alone when the path is not in it.
func (d *Document) Pos(path string) Pos {
	if p, ok := d.pos[path]; ok {
		return p
	}
	return Pos{Source: d.Path}
}

// At places an error found after decoding: a *FieldError (as returned
// by a schema's or an operation's Check) becomes an *Error at its key's
// position; other errors are returned as they are.
func (d *Document) At(err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &Error{Pos: d.Pos(fe.Path), Path: fe.Path, Msg: fe.Msg}
	}
	return err
}

// parse reads YAML text into its document's root mapping, enforcing the
// limits.
func parse(source string, data []byte) (*yaml.Node, *decoder, error) {
	d := &decoder{source: source, pos: map[string]Pos{}}
	if len(data) > MaxFileBytes {
		return nil, nil, &Error{Pos: Pos{Source: source}, Msg: fmt.Sprintf("file is %d bytes; configs are limited to %d", len(data), MaxFileBytes)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, yamlError(source, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, nil, &Error{Pos: Pos{Source: source, Line: extra.Line, Column: extra.Column}, Msg: "more than one YAML document (---); a config is one document"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil, &Error{Pos: Pos{Source: source}, Msg: "empty config"}
	}
	root := doc.Content[0]
	if !d.checkShape(root, 0, "") {
		return nil, nil, d.sorted()
	}
	if root.Kind != yaml.MappingNode {
		return nil, nil, &Error{Pos: d.at(root), Msg: "want a mapping of keys at the top level, got " + describe(root)}
	}
	return root, d, nil
}

// yamlError turns yaml.v3's syntax errors ("yaml: line 3: ...") into a
// positioned Error.
func yamlError(source string, err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		_, rest, _ := strings.Cut(msg, ":")
		return &Error{Pos: Pos{Source: source, Line: line, Column: 1}, Msg: "malformed YAML:" + rest}
	}
	return &Error{Pos: Pos{Source: source}, Msg: "malformed YAML: " + msg}
}

// takeKind removes a top-level kind: key and returns its value.
func takeKind(d *decoder, root *yaml.Node) (string, *yaml.Node) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == KindKey {
			v := root.Content[i+1]
			root.Content = append(root.Content[:i:i], root.Content[i+2:]...)
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
				d.errorf(v, KindKey, "want a kind name (%s), got %s", strings.Join(Kinds(), ", "), describe(v))
				return "", v
			}
			return v.Value, v
		}
	}
	return "", nil
}

// detect chooses a kind for a file without kind:. A kind fits when it
// knows every top-level key; if exactly one fits, it is the kind. If
// several fit, the one whose required keys are all present wins, when
// only one has them all. Otherwise the kind that knows the most keys is
// taken, so that its errors (unknown keys with did-you-mean) are shown.
func detect(root *yaml.Node) (string, error) {
	var top []string
	for i := 0; i+1 < len(root.Content); i += 2 {
		top = append(top, root.Content[i].Value)
	}
	type score struct {
		name            string
		known, required int
		allRequired     bool
	}
	var scores []score
	for _, k := range kinds {
		t := reflect.TypeOf(k.new()).Elem()
		fs := fields(t)
		s := score{name: k.name, allRequired: true}
		for _, key := range top {
			for _, f := range fs {
				if f.key == key {
					s.known++
				}
			}
		}
		for _, f := range fs {
			if !f.required {
				continue
			}
			present := false
			for _, key := range top {
				present = present || key == f.key
			}
			s.allRequired = s.allRequired && present
		}
		scores = append(scores, s)
	}
	var fit, complete []string
	for _, s := range scores {
		if s.known == len(top) {
			fit = append(fit, s.name)
			if s.allRequired {
				complete = append(complete, s.name)
			}
		}
	}
	switch {
	case len(fit) == 1:
		return fit[0], nil
	case len(fit) > 1 && len(complete) == 1:
		return complete[0], nil
	case len(fit) > 1:
		return "", fmt.Errorf("could be a %s config; add a %s: key to say which", strings.Join(fit, " or "), KindKey)
	}
	best := scores[0]
	for _, s := range scores[1:] {
		if s.known > best.known {
			best = s
		}
	}
	if best.known == 0 {
		return "", fmt.Errorf("not a config this version knows: none of its keys belong to a %s config; add a %s: key", strings.Join(Kinds(), ", "), KindKey)
	}
	return best.name, nil
}

// Parse decodes YAML text. kind names the expected kind ("" to accept
// any, detecting it from kind: or the file's shape). A kind: key that
// disagrees with kind is an error.
func Parse(source string, data []byte, kind string) (*Document, error) {
	root, d, err := parse(source, data)
	if err != nil {
		return nil, err
	}
	given, givenNode := takeKind(d, root)
	if len(d.errs) > 0 {
		return nil, d.sorted()
	}
	if given != "" {
		if _, ok := lookup(given); !ok {
			return nil, &Error{Pos: d.at(givenNode), Path: KindKey, Msg: fmt.Sprintf("unknown kind %q%s; kinds: %s", given, suggest.Hint(given, Kinds(), 1), strings.Join(Kinds(), ", "))}
		}
	}
	switch {
	case given != "" && kind != "" && given != kind:
		return nil, &Error{Pos: d.at(givenNode), Path: KindKey, Msg: fmt.Sprintf("this is a %s config; a %s config is expected here", given, kind)}
	case given != "":
		kind = given
	case kind == "":
		k, err := detect(root)
		if err != nil {
			return nil, &Error{Pos: d.at(root), Msg: err.Error()}
		}
		kind = k
	}
	v, err := New(kind)
	if err != nil {
		return nil, err
	}
	d.decode(root, reflect.ValueOf(v).Elem(), "")
	if len(d.errs) > 0 {
		return nil, d.sorted()
	}
	return &Document{Path: source, Kind: kind, Value: v, pos: d.pos}, nil
}

// Load reads and decodes a config file; see Parse.
func Load(path, kind string) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxFileBytes {
		return nil, &Error{Pos: Pos{Source: path}, Msg: fmt.Sprintf("file is %d bytes; configs are limited to %d", st.Size(), MaxFileBytes)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, kind)
}

// Validate checks a config file of any kind without running it and
// returns the kind it found.
func Validate(path string) (string, error) {
	doc, err := Load(path, "")
	if err != nil {
		return "", err
	}
	return doc.Kind, nil
}

// DecodeValue checks a Go value built from a builtin's arguments (maps
// with string keys, lists, strings, numbers, bools, nil) against the
// schema that out points to, with the same rules as a file; source names
// the builtin in errors ("daf.sweep: search_space.lr: ..."). A map's keys
// are visited in sorted order.
func DecodeValue(source string, value any, out any) error {
	var n yaml.Node
	if err := n.Encode(value); err != nil {
		return &Error{Pos: Pos{Source: source}, Msg: err.Error()}
	}
	clearPositions(&n)
	d := &decoder{source: source, pos: map[string]Pos{}}
	if !d.checkShape(&n, 0, "") {
		return d.errs
	}
	d.decode(&n, reflect.ValueOf(out).Elem(), "")
	if len(d.errs) > 0 {
		return d.errs
	}
	return nil
}

// clearPositions drops the line numbers an encoded node gets, which
// would point into no file.
func clearPositions(n *yaml.Node) {
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		clearPositions(c)
	}
}

// Generic returns a decoded schema value as plain maps, lists and
// scalars keyed by the YAML names, defaults included, for daf.load_config
// to hand to Starlark.
func Generic(v any) (map[string]any, error) {
	data, err := yaml.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := yaml.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return out, nil
}
