package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
)

// ExportOptions is one HTML report of one or more results: what
// daf.export_html and dafscript report write.
type ExportOptions struct {
	Title     string // "" : Title of the one result, or "Report: KIND, KIND"
	Generator string // "dafscript 1.2.3", shown in the footer
	Meta      []Meta
	Kinds     []string // the report kind of each value
	Values    []any
	// Name is the file's name in the session; "": <kind>.html, or
	// report.html for several results.
	Name string
	// Path, when set, is the absolute (already confined) file the report
	// goes to instead of the session.
	Path string
}

// Check reports the first invalid option.
func (o ExportOptions) Check() error {
	switch {
	case len(o.Values) == 0:
		return errors.New("result: none given, want a result or a list of results")
	case len(o.Kinds) != len(o.Values):
		return fmt.Errorf("result: %d kinds for %d results", len(o.Kinds), len(o.Values))
	case o.Path != "" && !filepath.IsAbs(o.Path):
		return fmt.Errorf("path %q: want an absolute path", o.Path)
	}
	return nil
}

// HTML renders the report.
func (o ExportOptions) HTML() ([]byte, error) {
	title := o.Title
	if title == "" {
		title = Title(o.Values[0])
		if len(o.Values) > 1 {
			title = "Report: " + strings.Join(o.Kinds, ", ")
		}
	}
	doc := NewDocument(title)
	doc.Generator, doc.Meta = o.Generator, o.Meta
	for i, v := range o.Values {
		if err := doc.Add(o.Kinds[i], v); err != nil {
			return nil, err
		}
	}
	return doc.HTML()
}

// Write renders the report and writes it to o.Path, or into s, and
// returns the path written. s may be nil when o.Path is set.
func (o ExportOptions) Write(s *output.Session) (string, error) {
	html, err := o.HTML()
	if err != nil {
		return "", err
	}
	if o.Path == "" {
		name := o.Name
		switch {
		case name != "":
		case len(o.Values) > 1:
			name = "report.html"
		default:
			name = o.Kinds[0] + ".html"
		}
		return s.WriteFile(name, html)
	}
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o755); err != nil {
		return "", fmt.Errorf("path: %w", err)
	}
	if err := output.WriteFileAtomic(o.Path, html, 0o644); err != nil {
		return "", fmt.Errorf("path: %w", err)
	}
	return o.Path, nil
}

// RunMeta returns the facts of the run a report comes from, in the order
// a report shows them: its script and the script's hash (when known), the
// seed (when seed is not nil) and the --var values by name.
func RunMeta(script, sha256 string, seed *uint64, vars map[string]string) []Meta {
	var m []Meta
	if script != "" {
		m = append(m, Meta{Key: "Script", Value: script})
	}
	if sha256 != "" {
		m = append(m, Meta{Key: "Script SHA-256", Value: sha256})
	}
	if seed != nil {
		m = append(m, Meta{Key: "Seed", Value: fmt.Sprint(*seed)})
	}
	for _, k := range sortedKeys(vars) {
		m = append(m, Meta{Key: "--var " + k, Value: vars[k]})
	}
	return m
}

// ExportOperation is daf.export_html: the report goes to
// visualizations/<session>/ (a step of a script run's session), or to
// ExportOptions.Path, which the step then records among its arguments.
var ExportOperation = op.Spec[ExportOptions, string]{
	Name: "report", Folder: "visualizations",
	Body: func(_ *op.Run, s *output.Session, o ExportOptions) (string, error) { return o.Write(s) },
}

// SessionOperation is dafscript report: ExportOperation writing to
// reports/<session>/.
var SessionOperation = op.Spec[ExportOptions, string]{
	Name: "report", Folder: "reports", Body: ExportOperation.Body,
}
