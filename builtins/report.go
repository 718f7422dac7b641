package builtins

import (
	"fmt"

	"go.starlark.net/starlark"

	"github.com/dafscript/dafscript/runtime/op"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/report"
)

const exportHTMLDoc = `daf.export_html(result, path=None)

Writes a self-contained HTML report (inline CSS and SVG charts, nothing
loaded from the network, printable) of result: a value returned by
daf.compare, daf.evaluate, daf.benchmark, daf.analyze_mission,
daf.analyze_performance, daf.train or daf.sweep, or a list of them for one report with every section. Without path it goes to
<kind>.html (report.html for a list) in a step of the run's session,
<out>/runs/<session>/NN_report/ (outside a script run,
<out>/visualizations/<session>/). A path is relative to <out>; it may name
a file under <out> or under a --allow-write DIR of the command line, never
the script or a file it loaded; in a script run the step records it.
Returns the path written.

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
			return nil, nil, fmt.Errorf("%s: %s: got %s, want the result of daf.compare, daf.evaluate, daf.benchmark, daf.analyze_mission, daf.analyze_performance, daf.train or daf.sweep",
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
	o := report.ExportOptions{Generator: env.Version, Kinds: kinds, Values: vals,
		Meta: report.RunMeta(env.ScriptPath, env.ScriptSHA256, nil, env.Vars)}
	call := map[string]any{"function": b.Name(), "kinds": kinds}
	if path != "" {
		if o.Path, err = output.ResolveWrite(path, env.WriteRules()); err != nil {
			return nil, err
		}
		call["path"] = o.Path
		if env.RunSession == nil { // no run to record it in: just the file
			written, err := o.Write(nil)
			if err != nil {
				return nil, err
			}
			env.Logger.Info("report written", "path", written)
			return starlark.String(written), nil
		}
	}
	written, _, err := op.Do(env.Op(b.Name()), report.ExportOperation, op.Call[report.ExportOptions]{Options: o, Seed: env.Seed, Args: call})
	if err != nil {
		return nil, err
	}
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
