package report

import (
	"encoding/json"
	"flag"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dafscript/dafscript/runtime/analysis"
	"github.com/dafscript/dafscript/runtime/compare"
	"github.com/dafscript/dafscript/runtime/eval"
	"github.com/dafscript/dafscript/runtime/stats"
	"github.com/dafscript/dafscript/runtime/trainresult"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, d)
	}
}

func render(t *testing.T, v any) []byte {
	t.Helper()
	b, err := HTML(v, "dafscript test", Meta{"Script", "experiments/compare.star"}, Meta{"Seed", "7"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoldenOutlines(t *testing.T) {
	full := NewDocument("All result kinds")
	for _, v := range []any{fixtureReport(), fixtureAnalysis(), fixtureTraining(), fixtureEvaluation(), fixturePerformance()} {
		if err := full.Add("", v); err != nil {
			t.Fatal(err)
		}
	}
	fullHTML, err := full.HTML()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		html []byte
	}{
		{"comparison", render(t, fixtureReport())},
		{"mission", render(t, fixtureAnalysis())},
		{"training", render(t, fixtureTraining())},
		{"evaluation", render(t, fixtureEvaluation())},
		{"performance", render(t, fixturePerformance())},
		{"document", fullHTML},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, err := parseHTML(tc.html)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".outline.golden", outline(root))
		})
	}
}

func TestDeterministic(t *testing.T) {
	a, b := render(t, fixtureReport()), render(t, fixtureReport())
	if string(a) != string(b) {
		t.Error("two renderings of the same report differ")
	}
}

// TestSelfContained checks that a report loads nothing: no script, no
// external reference of any kind, and that every font family ends in a
// generic family so no font file is needed.
func TestSelfContained(t *testing.T) {
	full := NewDocument("x")
	for _, v := range []any{fixtureReport(), fixtureAnalysis(), fixtureTraining(), fixtureEvaluation(), fixturePerformance()} {
		full.Add("", v)
	}
	data, _ := full.HTML()
	s := string(data)
	// ZgotmplZ is what html/template writes for a value it refused.
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "@import", "@font-face", "url(", "src=", "javascript:", "zgotmplz"} {
		if strings.Contains(strings.ToLower(s), bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(s, -1) {
		if !strings.HasPrefix(m[1], "#") {
			t.Errorf("external link %q", m[1])
		}
	}
	fams := regexp.MustCompile(`font-family:([^;}"]+(?:"[^"]*"[^;}"]*)*)`).FindAllStringSubmatch(s, -1)
	fams = append(fams, regexp.MustCompile(`font-family="([^"]+)"`).FindAllStringSubmatch(s, -1)...)
	if len(fams) < 3 {
		t.Errorf("only %d font-family declarations found", len(fams))
	}
	for _, m := range fams {
		fam := strings.TrimSpace(m[1])
		if !regexp.MustCompile(`(sans-serif|serif|monospace)$`).MatchString(fam) {
			t.Errorf("font-family %q has no generic fallback", fam)
		}
	}
	if !strings.Contains(s, "@media print") {
		t.Error("no print style")
	}
	// The only http URLs are XML namespace names, which are never fetched.
	for _, m := range regexp.MustCompile(`https?://[^"' )]+`).FindAllString(s, -1) {
		if m != "http://www.w3.org/2000/svg" && m != "http://www.w3.org/1999/xlink" {
			t.Errorf("URL %q in report", m)
		}
	}
}

func TestComparisonContent(t *testing.T) {
	r := fixtureReport()
	root, err := parseHTML(render(t, r))
	if err != nil {
		t.Fatal(err)
	}
	rows := root.find(func(n *node) bool { return n.Tag == "tr" && n.hasClass("policy-row") })
	var order []string
	for _, row := range rows {
		order = append(order, strings.Fields(row.Text)[1])
	}
	if d := cmp.Diff([]string{"baseline", "random", "noop"}, order); d != "" {
		t.Errorf("ranking order (-want +got):\n%s", d)
	}
	if !rows[0].hasClass("best") || rows[1].hasClass("best") {
		t.Error("best row not marked")
	}
	if got := len(root.find(byTag("svg"))); got != 2 {
		t.Errorf("%d charts, want 2 (overall and per mission)", got)
	}
	// Pairwise matrix: random - baseline is significantly worse (red) with
	// ***; random - noop is not significant.
	cells := root.find(func(n *node) bool { return n.Tag == "td" && n.hasClass("cell") && !n.hasClass("diag") })
	if len(cells) != 6 {
		t.Fatalf("%d pairwise cells, want 6", len(cells))
	}
	want := []struct{ class, text string }{
		{"worse", "-2.8 ***"}, {"ns", "+0.4"}, {"better", "+2.8 ***"}, {"better", "+3.2 ***"}, {"ns", "-0.4"}, {"worse", "-3.2 ***"},
	}
	for i, w := range want {
		if !cells[i].hasClass(w.class) || cells[i].Text != w.text {
			t.Errorf("cell %d: class %q text %q, want %s %q", i, cells[i].Attr["class"], cells[i].Text, w.class, w.text)
		}
	}
	if z := root.find(func(n *node) bool { return n.hasClass("zero-metrics") }); len(z) != 1 || !strings.Contains(z[0].Text, "agent.decoder.gained") {
		t.Error("always-zero metric not listed apart")
	}
	if strings.Contains(root.find(func(n *node) bool { return n.hasClass("metrics-resources") })[0].Text, "decoder") {
		t.Error("always-zero metric shown in a table")
	}
	// Detailed metrics land in their groups.
	for id, metric := range map[string]string{
		"metrics-resources": "agent.carbon.gained", "metrics-energy": "agent.energy.gained",
		"metrics-actions": "agent.action.move.success", "metrics-inventory": "agent.inventory.diversity",
		"metrics-status": "agent.status.max_steps_without_motion", "metrics-other": "game.tokens_written",
		"metrics-outcome": "hearts",
	} {
		tables := root.find(func(n *node) bool { return n.Tag == "table" && n.hasClass(id) })
		if len(tables) != 1 || !strings.Contains(tables[0].Text, metric) {
			t.Errorf("table %s missing or without %s", id, metric)
		}
	}
}

func TestRankingTies(t *testing.T) {
	r := fixtureReport()
	s := r.SummaryStatistics["random"]
	s.Mean = r.SummaryStatistics["baseline"].Mean
	r.SummaryStatistics["random"] = s
	var got []string
	for _, row := range ranking(r) {
		got = append(got, fmt.Sprint(row.Rank, row.Policy))
	}
	if d := cmp.Diff([]string{"1random", "1baseline", "3noop"}, got); d != "" {
		t.Errorf("ranks (-want +got):\n%s", d)
	}
}

func TestComparisonEdgeCases(t *testing.T) {
	one := compare.Report{
		Policies: []string{"<b>x</b>"}, Missions: []string{"m"}, Metric: "reward", Alpha: 0.05, EpisodesPerMission: 1,
		SummaryStatistics: map[string]stats.Summary{"<b>x</b>": {N: 1, Mean: 2, Std: math.NaN(), CILow: math.NaN(), CIHigh: math.NaN()}},
		PerMission:        map[string]map[string]stats.Summary{"<b>x</b>": {"m": {N: 1, Mean: 2, Std: math.NaN(), CILow: math.NaN(), CIHigh: math.NaN()}}},
	}
	b, err := HTML(one, "")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Contains(s, "<b>x</b>") || !strings.Contains(s, "&lt;b&gt;x&lt;/b&gt;") {
		t.Error("policy name not escaped")
	}
	if strings.Contains(s, `id="pairwise"`) {
		t.Error("pairwise section for a single policy")
	}
	if !strings.Contains(s, "<svg") {
		t.Error("no chart for a point without interval")
	}
	// No defined value at all: tables, no chart, no error.
	nan := stats.Summary{N: 0, Mean: math.NaN(), CILow: math.NaN(), CIHigh: math.NaN()}
	empty := compare.Report{Policies: []string{"a", "b"}, Missions: []string{"m"}, Metric: "reward",
		SummaryStatistics: map[string]stats.Summary{"a": nan, "b": nan}}
	if b, err = HTML(empty, ""); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "<svg") {
		t.Error("chart drawn without any defined value")
	}
	if _, err := HTML(compare.Report{}, ""); err == nil {
		t.Error("empty comparison: no error")
	}
}

func TestMissionMap(t *testing.T) {
	a := fixtureAnalysis()
	a.Grid = append(a.Grid[:len(a.Grid):len(a.Grid)], "#?..........#")
	root, err := parseHTML(render(t, a))
	if err != nil {
		t.Fatal(err)
	}
	svgs := root.find(func(n *node) bool { return n.Tag == "svg" && n.hasClass("map") })
	if len(svgs) != 1 {
		t.Fatalf("%d maps", len(svgs))
	}
	count := func(tag, fill string) int {
		return len(svgs[0].find(func(n *node) bool { return n.Tag == tag && n.Attr["fill"] == fill }))
	}
	if got := count("circle", mapStyles['@'].Fill); got != 2 {
		t.Errorf("%d agents drawn, want 2", got)
	}
	for _, ch := range []byte("+&=cogs?") {
		st, _ := styleOf(ch)
		if got := count("rect", st.Fill); got != 1 {
			t.Errorf("%c: %d tiles, want 1", ch, got)
		}
	}
	// The germanium extractor starts clipped (G): outlined.
	outlined := svgs[0].find(func(n *node) bool { return n.Tag == "rect" && n.Attr["stroke"] == clippedStyle.Fill })
	if len(outlined) != 1 {
		t.Errorf("%d clipped outlines, want 1", len(outlined))
	}
	legend := root.find(func(n *node) bool { return n.Tag == "ul" && n.hasClass("legend") })
	if len(legend) != 1 || !strings.Contains(legend[0].Text, "other") || !strings.Contains(legend[0].Text, "silicon_extractor") {
		t.Errorf("legend: %v", legend)
	}
	// A large map stays small: walls merge into runs.
	big := make([]string, 200)
	for i := range big {
		big[i] = strings.Repeat("#", 200)
	}
	svg, _ := mapSVG(big, "big")
	if n := strings.Count(string(svg), "<rect"); n != 201 {
		t.Errorf("200x200 walls drawn with %d rects, want 201", n)
	}
	if svg, _ := mapSVG(nil, "none"); svg != "" {
		t.Error("empty grid drew a map")
	}
}

// Every character a real mission analysis draws has its own style.
func TestMapStylesCoverAnalysisGrids(t *testing.T) {
	for _, name := range []string{"training_facility_1", "assembler_2", "training_facility.harvest"} {
		a := analysis.AnalyzeMission(name)
		if !a.Loadable {
			t.Errorf("%s: %v", name, a.Errors)
			continue
		}
		for _, row := range a.Grid {
			for i := 0; i < len(row); i++ {
				if ch := row[i]; ch != '.' {
					if st, _ := styleOf(ch); st.Name == otherStyle.Name {
						t.Errorf("%s: grid character %q has no map style", name, ch)
					}
				}
			}
		}
	}
}

func TestTrainingEmptyCurve(t *testing.T) {
	r := fixtureTraining()
	r.Curve = nil
	b := string(render(t, r))
	if strings.Contains(b, "<svg") || !strings.Contains(b, "No update completed") {
		t.Error("empty curve: charts drawn or no note")
	}
	full := string(render(t, fixtureTraining()))
	if n := strings.Count(full, `<svg class="chart"`); n != 7 {
		t.Errorf("%d learning curves, want 7", n)
	}
}

func TestMarkdownGolden(t *testing.T) {
	for name, v := range map[string]any{"comparison": fixtureReport(), "mission": fixtureAnalysis(), "training": fixtureTraining(),
		"evaluation": fixtureEvaluation(), "performance": fixturePerformance()} {
		t.Run(name, func(t *testing.T) {
			md, err := Markdown(v)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".md.golden", md)
		})
	}
	if _, err := Markdown(42); err == nil || !strings.Contains(err.Error(), "comparison") {
		t.Errorf("Markdown(int): %v", err)
	}
	// Pipes in names cannot break the table.
	r := fixtureReport()
	r.Policies[0] = "a|b"
	r.SummaryStatistics["a|b"] = r.SummaryStatistics["random"]
	md, _ := Markdown(&r)
	if !strings.Contains(md, `a\|b`) {
		t.Errorf("pipe not escaped:\n%s", md)
	}
}

func TestRegistry(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{fixtureReport(), "comparison"}, {new(compare.Report), "comparison"},
		{analysis.MissionAnalysis{}, "mission_analysis"}, {&trainresult.Result{}, "training"},
		{&eval.Evaluation{}, "evaluation"}, {analysis.Performance{}, "performance"},
	} {
		if got, ok := KindOf(tc.v); !ok || got != tc.want {
			t.Errorf("KindOf(%T) = %q, %v; want %q", tc.v, got, ok, tc.want)
		}
	}
	if _, ok := KindOf("x"); ok {
		t.Error("KindOf(string) found a kind")
	}

	// JSON as the session files hold it decodes to the right kind.
	for _, v := range []any{fixtureReport(), fixtureAnalysis(), fixtureTraining(), fixtureEvaluation(), fixturePerformance()} {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		kind, got, ok, err := DecodeJSON(data)
		want, _ := KindOf(v)
		if err != nil || !ok || kind != want {
			t.Errorf("DecodeJSON(%T) = %q %v %v", v, kind, ok, err)
			continue
		}
		if k2, _ := KindOf(got); k2 != want {
			t.Errorf("decoded %T", got)
		}
	}
	if _, _, ok, _ := DecodeJSON([]byte(`{"unrelated": 1}`)); ok {
		t.Error("unrelated JSON recognised")
	}
	if _, _, ok, _ := DecodeJSON([]byte(`[1,2]`)); ok {
		t.Error("array recognised")
	}

	// A new kind plugs in without touching the others.
	type sweep struct{ Best string }
	Register("test_sweep", func(v any) ([]Section, error) {
		s, err := As[sweep](v)
		if err != nil {
			return nil, err
		}
		return []Section{{ID: "sweep", Title: "Sweep", Body: template.HTML("<p>best " + template.HTMLEscapeString(s.Best) + "</p>")}}, nil
	}, ForType[sweep](), WithTitle(func(any) string { return "Sweep report" }))
	b, err := HTML(sweep{Best: "lr=0.01"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "<title>Sweep report</title>") || !strings.Contains(string(b), "best lr=0.01") {
		t.Errorf("custom kind not rendered:\n%s", b)
	}
	defer func() {
		if recover() == nil {
			t.Error("duplicate Register did not panic")
		}
	}()
	Register("test_sweep", func(any) ([]Section, error) { return nil, nil })
}

func TestDocumentIDs(t *testing.T) {
	d := NewDocument("two comparisons")
	d.Add("comparison", fixtureReport())
	d.Add("comparison", fixtureReport())
	seen := map[string]bool{}
	for _, s := range d.Sections() {
		if seen[s.ID] {
			t.Errorf("duplicate id %q", s.ID)
		}
		seen[s.ID] = true
	}
	if !seen["ranking"] || !seen["ranking-2"] {
		t.Errorf("ids %v", seen)
	}
	if err := d.Add("nope", 1); err == nil || !strings.Contains(err.Error(), "mission_analysis") {
		t.Errorf("unknown kind: %v", err)
	}
	if err := d.Add("comparison", fixtureAnalysis()); err == nil {
		t.Error("wrong type for kind: no error")
	}
}

func TestMetricGroupOf(t *testing.T) {
	for name, want := range map[string]string{
		"agent.carbon.gained": "resources", "game.chest.heart.deposited": "resources", "agent.chest.carbon.deposited_by_agent": "resources",
		"agent.energy.gained": "energy", "agent.action.failed": "actions", "agent.inventory.diversity.ge.2": "inventory",
		"agent.status.max_steps_without_motion": "status", "game.objects.wall": "other", "game.tokens_written": "other",
		"reward": "outcome", "hearts": "outcome", "performance_score": "outcome", "steps": "outcome", "agent.steps": "other",
	} {
		if got := metricGroupOf(name); got != want {
			t.Errorf("metricGroupOf(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestNum(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{
		{0, "0"}, {1, "1"}, {3.14159, "3.142"}, {-2.5, "-2.5"}, {1234.5678, "1235"}, {0.012345, "0.01235"},
		{1e7, "1.00e+07"}, {0.0001, "1.00e-04"}, {math.NaN(), "—"}, {math.Inf(1), "∞"}, {99999.9, "100000"},
	} {
		if got := num(tc.x); got != tc.want {
			t.Errorf("num(%v) = %q, want %q", tc.x, got, tc.want)
		}
	}
	if pIs(0.00001) != "p < 0.0001" || pIs(0.0123) != "p = 0.0123" {
		t.Errorf("pIs: %q %q", pIs(0.00001), pIs(0.0123))
	}
	if stars(true, 0.0005) != "***" || stars(true, 0.005) != "**" || stars(true, 0.04) != "*" || stars(false, 0.0001) != "" {
		t.Error("stars")
	}
}
