package builtins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/dafscript/dafscript/runtime/compare"
	"github.com/dafscript/dafscript/runtime/output"
	"github.com/dafscript/dafscript/runtime/stats"
)

func reportFixture() *compare.Report {
	s := func(m float64) stats.Summary {
		return stats.Summary{N: 4, Mean: m, Std: 1, Median: m, IQM: m, CILow: m - 1, CIHigh: m + 1, Min: m - 2, Max: m + 2}
	}
	return &compare.Report{
		Policies: []string{"random", "baseline"}, Missions: []string{"training_facility_1"},
		EpisodesPerMission: 4, Seed: 3, Alpha: 0.05, Metric: "reward",
		SummaryStatistics: map[string]stats.Summary{"random": s(1), "baseline": s(5)},
		PerMission: map[string]map[string]stats.Summary{
			"random": {"training_facility_1": s(1)}, "baseline": {"training_facility_1": s(5)},
		},
		PairwiseComparisons: []compare.Pairwise{{A: "random", B: "baseline", MeanDiff: -4, WelchP: 0.001, MannWhitneyP: 0.02, HolmP: 0.001, Significant: true, CohensD: -4, ProbImprovement: 0}},
	}
}

// runReportScript runs src with the daf module and the predeclared
// values extra; it returns the globals.
func runReportScript(t *testing.T, env *Env, src string, extra starlark.StringDict) (starlark.StringDict, error) {
	t.Helper()
	th := &starlark.Thread{Name: "test"}
	SetEnv(th, env)
	pre := starlark.StringDict{"daf": NewModule(env)}
	for k, v := range extra {
		pre[k] = v
	}
	return starlark.ExecFileOptions(&syntax.FileOptions{}, th, "report_test.star", src, pre)
}

func TestExportHTML(t *testing.T) {
	dir := t.TempDir()
	env := &Env{OutDir: filepath.Join(dir, "out"), AllowWrite: []string{filepath.Join(dir, "sub")}, Version: "dafscript test", ScriptPath: "exp.star", Vars: map[string]string{"episodes": "4"}}
	res, err := NewResult(ComparisonKind, reportFixture())
	if err != nil {
		t.Fatal(err)
	}
	mission, err := NewResult(MissionKind, struct {
		Name string `json:"name"`
	}{"x"})
	if err != nil {
		t.Fatal(err)
	}
	extra := starlark.StringDict{"r": res, "m": mission, "custom": starlark.String(filepath.Join(dir, "sub", "r.html"))}
	g, err := runReportScript(t, env, `
default = daf.export_html(r)
explicit = daf.export_html(r, path=custom)
both = daf.export_html([r, r])
md = daf.export_markdown(r)
`, extra)
	if err != nil {
		t.Fatal(err)
	}
	str := func(name string) string { s, _ := starlark.AsString(g[name]); return s }

	def := str("default")
	if filepath.Base(def) != "comparison.html" || filepath.Base(filepath.Dir(filepath.Dir(def))) != "visualizations" {
		t.Errorf("default path %q, want out/visualizations/<session>/comparison.html", def)
	}
	man, err := output.ReadManifest(filepath.Dir(def))
	if err != nil {
		t.Fatal(err)
	}
	if man.Status != output.StatusDone || len(man.Files) != 1 || man.Files[0].Name != "comparison.html" || man.ScriptPath != "exp.star" {
		t.Errorf("manifest: %+v", man)
	}
	html, _ := os.ReadFile(def)
	for _, want := range []string{"<title>Policy comparison: 2 policies on 1 mission</title>", `id="ranked-table"`, "--var episodes", "dafscript test"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("default report lacks %q", want)
		}
	}
	if got := str("explicit"); got != filepath.Join(dir, "sub", "r.html") {
		t.Errorf("explicit path %q", got)
	} else if b, err := os.ReadFile(got); err != nil || string(b) != string(html) {
		t.Errorf("explicit report differs from the default one (%v)", err)
	}
	if b, _ := os.ReadFile(str("both")); filepath.Base(str("both")) != "report.html" || strings.Count(string(b), `id="ranked-table"`) != 2 {
		t.Errorf("list of results: %s", str("both"))
	}
	if md := str("md"); !strings.Contains(md, "| 1 | **baseline** | 5 |") {
		t.Errorf("markdown:\n%s", md)
	}

	for _, tc := range []struct{ src, want string }{
		{`daf.export_html(1)`, "daf.export_html: result: got int, want the result of daf.compare, daf.evaluate, daf.benchmark, daf.analyze_mission, daf.analyze_performance, daf.train or daf.sweep"},
		{`daf.export_html(m)`, "daf.export_html: result: got Mission, want the result of"},
		{`daf.export_html([r, 2])`, "daf.export_html: result[1]: got int"},
		{`daf.export_html([])`, "got an empty list"},
		{`daf.export_html(r, path=3)`, "daf.export_html: path: got int, want a string or None"},
		{`daf.export_html(r, path="")`, "path: got an empty string"},
		{`daf.export_html(r, pth="x")`, `unexpected keyword argument "pth" (did you mean path?)`},
		{`daf.export_markdown([r])`, "daf.export_markdown: result: got a list, want one result"},
		{`daf.export_markdown("r")`, "daf.export_markdown: result: got string"},
	} {
		_, err := runReportScript(t, env, tc.src, extra)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.src, err, tc.want)
		}
	}
}

// A real mission analysis renders with its map.
func TestExportHTMLMissionAnalysis(t *testing.T) {
	dir := t.TempDir()
	env := &Env{OutDir: dir}
	g, err := runReportScript(t, env, `p = daf.export_html(daf.analyze_mission("training_facility_1"), path = out + "/m.html")`,
		starlark.StringDict{"out": starlark.String(dir)})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := starlark.AsString(g["p"])
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<svg class="map"`, "Mission analysis: training_facility_1", "Resource budget"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("mission report lacks %q", want)
		}
	}
}
