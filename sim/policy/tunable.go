package policy

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Tunable is a numeric parameter of a policy class that a spec may set
// (as a keyword argument) and a sweep may search: its name, its default
// (what the class does when the parameter is not given) and its range.
type Tunable struct {
	Name     string
	Default  float64
	Min, Max float64 // inclusive
	Int      bool    // whole numbers only
	Doc      string  // one line: what the parameter changes
}

// Range describes the valid values: "a whole number from 0 to 255".
func (t Tunable) Range() string {
	kind := "a number"
	if t.Int {
		kind = "a whole number"
	}
	return kind + " from " + formatFloat(t.Min) + " to " + formatFloat(t.Max)
}

// Check returns an error naming the parameter and its range when v is not
// a valid value.
func (t Tunable) Check(v float64) error {
	if math.IsNaN(v) || v < t.Min || v > t.Max || (t.Int && v != math.Trunc(v)) {
		return fmt.Errorf("parameter %s = %s: want %s", t.Name, formatFloat(v), t.Range())
	}
	return nil
}

// Tunables returns the tunable parameters of a class, sorted by name: none
// for a class that has none or is unknown. Class aliases resolve.
func Tunables(class string) []Tunable {
	regMu.RLock()
	defer regMu.RUnlock()
	return append([]Tunable(nil), registry[resolveAlias(strings.TrimSpace(class))].tunables...)
}

// LookupTunable returns the class's tunable parameter called name; an
// unknown name is an error with a did-you-mean and the valid names.
func LookupTunable(class, name string) (Tunable, error) {
	ts := Tunables(class)
	for _, t := range ts {
		if t.Name == name {
			return t, nil
		}
	}
	return Tunable{}, unknownParam(class, name, ts)
}

func unknownParam(class, name string, ts []Tunable) error {
	if len(ts) == 0 {
		return fmt.Errorf("unknown parameter %q: policy %s has no tunable parameters", name, class)
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	sort.Strings(names)
	hint := ""
	if c := closest(name, names); len(c) > 0 {
		hint = " (did you mean " + strings.Join(c, " or ") + "?)"
	}
	return fmt.Errorf("unknown parameter %q%s; %s takes %s", name, hint, class, strings.Join(names, ", "))
}

// ParamValues reads a spec's keyword arguments as values of the tunables
// ts of class: every tunable gets its value, the default where the
// keyword is absent. An unknown keyword, a value that is not a number and
// a value out of range are errors naming the parameter (the first in
// name order).
func ParamValues(class string, ts []Tunable, kwargs map[string]any) (map[string]float64, error) {
	keys := slices.Sorted(maps.Keys(kwargs))
	byName := make(map[string]Tunable, len(ts))
	for _, t := range ts {
		byName[t.Name] = t
	}
	out := make(map[string]float64, len(ts))
	for _, t := range ts {
		out[t.Name] = t.Default
	}
	for _, k := range keys {
		t, ok := byName[k]
		if !ok {
			return nil, unknownParam(class, k, ts)
		}
		v, ok := number(kwargs[k])
		if !ok {
			return nil, fmt.Errorf("parameter %s = %v (%T): want %s", k, kwargs[k], kwargs[k], t.Range())
		}
		if err := t.Check(v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// number converts the numeric types a keyword argument arrives as.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// formatFloat writes v in its shortest form, a whole number below 1e21 as
// an integer (30, not 3e+01), as FormatInt would.
func formatFloat(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e21 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// checkTunables panics on a malformed declaration (a programming error in
// an init function): an empty or repeated name, an empty range, a default
// out of range.
func checkTunables(class string, ts []Tunable) {
	seen := map[string]bool{}
	for _, t := range ts {
		switch {
		case t.Name == "" || seen[t.Name]:
			panic("policy.Register: " + class + ": empty or repeated tunable name " + strconv.Quote(t.Name))
		case !(t.Min <= t.Max):
			panic("policy.Register: " + class + ": tunable " + t.Name + " has an empty range")
		case t.Int && (t.Min != math.Trunc(t.Min) || t.Max != math.Trunc(t.Max)):
			panic("policy.Register: " + class + ": integer tunable " + t.Name + " has a fractional bound")
		case t.Doc == "":
			panic("policy.Register: " + class + ": tunable " + t.Name + " has no doc")
		}
		if err := t.Check(t.Default); err != nil {
			panic("policy.Register: " + class + ": default of " + err.Error())
		}
		seen[t.Name] = true
	}
}
