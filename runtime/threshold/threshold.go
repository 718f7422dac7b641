// Package threshold turns a result into pass or fail, as k6's thresholds
// do: each threshold is a small expression comparing an aggregate of one
// per-episode field with a number,
//
//	reward.mean > 0.5
//	p95(steps) < 900
//	mean(hearts_deposited){policy=baseline, mission=assembler_2} >= 1
//
// The grammar (spaces are free between tokens):
//
//	threshold := aggregate [selector] op number
//	aggregate := field "." agg | agg "(" field ")"
//	selector  := "{" tag "=" value { "," tag "=" value } "}"   (tags: policy, mission)
//	field     := name { "." name }     (reward, steps, resources_gained.carbon, game.chest.heart.deposited)
//	agg       := mean | median | min | max | std | sum | count | pNN  (NN a percentile 0..100, e.g. p95, p99.9)
//	op        := < | <= | > | >= | == | !=
//
// In the "field.agg" form the last name is the aggregate. A percentile is
// linearly interpolated (NumPy's default). The samples of a field are its
// values over the result's episodes that match the selector, in the
// result's order; an aggregate of no samples fails the threshold.
package threshold

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dafscript/dafscript/runtime/stats"
	"github.com/dafscript/dafscript/sim/suggest"
)

// Aggregates are the aggregate names besides pNN.
var Aggregates = []string{"mean", "median", "min", "max", "std", "sum", "count"}

// Tags are the selector keys.
var Tags = []string{"policy", "mission"}

// Tag is one selector term.
type Tag struct{ Key, Value string }

// Threshold is one parsed expression.
type Threshold struct {
	Expr  string  // as written, trimmed
	Field string  // "reward"
	Agg   string  // "mean", "p95"
	Q     float64 // the percentile in [0, 1] when Agg is pNN
	Where []Tag   // selector terms, in the order written
	Op    string  // "<", "<=", ">", ">=", "==", "!="
	Value float64
}

// Error is a threshold that does not parse, with the byte offset of the
// problem in the expression.
type Error struct {
	Expr string
	Col  int // 1-based
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("threshold %q, column %d: %s", e.Expr, e.Col, e.Msg)
}

type parser struct {
	s   string
	pos int
}

func (p *parser) fail(format string, a ...any) error {
	return &Error{Expr: p.s, Col: p.pos + 1, Msg: fmt.Sprintf(format, a...)}
}

func (p *parser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && (c >= '0' && c <= '9'))
}

// name reads name { "." name }.
func (p *parser) dotted() string {
	start := p.pos
	for {
		if p.pos >= len(p.s) || !isNameByte(p.s[p.pos], true) {
			return p.s[start:p.pos]
		}
		for p.pos < len(p.s) && isNameByte(p.s[p.pos], false) {
			p.pos++
		}
		if p.pos+1 < len(p.s) && p.s[p.pos] == '.' && isNameByte(p.s[p.pos+1], true) {
			p.pos++
			continue
		}
		// a percentile such as p99.9 continues with digits
		if p.pos+1 < len(p.s) && p.s[p.pos] == '.' && p.s[p.pos+1] >= '0' && p.s[p.pos+1] <= '9' {
			p.pos++
			for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
				p.pos++
			}
		}
		return p.s[start:p.pos]
	}
}

// aggregate checks an aggregate name and returns its quantile (pNN).
func aggregate(name string) (float64, bool) {
	if slices.Contains(Aggregates, name) {
		return 0, true
	}
	if len(name) > 1 && name[0] == 'p' {
		q, err := strconv.ParseFloat(name[1:], 64)
		if err == nil && q >= 0 && q <= 100 && name[1] != '+' && name[1] != '-' {
			return q / 100, true
		}
	}
	return 0, false
}

func aggHint(name string) string {
	return fmt.Sprintf("unknown aggregate %q%s; want one of %s or pNN (a percentile such as p95)", name,
		suggest.Hint(name, Aggregates, 2), strings.Join(Aggregates, ", "))
}

// Parse parses one threshold expression.
func Parse(expr string) (Threshold, error) {
	p := &parser{s: strings.TrimSpace(expr)}
	t := Threshold{Expr: p.s}
	if p.s == "" {
		return t, p.fail("empty threshold; write e.g. \"reward.mean > 0.5\"")
	}
	start := p.pos
	first := p.dotted()
	if first == "" {
		return t, p.fail("want a field or an aggregate, e.g. reward.mean or p95(steps)")
	}
	p.space()
	if p.pos < len(p.s) && p.s[p.pos] == '(' {
		q, ok := aggregate(first)
		if !ok {
			p.pos = start
			return t, p.fail("%s", aggHint(first))
		}
		t.Agg, t.Q = first, q
		p.pos++
		p.space()
		fstart := p.pos
		t.Field = p.dotted()
		if t.Field == "" {
			return t, p.fail("want a field name inside %s(...), e.g. %s(reward)", first, first)
		}
		_ = fstart
		p.space()
		if p.pos >= len(p.s) || p.s[p.pos] != ')' {
			return t, p.fail("want ')' after %s(%s", first, t.Field)
		}
		p.pos++
	} else {
		i := strings.LastIndex(first, ".")
		if i < 0 {
			return t, p.fail("%q has no aggregate; write %s.mean, %s.p95, or mean(%s)", first, first, first, first)
		}
		// p99.9: the last dot may belong to the percentile.
		field, agg := first[:i], first[i+1:]
		if j := strings.LastIndex(field, "."); j >= 0 && len(agg) > 0 && agg[0] >= '0' && agg[0] <= '9' {
			field, agg = first[:j], first[j+1:]
		}
		q, ok := aggregate(agg)
		if !ok {
			p.pos = start + len(field) + 1
			return t, p.fail("%s", aggHint(agg))
		}
		t.Field, t.Agg, t.Q = field, agg, q
	}
	p.space()
	if p.pos < len(p.s) && p.s[p.pos] == '{' {
		p.pos++
		for {
			p.space()
			kpos := p.pos
			key := p.dotted()
			if !slices.Contains(Tags, key) {
				p.pos = kpos
				return t, p.fail("unknown selector %q%s; selectors: %s", key, suggest.Hint(key, Tags, 2), strings.Join(Tags, ", "))
			}
			p.space()
			if p.pos >= len(p.s) || p.s[p.pos] != '=' {
				return t, p.fail("want '=' after %s", key)
			}
			p.pos++
			p.space()
			vstart := p.pos
			for p.pos < len(p.s) && !strings.ContainsRune(",} \t", rune(p.s[p.pos])) {
				p.pos++
			}
			if p.pos == vstart {
				return t, p.fail("want a value for %s", key)
			}
			t.Where = append(t.Where, Tag{key, p.s[vstart:p.pos]})
			p.space()
			if p.pos < len(p.s) && p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.pos < len(p.s) && p.s[p.pos] == '}' {
				p.pos++
				break
			}
			return t, p.fail("want ',' or '}' in the selector")
		}
		p.space()
	}
	for _, op := range []string{"<=", ">=", "==", "!=", "<", ">"} {
		if strings.HasPrefix(p.s[p.pos:], op) {
			t.Op = op
			p.pos += len(op)
			break
		}
	}
	if t.Op == "" {
		return t, p.fail("want a comparison (<, <=, >, >=, ==, !=) after %s", p.s[:p.pos])
	}
	p.space()
	num := strings.TrimSpace(p.s[p.pos:])
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return t, p.fail("want a number after %s, got %q", t.Op, num)
	}
	t.Value = v
	return t, nil
}

// Source gives the samples of a field over the episodes matching where.
// It returns an error naming the fields it knows when field is not one.
type Source interface {
	Samples(field string, where []Tag) ([]float64, error)
}

// Outcome is a threshold evaluated on a result.
type Outcome struct {
	Expr  string      `json:"expr"`
	Value stats.Float `json:"value"` // the aggregate (null if undefined)
	N     int         `json:"n"`     // samples aggregated
	Pass  bool        `json:"pass"`
}

// Aggregate computes agg over x (NaN when undefined).
func (t Threshold) Aggregate(x []float64) float64 {
	switch t.Agg {
	case "mean":
		return stats.Mean(x)
	case "median":
		return stats.Median(x)
	case "min":
		if len(x) == 0 {
			return math.NaN()
		}
		return slices.Min(x)
	case "max":
		if len(x) == 0 {
			return math.NaN()
		}
		return slices.Max(x)
	case "std":
		return stats.Std(x)
	case "sum":
		s := 0.0
		for _, v := range x {
			s += v
		}
		return s
	case "count":
		return float64(len(x))
	}
	return stats.Quantile(x, t.Q)
}

// Holds says whether v op Value; NaN never holds.
func (t Threshold) Holds(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	switch t.Op {
	case "<":
		return v < t.Value
	case "<=":
		return v <= t.Value
	case ">":
		return v > t.Value
	case ">=":
		return v >= t.Value
	case "==":
		return v == t.Value
	}
	return v != t.Value
}

// Eval evaluates t on src.
func (t Threshold) Eval(src Source) (Outcome, error) {
	x, err := src.Samples(t.Field, t.Where)
	if err != nil {
		return Outcome{}, fmt.Errorf("threshold %q: %w", t.Expr, err)
	}
	v := t.Aggregate(x)
	return Outcome{Expr: t.Expr, Value: stats.Float(v), N: len(x), Pass: t.Holds(v)}, nil
}

// Report is every threshold of one check, in the order given.
type Report struct {
	Outcomes []Outcome `json:"thresholds"`
	Pass     bool      `json:"pass"`
}

// Check parses and evaluates every expression; a parse or field error is
// returned before anything is evaluated.
func Check(src Source, exprs []string) (*Report, error) {
	if len(exprs) == 0 {
		return nil, fmt.Errorf("no thresholds given; write e.g. \"reward.mean > 0.5\"")
	}
	ts := make([]Threshold, len(exprs))
	for i, e := range exprs {
		t, err := Parse(e)
		if err != nil {
			return nil, err
		}
		ts[i] = t
	}
	r := &Report{Pass: true}
	for _, t := range ts {
		o, err := t.Eval(src)
		if err != nil {
			return nil, err
		}
		r.Outcomes = append(r.Outcomes, o)
		r.Pass = r.Pass && o.Pass
	}
	return r, nil
}

// String lists the thresholds, one a line, marked ok or FAIL with the
// value found:
//
//	ok   reward.mean > 0.5      (0.95 over 15 episodes)
//	FAIL p95(steps) < 900       (1000 over 15 episodes)
func (r *Report) String() string {
	width := 0
	for _, o := range r.Outcomes {
		width = max(width, len(o.Expr))
	}
	var b strings.Builder
	for _, o := range r.Outcomes {
		mark := "ok  "
		if !o.Pass {
			mark = "FAIL"
		}
		v := "undefined"
		if !math.IsNaN(float64(o.Value)) {
			v = strconv.FormatFloat(float64(o.Value), 'g', 6, 64)
		}
		fmt.Fprintf(&b, "%s %-*s  (%s over %d episodes)\n", mark, width, o.Expr, v, o.N)
	}
	return b.String()
}

// Failed counts the failed thresholds.
func (r *Report) Failed() int {
	n := 0
	for _, o := range r.Outcomes {
		if !o.Pass {
			n++
		}
	}
	return n
}
