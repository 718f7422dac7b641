// Package report turns results into documents people read: one
// self-contained HTML file (inline CSS and inline SVG charts, no script,
// nothing fetched from the network, printable) and Markdown leaderboards
// for READMEs and pull requests.
//
// Each result type contributes its own sections through a registry, so a
// new result type (a sweep, a pipeline) adds a renderer with Register
// without touching the others.
package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Section is one part of a report: an <h2> heading and its body.
type Section struct {
	ID    string // anchor; the document makes it unique
	Title string
	// Body is trusted HTML: no script, no external resource. Build it with
	// html/template or the helpers of this package, which escape text.
	Body template.HTML
}

// SectionFunc renders one result (of the kind it was registered for) as
// report sections.
type SectionFunc func(v any) ([]Section, error)

// MarkdownFunc renders one result as Markdown.
type MarkdownFunc func(v any) (string, error)

// Option adds to a registration what a kind may offer besides sections.
type Option func(*kind)

type kind struct {
	name     string
	sections SectionFunc
	markdown MarkdownFunc
	types    []reflect.Type
	jsonKeys []string // top-level keys that identify a JSON file of this kind
	decode   func([]byte) (any, error)
	title    func(v any) string
}

// kindTable is every result kind the reports render, in one place.
func kindTable() map[string]*kind {
	m := map[string]*kind{}
	for _, k := range []*kind{comparisonKind(), evaluationKind(), performanceKind(), missionAnalysisKind(), trainingKind()} {
		m[k.name] = k
	}
	return m
}

var (
	regMu sync.RWMutex
	reg   = kindTable()
)

func newKind(name string, fn SectionFunc, opts ...Option) *kind {
	k := &kind{name: name, sections: fn}
	for _, o := range opts {
		o(k)
	}
	return k
}

// Register makes fn render results of the given kind beside those of
// kindTable. Registering a kind twice panics: it is a programming error.
func Register(name string, fn SectionFunc, opts ...Option) {
	if name == "" || fn == nil {
		panic("report.Register: a kind needs a name and a SectionFunc")
	}
	k := newKind(name, fn, opts...)
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := reg[name]; dup {
		panic("report.Register: duplicate kind " + name)
	}
	reg[name] = k
}

// WithMarkdown gives the kind a Markdown rendering.
func WithMarkdown(fn MarkdownFunc) Option { return func(k *kind) { k.markdown = fn } }

// WithTitle names a result of the kind in a document title ("Policy
// comparison: 3 policies on 2 missions").
func WithTitle(fn func(v any) string) Option { return func(k *kind) { k.title = fn } }

// ForType binds the Go type T (and *T) to the kind, so that KindOf, HTML
// and Markdown find the kind from a value alone.
func ForType[T any]() Option {
	return func(k *kind) { k.types = append(k.types, reflect.TypeFor[T](), reflect.TypeFor[*T]()) }
}

// FromJSON lets `dafscript report` recognise a session's JSON file as
// this kind when its top-level object has all of keys, and decode it as T.
func FromJSON[T any](keys ...string) Option {
	return func(k *kind) {
		k.jsonKeys = keys
		k.decode = func(data []byte) (any, error) {
			v := new(T)
			if err := json.Unmarshal(data, v); err != nil {
				return nil, err
			}
			return v, nil
		}
	}
}

func lookup(name string) (*kind, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	k, ok := reg[name]
	return k, ok
}

// Kinds returns the registered kinds, sorted.
func Kinds() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	names := make([]string, 0, len(reg))
	for n := range reg {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// KindOf returns the kind registered for v's type.
func KindOf(v any) (string, bool) {
	t := reflect.TypeOf(v)
	regMu.RLock()
	defer regMu.RUnlock()
	for _, n := range sortedKeys(reg) {
		if slices.Contains(reg[n].types, t) {
			return n, true
		}
	}
	return "", false
}

// DecodeJSON recognises a JSON document as one of the registered kinds
// (by its top-level keys) and decodes it. ok is false when no kind claims
// it.
func DecodeJSON(data []byte) (kindName string, v any, ok bool, err error) {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return "", nil, false, nil
	}
	regMu.RLock()
	var match *kind
	for _, n := range sortedKeys(reg) {
		k := reg[n]
		if k.decode == nil || len(k.jsonKeys) == 0 {
			continue
		}
		if !slices.ContainsFunc(k.jsonKeys, func(key string) bool { _, has := top[key]; return !has }) {
			match = k
			break
		}
	}
	regMu.RUnlock()
	if match == nil {
		return "", nil, false, nil
	}
	v, err = match.decode(data)
	if err != nil {
		return match.name, nil, true, fmt.Errorf("%s result: %w", match.name, err)
	}
	return match.name, v, true, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// As returns v as a T; it accepts a T or a non-nil *T, as results
// arrive either way (a SectionFunc starts with it).
func As[T any](v any) (T, error) {
	switch x := v.(type) {
	case T:
		return x, nil
	case *T:
		if x != nil {
			return *x, nil
		}
	}
	var zero T
	return zero, fmt.Errorf("report: got %T, want %T", v, zero)
}

// Meta is one line of a document's facts table (script, seed, session).
type Meta struct{ Key, Value string }

// Document is one HTML report: a title, facts about the run that produced
// it, and the sections of one or more results.
type Document struct {
	Title     string
	Generator string // "dafscript 1.2.3", shown in the footer
	Meta      []Meta
	sections  []Section
	ids       map[string]int
}

// NewDocument returns an empty document.
func NewDocument(title string) *Document {
	return &Document{Title: title, ids: map[string]int{}}
}

// Add renders v with the kind's SectionFunc and appends its sections.
// An empty kind means the kind registered for v's type.
func (d *Document) Add(kindName string, v any) error {
	if kindName == "" {
		var ok bool
		if kindName, ok = KindOf(v); !ok {
			return fmt.Errorf("report: no report kind for %T (known: %s)", v, strings.Join(Kinds(), ", "))
		}
	}
	k, ok := lookup(kindName)
	if !ok {
		return fmt.Errorf("report: unknown kind %q (known: %s)", kindName, strings.Join(Kinds(), ", "))
	}
	secs, err := k.sections(v)
	if err != nil {
		return fmt.Errorf("report: %s: %w", kindName, err)
	}
	for _, s := range secs {
		d.AddSection(s)
	}
	return nil
}

// AddSection appends a section, making its id unique in the document.
func (d *Document) AddSection(s Section) {
	if d.ids == nil {
		d.ids = map[string]int{}
	}
	base := slug(s.ID)
	if base == "" {
		base = slug(s.Title)
	}
	if base == "" {
		base = "section"
	}
	d.ids[base]++
	s.ID = base
	if n := d.ids[base]; n > 1 {
		s.ID = base + "-" + strconv.Itoa(n)
	}
	d.sections = append(d.sections, s)
}

// Sections returns the document's sections in order.
func (d *Document) Sections() []Section { return slices.Clone(d.sections) }

// HTML renders the document as one self-contained HTML file.
func (d *Document) HTML() ([]byte, error) {
	var b bytes.Buffer
	err := pageTmpl().Execute(&b, struct {
		*Document
		CSS      template.CSS
		Sections []Section
	}{d, template.CSS(pageCSS), d.sections})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return b.Bytes(), nil
}

// Title returns a short description of v for a document title, from its
// kind's WithTitle, or the kind name.
func Title(v any) string {
	name, ok := KindOf(v)
	if !ok {
		return "Report"
	}
	k, _ := lookup(name)
	if k.title != nil {
		return k.title(v)
	}
	return name
}

// HTML renders one result as a complete document titled by Title(v).
func HTML(v any, generator string, meta ...Meta) ([]byte, error) {
	d := NewDocument(Title(v))
	d.Generator = generator
	d.Meta = meta
	if err := d.Add("", v); err != nil {
		return nil, err
	}
	return d.HTML()
}

// Markdown renders v with its kind's Markdown function: a leaderboard
// table for a comparison, a summary table for the others.
func Markdown(v any) (string, error) {
	name, ok := KindOf(v)
	if !ok {
		return "", fmt.Errorf("report: no report kind for %T (known: %s)", v, strings.Join(Kinds(), ", "))
	}
	k, _ := lookup(name)
	if k.markdown == nil {
		return "", fmt.Errorf("report: %s results have no Markdown form", name)
	}
	return k.markdown(v)
}

// slug makes an HTML id: lower-case letters, digits and dashes.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	return b.String()
}

var pageTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
{{- if .Generator}}
<meta name="generator" content="{{.Generator}}"/>
{{- end}}
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<header class="doc-header">
<h1>{{.Title}}</h1>
{{- if .Meta}}
<table class="facts">
<tbody>
{{- range .Meta}}
<tr><th scope="row">{{.Key}}</th><td>{{.Value}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- if gt (len .Sections) 1}}
<nav class="toc" aria-label="Contents">
<h2>Contents</h2>
<ol>
{{- range .Sections}}
<li><a href="#{{.ID}}">{{.Title}}</a></li>
{{- end}}
</ol>
</nav>
{{- end}}
</header>
<main>
{{- range .Sections}}
<section id="{{.ID}}" class="report-section">
<h2>{{.Title}}</h2>
{{.Body}}
</section>
{{- end}}
</main>
<footer class="doc-footer">
<p>{{if .Generator}}Generated by {{.Generator}}. {{end}}This file is self-contained: it loads nothing from the network.</p>
</footer>
</body>
</html>
`))
})

const pageCSS = `
:root{--fg:#1d2329;--muted:#5b6570;--line:#d5dae0;--bg:#fff;--head:#f3f5f7;--good:#1a7f37;--good-bg:#dcf3e3;--bad:#b42318;--bad-bg:#fbe2df;--warn-bg:#fff4d6}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1180px;padding:24px 28px 40px;color:var(--fg);background:var(--bg);
font:15px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",sans-serif}
h1{font-size:26px;margin:0 0 12px}
h2{font-size:20px;margin:32px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:16px;margin:22px 0 8px}
p{margin:6px 0 10px}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Liberation Mono",monospace;font-size:13px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:var(--head);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.facts th{background:var(--head);font-weight:600;white-space:nowrap}
tr.best td{font-weight:600}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px;border:1px solid rgba(0,0,0,.25)}
.muted,.note{color:var(--muted)}
.note{font-size:13px}
.warnings{background:var(--warn-bg);border:1px solid #e9c46a;border-radius:6px;padding:8px 14px;margin:10px 0}
.warnings ul{margin:4px 0;padding-left:20px}
.errors{background:var(--bad-bg);border:1px solid var(--bad);border-radius:6px;padding:8px 14px}
.ok{color:var(--good);font-weight:600}.fail{color:var(--bad);font-weight:600}
table.pairwise td.cell{text-align:center;white-space:nowrap;font-variant-numeric:tabular-nums}
table.pairwise td.better{background:var(--good-bg);color:var(--good)}
table.pairwise td.worse{background:var(--bad-bg);color:var(--bad)}
table.pairwise td.diag{background:var(--head);color:var(--muted)}
figure{margin:12px 0 18px}
figcaption{color:var(--muted);font-size:13px;margin-top:4px}
svg.chart{display:block;width:100%;height:auto}
svg.map{display:block;max-width:100%;height:auto;border:1px solid var(--line)}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:8px 18px}
.legend{list-style:none;padding:0;margin:6px 0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px}
.toc ol{margin:4px 0;padding-left:22px;columns:2}
.toc h2{font-size:15px;border:0;margin:14px 0 2px}
.doc-footer{margin-top:36px;color:var(--muted);font-size:12px;border-top:1px solid var(--line)}
.scroll{overflow-x:auto}
@media print{
 body{max-width:none;padding:0;font-size:11pt}
 .toc{display:none}
 h2{break-after:avoid}
 table,figure,.chart-box{break-inside:avoid}
 .scroll{overflow:visible}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 a{color:inherit;text-decoration:none}
}
`
