package builtins

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/report"
)

const exportHTMLDoc = `daf.export_html(result, path=None)

Writes a self-contained HTML report (inline CSS and SVG charts, nothing
loaded from the network, printable) of result: a value returned by
daf.compare, daf.evaluate, daf.analyze_mission, daf.analyze_performance or
daf.train, or a list of them for one report with every section. Without path it goes to
<out>/visualizations/<session>/<kind>.html, recorded in that session's
manifest. A path is relative to <out>; it may name a file under <out> or
under a --allow-write DIR of the command line, never the script or a file
it loaded. Returns the path written.

    r = daf.compare(policies=["baseline", "random"], missions=["training_facility_1"])
    print(daf.export_html(r))`

const exportMarkdownDoc = `daf.export_markdown(result)

Returns result as Markdown: for daf.compare a leaderboard table (rank,
policy, mean with its 95% CI, IQM, episodes, and the Holm-adjusted
comparison with the best), for the other results of daf.export_html a
summary table. Paste it into a README or a pull request:

    r = daf.compare(policies=["baseline", "random"], missions=["training_facility_1"])
    print(daf.export_markdown(r))`

// reportValues recovers the Go results behind a result or a list of them.
func reportValues(fnName string, v starlark.Value) ([]any, []string, error) {
	items, isList := elements(v)
	if isList && len(items) == 0 {
		return nil, nil, fmt.Errorf("%s: result: got an empty %s, want a result or a list of results", fnName, v.Type())
	}
	var vals []any
	var kinds []string
	for i, it := range items {
		_, gv, ok := ResultOf(it)
		kind, known := "", false
		if ok {
			kind, known = report.KindOf(gv)
		}
		if !known {
			return nil, nil, fmt.Errorf("%s: %s: got %s, want the result of daf.compare, daf.evaluate, daf.analyze_mission, daf.analyze_performance or daf.train",
				fnName, indexed("result", i, isList), it.Type())
		}
		vals = append(vals, gv)
		kinds = append(kinds, kind)
	}
	return vals, kinds, nil
}

func builtinExportHTML(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var resV, pathV starlark.Value = nil, starlark.None
	if err := UnpackArgs(b.Name(), args, kwargs, "result", &resV, "path?", &pathV); err != nil {
		return nil, err
	}
	vals, kinds, err := reportValues(b.Name(), resV)
	if err != nil {
		return nil, err
	}
	path := ""
	switch p := pathV.(type) {
	case starlark.NoneType:
	case starlark.String:
		path = string(p)
		if path == "" {
			return nil, fmt.Errorf("%s: path: got an empty string, want a file name such as \"report.html\" (or None)", b.Name())
		}
	default:
		return nil, fmt.Errorf("%s: path: got %s, want a string or None", b.Name(), pathV.Type())
	}
	env := EnvOf(t)

	title := report.Title(vals[0])
	if len(vals) > 1 {
		title = "Report: " + strings.Join(kinds, ", ")
	}
	doc := report.NewDocument(title)
	doc.Generator = env.Version
	if env.ScriptPath != "" {
		doc.Meta = append(doc.Meta, report.Meta{Key: "Script", Value: env.ScriptPath})
	}
	if env.ScriptSHA256 != "" {
		doc.Meta = append(doc.Meta, report.Meta{Key: "Script SHA-256", Value: env.ScriptSHA256})
	}
	for _, k := range sortedVarNames(env.Vars) {
		doc.Meta = append(doc.Meta, report.Meta{Key: "--var " + k, Value: env.Vars[k]})
	}
	for i, v := range vals {
		if err := doc.Add(kinds[i], v); err != nil {
			return nil, fmt.Errorf("%s: %v", b.Name(), err)
		}
	}
	html, err := doc.HTML()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}

	if path != "" {
		if path, err = output.ResolveWrite(path, env.WriteRules()); err != nil {
			return nil, fmt.Errorf("%s: %v", b.Name(), err)
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("%s: path: %v", b.Name(), err)
			}
		}
		if err := output.WriteFileAtomic(path, html, 0o644); err != nil {
			return nil, fmt.Errorf("%s: path: %v", b.Name(), err)
		}
		env.Logger.Info("report written", "path", path)
		return starlark.String(path), nil
	}

	name := kinds[0] + ".html"
	if len(vals) > 1 {
		name = "report.html"
	}
	info := output.RunInfo{Version: env.Version, ScriptPath: env.ScriptPath, ScriptSHA256: env.ScriptSHA256,
		Vars: env.Vars, Seed: env.Seed, Args: map[string]any{"function": b.Name(), "kinds": kinds}}
	s, err := output.NewManager(env.OutDir).NewSession("visualizations", info)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	written, err := s.WriteFile(name, html)
	status := output.StatusDone
	if err != nil {
		status = output.StatusFailed
	}
	if ferr := s.FinishWithError(status, err); err == nil {
		err = ferr
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	env.Logger.Info("report written", "path", written)
	return starlark.String(written), nil
}

func builtinExportMarkdown(t *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var resV starlark.Value
	if err := UnpackArgs(b.Name(), args, kwargs, "result", &resV); err != nil {
		return nil, err
	}
	if _, isList := elements(resV); isList {
		return nil, fmt.Errorf("%s: result: got a %s, want one result (call it once per result)", b.Name(), resV.Type())
	}
	vals, _, err := reportValues(b.Name(), resV)
	if err != nil {
		return nil, err
	}
	md, err := report.Markdown(vals[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	return starlark.String(md), nil
}

func sortedVarNames(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
